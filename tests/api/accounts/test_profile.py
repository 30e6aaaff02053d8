from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.factories import enable_mfa, signed_in


def test_patch_me_changes_preferences(client: TestClient) -> None:
    _, headers = signed_in(client)
    response = client.patch(
        "/api/v1/me",
        json={"units": "imperial", "timezone": "Europe/Paris", "ftp_w": 250, "max_hr_bpm": 185},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = client.get("/api/v1/me", headers=headers).json()
    assert (body["units"], body["timezone"], body["ftp_w"], body["max_hr_bpm"]) == (
        "imperial",
        "Europe/Paris",
        250,
        185,
    )


def test_patch_me_rejects_unknown_timezone_and_units(client: TestClient) -> None:
    _, headers = signed_in(client)
    bad_zone = client.patch("/api/v1/me", json={"timezone": "Mars/Olympus"}, headers=headers)
    assert bad_zone.status_code == 422
    assert "IANA timezone" in bad_zone.json()["detail"]
    bad_units = client.patch("/api/v1/me", json={"units": "furlongs"}, headers=headers)
    assert bad_units.status_code == 422


def test_patch_me_cannot_set_role_or_id(client: TestClient) -> None:
    _, headers = signed_in(client)
    response = client.patch(
        "/api/v1/me", json={"role": "admin", "id": str(uuid.uuid4())}, headers=headers
    )
    assert response.status_code == 422
    assert client.get("/api/v1/me", headers=headers).json()["role"] == "rider"


def test_only_an_admin_can_change_roles(client: TestClient, session: object) -> None:
    _, rider_headers = signed_in(client)
    target = client.get("/api/v1/me", headers=rider_headers).json()
    denied = client.put(
        f"/api/v1/users/{target['id']}/role", json={"role": "admin"}, headers=rider_headers
    )
    assert denied.status_code == 403
    admin_headers = _admin_headers(client)
    # An admin must turn MFA on before using admin routes.
    no_mfa = client.put(
        f"/api/v1/users/{target['id']}/role", json={"role": "mechanic"}, headers=admin_headers
    )
    assert no_mfa.status_code == 403
    assert "two-factor" in no_mfa.json()["detail"]
    enable_mfa(client, admin_headers, "the admin passphrase is long")
    allowed = client.put(
        f"/api/v1/users/{target['id']}/role", json={"role": "mechanic"}, headers=admin_headers
    )
    assert allowed.status_code == 200
    assert client.get("/api/v1/me", headers=rider_headers).json()["role"] == "mechanic"


def _admin_headers(client: TestClient) -> dict[str, str]:
    from bikenode.accounts.service import register_user

    app = client.app
    with app.state.session_factory() as db:  # type: ignore[attr-defined]
        register_user(
            db,
            app.state.accounts,  # type: ignore[attr-defined]
            email="admin@example.org",
            password="the admin passphrase is long",
            display_name="Admin",
            role="admin",
        )
    tokens = client.post(
        "/api/v1/auth/login",
        json={"email": "admin@example.org", "password": "the admin passphrase is long"},
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}
