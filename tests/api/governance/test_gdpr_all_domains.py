"""GDPR export and erasure reach every domain: live, planner and sync, rows and open sockets."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, Uuid, func, select, true
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

import bikenode.models  # noqa: F401  (registers every domain's tables for the walk)
from bikenode import rides
from bikenode.apps.models import AppGrant, AppToken
from bikenode.bikes.models import Installation
from bikenode.db.base import Base
from bikenode.events import publish
from bikenode.governance import erase_user
from bikenode.health.models import HealthRideHrv
from bikenode.live import service as live_service
from bikenode.live.logic import decode_batch
from bikenode.live.models import LiveBatch, LiveGroupMember, LiveSession
from bikenode.planner import protocol
from bikenode.planner.ws import ROOMS_PATH
from bikenode.segments.efforts import match_ride_on
from bikenode.segments.models import Segment
from bikenode.social import FollowAccepted
from bikenode.social.clubs.models import Club, ClubMember
from bikenode.social.models import Block, Comment, Follow, Kudos, ModerationAction, Mute
from bikenode.webhooks.models import WebhookDelivery
from bikenode.webhooks.service import create_app_webhook, create_webhook
from tests.api.sync.conftest import Device
from tests.factories import STRONG_PASSWORD, signed_in, upload_files
from tests.live_tools import START_MS, batch_frame, columns
from tests.push_service import PushService
from tests.synthetic import synthetic_gpx

# Columns that name a person even where they are not of UUID type.
PERSON_COLUMNS = {"owner_id", "user_id", "actor_id", "subject_id", "member_id"}
KEPT_TABLES = {"audit_events"}  # append-only by design (docs/security.md, GDPR)
# The one event kept: it tells other domains whom to forget (docs/events.md).
KEPT_EVENT_TYPE = "governance.user_erased"
SUMMIT = {"lat_deg": 45.0639, "lon_deg": 6.4078, "name": "Galibier"}
VALLEY = {"lat_deg": 45.1047, "lon_deg": 6.4924, "name": "Valloire"}


@dataclass
class Person:
    email: str
    headers: dict[str, str]
    user_id: uuid.UUID

    @property
    def token(self) -> str:
        return self.headers["Authorization"].removeprefix("Bearer ")


@dataclass
class World:
    """The rider to erase (`rider`), someone else (`other`), and what each has."""

    rider: Person
    other: Person
    session_id: str  # the rider's live session, in the other's group ride
    share_id: str
    own_group: str
    others_group: str
    others_session: str  # the other's live session, in the rider's group ride
    own_route: str
    others_route: str
    conflict_id: str
    rider_socket: WebSocketTestSession  # still open, 3 batches sent


@pytest.fixture
def sockets(client: TestClient) -> Iterator[contextlib.ExitStack]:
    """Every socket a test opens, closed before the client stops (even when the test fails)."""
    with contextlib.ExitStack() as stack:
        yield stack


def _post(client: TestClient, path: str, person: Person, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body, headers=person.headers)
    assert response.status_code in (201, 204), response.text
    return response.json() if response.content else None


def _person(client: TestClient) -> Person:
    payload, headers = signed_in(client)
    me = client.get("/api/v1/me", headers=headers).json()
    return Person(payload["email"], headers, uuid.UUID(me["id"]))


def _rider_socket(
    client: TestClient, sockets: contextlib.ExitStack, session_id: str, person: Person
) -> WebSocketTestSession:
    socket: WebSocketTestSession = sockets.enter_context(
        client.websocket_connect(f"/api/v1/live/sessions/{session_id}/ride")
    )
    socket.send_json({"type": "hello", "token": person.token})
    assert socket.receive_json()["type"] == "welcome"
    return socket


def _room(
    client: TestClient, sockets: contextlib.ExitStack, route_id: str, person: Person
) -> WebSocketTestSession:
    socket: WebSocketTestSession = sockets.enter_context(
        client.websocket_connect(f"{ROOMS_PATH}/{route_id}?token={person.token}")
    )
    assert protocol.parse_message(socket.receive_bytes()).kind == "step1"
    return socket


def _eventually(condition: Callable[[], bool], what: str, timeout_s: float = 5.0) -> None:
    """Wait for the server to do something (rather than block on a socket for ever)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(RuntimeError):  # a set changed on the server meanwhile
            if condition():
                return
        time.sleep(0.02)
    raise AssertionError(f"expected {what} within {timeout_s} s")


def _room_closed_for(client: TestClient, route_id: str, user_id: uuid.UUID) -> bool:
    room = client.app.state.planner.rooms.get(uuid.UUID(route_id))  # type: ignore[attr-defined]
    return room is None or all(p.closed for p in list(room.peers) if p.user_id == user_id)


def _closed_with(socket: WebSocketTestSession) -> int:
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(20):
            socket.receive_bytes()
    return closed.value.code


def _still_served(room: WebSocketTestSession) -> bool:
    room.send_bytes(protocol.sync_step1(b"\x00"))
    return protocol.parse_message(room.receive_bytes()).kind == "step2"


def _conflict(client: TestClient, rider: Person) -> str:
    """A ride of the rider whose description two devices edited apart: one open conflict."""
    gpx = synthetic_gpx(datetime(2024, 6, 1, 7, tzinfo=UTC), points=60, seed=3)
    [upload] = upload_files(client, rider.headers, [("ride.gpx", gpx)])
    ride_id = upload["items"][0]["ride_id"]
    patched = client.patch(
        f"/api/v1/rides/{ride_id}", json={"description": "flat"}, headers=rider.headers
    )
    assert patched.status_code == 200, patched.text
    phone = Device(client, rider.headers, "phone")
    laptop = Device(client, rider.headers, "laptop")
    phone.push(phone.mutation("ride", ride_id, description={"value": "hilly", "base": "flat"}))
    answer = laptop.push(
        laptop.mutation("ride", ride_id, description={"value": "windy", "base": "flat"})
    ).json()["results"][0]
    [conflict_id] = answer["conflicts"]
    return str(conflict_id)


def _fitness(client: TestClient, rider: Person, ride_id: str) -> None:
    """The rider's dated thresholds, load settings, and figures of their ride (with their own
    stress figure), as the fitness subscriber and a threshold change leave them."""
    thresholds = [
        {"kind": "max_hr_bpm", "value": 188, "valid_from": "2024-01-01"},
        {"kind": "resting_hr_bpm", "value": 48, "valid_from": "2024-01-01"},
    ]
    put = client.put(
        "/api/v1/fitness/thresholds", json={"values": thresholds}, headers=rider.headers
    )
    assert put.status_code == 200, put.text
    profile = client.put("/api/v1/fitness/profile", json={"fatigue_days": 8}, headers=rider.headers)
    assert profile.status_code == 200, profile.text
    app: Any = client.app
    app.state.events.run_until_idle()
    app.state.worker.run_until_idle()
    override = client.put(
        f"/api/v1/fitness/rides/{ride_id}/stress", json={"stress": 42}, headers=rider.headers
    )
    assert override.status_code == 200, override.text
    assert override.json()["stress_source"] == "heart_rate"


def _coaches(client: TestClient, rider: Person, other: Person) -> None:
    """Each lets the other read their fitness and health data: a grant on both sides."""
    for athlete, coach in ((rider, other), (other, rider)):
        _post(client, "/api/v1/me/coaches", athlete, {"user_id": str(coach.user_id)})


def _garage(client: TestClient, rider: Person) -> None:
    """A bike that takes the rider's rides, a worn chain fitted on it (a reminder at once),
    and a service of it."""
    bike = _post(
        client,
        "/api/v1/bikes",
        rider,
        {"name": "Tarmac", "type": "road", "default_for_sports": ["cycling"]},
    )
    chain = _post(
        client,
        f"/api/v1/bikes/{bike['id']}/components",
        rider,
        {
            "type": "chain",
            "installed_at": "2024-01-01T00:00:00Z",
            "notes": "KMC",
            "start_distance_m": 2_900_000.0,
        },
    )
    _post(
        client,
        f"/api/v1/components/{chain['id']}/service",
        rider,
        {"kind": "service", "done_at": "2024-06-02T00:00:00Z", "notes": "waxed"},
    )


def _health(client: TestClient, rider: Person) -> None:
    """Steady nights then two high ones: daily values and one alert."""
    values = [50.0, 51.0] * 10 + [57.0, 58.0]
    nights = [
        {"day": f"2025-03-{i + 1:02d}", "metric": "resting_hr_bpm", "value": v, "source": "watch"}
        for i, v in enumerate(values)
    ]
    _post(client, "/api/v1/health/metrics", rider, {"metrics": nights})
    # Which ride gave a day's HRV (made by health's subscriber for a FIT ride with hrv
    # messages; written here directly, the day's value itself being one of those above).
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        db.add(
            HealthRideHrv(
                ride_id=uuid.uuid4(),
                owner_id=rider.user_id,
                day=date(2025, 3, 1),
                source="Garmin Edge 530 ride",
                beats=2525,
            )
        )
        db.commit()


def _webhook(client: TestClient, rider: Person) -> None:
    """A webhook to a receiver on loopback (allowed as an operator's allow-list would), made
    before the rider's ride so that the ride's event leaves a delivery in its log."""
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        create_webhook(
            db,
            owner_id=rider.user_id,
            url="http://127.0.0.1:9/hooks",
            event_types=["ride.created"],
            allowed=frozenset({"127.0.0.1"}),
        )


def _app_webhooks(client: TestClient, rider: Person, other: Person) -> None:
    """A webhook on the rider's app, and one on another's app the rider allowed to read all
    their rides: the rider's ride leaves a delivery about them there."""
    body = {"name": "Club site", "redirect_uris": ["https://club.example.org/cb"]}
    others_app = _post(client, "/api/v1/apps", other, {**body, "confidential": False})
    [own_app] = client.get("/api/v1/apps", headers=rider.headers).json()["apps"]
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        grant = AppGrant(
            app_id=uuid.UUID(others_app["id"]), user_id=rider.user_id, scope="rides:read_all"
        )
        db.add(grant)
        db.commit()
        for owner, app_id in ((other, others_app["id"]), (rider, own_app["id"])):
            create_app_webhook(
                db,
                owner_id=owner.user_id,
                app_id=uuid.UUID(app_id),
                url="http://127.0.0.1:9/app-hooks",
                event_types=["ride.created"],
                allowed=frozenset({"127.0.0.1"}),
            )


def _apps(client: TestClient, rider: Person) -> None:
    """An app the rider registered, a grant (with tokens) they gave it, a personal token."""
    body = {"name": "Coach tool", "redirect_uris": ["https://coach.example.org/cb"]}
    app = _post(client, "/api/v1/apps", rider, {**body, "confidential": True})
    _post(client, "/api/v1/me/tokens", rider, {"name": "script", "scopes": ["profile:read"]})
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        grant = AppGrant(app_id=uuid.UUID(app["id"]), user_id=rider.user_id, scope="rides:read")
        db.add(grant)
        db.flush()
        now = datetime.now(UTC)
        db.add(
            AppToken(
                grant_id=grant.id,
                access_hash="a" * 64,
                refresh_hash="r" * 64,
                scope="rides:read",
                access_expires_at=now,
            )
        )
        db.commit()


def _notification_settings(client: TestClient, rider: Person) -> None:
    """Quiet hours and one choice: rows of their own beside the worn chain's notification."""
    body = {
        "choices": [{"type": "component_due", "channel": "in_app", "enabled": True}],
        "quiet_hours": {"start_min": 1320, "end_min": 420},
        "digests": [{"type": "kudos", "period": "weekly"}],
        "digest_schedule": {"hour": 8, "weekday": 5},
    }
    answer = client.put("/api/v1/notifications/preferences", json=body, headers=rider.headers)
    assert answer.status_code == 200, answer.text
    # A browser subscribed to push (a name that never resolves: the pushes just wait).
    browser = PushService("https://push.invalid").browser()
    push = PushService("https://push.invalid").subscription(browser)
    _post(client, "/api/v1/notifications/push/subscriptions", rider, push)


def _social(client: TestClient, rider: Person, other: Person, rider_ride: str) -> None:
    """The rider approves followers, follows the other and reacts on the other's public ride
    (over the API: the events name the rider); rows naming the rider from the other side (a
    follower, kudos and a comment on the rider's ride, blocks both ways) are stored directly,
    as their events would name the other (see social/gdpr.py)."""
    settings = {"approve_followers": True}
    assert client.put("/api/v1/me/social", json=settings, headers=rider.headers).status_code == 200
    gpx = synthetic_gpx(datetime(2024, 7, 1, 7, tzinfo=UTC), points=60, seed=4)
    others_ride = upload_files(client, other.headers, [("o.gpx", gpx)])[0]["items"][0]["ride_id"]
    public = {"visibility": "public"}
    client.patch(f"/api/v1/rides/{others_ride}", json=public, headers=other.headers)
    followed = client.post(f"/api/v1/users/{other.user_id}/follow", headers=rider.headers)
    assert followed.json() == {"status": "accepted"}, followed.text
    client.post(f"/api/v1/rides/{others_ride}/kudos", headers=rider.headers)
    _post(client, f"/api/v1/rides/{others_ride}/comments", rider, {"body": "Chapeau @Other"})
    report = {"kind": "ride", "id": others_ride, "reason": "not a bike ride"}
    _post(client, "/api/v1/reports", rider, report)
    ride_id = uuid.UUID(rider_ride)
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        db.add_all(
            [
                Follow(user_id=other.user_id, followee_id=rider.user_id, status="accepted"),
                Kudos(ride_id=ride_id, user_id=other.user_id, ride_owner_id=rider.user_id),
                Comment(
                    ride_id=ride_id, ride_owner_id=rider.user_id, user_id=other.user_id, body="hi"
                ),
                Block(user_id=rider.user_id, blocked_id=uuid.uuid4()),
                Block(user_id=uuid.uuid4(), blocked_id=rider.user_id),
                Mute(user_id=other.user_id, muted_id=rider.user_id),
                # A warning of the rider, appealed; and one the rider gave as a moderator.
                _warning(user_id=rider.user_id, moderator_id=other.user_id, appeal="sorry"),
                _warning(user_id=other.user_id, moderator_id=rider.user_id, appeal=None),
            ]
        )
        # Another rider's event naming the rider: erasure scrubs it too (events/service.py).
        publish(db, FollowAccepted(follower_id=other.user_id, followee_id=rider.user_id))
        db.commit()
    muted = client.post(f"/api/v1/users/{other.user_id}/mute", headers=rider.headers)
    assert muted.status_code == 204, muted.text
    _clubs(client, rider, other)


def _warning(
    *, user_id: uuid.UUID, moderator_id: uuid.UUID, appeal: str | None
) -> ModerationAction:
    return ModerationAction(
        kind="warn",
        user_id=user_id,
        object_kind="user",
        object_id=user_id,
        moderator_id=moderator_id,
        reason="rude",
        appeal_text=appeal,
        appealed_at=datetime.now(UTC) if appeal else None,
        appeal_status="pending" if appeal else None,
    )


def _clubs(client: TestClient, rider: Person, other: Person) -> None:
    """The rider owns a club the other joined (handed over on erasure) and one alone (deleted),
    posts, plans a ride and answers it, and asks to join the other's private club."""
    shared = _post(client, "/api/v1/clubs", rider, {"name": "Dawn Patrol"})
    _post(client, "/api/v1/clubs", rider, {"name": "Solo Club", "private": True})
    others = _post(client, "/api/v1/clubs", other, {"name": "Secret", "private": True})
    joined = client.post(f"/api/v1/clubs/{shared['id']}/membership", headers=other.headers)
    assert joined.json() == {"status": "active"}, joined.text
    asked = client.post(f"/api/v1/clubs/{others['id']}/membership", headers=rider.headers)
    assert asked.json() == {"status": "pending"}, asked.text
    base = f"/api/v1/clubs/{shared['id']}"
    _post(client, f"{base}/posts", rider, {"body": "Coffee at eight"})
    _post(client, f"{base}/invites", rider, {"hours": 24})
    ride = {"title": "Lake loop", "starts_at": "2026-12-12T08:00:00+01:00"}
    event = _post(client, f"{base}/events", rider, ride)
    answer = {"answer": "going"}
    rsvp = client.put(f"{base}/events/{event['id']}/rsvp", json=answer, headers=rider.headers)
    assert rsvp.status_code == 200, rsvp.text
    png = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(png, "PNG")
    files = {"file": ("logo.png", png.getvalue(), "image/png")}
    avatar = client.put(f"{base}/avatar", files=files, headers=rider.headers)
    assert avatar.status_code == 200, avatar.text


def _market(client: TestClient, rider: Person) -> None:
    """Two repair jobs of the rider: one paid and reviewed (kept anonymised, the review's
    stars too), one still open (deleted), each with a message from the rider in its quote's
    thread."""
    from tests.api.market.conftest import Market, as_role

    market = Market.__new__(Market)
    market.client, market.rider = client, rider.headers
    market.bike = client.get("/api/v1/bikes", headers=rider.headers).json()["items"][0]
    market.chain = {"id": None}
    mechanic = as_role(client, "mechanic")
    paid, kept_open = market.job(component_ids=[]), market.job(component_ids=[])
    for job in (paid, kept_open):
        quote = market.quote(mechanic, job["id"])
        market.call(
            rider.headers, "POST", f"/market/quotes/{quote['id']}/messages", {"body": "Hi"}, 201
        )
    [paid_quote] = market.call(rider.headers, "GET", f"/market/jobs/{paid['id']}")["quotes"]
    market.call(rider.headers, "POST", f"/market/quotes/{paid_quote['id']}/accept")
    for step in ("start", "finish", "invoice"):
        market.move(mechanic, paid["id"], step)
    market.call(rider.headers, "POST", f"/market/jobs/{paid['id']}/payments", None, 201)
    market.move(rider.headers, paid["id"], "review", rating=4, text="Quick and tidy")


def _segment(client: TestClient, rider: Person, ride_id: str) -> None:
    """A public segment of the rider's, and an effort of their ride on it. The world's ride
    is too coarse to time (60 samples round a 14 km loop), so the effort comes from the same
    matcher run over a steady pass along the segment, stored as that ride's."""
    line = [[45.0, 6.0 + 0.001 * k] for k in range(11)]
    made = _post(client, "/api/v1/segments", rider, {"name": "Home straight", "points": line})
    lat, lon = np.full(200, 45.0), np.linspace(5.999, 6.011, 200)
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        segment = db.get(Segment, uuid.UUID(made["id"]))
        track = rides.RideTrack(
            uuid.UUID(ride_id),
            rider.user_id,
            "private",
            "cycling",
            None,
            1.7e9 + np.arange(200.0),
            lat,
            lon,
            None,
            None,
            None,
        )
        assert match_ride_on(db, track=track, segments=[segment]) == 1
        db.commit()


def _tracking_app(client: TestClient, person: Person) -> None:
    """A device token the rider gave a tracking app, and one position it sent (OsmAnd)."""
    token = _post(client, "/api/v1/live/devices", person, {"name": "OsmAnd"})["token"]
    sent = client.get(f"/ingest/osmand?id={token}&lat=45.1&lon=6.1&timestamp={START_MS}")
    assert sent.status_code == 200, sent.text
    # Crash detection on, with one emergency contact.
    crash = {"enabled": True, "still_s": 90}
    assert client.put("/api/v1/live/crash/settings", json=crash, headers=person.headers).is_success
    _post(client, "/api/v1/live/crash/contacts", person, {"email": "kin@example.org"})


def _world(client: TestClient, sockets: contextlib.ExitStack) -> World:
    rider, other = _person(client), _person(client)
    _notification_settings(client, rider)
    _garage(client, rider)
    _market(client, rider)
    _health(client, rider)
    _webhook(client, rider)
    _apps(client, rider)
    _app_webhooks(client, rider, other)
    _tracking_app(client, rider)
    own_group = _post(client, "/api/v1/live/groups", rider, {"name": "Rider's club run"})["id"]
    others_group = _post(client, "/api/v1/live/groups", other, {"name": "Other's club run"})["id"]
    for group, owner, member in ((own_group, rider, other), (others_group, other, rider)):
        body = {"email": member.email, "display_name": "Sam"}
        _post(client, f"/api/v1/live/groups/{group}/members", owner, body)
    live = _post(client, "/api/v1/live/sessions", rider, {"name": "Col", "group_id": others_group})
    others_session = _post(client, "/api/v1/live/sessions", other, {"group_id": own_group})["id"]
    share_id = _post(client, f"/api/v1/live/sessions/{live['id']}/shares", rider, {})["id"]
    socket = _rider_socket(client, sockets, live["id"], rider)
    for batch_no in (1, 2, 3):
        socket.send_json(batch_frame(batch_no))
        assert socket.receive_json()["type"] == "ack"
    route = {"name": "Galibier", "notes": "bring a jacket", "waypoints": [VALLEY, SUMMIT]}
    own_route = _post(client, "/api/v1/routes", rider, route)["id"]
    others_route = _post(client, "/api/v1/routes", other, {"name": "Other's loop"})["id"]
    for route_id, owner, member in ((own_route, rider, other), (others_route, other, rider)):
        _post(client, f"/api/v1/routes/{route_id}/collaborators", owner, {"email": member.email})
    conflict_id = _conflict(client, rider)
    [ride] = client.get("/api/v1/rides", headers=rider.headers).json()["items"]
    _fitness(client, rider, ride["id"])
    _coaches(client, rider, other)
    _social(client, rider, other, ride["id"])
    _segment(client, rider, ride["id"])
    opt_out = {"community_opt_out": True}
    assert client.put("/api/v1/heatmaps/settings", json=opt_out, headers=rider.headers).is_success
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    # A tile of the rider's own heatmap, so the erasure has a cached tile to drop too.
    assert client.get("/api/v1/heatmaps/me/0/0/0.png", headers=rider.headers).is_success
    return World(
        rider,
        other,
        live["id"],
        share_id,
        own_group,
        others_group,
        others_session,
        own_route,
        others_route,
        conflict_id,
        socket,
    )


def _references(engine: Engine, user_id: uuid.UUID) -> set[str]:
    """Where the database still names the user: a UUID (or person) column holding their id,
    or any row whose text holds it (JSON, strings); the audit log aside."""
    found: set[str] = set()
    needles = (str(user_id), user_id.hex)
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in KEPT_TABLES:
                continue
            kept = table.c.type != KEPT_EVENT_TYPE if table.name == "outbox_events" else true()
            for column in table.columns:
                if isinstance(column.type, Uuid) or column.name in PERSON_COLUMNS:
                    value = user_id if isinstance(column.type, Uuid) else str(user_id)
                    query = select(func.count()).select_from(table).where(column == value, kept)
                    if connection.scalar(query):
                        found.add(f"{table.name}.{column.name}")
            for row in connection.execute(select(table).where(kept)):
                if any(needle in repr(tuple(row)) for needle in needles):
                    found.add(f"{table.name} (text)")
    return found


def _erase_over_api(client: TestClient, person: Person) -> None:
    done = client.post(
        "/api/v1/me/erase",
        json={"password": STRONG_PASSWORD, "confirm": "erase my account"},
        headers=person.headers,
    )
    assert done.status_code == 200, done.text


def test_export_holds_live_planner_and_sync_data(
    client: TestClient, sockets: contextlib.ExitStack
) -> None:
    world = _world(client, sockets)
    response = client.get("/api/v1/me/export", headers=world.rider.headers)
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))

    def read(path: str) -> Any:
        return json.loads(archive.read(path))

    live = read(f"live/sessions/{world.session_id}.json")
    sent = [columns(n) for n in (1, 2, 3)]
    assert live["name"] == "Col" and live["group_id"] == world.others_group
    assert live["point_count"] == 30 and live["batches"] == 3
    streams = live["streams"]
    assert len(streams["lat_deg"]) == len(streams["time_s"]) == 30
    assert streams["time_s"][0] == START_MS / 1000
    assert streams["lat_deg"][-1] == sent[2]["lat"][-1] / 1e7
    assert streams["lon_deg"][10] == sent[1]["lon"][0] / 1e7
    assert streams["hr_bpm"] == [hr for batch in sent for hr in batch["hr"]]
    [share] = read("live/shares.json")
    assert share["id"] == world.share_id and share["session_id"] == world.session_id
    assert share["revoked_at"] is None and "token_hash" not in share
    [device] = read("live/devices.json")
    assert device["name"] == "OsmAnd" and "token_hash" not in device
    crash = read("live/crash.json")
    assert crash["settings"]["enabled"] is True and crash["settings"]["still_s"] == 90
    assert [c["email"] for c in crash["contacts"]] == ["kin@example.org"]
    assert "optout_hash" not in crash["contacts"][0]
    groups = read("live/groups.json")
    [organised] = groups["organised"]
    assert organised["id"] == world.own_group and organised["member_count"] == 2
    memberships = {m["group_id"]: m for m in groups["memberships"]}
    assert set(memberships) == {world.own_group, world.others_group}
    in_others = memberships[world.others_group]
    assert in_others["group_name"] == "Other's club run" and in_others["display_name"] == "Sam"
    assert in_others["last_lat"] == pytest.approx(sent[2]["lat"][-1] / 1e7)

    own = read(f"planner/routes/{world.own_route}.json")
    assert own["role"] == "owner" and own["name"] == "Galibier"
    assert own["notes"] == "bring a jacket"
    waypoints = [(p["lat_deg"], p["lon_deg"], p["name"]) for p in own["waypoints"]]
    assert waypoints == [(p["lat_deg"], p["lon_deg"], p["name"]) for p in (VALLEY, SUMMIT)]
    assert [c["user_id"] for c in own["collaborators"]] == [str(world.other.user_id)]
    assert b'<rtept lat="45.0639000" lon="6.4078000">' in archive.read(
        f"planner/routes/{world.own_route}.gpx"
    )
    shared = read(f"planner/routes/{world.others_route}.json")
    assert shared["role"] == "collaborator" and shared["name"] == "Other's loop"
    assert [c["user_id"] for c in shared["collaborators"]] == [str(world.rider.user_id)]

    [conflict] = read("sync/conflicts.json")
    assert conflict["id"] == world.conflict_id and conflict["status"] == "open"
    assert {conflict["kept"], conflict["other"]} == {"hilly", "windy"}
    records = read("sync/records.json")["records"]
    [ride_record] = [r for r in records if r["record_type"] == "ride"]
    assert ride_record["fields"]["description"]["value"] == conflict["kept"]
    devices = {d["client_id"]: d for d in read("sync/devices.json")}
    assert set(devices) == {"phone", "laptop"}
    assert [m["counter"] for m in devices["laptop"]["mutations"]] == [1]
    assert devices["laptop"]["mutations"][0]["result"]["conflicts"] == [world.conflict_id]

    assert [t["kind"] for t in read("fitness/thresholds.json")] == ["max_hr_bpm", "resting_hr_bpm"]
    [figures] = read("fitness/ride_figures.json")
    assert figures["stress_override"] == 42 and figures["stress_source"] == "heart_rate"
    assert figures["day"] == "2024-06-01" and "power_curve" not in figures
    assert read("fitness/profile.json")["fatigue_days"] == 8
    coaches = read("fitness/coaches.json")
    assert [g["user_id"] for g in coaches["my_coaches"]] == [str(world.other.user_id)]
    assert [g["user_id"] for g in coaches["my_athletes"]] == [str(world.other.user_id)]

    [bike] = read("bikes/bikes.json")["bikes"]
    assert bike["name"] == "Tarmac" and bike["default_for_sports"] == ["cycling"]
    assert [r["reason"] for r in bike["rides"]] == ["default bike for cycling"]
    [chain] = read("bikes/components.json")
    assert chain["notes"] == "KMC" and chain["installations"][0]["bike_id"] == bike["id"]
    [entry] = read("bikes/service_log.json")
    assert entry["notes"] == "waxed" and entry["component_id"] == chain["id"]
    [reminder] = read("bikes/reminders.json")
    assert reminder["threshold"] == "warn" and reminder["component_id"] == chain["id"]

    metrics = read("health/metrics.json")
    assert len(metrics) == 22 and metrics[-1] == {
        "day": "2025-03-22",
        "metric": "resting_hr_bpm",
        "value": 58.0,
        "source": "watch",
    }
    [alert] = read("health/alerts.json")
    assert alert["kind"] == "resting_hr_elevated" and alert["explanation"]["values"] == [57.0, 58.0]
    [link] = read("health/ride_hrv.json")
    assert (link["day"], link["source"]) == ("2025-03-01", "Garmin Edge 530 ride")

    webhook, app_webhook = read("webhooks/webhooks.json")  # theirs, then their app's
    assert "secret" not in json.dumps(webhook) and "whsec_" not in json.dumps(webhook)
    assert webhook["url"] == "http://127.0.0.1:9/hooks"
    [delivery] = webhook["deliveries"]
    assert delivery["type"] == "ride.created"
    assert app_webhook["app_id"] and app_webhook["url"] == "http://127.0.0.1:9/app-hooks"

    [invoice] = read("market/invoices_received.json")  # kept on erasure, anonymised
    assert invoice["total_minor"] == 4500 and invoice["lines"][0]["total_minor"] == 4500

    apps = read("apps/apps.json")
    assert [a["name"] for a in apps["apps"]] == ["Coach tool"]
    # Their own app's, and the one to another's app with a webhook (_app_webhooks).
    assert sorted(g["scope"] for g in apps["grants"]) == ["rides:read", "rides:read_all"]
    assert [t["name"] for t in apps["personal_tokens"]] == ["script"]
    assert not any(prefix in json.dumps(apps) for prefix in ("bns_", "bnp_", "hash"))

    told = read("notifications/notifications.json")
    types = [n["type"] for n in told["notifications"]]
    assert "component_due" in types and "quote_received" in types  # bikes' and the market's
    assert {d["channel"] for d in told["deliveries"]} == {"email", "push"}
    chosen = read("notifications/preferences.json")
    assert chosen["digests"] == [{"type": "kudos", "period": "weekly"}]
    assert chosen["digest_schedule"] == {"hour": 8, "weekday": 5}
    [device] = read("notifications/push_subscriptions.json")["push_subscriptions"]
    assert device["endpoint"].startswith("https://push.invalid/push/")
    assert set(device) == {"id", "endpoint", "created_at"}  # the browser's keys stay here
    assert read("notifications/preferences.json")["quiet_hours"] == {
        "start_min": 1320,
        "end_min": 420,
    }
    follows = read("social/follows.json")
    assert follows["approve_followers"] is True
    assert [f["followee_id"] for f in follows["following"]] == [str(world.other.user_id)]
    assert [f["user_id"] for f in follows["followers"]] == [str(world.other.user_id)]
    assert len(read("social/blocks.json")) == 1 and len(read("social/kudos.json")) == 1
    [comment] = read("social/comments.json")
    assert comment["body"] == "Chapeau @Other"
    assert [r["reason"] for r in read("social/reports.json")] == ["not a bike ride"]
    assert [m["muted_id"] for m in read("social/mutes.json")] == [str(world.other.user_id)]
    [warning] = read("social/moderation_actions.json")
    assert (warning["kind"], warning["appeal_text"]) == ("warn", "sorry")
    assert "moderator_id" not in warning
    clubs = read("social/clubs.json")
    assert sorted(c["name"] for c in clubs["owned_clubs"]) == ["Dawn Patrol", "Solo Club"]
    assert sorted(m["status"] for m in clubs["memberships"]) == ["active", "active", "pending"]
    assert [p["body"] for p in clubs["posts"]] == ["Coffee at eight"]
    assert [e["title"] for e in clubs["events"]] == ["Lake loop"]
    assert [r["answer"] for r in clubs["rsvps"]] == ["going"]
    assert len(clubs["avatars_set"]) == 1
    [segment] = read("segments/segments.json")
    [effort] = read("segments/efforts.json")
    assert segment["name"] == "Home straight" and effort["segment_id"] == segment["id"]
    heatmap = read("segments/heatmap.json")
    assert heatmap["point_store"]["rides"] == 1 and heatmap["point_store"]["points"] > 0
    assert heatmap["community_opt_out"] is True

    readme = archive.read("README.txt").decode()
    paths = ("live/sessions/<id>.json", "planner/routes/<id>.gpx", "sync/devices.json")
    fitness_paths = ("fitness/thresholds.json", "fitness/ride_figures.json")
    for path in (
        *paths,
        *fitness_paths,
        "bikes/service_log.json",
        "bikes/reminders.json",
        "bikes/sensor_readings.json",
        "health/alerts.json",
        "notifications/notifications.json",
        "health/ride_hrv.json",
        "social/comments.json",
        "social/clubs.json",
        "segments/efforts.json",
        "segments/heatmap.json",
    ):
        assert path in readme
    assert f"live/sessions/{world.others_session}.json" not in archive.namelist()


def test_erasure_leaves_no_row_naming_the_user_and_closes_their_sockets(
    client: TestClient, engine: Engine, sockets: contextlib.ExitStack
) -> None:
    world = _world(client, sockets)
    rider, other = world.rider, world.other
    rooms = {
        "rider_own": _room(client, sockets, world.own_route, rider),
        "rider_shared": _room(client, sockets, world.others_route, rider),
        "other_in_rider_route": _room(client, sockets, world.own_route, other),
        "other_own": _room(client, sockets, world.others_route, other),
    }
    # An unused ticket into a route the rider does not own: no cascade removes it.
    _post(client, f"/api/v1/routes/{world.others_route}/room-tickets", rider, {})
    before = _references(engine, rider.user_id)
    assert {
        "accounts_users.id",
        "live_sessions.owner_id",
        "live_devices.owner_id",
        "live_groups.owner_id",
        "live_group_members.user_id",
        "planner_routes.owner_id",
        "planner_collaborators.user_id",
        "planner_room_tickets.user_id",
        "sync_records.owner_id",
        "sync_conflicts.owner_id",
        "sync_clients.owner_id",
        "sync_mutations.owner_id",
        "sync_owners.owner_id",
        "fitness_thresholds.owner_id",
        "fitness_ride_figures.owner_id",
        "fitness_profiles.owner_id",
        "fitness_recomputes.owner_id",
        "fitness_coach_grants.athlete_id",
        "fitness_coach_grants.coach_id",
        "outbox_events.user_id",
        "bikes_bikes.owner_id",
        "bikes_components.owner_id",
        "bikes_ride_assignments.owner_id",
        "bikes_service_log.owner_id",
        "health_metrics.owner_id",
        "health_alerts.owner_id",
        "health_ride_hrv.owner_id",
        "bikes_reminders.owner_id",
        "webhooks_subscriptions.owner_id",
        "webhooks_deliveries.rider_id",  # another's app's delivery about the rider's ride
        "notifications_notifications.user_id",
        "notifications_deliveries.user_id",
        "notifications_preferences.user_id",
        "notifications_quiet_hours.user_id",
        "notifications_push_subscriptions.user_id",
        "notifications_digest_choices.user_id",
        "notifications_digest_schedules.user_id",
        "social_profiles.user_id",
        "social_follows.user_id",
        "social_follows.followee_id",
        "social_blocks.user_id",
        "social_blocks.blocked_id",
        "social_kudos.user_id",
        "social_kudos.ride_owner_id",
        "social_comments.user_id",
        "social_comments.ride_owner_id",
        "social_reports.user_id",
        "social_mutes.user_id",
        "social_mutes.muted_id",
        "social_moderation_actions.user_id",
        "social_moderation_actions.moderator_id",
        "social_club_members.user_id",
        "social_club_invites.user_id",
        "social_club_posts.user_id",
        "social_club_events.user_id",
        "social_club_rsvps.user_id",
        "social_club_avatars.user_id",
        "market_jobs.owner_id",
        "market_messages.user_id",
        "market_payments.owner_id",
        "market_invoices.rider_id",
        "market_idempotency_keys.user_id",
        "market_reviews.rider_id",
        "segments.owner_id",
        "segments_efforts.owner_id",
        "segments_heat_chunks.owner_id",
        "segments_heat_riders.owner_id",
        "segments_heat_tiles.owner_id",
    } <= before
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(Installation)) == 1
        assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 2

    _erase_over_api(client, rider)

    assert _references(engine, rider.user_id) == set()
    with Session(engine) as db:
        # The club the other had joined is theirs now; the rider's club of one has gone.
        clubs = db.execute(
            select(Club.name, ClubMember.user_id, ClubMember.role).join(
                ClubMember, ClubMember.club_id == Club.id
            )
        ).all()
        assert sorted(clubs) == [
            ("Dawn Patrol", other.user_id, "owner"),
            ("Secret", other.user_id, "owner"),
        ]
        assert db.scalar(select(func.count()).select_from(Installation)) == 0
        assert db.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    # Their sockets closed at once: not found (4004 live, 4404 planner). The other's room of
    # the rider's route closes too (the route has gone); their own room stays open.
    assert rider.user_id not in client.app.state.live.riders  # type: ignore[attr-defined]
    for route_id, user_id in (
        (world.own_route, rider.user_id),
        (world.others_route, rider.user_id),
        (world.own_route, other.user_id),
    ):
        _eventually(functools.partial(_room_closed_for, client, route_id, user_id), "a close")
    with pytest.raises(WebSocketDisconnect) as closed:
        world.rider_socket.receive_json()
    assert closed.value.code == 4004
    for name in ("rider_own", "rider_shared", "other_in_rider_route"):
        assert _closed_with(rooms[name]) == 4404, name
    assert _still_served(rooms["other_own"])
    # The other's data stays, without the erased user.
    with Session(engine) as db:
        members = db.scalars(
            select(LiveGroupMember.user_id).where(
                LiveGroupMember.group_id == uuid.UUID(world.others_group)
            )
        ).all()
        assert members == [other.user_id]
        assert db.get(LiveSession, uuid.UUID(world.others_session)) is not None
    group = client.get(f"/api/v1/live/groups/{world.others_group}", headers=other.headers)
    assert group.status_code == 200, group.text
    session = client.get(f"/api/v1/live/sessions/{world.others_session}", headers=other.headers)
    assert session.status_code == 200 and session.json()["group_id"] is None
    route = client.get(f"/api/v1/routes/{world.others_route}", headers=other.headers)
    assert route.status_code == 200 and route.json()["collaborators"] == []
    gone = client.get(f"/api/v1/routes/{world.own_route}", headers=other.headers)
    assert gone.status_code == 404


def test_erasure_from_another_process_refuses_batches_and_closes_rooms(
    client: TestClient, engine: Engine, sockets: contextlib.ExitStack
) -> None:
    client.app.state.planner.access_check_s = 0.2  # type: ignore[attr-defined]
    world = _world(client, sockets)
    shared = _room(client, sockets, world.others_route, world.rider)
    others = _room(client, sockets, world.others_route, world.other)
    # As `bikenode gdpr erase` does: no way to reach this node's sockets.
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        erase_user(db, user_id=world.rider.user_id, actor_id=None)

    world.rider_socket.send_json(batch_frame(4))
    with pytest.raises(WebSocketDisconnect) as closed:
        world.rider_socket.receive_json()
    assert closed.value.code == 4004
    _eventually(
        lambda: _room_closed_for(client, world.others_route, world.rider.user_id),
        "the room to close the erased collaborator within its access check period",
    )
    assert _closed_with(shared) == 4404
    assert _still_served(others)
    with Session(engine) as db:
        session_id = uuid.UUID(world.session_id)
        assert db.scalar(select(func.count()).where(LiveBatch.session_id == session_id)) == 0
        assert db.get(LiveSession, session_id) is None
    assert _references(engine, world.rider.user_id) == set()


def test_a_batch_of_an_erased_session_costs_no_other_rider_theirs(session: Session) -> None:
    kept = LiveSession(owner_id=uuid.uuid4())
    session.add(kept)
    session.commit()
    erased = uuid.uuid4()  # a session deleted by an erasure since its rider sent the batch
    frame = columns(1)
    batch = decode_batch(
        batch_frame(1), max_points=100, after_time_ms=None, now_ms=int(time.time() * 1000)
    )
    rows = [live_service.batch_row(session_id, batch) for session_id in (kept.id, erased)]
    # Both in one group commit, as LiveNode writes them: the erased one is named, not stored.
    assert live_service.store_batches(session, rows=rows) == live_service.RefusedBatches(
        {erased}, set()
    )
    stored = session.scalars(select(LiveBatch.session_id)).all()
    assert stored == [kept.id]
    retried = live_service.store_batches(session, rows=rows[:1])  # a retry: stored once
    assert retried == live_service.RefusedBatches(set(), set())
    assert session.scalar(select(func.count()).select_from(LiveBatch)) == 1
    assert json.loads(session.scalars(select(LiveBatch.points)).one())["t"] == frame["t"]
