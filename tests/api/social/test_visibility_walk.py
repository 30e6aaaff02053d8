"""A followers-only ride, walked as the four viewer kinds (owner, approved follower, another
signed-in rider, anonymous) and a blocked rider, on every GET route that names a ride.

An approved follower sees exactly what anyone sees of a public ride: the owner's privacy zone
cut from the track and the figures, never the owner's own view. Everyone else gets the 404 of
a missing ride, and so does the follower once the ride is private, or before approval.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.social.helpers import Rider, approve_followers, block, follow, ride, rider

# The start of tests.synthetic's loop (lat0, lon0 for seed 0): the owner's home.
HOME = {"name": "home", "lat_deg": 45.0, "lon_deg": 6.0, "radius_m": 500.0}


def _ride_reads(client: TestClient) -> list[str]:
    """Every GET path whose only parameter is a ride id."""
    spec = client.get("/openapi.json").json()
    return [
        path
        for path, operations in spec["paths"].items()
        if "get" in operations and path.count("{") == 1 and "{ride_id}" in path
    ]


def _seen(client: TestClient, url: str, who: Rider | None) -> tuple[int, Any]:
    answer = client.get(url, headers=who.headers if who else {})
    if "json" not in answer.headers.get("content-type", ""):
        return answer.status_code, answer.content
    body = answer.json()
    if isinstance(body, dict):
        body.pop("request_id", None)  # a problem answer's id differs per request
    return answer.status_code, body


def _set(client: TestClient, owner: Rider, ride_id: str, visibility: str) -> None:
    answer = client.patch(
        f"/api/v1/rides/{ride_id}", json={"visibility": visibility}, headers=owner.headers
    )
    assert answer.status_code == 200, answer.text
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]


def test_a_followers_only_ride_is_seen_by_approved_followers_only_and_cut(
    client: TestClient,
) -> None:
    owner, follower = rider(client, "Owner"), rider(client, "Follower")
    stranger, blocked, waiting = (
        rider(client, "Stranger"),
        rider(client, "Blocked"),
        rider(client, "Waiting"),
    )
    zone = client.post("/api/v1/privacy-zones", json=HOME, headers=owner.headers)
    assert zone.status_code == 201, zone.text
    ride_id = ride(client, owner)
    follow(client, follower, owner)
    follow(client, blocked, owner)
    block(client, owner, blocked)
    approve_followers(client, owner)
    assert follow(client, waiting, owner) == "pending"
    reads = [path.replace("{ride_id}", ride_id) for path in _ride_reads(client)]
    assert len(reads) >= 6, reads  # ride, streams, export, w-balance, bike, kudos, comments
    # What anyone sees of it while it is public: the follower must see no more, no less.
    as_public = {url: _seen(client, url, stranger) for url in reads}
    own = {url: _seen(client, url, owner) for url in reads}
    _set(client, owner, ride_id, "followers")
    wrong = []
    for url in reads:
        if _seen(client, url, follower) != as_public[url]:
            wrong.append(f"{url} as follower: {_seen(client, url, follower)} {as_public[url]}")
        if _seen(client, url, owner)[0] != own[url][0]:
            wrong.append(f"{url} as owner")
        for who in (stranger, blocked, waiting):
            if _seen(client, url, who)[0] != 404:
                wrong.append(f"{url} as {who.name}")
        if _seen(client, url, None)[0] not in (401, 404):
            wrong.append(f"{url} anonymously")
    assert wrong == [], wrong
    # The cut holds for the follower: the zone around the start is gone from the figures.
    seen = _seen(client, f"/api/v1/rides/{ride_id}", follower)[1]
    whole = own[f"/api/v1/rides/{ride_id}"][1]
    assert 0 < seen["distance_m"] < whole["distance_m"]
    assert "owner_id" not in seen and "owner_id" in whole
    # Reactions follow the same rule.
    for who, expected in ((follower, 200), (stranger, 404), (blocked, 404), (waiting, 404)):
        kudos = client.post(f"/api/v1/rides/{ride_id}/kudos", headers=who.headers)
        assert kudos.status_code == expected, who.name
    # Private again: the follower is refused too.
    _set(client, owner, ride_id, "private")
    assert [url for url in reads if _seen(client, url, follower)[0] != 404] == []


def test_the_feed_shows_followed_riders_rides_each_viewer_may_see(client: TestClient) -> None:
    owner, follower, stranger = (
        rider(client, "Owner"),
        rider(client, "Follower"),
        rider(client, "Stranger"),
    )
    client.post("/api/v1/privacy-zones", json=HOME, headers=owner.headers)
    public, followers_only, private = (
        ride(client, owner, visibility) for visibility in ("public", "followers", "private")
    )
    follow(client, follower, owner)
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    feed = client.get("/api/v1/feed", headers=follower.headers).json()["items"]
    assert [item["id"] for item in feed] == [followers_only, public]  # newest first
    whole = client.get(f"/api/v1/rides/{public}", headers=owner.headers).json()
    assert 0 < feed[1]["distance_m"] < whole["distance_m"]  # cut by the zone
    assert feed[1]["owner_name"] == "Owner"
    assert private not in {item["id"] for item in feed}
    assert client.get("/api/v1/feed", headers=stranger.headers).json()["items"] == []
    # The owner's feed holds their own rides, all of them, whole (as Strava's does).
    own = client.get("/api/v1/feed", headers=owner.headers).json()["items"]
    assert [item["id"] for item in own] == [private, followers_only, public]
    assert own[2]["distance_m"] == whole["distance_m"]
    assert client.get("/api/v1/feed").status_code == 401


def test_a_riders_profile_lists_the_rides_each_viewer_may_see(client: TestClient) -> None:
    owner, follower = rider(client, "Owner"), rider(client, "Follower")
    stranger, blocked = rider(client, "Stranger"), rider(client, "Blocked")
    public, followers_only, _private = (
        ride(client, owner, visibility) for visibility in ("public", "followers", "private")
    )
    follow(client, follower, owner)
    block(client, owner, blocked)
    url = f"/api/v1/users/{owner.id}/rides"

    def listed(who: Rider) -> list[str]:
        answer = client.get(url, headers=who.headers)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert listed(owner) == [followers_only, public]  # as followers see it: no private ride
    assert listed(follower) == [followers_only, public]
    assert listed(stranger) == [public]
    assert client.get(url, headers=blocked.headers).status_code == 404
    assert client.get(url).status_code == 401
    paged = client.get(f"{url}?limit=1", headers=follower.headers).json()
    rest = client.get(f"{url}?limit=1&cursor={paged['next_cursor']}", headers=follower.headers)
    assert [i["id"] for i in rest.json()["items"]] == [public]
