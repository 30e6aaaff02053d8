"""BOLA / IDOR: every route of the OpenAPI spec, as every other kind of caller.

The owner has a private ride (from an upload) with marked name and description, and one
object of every other kind (OWNED). The walk calls every operation with the owner's ids in the
path, as another rider, a mechanic, an admin (except on the admin-only routes, where acting on
any user is the admin's job) and anonymously. A write carries a body built from the OpenAPI
schema (BODIES overrides it where a valid body needs domain values), and before the walk the
owner's same request on a throwaway object of their own must succeed: a body that fails
validation would be refused with 422 before any ownership check, and the walk would prove
nothing. Nothing of the owner's may come back (no marker, no e-mail), an object that is not
theirs answers exactly 404 to signed-in callers (never 403: no existence oracle) and 401 to
anonymous ones, admin-only routes refuse non-admins with 403, and afterwards the owner's data
is unchanged. A domain that adds routes with new ids registers a factory in OWNED so that the
walk fills them with real ids.
"""

from __future__ import annotations

import io
import itertools
import re
import types
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from bikenode.app import create_app
from bikenode.config import Settings
from tests.api.sync.conftest import Device
from tests.factories import STRONG_PASSWORD, admin_with_mfa, login, signed_in, upload_files
from tests.synthetic import synthetic_gpx

MARKER = "zz-private-marker-7f3a"
# Webhooks may call loopback only because the walk's app allows it (nothing listens on 9).
HOOK_URL = "http://127.0.0.1:9/hooks"
# Routes that refuse by role (admin only), not by object: 403 is the right answer there.
ROLE_ROUTES = {
    "/api/v1/users/{user_id}/role",
    "/api/v1/users/{user_id}/rate-limit",
    "/api/v1/admin/users/{user_id}",
    "/api/v1/moderation/reports/{report_id}/dismiss",
    "/api/v1/moderation/comments/{comment_id}/hide",
    "/api/v1/users/{user_id}/moderator",
    "/api/v1/moderation/actions/{action_id}/lift",
    "/api/v1/moderation/actions/{action_id}/appeal",
}
# Routes on the caller's own relation to the rider in the path (follow, unfollow) or on what
# any signed-in rider may see of them (profile, follower lists, rides they may see: the
# owner's private ride stays out, as the marker check proves): answering them is no leak,
# unless the rider blocks the caller (then 404 as for anyone missing). The visibility of each
# is checked in tests/api/social.
RELATION_ROUTES = {
    "/api/v1/users/{user_id}",
    "/api/v1/users/{user_id}/followers",
    "/api/v1/users/{user_id}/following",
    "/api/v1/users/{user_id}/follow",
    "/api/v1/users/{user_id}/rides",
    "/api/v1/users/{user_id}/mute",
}
# The caller's own standing in a club (join, ask to join, leave) and a club's about, which
# any signed-in rider sees so they can ask to join a private club: no leak (its posts and
# events hold the marker), unless the club's owner blocks the caller. Checked in
# tests/api/social/test_clubs.py.
RELATION_OPERATIONS = {
    ("get", "/api/v1/clubs/{club_id}"),
    ("get", "/api/v1/clubs/{club_id}/avatar"),  # part of the about (tests/api/social)
    ("post", "/api/v1/clubs/{club_id}/membership"),
    ("delete", "/api/v1/clubs/{club_id}/membership"),
}
# Blocking any rider, or lifting one's own block, is the caller's own business, blocked or not.
BLOCK_ROUTES = {"/api/v1/me/blocks/{user_id}"}
# Routes about the caller's own account, never another's: skipped for writes (the second
# rider erasing or changing themselves is no attack on the owner).
SELF_WRITE_PREFIXES = ("/api/v1/me", "/api/v1/auth/")
WRITES = {"post", "put", "patch", "delete"}
# Heatmap tiles name a place, not an object: every caller gets their own view of it (200),
# drawn from their own rides only (pixels checked in tests/api/segments/test_heatmaps_api.py).
OWN_VIEW_ROUTES = {
    "/api/v1/heatmaps/me/{z}/{x}/{y}.png",
    "/api/v1/heatmaps/community/{z}/{x}/{y}.png",
}
_starts = itertools.count()

Ids = dict[str, str]


class Walk:
    """The accounts of the walk: the owner, the attackers, and the attackers' identities."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.owner, self.owner_headers = signed_in(client)
        self.owner_id = self.me(self.owner_headers)["id"]
        self.stranger, stranger_headers = signed_in(client)
        spare = {"name": "spare", "type": "other"}  # an empty bike of the owner's
        self.spare_bike = _created(client, "/api/v1/bikes", spare, self.owner_headers)
        _, mechanic_headers = _with_role(client, "mechanic")
        self.admin_headers, _secret = admin_with_mfa(client)
        assert self.me(mechanic_headers)["role"] == "mechanic"
        tus = {"Tus-Resumable": "1.0.0"}  # without it tus routes answer 412 before any check
        # An approved follower of the owner, and a rider the owner blocks.
        _, follower_headers = signed_in(client)
        followed = client.post(f"/api/v1/users/{self.owner_id}/follow", headers=follower_headers)
        assert followed.json() == {"status": "accepted"}, followed.text
        _, blocked_headers = signed_in(client)
        blocked_id = self.me(blocked_headers)["id"]
        blocked = client.put(f"/api/v1/me/blocks/{blocked_id}", headers=self.owner_headers)
        assert blocked.status_code == 204, blocked.text
        self.callers: dict[str, dict[str, str]] = {
            "other rider": {**stranger_headers, **tus},
            "follower": {**follower_headers, **tus},
            "blocked": {**blocked_headers, **tus},
            "mechanic": {**mechanic_headers, **tus},
            "admin": {**self.admin_headers, **tus},
            "anonymous": tus,
        }

    def me(self, headers: dict[str, str]) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.get("/api/v1/me", headers=headers).json()
        return answer

    def objects(self) -> Objects:
        """A fresh set of the owner's objects, each made when first asked for."""
        return Objects(self.client, self.owner_headers, {"user_id": self.owner_id})


def _with_role(client: TestClient, role: str) -> tuple[str, dict[str, str]]:
    """A user registered as the CLI does it, with the given role: e-mail and header."""
    from bikenode.accounts.service import register_user

    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    app = client.app
    with app.state.session_factory() as db:  # type: ignore[attr-defined]
        register_user(
            db,
            app.state.accounts,  # type: ignore[attr-defined]
            email=email,
            password=STRONG_PASSWORD,
            display_name=role.title(),
            role=role,
        )
    return email, {"Authorization": f"Bearer {login(client, email)['access_token']}"}


class Objects:
    """The owner's objects by path parameter name, made on first use by OWNED's factories."""

    def __init__(self, client: TestClient, headers: dict[str, str], ids: Ids) -> None:
        self.client, self.headers, self.ids = client, headers, dict(ids)

    def __getitem__(self, name: str) -> str:
        if name not in self.ids:
            self.ids.update(OWNED[name](self.client, self.headers, self))
        return self.ids[name]

    def make_all(self) -> None:
        for name in OWNED:
            self[name]  # made on first use

    def fill(self, template: str) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: self[m.group(1)], template)


def _created(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str]) -> str:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _ride(client: TestClient, headers: dict[str, str], _: Objects) -> Ids:
    """A private ride from an upload, with marked name and description."""
    start = datetime(2025, 5, 4, 7, 0, tzinfo=UTC) + timedelta(days=next(_starts))
    (upload,) = upload_files(client, headers, [("home.gpx", synthetic_gpx(start))])
    ride_id = upload["items"][0]["ride_id"]
    changed = client.patch(
        f"/api/v1/rides/{ride_id}",
        json={"name": f"{MARKER} name", "description": f"{MARKER} description"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["visibility"] == "private"
    return {"ride_id": ride_id, "upload_id": upload["id"], "item_id": str(upload["items"][0]["id"])}


def _sync_conflict(client: TestClient, headers: dict[str, str], objects: Objects) -> Ids:
    """Two devices rewrite the ride's description differently from the same base: a conflict
    that keeps both (marked) values until the owner resolves it."""
    base = f"{MARKER} description"
    conflicts: list[str] = []
    for name, value in (("phone", "hilly"), ("laptop", "windy")):
        device = Device(client, headers, f"{name}-{uuid.uuid4().hex[:6]}")
        edit = {"value": f"{MARKER} {value}", "base": base}
        answer = device.push(device.mutation("ride", objects["ride_id"], description=edit))
        assert answer.status_code == 200, answer.text
        conflicts += answer.json()["results"][0]["conflicts"]
    assert len(conflicts) == 1, conflicts
    return {"conflict_id": str(conflicts[0])}


def _crash(client: TestClient, objects: Objects) -> str:
    """A suspected crash in the owner's live session, still in its cancel window."""
    from bikenode.live.models import LiveCrashAlert, LiveSession

    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        live = session.get(LiveSession, uuid.UUID(objects["session_id"]))
        assert live is not None
        alert = LiveCrashAlert(
            session_id=live.id,
            owner_id=live.owner_id,
            stopped_at_ms=1,
            lat=51.5,
            lon=-0.12,
            cancel_by=datetime.now(UTC) + timedelta(hours=1),
        )
        session.add(alert)
        session.commit()
        return str(alert.id)


def _one(name: str, path: str, body: dict[str, Any]) -> Factory:
    return lambda client, headers, objects: {
        name: _created(client, objects.fill(path), body, headers)
    }


def _reminder(client: TestClient, headers: dict[str, str], objects: Objects) -> Ids:
    """A worn chain fitted on the owner's bike: its starting usage crossed both thresholds."""
    worn = {
        "type": "chain",
        "start_distance_m": 5e6,
        "installed_at": "2024-01-01T00:00:00Z",
        "position": "spare",  # beside the chain of component_id, not in its slot
    }
    _created(client, objects.fill("/api/v1/bikes/{bike_id}/components"), worn, headers)
    found = client.get("/api/v1/maintenance/reminders", headers=headers).json()["items"]
    return {"reminder_id": str(found[0]["id"])}


def _club(client: TestClient, headers: dict[str, str], objects: Objects) -> Ids:
    """A private club of the owner's with a marked post and club ride, and an invite link."""
    club_id = _created(client, "/api/v1/clubs", {"name": "Quiet club", "private": True}, headers)
    base = f"/api/v1/clubs/{club_id}"
    ride: dict[str, Any] = {"title": f"{MARKER} ride", "starts_at": "2099-06-01T07:00:00Z"}
    ride |= {"live": True, "members_only": True}  # with its live group ride
    avatar = client.put(f"{base}/avatar", files=_avatar_file(), headers=headers)
    assert avatar.status_code == 200, avatar.text
    return {
        "club_id": club_id,
        "post_id": _created(client, f"{base}/posts", {"body": f"{MARKER} post"}, headers),
        "event_id": _created(client, f"{base}/events", ride, headers),
        "invite_id": _created(client, f"{base}/invites", {}, headers),
    }


def _avatar_file() -> dict[str, tuple[str, bytes, str]]:
    png = io.BytesIO()
    Image.new("RGB", (48, 48), "navy").save(png, "PNG")
    return {"file": ("avatar.png", png.getvalue(), "image/png")}


# Writes that take a file (multipart) rather than JSON: what to send.
FILES: dict[tuple[str, str], Callable[[], dict[str, tuple[str, bytes, str]]]] = {
    ("put", "/api/v1/clubs/{club_id}/avatar"): _avatar_file,
}


APP_BODY: dict[str, Any] = {
    "name": "Coach tool",
    "redirect_uris": ["https://coach.example.org/cb"],
    "confidential": True,
}


Factory = Callable[[TestClient, dict[str, str], Objects], Ids]
# Factories for the owner's objects: name of the path parameter -> the ids one call makes.
OWNED: dict[str, Factory] = {
    "ride_id": _ride,
    "upload_id": _ride,
    "item_id": _ride,
    "zone_id": _one(
        "zone_id",
        "/api/v1/privacy-zones",
        {"name": f"{MARKER} home", "lat_deg": 51.5, "lon_deg": -0.12, "radius_m": 200.0},
    ),
    "session_id": _one(
        "session_id", "/api/v1/live/sessions", {"name": f"{MARKER} live", "visibility": "private"}
    ),
    "share_id": _one("share_id", "/api/v1/live/sessions/{session_id}/shares", {}),
    "group_id": _one("group_id", "/api/v1/live/groups", {"name": f"{MARKER} club run"}),
    "device_id": _one("device_id", "/api/v1/live/devices", {"name": f"{MARKER} tracker"}),
    "contact_id": _one("contact_id", "/api/v1/live/crash/contacts", {"email": f"{MARKER}@x.org"}),
    "crash_id": lambda client, headers, objects: {"crash_id": _crash(client, objects)},
    "route_id": _one("route_id", "/api/v1/routes", {"name": f"{MARKER} route", "notes": MARKER}),
    "conflict_id": _sync_conflict,
    "bike_id": _one(
        "bike_id",
        "/api/v1/bikes",
        {"name": f"{MARKER} bike", "type": "road", "default_for_sports": ["cycling"]},
    ),
    # Fitted on the bike since before any walk request: it can be moved, removed, retired.
    "component_id": _one(
        "component_id",
        "/api/v1/bikes/{bike_id}/components",
        {"type": "chain", "notes": MARKER, "installed_at": "2024-01-01T00:00:00Z"},
    ),
    "comment_id": _one(
        "comment_id", "/api/v1/rides/{ride_id}/comments", {"body": f"{MARKER} comment"}
    ),
    "report_id": lambda client, headers, objects: {
        "report_id": _created(
            client,
            "/api/v1/reports",
            # Not marked: the moderators' queue shows every open report's reason to admins.
            {"kind": "ride", "id": objects["ride_id"], "reason": "spam"},
            headers,
        )
    },
    "job_id": lambda client, headers, objects: _repair_job(client, headers, objects),
    # The owner (a rider) has no mechanic profile: every caller gets the same 404.
    "mechanic_id": lambda client, headers, objects: {"mechanic_id": objects["user_id"]},
    "review_id": lambda client, headers, objects: _review(client, headers, objects),
    "quote_id": lambda client, headers, objects: _repair_job(client, headers, objects),
    "metric_id": lambda client, headers, objects: {"metric_id": _health_metric(client, headers)},
    "alert_id": lambda client, headers, objects: {"alert_id": _health_alert(client, headers)},
    "reminder_id": _reminder,
    "webhook_id": _one(
        "webhook_id", "/api/v1/webhooks", {"url": HOOK_URL, "event_types": ["ride.created"]}
    ),
    "delivery_id": lambda client, headers, objects: {
        "delivery_id": _webhook_delivery(client, headers, objects)
    },
    "app_webhook_id": _one(
        "app_webhook_id",
        "/api/v1/apps/{app_id}/webhooks",
        {"url": HOOK_URL, "event_types": ["ride.created", "ride.updated"]},
    ),
    "app_delivery_id": lambda client, headers, objects: {
        "app_delivery_id": _app_webhook_delivery(client, headers, objects)
    },
    "notification_id": lambda client, headers, objects: {
        "notification_id": _notification(client, headers, objects)
    },
    # A private segment along the owner's ride: others must not learn where it runs.
    "segment_id": lambda client, headers, objects: {
        "segment_id": _created(
            client,
            "/api/v1/segments",
            {"name": f"{MARKER} segment", "visibility": "private", **_from_ride(objects)},
            headers,
        )
    },
    # A moderator's warning of the owner, appealed by the owner (so a decision can be made).
    "action_id": lambda client, headers, objects: {"action_id": _appealed_action(client, headers)},
    "club_id": _club,
    "post_id": _club,
    "event_id": _club,
    "invite_id": _club,
    # The world tile (zoom 0): it holds the owner's private ride wherever it runs.
    "z": lambda client, headers, objects: {"z": "0", "x": "0", "y": "0"},
    # A confidential app of the owner's, a grant the owner gave it, a personal token.
    "app_id": _one("app_id", "/api/v1/apps", {**APP_BODY, "name": f"{MARKER} app"}),
    "grant_id": lambda client, headers, objects: {"grant_id": _app_grant(client, headers, objects)},
    "token_id": _one("token_id", "/api/v1/me/tokens", {"name": MARKER, "scopes": ["rides:read"]}),
    # The owner's own sign-in session (DELETE /api/v1/me/sessions/{id} must not end it).
    "account_session_id": lambda client, headers, objects: {
        "account_session_id": _signed_in_session(headers)
    },
}


def _app_grant(
    client: TestClient, headers: dict[str, str], objects: Objects, scope: str = "rides:read"
) -> str:
    """The owner allows their own app to read rides (the consent step of the OAuth2 flow)."""
    client_id = client.get(f"/api/v1/apps/{objects['app_id']}", headers=headers).json()
    consent = {
        "response_type": "code",
        "client_id": client_id["client_id"],
        "redirect_uri": APP_BODY["redirect_uris"][0],
        "scope": scope,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "decision": "allow",
    }
    # https: OAuth2 refuses plain http off loopback (the test client's host is "testserver").
    answer = client.post("https://testserver/oauth/authorize", data=consent, headers=headers)
    assert answer.status_code == 200, answer.text
    grants = client.get("/api/v1/me/grants", headers=headers).json()["grants"]
    return str(grants[0]["id"])


def _from_ride(objects: Objects) -> dict[str, Any]:
    """A stretch of the owner's private ride (samples 10 to 200 of its 600)."""
    return {"from_ride": {"ride_id": objects["ride_id"], "start_index": 10, "end_index": 200}}


def _appealed_action(client: TestClient, headers: dict[str, str]) -> str:
    moderator, _ = admin_with_mfa(client, email=f"mod-{uuid.uuid4().hex[:8]}@example.org")
    owner_id = client.get("/api/v1/me", headers=headers).json()["id"]
    warn = {"kind": "warn", "object_kind": "user", "object_id": owner_id, "reason": "rude"}
    action_id = _created(client, "/api/v1/moderation/actions", warn, moderator)
    path = f"/api/v1/me/moderation-actions/{action_id}/appeal"
    appealed = client.post(path, json={"text": "I was not"}, headers=headers)
    assert appealed.status_code == 200, appealed.text
    return action_id


def _webhook_delivery(client: TestClient, headers: dict[str, str], objects: Objects) -> str:
    """A delivery of the owner's webhook: a ride uploaded after subscribing, fanned out."""
    webhook_id = objects["webhook_id"]
    _ride(client, headers, objects)
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    answer = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=headers)
    return str(answer.json()["deliveries"][-1]["id"])


def _app_webhook_delivery(client: TestClient, headers: dict[str, str], objects: Objects) -> str:
    """A delivery of the owner's app's webhook: the owner grants their app rides:read_all,
    then a (private, marked) ride of theirs is fanned out to it."""
    base = objects.fill("/api/v1/apps/{app_id}/webhooks/{app_webhook_id}")
    _app_grant(client, headers, objects, scope="rides:read_all")
    _ride(client, headers, objects)
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    answer = client.get(f"{base}/deliveries", headers=headers)
    return str(answer.json()["deliveries"][0]["id"])


def _notification(client: TestClient, headers: dict[str, str], objects: Objects) -> str:
    """A notification of the owner's: their worn chain's reminder, turned into one."""
    objects["reminder_id"]
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    answer = client.get("/api/v1/notifications", headers=headers)
    return str(answer.json()["items"][0]["id"])


def _repair_job(client: TestClient, headers: dict[str, str], objects: Objects) -> Ids:
    """An open repair job on the owner's bike, quoted by a mechanic (not the walk's), with a
    marked message from the owner in the quote's thread."""
    body = {
        "bike_id": objects["bike_id"],
        "title": "Creaking bottom bracket",
        "description": "Creaks under load",
        "lat_deg": 51.5073,
        "lon_deg": -0.1277,
    }
    job = client.post("/api/v1/market/jobs", json=body, headers=_keyed(headers))
    assert job.status_code == 201, job.text
    _, mechanic = _with_role(client, "mechanic")
    until = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    offer = {
        "job_id": job.json()["id"],
        "price_minor": 4500,
        "currency": "EUR",
        "valid_until": until,
    }
    quote = client.post("/api/v1/market/quotes", json=offer, headers=_keyed(mechanic))
    assert quote.status_code == 201, quote.text
    message = {"body": f"{MARKER} the side door is unlocked"}
    path = f"/api/v1/market/quotes/{quote.json()['id']}/messages"
    sent = client.post(path, json=message, headers=_keyed(headers))
    assert sent.status_code == 201, sent.text
    return {"job_id": job.json()["id"], "quote_id": quote.json()["id"]}


# The mechanic who did each reviewed job of the owner's: the one party who may reply.
REVIEWED_BY: dict[str, dict[str, str]] = {}


def _review(client: TestClient, headers: dict[str, str], objects: Objects) -> Ids:
    """The owner's review of a paid repair job (done by a mechanic not the walk's)."""
    _, mechanic = _with_role(client, "mechanic")
    job = _created(client, "/api/v1/market/jobs", _job_body(objects), _keyed(headers))
    until = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    offer = {"job_id": job, "price_minor": 4500, "currency": "EUR", "valid_until": until}
    quote = _created(client, "/api/v1/market/quotes", offer, _keyed(mechanic))
    Step = tuple[dict[str, str], str, dict[str, Any] | None]
    steps: list[Step] = [(headers, f"/api/v1/market/quotes/{quote}/accept", None)]
    moves = f"/api/v1/market/jobs/{job}/transitions"
    steps += [(mechanic, moves, {"transition": t}) for t in ("start", "finish", "invoice")]
    steps += [(headers, f"/api/v1/market/jobs/{job}/payments", None)]
    steps += [(headers, moves, {"transition": "review", "rating": 4, "text": "Tidy work"})]
    for who, path, body in steps:
        answer = client.post(path, json=body, headers=_keyed(who))
        assert answer.status_code in (200, 201), answer.text
    shop = {"display_name": "Shop", "lat_deg": 51.5, "lon_deg": -0.1, "radius_km": 9}
    assert client.put("/api/v1/market/me/mechanic", json=shop, headers=mechanic).is_success
    mechanic_id = client.get("/api/v1/me", headers=mechanic).json()["id"]
    reviews = client.get(f"/api/v1/market/mechanics/{mechanic_id}/reviews", headers=headers)
    review_id = str(reviews.json()["items"][0]["id"])
    REVIEWED_BY[review_id] = mechanic
    return {"review_id": review_id}


def _job_body(objects: Objects) -> dict[str, Any]:
    return {
        "bike_id": objects["bike_id"],
        "title": "Brake rub",
        "description": "Rubs at the back",
        "lat_deg": 51.5073,
        "lon_deg": -0.1277,
    }


def _health_metric(client: TestClient, headers: dict[str, str]) -> str:
    body = {"metrics": [{"day": "2025-01-01", "metric": "mood_1_5", "value": 4, "source": MARKER}]}
    answer = client.post("/api/v1/health/metrics", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["metrics"][0]["id"])


def _health_alert(client: TestClient, headers: dict[str, str]) -> str:
    """Two nights well above 20 steady ones: a resting heart rate alert."""
    values = [50.0, 51.0] * 10 + [58.0, 59.0]
    start = date(2025, 2, 1)
    nights = [
        {"day": (start + timedelta(days=i)).isoformat(), "metric": "resting_hr_bpm", "value": v}
        for i, v in enumerate(values)
    ]
    answer = client.post("/api/v1/health/metrics", json={"metrics": nights}, headers=headers)
    assert answer.status_code == 201, answer.text
    [alert] = client.get("/api/v1/health/alerts", headers=headers).json()["alerts"]
    return str(alert["id"])


def _signed_in_session(headers: dict[str, str]) -> str:
    token = headers["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, options={"verify_signature": False})["sid"])


# Bodies the schema alone cannot make valid, by (method, path): a function of the walk. Each
# is what an attacker wants: to publish the owner's ride, or to let themselves in.
BODIES: dict[tuple[str, str], Callable[[Walk], dict[str, Any]]] = {
    ("patch", "/api/v1/rides/{ride_id}"): lambda walk: {
        "name": "taken over",
        "visibility": "public",
        "share_health": True,
    },
    ("post", "/api/v1/live/groups/{group_id}/members"): lambda walk: {
        "email": walk.stranger["email"],
        "display_name": "gatecrasher",
    },
    ("post", "/api/v1/routes/{route_id}/collaborators"): lambda walk: {
        "email": walk.stranger["email"]
    },
    ("put", "/api/v1/users/{user_id}/rate-limit"): lambda walk: {"tier": "premium"},
    # Fit a part on the owner's bike, move the owner's part to another of the owner's bikes,
    # put the owner's ride on no bike.
    ("post", "/api/v1/bikes/{bike_id}/components"): lambda walk: {"type": "chain"},
    ("post", "/api/v1/components/{component_id}/install"): lambda walk: {
        "bike_id": walk.spare_bike
    },
    ("put", "/api/v1/rides/{ride_id}/bike"): lambda walk: {"bike_id": None},
    ("post", "/api/v1/clubs/{club_id}/events"): lambda walk: {
        "title": "gatecrash",
        "starts_at": "2099-06-02T07:00:00Z",
    },
    ("post", "/api/v1/maintenance/reminders/{reminder_id}/snooze"): lambda walk: {
        "until": "2100-01-01T00:00:00Z"
    },
    # Turn the owner's review of a mechanic into one star.
    ("patch", "/api/v1/market/reviews/{review_id}"): lambda walk: {"stars": 1, "text": "bad"},
    ("post", "/api/v1/apps"): lambda walk: APP_BODY,
    ("patch", "/api/v1/apps/{app_id}"): lambda walk: {"redirect_uris": ["https://evil.example/cb"]},
    # Point the owner's webhook, or their app's, at a receiver of the attacker's.
    ("post", "/api/v1/apps/{app_id}/webhooks"): lambda walk: {
        "url": HOOK_URL,
        "event_types": ["ride.created"],
    },
    ("patch", "/api/v1/apps/{app_id}/webhooks/{app_webhook_id}"): lambda walk: {
        "url": HOOK_URL + "/stolen",
        "event_types": ["ride.created", "ride.updated"],
    },
    ("post", "/api/v1/webhooks"): lambda walk: {"url": HOOK_URL, "event_types": ["ride.created"]},
    ("patch", "/api/v1/webhooks/{webhook_id}"): lambda walk: {
        "url": HOOK_URL + "/stolen",
        "event_types": ["ride.created", "ride.updated"],
    },
}


def example(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value the schema accepts: required fields only, first enum value, bounds respected."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return example(spec["components"]["schemas"][name], spec)
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema["oneOf"]
        return example(next(o for o in options if o.get("type") != "null"), spec)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: example(properties[name], spec) for name in schema.get("required", [])}
    if kind == "array":
        return [example(schema["items"], spec)] * schema.get("minItems", 0)
    if kind in ("integer", "number"):
        return schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if kind == "string":
        return "x" * max(schema.get("minLength", 1), 1)
    raise AssertionError(f"no example for the schema {schema}")


def _body(walk: Walk, spec: dict[str, Any], method: str, template: str) -> Any:
    if (method, template) in BODIES:
        return BODIES[method, template](walk)
    request = spec["paths"][template][method].get("requestBody")
    if request is None or "application/json" not in request["content"]:
        return None
    return example(request["content"]["application/json"]["schema"], spec)


def _call(
    client: TestClient, method: str, template: str, url: str, headers: dict[str, str], body: Any
) -> Any:
    if template == "/api/v1/notifications/stream":  # open for minutes: its first event will do
        with client.stream("GET", url, headers=headers) as streamed:
            text = "\n".join(itertools.islice(streamed.iter_lines(), 3))
            return types.SimpleNamespace(status_code=streamed.status_code, text=text)
    if "/tus" in template and method == "patch":  # a well-formed tus chunk, so checks run
        chunk = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
        return client.request("PATCH", url, headers={**headers, **chunk}, content=b"x")
    if (method, template) in FILES:
        return client.request(method.upper(), url, headers=headers, files=FILES[method, template]())
    return client.request(method.upper(), url, headers=_keyed(headers), json=body)


def _keyed(headers: dict[str, str]) -> dict[str, str]:
    """With a fresh Idempotency-Key, which the market's writes require before any change."""
    return {**headers, "Idempotency-Key": uuid.uuid4().hex}


# Writes that the other party to the owner's object makes, not the owner: whom to ask.
PARTY_ROUTES: dict[tuple[str, str], Callable[[Objects], dict[str, str]]] = {
    ("post", "/api/v1/market/reviews/{review_id}/reply"): lambda o: REVIEWED_BY[o["review_id"]],
}


def _owner_accepts(walk: Walk, spec: dict[str, Any], method: str, template: str) -> None:
    """The body the attackers send works for whoever may act: on a throwaway object."""
    body = _body(walk, spec, method, template)
    if template in ROLE_ROUTES:  # the admin acts on a throwaway account or object
        user_id = walk.me(signed_in(walk.client)[1])["id"]
        url = walk.objects().fill(template.replace("{user_id}", user_id))
        headers = walk.admin_headers
    else:
        objects = walk.objects()
        url, headers = objects.fill(template), walk.owner_headers
        if (method, template) in PARTY_ROUTES:
            headers = PARTY_ROUTES[method, template](objects)
    if (method, template) in FILES:
        files = FILES[method, template]()
        answer = walk.client.request(method.upper(), url, headers=headers, files=files)
    else:
        answer = walk.client.request(method.upper(), url, headers=_keyed(headers), json=body)
    assert 200 <= answer.status_code < 300, f"{method.upper()} {template} {body}: {answer.text}"


@pytest.fixture
def app(settings: Settings, engine: Any) -> Any:
    """Without rate limits: a 429 would hide the answer the walk is about."""
    application: FastAPI = create_app(
        settings.model_copy(
            update={"rate_limit_enabled": False, "webhooks_allowed_hosts": "127.0.0.1"}
        )
    )
    yield application
    application.state.engine.dispose()


def _operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (m, p)
        for p, ops in spec["paths"].items()
        for m in ops
        if m in {"get", "post", "put", "patch", "delete", "head"}
    ]


def _expected(who: str, method: str, template: str) -> set[int]:
    if who == "anonymous":  # 404 where anonymous readers may see public objects
        return {401, 404}
    if template in OWN_VIEW_ROUTES:
        return {200}
    relation = template in RELATION_ROUTES or (method, template) in RELATION_OPERATIONS
    if (relation and who != "blocked") or template in BLOCK_ROUTES:
        return {200, 204}
    return {403} if template in ROLE_ROUTES else {404}


def test_every_route_refuses_others_the_owners_objects_with_valid_bodies(
    client: TestClient,
) -> None:
    walk = Walk(client)
    spec = client.get("/openapi.json").json()
    owned = walk.objects()
    owned.make_all()  # every kind of object, before the walk
    writes = [(m, t) for m, t in _operations(spec) if m in WRITES and "{" in t]
    writes = [(m, t) for m, t in writes if not t.startswith(SELF_WRITE_PREFIXES)]
    with_body = [(m, t) for m, t in writes if _body(walk, spec, m, t) is not None]
    assert ("post", "/api/v1/live/groups/{group_id}/members") in with_body
    assert ("put", "/api/v1/fitness/rides/{ride_id}/stress") in with_body
    assert ("get", "/api/v1/rides/{ride_id}/w-balance") in _operations(spec)
    walked, wrong = 0, []
    for method, template in _operations(spec):
        has_ids = "{" in template
        if method in WRITES and not has_ids:
            continue  # creating or changing one's own things is no attack on the owner
        # (a write under /me that names an id, such as another's session, is walked)
        url = owned.fill(template)
        body = _body(walk, spec, method, template) if method in WRITES else None
        for who, headers in walk.callers.items():
            if who == "admin" and template in ROLE_ROUTES:
                continue  # the admin's own job, audited (tests/api/governance)
            answer = _call(client, method, template, url, headers, body)
            walked += 1
            where = f"{method.upper()} {template} as {who}: {answer.status_code} {answer.text}"
            assert answer.status_code < 500, where
            assert MARKER not in answer.text, where
            assert walk.owner["email"] not in answer.text, where
            if has_ids and answer.status_code not in _expected(who, method, template):
                wrong.append(where)
    assert wrong == [], "\n".join(wrong)
    assert walked > 100
    # The owner's objects are untouched: the ride still private, nobody let in.
    ride = client.get(f"/api/v1/rides/{owned['ride_id']}", headers=walk.owner_headers).json()
    assert (ride["name"], ride["visibility"]) == (f"{MARKER} name", "private")
    assert ride["share_health"] is None
    assert walk.me(walk.owner_headers)["role"] == "rider"
    assert walk.me(walk.owner_headers)["moderator"] is False
    members = client.get(owned.fill("/api/v1/clubs/{club_id}/members"), headers=walk.owner_headers)
    assert [m["id"] for m in members.json()["items"]] == [walk.owner_id]
    for kind in ("live/groups/{group_id}", "routes/{route_id}"):
        path = owned.fill(f"/api/v1/{kind}")
        assert client.get(path, headers=walk.callers["other rider"]).status_code == 404
    # Last, as it lets the stranger into throwaway objects: each body was a valid one.
    for method, template in with_body:
        _owner_accepts(walk, spec, method, template)


INVOICE_ROUTES = (
    "/api/v1/market/jobs/{job_id}/invoice",
    "/api/v1/market/jobs/{job_id}/invoice.pdf",
)


def test_an_invoice_is_seen_by_the_jobs_rider_and_mechanic_only(client: TestClient) -> None:
    """The walk above meets the invoice routes on a job with no invoice yet (404 for all);
    here the owner's job is invoiced by a mechanic not the walk's, and every caller tries."""
    walk = Walk(client)
    spec = client.get("/openapi.json").json()
    assert {("get", t) for t in INVOICE_ROUTES} <= set(_operations(spec))
    _, mechanic = _with_role(client, "mechanic")
    job = _created(
        client, "/api/v1/market/jobs", _job_body(walk.objects()), _keyed(walk.owner_headers)
    )
    until = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    offer = {"job_id": job, "price_minor": 4500, "currency": "EUR", "valid_until": until}
    quote = _created(client, "/api/v1/market/quotes", offer, _keyed(mechanic))
    accept = client.post(
        f"/api/v1/market/quotes/{quote}/accept", headers=_keyed(walk.owner_headers)
    )
    assert accept.status_code == 200, accept.text
    for step in ("start", "finish", "invoice"):
        moved = client.post(
            f"/api/v1/market/jobs/{job}/transitions",
            json={"transition": step},
            headers=_keyed(mechanic),
        )
        assert moved.status_code == 200, moved.text
    own = client.get(INVOICE_ROUTES[0].replace("{job_id}", job), headers=walk.owner_headers)
    number = own.json()["number"].encode()
    for template in INVOICE_ROUTES:
        url = template.replace("{job_id}", job)
        for who, headers in [("owner", walk.owner_headers), ("its mechanic", mechanic)]:
            assert client.get(url, headers=headers).status_code == 200, (who, url)
        for who, headers in walk.callers.items():
            answer = client.get(url, headers=headers)
            assert answer.status_code == (401 if who == "anonymous" else 404), (who, url)
            assert number not in answer.content, (who, url)


def _rider_reads(spec: dict[str, Any]) -> list[str]:
    """Each GET that reads another rider's data by ?rider= (a coach's reads), with the
    query its other required parameters need."""
    reads = []
    for template, ops in spec["paths"].items():
        params = ops.get("get", {}).get("parameters", [])
        if not any(p["name"] == "rider" and p["in"] == "query" for p in params):
            continue
        query = {
            p["name"]: "2025-01-01"
            if p["schema"].get("format") == "date"
            else example(p["schema"], spec)
            for p in params
            if p.get("required") and p["in"] == "query"
        }
        reads.append(template + "?" + "&".join(f"{k}={v}" for k, v in query.items()))
    return reads


def test_no_one_but_a_granted_coach_reads_a_rider_by_rider_query(client: TestClient) -> None:
    walk = Walk(client)
    spec = client.get("/openapi.json").json()
    walk.objects().make_all()  # the owner's health values and alert among them
    _, coach_headers = signed_in(client)
    coach_id = walk.me(coach_headers)["id"]
    granted = client.post(
        "/api/v1/me/coaches", json={"user_id": coach_id}, headers=walk.owner_headers
    )
    assert granted.status_code == 201, granted.text
    reads = _rider_reads(spec)
    assert len(reads) >= 10  # fitness load, curve, models, thresholds...; health metrics...
    for path in reads:
        url = f"{path}&rider={walk.owner_id}"
        assert client.get(url, headers=coach_headers).status_code == 200, url
        for who, headers in walk.callers.items():
            answer = client.get(url, headers=headers)
            expected = 401 if who == "anonymous" else 404
            assert answer.status_code == expected, f"{url} as {who}: {answer.text}"
            assert MARKER not in answer.text
    revoked = client.delete(f"/api/v1/me/coaches/{coach_id}", headers=walk.owner_headers)
    assert revoked.status_code == 204, revoked.text
    for path in reads:  # an ex-coach is anyone again
        url = f"{path}&rider={walk.owner_id}"
        assert client.get(url, headers=coach_headers).status_code == 404, url


def test_no_one_but_its_owner_removes_a_push_subscription(client: TestClient) -> None:
    """The push routes name no id in the path (the browser's endpoint goes in the query):
    each caller is tried on the owner's endpoint by hand."""
    from tests.push_service import PushService

    walk = Walk(client)
    service = PushService("https://push.example.com")
    subscription = service.subscription(service.browser())
    path = "/api/v1/notifications/push/subscriptions"
    made = client.post(path, json=subscription, headers=walk.owner_headers)
    assert made.status_code == 201, made.text
    params = {"endpoint": subscription["endpoint"]}
    for who, headers in walk.callers.items():
        answer = client.request("DELETE", path, params=params, headers=headers)
        assert answer.status_code == (401 if who == "anonymous" else 404), (who, answer.text)
    gone = client.request("DELETE", path, params=params, headers=walk.owner_headers)
    assert gone.status_code == 204  # it was still there: no caller removed it


def test_no_one_but_a_member_reads_a_club_by_club_query(client: TestClient) -> None:
    """Reads that name a club in the query (?club=: a club's leaderboard, its heatmap tiles)
    answer the owner's private club to its members only, as the club's own routes do."""
    walk = Walk(client)
    spec = client.get("/openapi.json").json()
    owned = walk.objects()
    reads = [
        t
        for t, ops in spec["paths"].items()
        if any(p["name"] == "club" for p in ops.get("get", {}).get("parameters", []))
    ]
    assert "/api/v1/heatmaps/community/{z}/{x}/{y}.png" in reads
    for template in reads:
        url = f"{owned.fill(template)}?club={owned['club_id']}"
        assert client.get(url, headers=walk.owner_headers).status_code == 200, url
        for who, headers in walk.callers.items():
            answer = client.get(url, headers=headers)
            # anonymous: 401 where signing in is needed, 404 where boards are open to all
            expected = {401, 404} if who == "anonymous" else {404}
            assert answer.status_code in expected, (who, url, answer.status_code)
            assert MARKER not in answer.text
