"""The routes this branch adds, walked as the four viewer kinds of a public club (a member, a
signed-in stranger, a rider the owner blocks, anonymous): each answers what its rule says,
and the owner's avatar, members-only ride and moderation action leak to nobody else."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from tests.api.social.helpers import Rider, block, rider
from tests.api.social.test_clubs import club, join
from tests.factories import admin_with_mfa


def _files() -> dict[str, tuple[str, bytes, str]]:
    png = io.BytesIO()
    Image.new("RGB", (48, 48), "navy").save(png, "PNG")
    return {"file": ("avatar.png", png.getvalue(), "image/png")}


def _answer(client: TestClient, method: str, url: str, who: Rider | None) -> Any:
    headers = who.headers if who else {}
    if method == "put":
        return client.put(url, files=_files(), headers=headers)
    return client.request(method.upper(), url, headers=headers)


def test_new_club_and_appeal_routes_as_member_stranger_blocked_and_anonymous(
    client: TestClient,
) -> None:
    owner, member, stranger, blocked = (rider(client, n) for n in ("Olga", "Max", "Sam", "Bo"))
    made = club(client, owner)
    base = f"/api/v1/clubs/{made['id']}"
    join(client, member, made["id"])
    join(client, blocked, made["id"])
    block(client, owner, blocked)
    assert client.put(f"{base}/avatar", files=_files(), headers=owner.headers).status_code == 200
    ride = {"title": "Members' loop", "starts_at": "2030-06-01T08:00:00Z", "members_only": True}
    assert client.post(f"{base}/events", json=ride, headers=owner.headers).status_code == 201
    moderator, _ = admin_with_mfa(client)
    warn = {"kind": "warn", "object_kind": "user", "object_id": owner.id, "reason": "rude"}
    action = client.post("/api/v1/moderation/actions", json=warn, headers=moderator).json()

    viewers = {"member": member, "stranger": stranger, "blocked": blocked, "anonymous": None}
    expected = {  # (method, path): member, stranger, blocked, anonymous
        ("get", f"{base}/avatar"): (200, 200, 404, 200),
        ("put", f"{base}/avatar"): (403, 403, 404, 401),
        ("delete", f"{base}/avatar"): (403, 403, 404, 401),
        ("post", f"{base}/feed-mute"): (204, 403, 404, 401),
        ("delete", f"{base}/feed-mute"): (204, 403, 404, 401),
        ("get", f"{base}/events"): (200, 200, 404, 200),
        ("get", f"/api/v1/me/moderation-actions/{action['id']}"): (404, 404, 404, 401),
    }
    got = {
        key: tuple(_answer(client, key[0], key[1], who).status_code for who in viewers.values())
        for key in expected
    }
    assert got == expected
    titles = {
        kind: [
            e["title"] for e in client.get(f"{base}/events", headers=who.headers).json()["items"]
        ]
        for kind, who in viewers.items()
        if who is not None and kind != "blocked"
    }
    assert titles == {"member": ["Members' loop"], "stranger": []}
    assert client.get(f"{base}/events").json()["items"] == []
    assert client.get(f"{base}/avatar", headers=owner.headers).status_code == 200  # unchanged
