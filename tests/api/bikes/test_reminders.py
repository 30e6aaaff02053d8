"""Reminders over HTTP: each crossing announced once, back-filled, snoozed, reset by a service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bikenode.bikes import reminders
from bikenode.bikes.logic.crossings import Crossing
from bikenode.bikes.logic.usage import Usage
from bikenode.bikes.models import Component, Reminder
from bikenode.events import replay
from bikenode.events.models import OutboxEvent
from tests.factories import signed_in, upload_files

DAY0 = datetime(2025, 4, 1, 8, tzinfo=UTC)
KM = 1000.0


def line_gpx(start: datetime, km: float, seed: int = 0) -> bytes:
    """A ride due north at 36 km/h: 100 m every 10 s."""
    points = []
    for i in range(int(km * 10) + 1):
        when = (start + timedelta(seconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lat = 45.0 + seed * 0.5 + i * 100 / 111_195
        points.append(f'<trkpt lat="{lat:.7f}" lon="6.0"><ele>300</ele><time>{when}</time></trkpt>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><type>cycling</type><trkseg>'
        + "".join(points)
        + "</trkseg></trk></gpx>"
    ).encode()


class Rider:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        _, self.headers = signed_in(client)
        self.rides = 0

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        answer = self.client.request(method, f"/api/v1{path}", json=body, headers=self.headers)
        assert answer.status_code == expect, answer.text
        return answer.json() if answer.content else None

    def chain(self, start_km: float, interval_km: float = 100) -> str:
        bike = self.call(
            "POST",
            "/bikes",
            {"name": "Road", "type": "road", "default_for_sports": ["cycling"]},
            201,
        )
        body = {
            "type": "chain",
            "installed_at": DAY0.isoformat(),
            "start_distance_m": start_km * KM,
            "interval": {"distance_m": interval_km * KM},
        }
        return str(self.call("POST", f"/bikes/{bike['id']}/components", body, 201)["id"])

    def ride(self, day: float, km: float) -> None:
        self.rides += 1
        gpx = line_gpx(DAY0 + timedelta(days=day), km, seed=self.rides)
        upload_files(self.client, self.headers, [(f"r{self.rides}.gpx", gpx)])
        self.drain()

    def drain(self) -> None:
        self.client.app.state.events.run_until_idle()  # type: ignore[attr-defined]

    def reminders(self, everything: bool = False) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call(
            "GET", "/maintenance/reminders" + ("?all=true" if everything else "")
        )["items"]
        return found

    def crossings(self) -> list[tuple[str, datetime]]:
        return sorted(
            (r["threshold"], datetime.fromisoformat(r["crossed_at"]))
            for r in self.reminders(everything=True)
        )


def _announced(client: TestClient) -> int:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        found = db.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.type == "bikes.component_due")
        )
        return int(found or 0)


def test_each_crossing_is_announced_once_under_repeated_and_replayed_events(
    client: TestClient,
) -> None:
    rider = Rider(client)
    chain = rider.chain(start_km=60)
    rider.ride(10, 25)  # 85 km of 100: warn
    rider.drain()
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        replay(db, subscriber="bikes.ride_assignments")
        db.commit()
    rider.drain()
    rider.ride(12, 20)  # 105 km: due
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        replay(db, subscriber="bikes.ride_assignments")
        db.commit()
    rider.drain()
    day = DAY0.replace(hour=0)
    assert [(t, at.date()) for t, at in rider.crossings()] == [
        ("due", (day + timedelta(days=12)).date()),
        ("warn", (day + timedelta(days=10)).date()),
    ]
    assert _announced(client) == 2
    [due, warn] = rider.reminders()
    assert (due["component_id"], due["limit"], due["rides"]) == (chain, "distance", 2)
    assert warn["distance_m"] > 84 * KM and warn["interval_start"].startswith("2025-04-01")


def test_an_old_ride_imported_later_is_a_crossing_dated_when_it_happened(
    client: TestClient,
) -> None:
    rider = Rider(client)
    rider.chain(start_km=60)
    rider.ride(20, 5)  # 65 km: nothing yet
    assert rider.reminders() == []
    rider.ride(5, 25)  # an older ride, imported now: 85 km by day 5
    [(threshold, at)] = rider.crossings()
    assert threshold == "warn" and at.date() == (DAY0 + timedelta(days=5)).date()


def test_a_service_starts_a_new_interval_with_crossings_of_its_own(client: TestClient) -> None:
    rider = Rider(client)
    chain = rider.chain(start_km=70)
    rider.ride(1, 15)  # 85: warn
    served = (DAY0 + timedelta(days=2)).isoformat()
    rider.call("POST", f"/components/{chain}/service", {"kind": "replace", "done_at": served}, 201)
    rider.ride(3, 50)
    assert len(rider.reminders(everything=True)) == 1
    rider.ride(4, 35)  # 85 km since the replacement: a new warn
    found = rider.reminders(everything=True)
    assert [r["threshold"] for r in found] == ["warn", "warn"]
    new_interval = datetime.fromisoformat(found[0]["interval_start"])
    assert new_interval == DAY0 + timedelta(days=2)
    assert _announced(client) == 2


def test_a_snoozed_reminder_stays_away_until_the_snooze_ends(client: TestClient) -> None:
    rider = Rider(client)
    rider.chain(start_km=90)  # warn at once, from the starting usage
    [warn] = rider.reminders()
    assert warn["crossed_at"].startswith("2025-04-01T08:00:00")
    later = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    snoozed = rider.call("POST", f"/maintenance/reminders/{warn['id']}/snooze", {"until": later})
    assert snoozed["snoozed_until"] is not None
    assert rider.reminders() == []
    rider.ride(1, 5)  # no new crossing: nothing new is announced while snoozed
    assert rider.reminders() == [] and _announced(client) == 1
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    rider.call("POST", f"/maintenance/reminders/{warn['id']}/snooze", {"until": past}, 422)
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        row = db.get(Reminder, uuid.UUID(warn["id"]))
        assert row is not None
        row.snoozed_until = datetime.now(UTC) - timedelta(seconds=1)  # the snooze has ended
        db.commit()
    assert [r["id"] for r in rider.reminders()] == [warn["id"]]
    acknowledged = rider.call("POST", f"/maintenance/reminders/{warn['id']}/acknowledge")
    assert acknowledged["acknowledged"] is True
    assert rider.reminders() == [] and len(rider.reminders(everything=True)) == 1


def test_retired_parts_stop_counting_and_others_reminders_are_not_found(
    client: TestClient,
) -> None:
    rider = Rider(client)
    chain = rider.chain(start_km=90)
    [warn] = rider.reminders()
    other = Rider(client)
    for action, body in (("snooze", {"until": "2100-01-01T00:00:00Z"}), ("acknowledge", None)):
        other.call("POST", f"/maintenance/reminders/{warn['id']}/{action}", body, 404)
    rider.call("POST", f"/components/{chain}/retire", {})
    rider.ride(1, 30)
    assert rider.reminders(everything=True) == [] and _announced(client) == 1


def test_a_second_recording_of_the_same_crossing_is_refused_by_the_database(
    client: TestClient,
) -> None:
    """Two recomputes at once: the one that inserts second announces nothing."""
    rider = Rider(client)
    chain = rider.chain(start_km=90)
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        component = db.get(Component, uuid.UUID(chain))
        row = db.scalar(select(Reminder).where(Reminder.component_id == uuid.UUID(chain)))
        assert component is not None and row is not None
        again = Crossing("warn", 0.8, row.crossed_at, "distance", Usage(90 * KM))
        assert reminders._insert(db, component, again, row.interval_start) is None
        db.commit()
    assert _announced(client) == 1 and len(rider.reminders(everything=True)) == 1
