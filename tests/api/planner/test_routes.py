"""The planner REST API: create, list, read, delete routes; collaborators; GPX; access rules."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from lxml import etree

from tests.factories import signed_in

GPX = "{http://www.topografix.com/GPX/1/1}"


def _create(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    body.setdefault("name", "Alpine loop")
    response = client.post("/api/v1/routes", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _me(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get("/api/v1/me", headers=headers).json()["id"])


def test_create_route_returns_its_waypoints_and_room(client: TestClient) -> None:
    _, owner = signed_in(client)
    points = [
        {"lat_deg": 46.5, "lon_deg": 7.5, "name": "Start"},
        {"id": "summit", "lat_deg": 46.6, "lon_deg": 7.6},
    ]
    route = _create(client, owner, notes="bring a jacket", waypoints=points)
    assert route["name"] == "Alpine loop"
    assert route["role"] == "owner"
    assert route["notes"] == "bring a jacket"
    assert [(p["lat_deg"], p["lon_deg"], p["name"]) for p in route["waypoints"]] == [
        (46.5, 7.5, "Start"),
        (46.6, 7.6, ""),
    ]
    assert route["waypoints"][1]["id"] == "summit"
    assert route["room"] == {
        "server_path": "/api/v1/route-rooms",
        "room": route["id"],
        "params": ["token"],
        "ticket_path": f"/api/v1/routes/{route['id']}/room-tickets",
    }


def test_list_shows_owned_and_shared_routes_only(client: TestClient) -> None:
    _, owner = signed_in(client)
    collaborator_payload, collaborator = signed_in(client)
    _, stranger = signed_in(client)
    shared = _create(client, owner, name="Shared")
    _create(client, owner, name="Private")
    added = client.post(
        f"/api/v1/routes/{shared['id']}/collaborators",
        json={"email": collaborator_payload["email"]},
        headers=owner,
    )
    assert added.status_code == 201, added.text
    assert {r["name"] for r in client.get("/api/v1/routes", headers=owner).json()["items"]} == {
        "Shared",
        "Private",
    }
    items = client.get("/api/v1/routes", headers=collaborator).json()["items"]
    assert [(r["name"], r["role"]) for r in items] == [("Shared", "collaborator")]
    assert client.get("/api/v1/routes", headers=stranger).json()["items"] == []


def test_strangers_get_404_on_every_route_endpoint(client: TestClient) -> None:
    _, owner = signed_in(client)
    _, stranger = signed_in(client)
    route_id = _create(client, owner)["id"]
    base = f"/api/v1/routes/{route_id}"
    missing = "/api/v1/routes/00000000-0000-4000-8000-000000000000"
    for path in (base, missing):
        assert client.get(path, headers=stranger).status_code == 404
        assert client.get(f"{path}/export.gpx", headers=stranger).status_code == 404
        assert client.delete(path, headers=stranger).status_code == 404
        added = client.post(
            f"{path}/collaborators", json={"user_id": _me(client, stranger)}, headers=stranger
        )
        assert added.status_code == 404
    # The same answer for a route that exists and one that does not: no existence oracle.
    assert (
        client.get(base, headers=stranger).json()["detail"]
        == client.get(missing, headers=stranger).json()["detail"]
    )
    assert client.get(base).status_code == 401


def test_collaborator_may_read_and_export_but_not_delete_or_share(client: TestClient) -> None:
    _, owner = signed_in(client)
    _, collaborator = signed_in(client)
    _, other = signed_in(client)
    route_id = _create(client, owner, waypoints=[{"lat_deg": 1.0, "lon_deg": 2.0}])["id"]
    added = client.post(
        f"/api/v1/routes/{route_id}/collaborators",
        json={"user_id": _me(client, collaborator)},
        headers=owner,
    )
    assert added.status_code == 201, added.text
    assert client.get(f"/api/v1/routes/{route_id}", headers=collaborator).status_code == 200
    assert client.get(f"/api/v1/routes/{route_id}/export.gpx", headers=collaborator).is_success
    assert client.delete(f"/api/v1/routes/{route_id}", headers=collaborator).status_code == 403
    reshared = client.post(
        f"/api/v1/routes/{route_id}/collaborators",
        json={"user_id": _me(client, other)},
        headers=collaborator,
    )
    assert reshared.status_code == 403


def test_removed_collaborator_loses_access_and_owner_deletes(client: TestClient) -> None:
    _, owner = signed_in(client)
    _, collaborator = signed_in(client)
    route_id = _create(client, owner)["id"]
    collaborator_id = _me(client, collaborator)
    client.post(
        f"/api/v1/routes/{route_id}/collaborators",
        json={"user_id": collaborator_id},
        headers=owner,
    )
    route = client.get(f"/api/v1/routes/{route_id}", headers=owner).json()
    assert route["collaborators"] == [collaborator_id]
    removed = client.delete(
        f"/api/v1/routes/{route_id}/collaborators/{collaborator_id}", headers=owner
    )
    assert removed.status_code == 204
    assert client.get(f"/api/v1/routes/{route_id}", headers=collaborator).status_code == 404
    assert client.delete(f"/api/v1/routes/{route_id}", headers=owner).status_code == 204
    assert client.get(f"/api/v1/routes/{route_id}", headers=owner).status_code == 404


def test_collaborator_may_leave_a_route(client: TestClient) -> None:
    _, owner = signed_in(client)
    _, collaborator = signed_in(client)
    route_id = _create(client, owner)["id"]
    me = _me(client, collaborator)
    client.post(f"/api/v1/routes/{route_id}/collaborators", json={"user_id": me}, headers=owner)
    left = client.delete(f"/api/v1/routes/{route_id}/collaborators/{me}", headers=collaborator)
    assert left.status_code == 204
    assert client.get("/api/v1/routes", headers=collaborator).json()["items"] == []


def test_sharing_with_unknown_users_or_the_owner_is_refused(client: TestClient) -> None:
    _, owner = signed_in(client)
    route_id = _create(client, owner)["id"]
    path = f"/api/v1/routes/{route_id}/collaborators"
    unknown = client.post(path, json={"email": "nobody@example.org"}, headers=owner)
    assert unknown.status_code == 404
    ghost = client.post(
        path, json={"user_id": "00000000-0000-4000-8000-000000000000"}, headers=owner
    )
    assert ghost.status_code == 404
    assert client.post(path, json={"user_id": _me(client, owner)}, headers=owner).status_code == 409
    both = client.post(
        path, json={"email": "a@example.org", "user_id": _me(client, owner)}, headers=owner
    )
    assert both.status_code == 422
    assert client.post(path, json={}, headers=owner).status_code == 422


def test_create_refuses_input_past_the_limits(client: TestClient) -> None:
    _, owner = signed_in(client)
    bad_bodies: list[dict[str, Any]] = [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "ok", "notes": "n" * 10_001},
        {"name": "ok", "waypoints": [{"lat_deg": 91.0, "lon_deg": 0.0}]},
        {"name": "ok", "waypoints": [{"lat_deg": 0.0, "lon_deg": -180.5}]},
        {"name": "ok", "waypoints": [{"lat_deg": 0.0, "lon_deg": 0.0, "id": "i" * 65}]},
        {"name": "ok", "waypoints": [{"lat_deg": 0.0, "lon_deg": 0.0}] * 5_001},
        {"name": "ok", "owner_id": "someone else"},
        {"name": 5},
    ]
    for body in bad_bodies:
        response = client.post("/api/v1/routes", json=body, headers=owner)
        assert response.status_code == 422, (body, response.text)
    assert client.get("/api/v1/routes", headers=owner).json()["items"] == []


def test_export_is_a_gpx_route_built_from_the_document(client: TestClient) -> None:
    _, owner = signed_in(client)
    points = [
        {"lat_deg": 46.5, "lon_deg": 7.25, "name": "Café <start> & \x01"},
        {"lat_deg": -33.9, "lon_deg": 151.2},
    ]
    route = _create(client, owner, name="Loop & back", notes="<b>hi</b>", waypoints=points)
    response = client.get(f"/api/v1/routes/{route['id']}/export.gpx", headers=owner)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/gpx+xml"
    tree = etree.fromstring(response.content)
    rte = tree.find(f"{GPX}rte")
    assert rte is not None
    assert rte.findtext(f"{GPX}name") == "Loop & back"
    assert rte.findtext(f"{GPX}desc") == "<b>hi</b>"
    rtepts = rte.findall(f"{GPX}rtept")
    assert [(float(p.get("lat", "")), float(p.get("lon", ""))) for p in rtepts] == [
        (46.5, 7.25),
        (-33.9, 151.2),
    ]
    assert rtepts[0].findtext(f"{GPX}name") == "Café <start> & "
