"""Rides and governance publish real events; the audit log records deletions from them; the
outbox shows in /metrics and in `bikenode events`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from bikenode.audit import list_events
from bikenode.cli import app as cli
from bikenode.db.engine import make_session_factory
from bikenode.events import deliver_round, ensure_subscribers
from bikenode.events.models import HeldEvent, OutboxEvent
from tests.api.sync.conftest import make_rider
from tests.events_tools import Recorder, publish_pings
from tests.factories import STRONG_PASSWORD, signed_in, upload_files
from tests.synthetic import synthetic_gpx


def test_a_ride_imported_changed_and_deleted_is_announced_and_its_deletion_audited(
    client: TestClient, engine: Engine
) -> None:
    _, headers = signed_in(client)
    me = client.get("/api/v1/me", headers=headers).json()
    gpx = synthetic_gpx(datetime(2024, 6, 1, 7, tzinfo=UTC), points=60, seed=1)
    ride_id = upload_files(client, headers, [("ride.gpx", gpx)])[0]["items"][0]["ride_id"]
    changed = client.patch(f"/api/v1/rides/{ride_id}", json={"name": "Col"}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert client.delete(f"/api/v1/rides/{ride_id}", headers=headers).status_code == 204

    with make_session_factory(engine)() as session:
        announced = session.execute(
            select(OutboxEvent.type, OutboxEvent.payload)
            .where(OutboxEvent.aggregate_id == ride_id)
            .order_by(OutboxEvent.id)
        ).all()
    assert [type_ for type_, _ in announced] == [
        "rides.ride_imported",
        "rides.ride_changed",
        "rides.ride_deleted",
    ]
    assert announced[1][1]["changed"] == ["name"]

    app = client.app
    # The audit log takes the deletion; fitness follows all three (figures made, kept,
    # dropped), and so do bikes (its ride assignments), webhooks (its fan-out) and segments
    # (the ride's efforts, and its heatmap chunks); health follows all four for the ride's HRV (a GPX ride has none:
    # nothing written); social takes the deletion (the ride's kudos and comments).
    assert app.state.events.run_until_idle() == 20  # type: ignore[attr-defined]
    with make_session_factory(engine)() as session:
        [entry] = [e for e in list_events(session) if e.event_type == "rides.ride_deleted"]
    assert entry.subject_id == uuid.UUID(me["id"]) and entry.details["ride_id"] == ride_id

    app.state.events.refresh_gauges()  # type: ignore[attr-defined]
    metrics = client.get("/metrics").text
    assert 'bikenode_events_delivered_total{subscriber="audit.ride_deletions"} 1.0' in metrics
    assert 'bikenode_events_pending{subscriber="audit.ride_deletions"} 0.0' in metrics
    assert 'bikenode_events_dead_letters{subscriber="audit.ride_deletions"} 0.0' in metrics


def test_events_status_names_a_dead_letter_and_retry_makes_it_due(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    sessions = make_session_factory(engine)
    recorder = Recorder("test.cli", failures={("a", 1): 2})
    subscriber = recorder.subscriber(max_attempts=1)
    with sessions() as session:
        ensure_subscribers(session, [subscriber])
    publish_pings(sessions, [("a", 1)])
    with sessions() as session:
        assert deliver_round(session, subscriber).dead == 1
        event_id = session.scalar(select(OutboxEvent.id))
    env = {"BIKENODE_DATA_DIR": str(tmp_path), "BIKENODE_DATABASE_URL": database_url}
    runner = CliRunner()

    status = runner.invoke(cli, ["events", "status"], env=env)
    assert status.exit_code == 0, status.output
    assert "test.cli" in status.output
    assert f"dead: event {event_id} (tests.pinged, aggregate a)" in status.output
    assert "refused on purpose" in status.output

    retried = runner.invoke(cli, ["events", "retry", str(event_id)], env=env)
    assert retried.exit_code == 0, retried.output
    with sessions() as session:
        assert session.scalars(select(HeldEvent.status)).all() == ["retrying"]
    again = runner.invoke(cli, ["events", "retry", str(event_id)], env=env)
    assert again.exit_code == 2
    assert "expected a dead letter" in again.output


def test_an_erasure_removes_the_users_events_and_announces_it(
    client: TestClient, engine: Engine
) -> None:
    _, headers = signed_in(client)
    me = client.get("/api/v1/me", headers=headers).json()
    _, others_headers = signed_in(client)
    gpx = synthetic_gpx(datetime(2024, 6, 1, 7, tzinfo=UTC), points=60, seed=2)
    upload_files(client, headers, [("mine.gpx", gpx)])
    upload_files(client, others_headers, [("theirs.gpx", gpx)])

    erased = client.post(
        "/api/v1/me/erase",
        json={"password": STRONG_PASSWORD, "confirm": "erase my account"},
        headers=headers,
    )
    assert erased.status_code == 200, erased.text

    with make_session_factory(engine)() as session:
        left = session.execute(
            select(OutboxEvent.type, OutboxEvent.payload).order_by(OutboxEvent.id)
        ).all()
    assert [type_ for type_, _ in left] == ["rides.ride_imported", "governance.user_erased"]
    assert left[0][1]["owner_id"] != me["id"]  # the other rider's ride is still announced
    assert left[1][1] == {"user_id": me["id"]}


def test_edits_and_deletions_synced_from_a_device_are_announced_too(
    client: TestClient, engine: Engine
) -> None:
    rider = make_rider(client, rides=2)
    device = rider.device(client, "phone")
    first, second = rider.ride_ids
    edit = device.push(device.mutation("ride", first, name={"value": "from the phone"}))
    assert edit.json()["results"][0]["status"] == "applied", edit.text
    deletion = {
        "counter": next(device.counter),
        "record_type": "ride",
        "record_id": second,
        "delete": True,
        "hlc": device.stamp(),
    }
    assert device.push(deletion).json()["results"][0]["status"] == "deleted"

    with make_session_factory(engine)() as session:
        announced = session.execute(
            select(OutboxEvent.type, OutboxEvent.aggregate_id, OutboxEvent.payload)
            .where(OutboxEvent.type != "rides.ride_imported")
            .order_by(OutboxEvent.id)
        ).all()
    assert [(type_, ride) for type_, ride, _ in announced] == [
        ("rides.ride_changed", first),
        ("rides.ride_deleted", second),
    ]
    assert announced[0][2]["changed"] == ["name"]


def test_a_component_due_reaches_the_notifications_subscriber_of_the_app(
    client: TestClient, engine: Engine
) -> None:
    """bikes publishes ComponentDue twice for a worn chain (warn, due); the app's dispatcher
    hands both to notifications, and a second run delivers nothing again."""
    _, headers = signed_in(client)
    bike = client.post("/api/v1/bikes", json={"name": "B", "type": "road"}, headers=headers)
    worn = {"type": "chain", "start_distance_m": 5e6, "installed_at": "2024-01-01T00:00:00Z"}
    made = client.post(f"/api/v1/bikes/{bike.json()['id']}/components", json=worn, headers=headers)
    assert made.status_code == 201, made.text
    app = client.app
    assert app.state.events.run_until_idle() == 2  # type: ignore[attr-defined]
    assert app.state.events.run_until_idle() == 0  # type: ignore[attr-defined]
    app.state.events.refresh_gauges()  # type: ignore[attr-defined]
    metrics = client.get("/metrics").text
    assert 'bikenode_events_delivered_total{subscriber="notifications.notify"} 2.0' in metrics
    page = client.get("/api/v1/notifications", headers=headers).json()
    assert page["unread"] == 2
