"""Coach access: a rider lets another user read their fitness and health data, and ends it.

A coach reads through ?rider= on the GET routes; a stranger, an ex-coach, a blocked coach and
anonymous callers get exactly what a missing rider gets, and nobody writes the athlete's data.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from bikenode import audit, fitness
from tests.api.fitness.conftest import FIRST_RIDE_AT, import_ride, steady
from tests.factories import signed_in

DAY = FIRST_RIDE_AT.date()
RANGE = f"from={DAY}&to={DAY + timedelta(days=6)}"
# Every GET a coach may read, by its path and query (without the rider).
READS = (
    f"/api/v1/fitness/load?{RANGE}",
    f"/api/v1/fitness/power-curve?{RANGE}",
    f"/api/v1/fitness/models?{RANGE}",
    "/api/v1/fitness/thresholds?",
    "/api/v1/fitness/recompute?",
    "/api/v1/fitness/profile?",
    f"/api/v1/health/metrics?{RANGE}",
    f"/api/v1/health/baselines?{RANGE}&metric=resting_hr_bpm",
    "/api/v1/health/alerts?",
    f"/api/v1/health/readiness?day={DAY}",
)
MISSING_RIDER = "00000000-0000-4000-8000-000000000000"


def _person(client: TestClient) -> tuple[dict[str, Any], dict[str, str], str]:
    payload, headers = signed_in(client)
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200, me.text
    return payload, headers, str(me.json()["id"])


def _athlete_with_data(client: TestClient) -> tuple[dict[str, str], str]:
    _, headers, athlete_id = _person(client)
    ftp = [{"kind": "ftp_w", "value": 250, "valid_from": "2020-01-01"}]
    put = client.put("/api/v1/fitness/thresholds", json={"values": ftp}, headers=headers)
    assert put.status_code == 200, put.text
    import_ride(client, headers, FIRST_RIDE_AT, seconds=1200, power=steady(260))
    nights = [
        {"day": (DAY + timedelta(days=i)).isoformat(), "metric": "resting_hr_bpm", "value": 50.0}
        for i in range(5)
    ]
    posted = client.post("/api/v1/health/metrics", json={"metrics": nights}, headers=headers)
    assert posted.status_code == 201, posted.text
    return headers, athlete_id


def _grant(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post("/api/v1/me/coaches", json=body, headers=headers)


def _reads(client: TestClient, headers: dict[str, str], rider: str | None) -> list[Any]:
    """Each READS answer as (status, body) for the caller, about `rider` (None: their own)."""
    query = f"&rider={rider}" if rider else ""
    answers = [client.get(path + query, headers=headers) for path in READS]
    # request_id differs on every answer; everything else must match
    return [(a.status_code, {**a.json(), "request_id": None}) for a in answers]


def test_a_coach_reads_what_the_athlete_reads_and_writes_nothing(client: TestClient) -> None:
    athlete, athlete_id = _athlete_with_data(client)
    coach_payload, coach, coach_id = _person(client)
    granted = _grant(client, athlete, {"email": coach_payload["email"]})
    assert granted.status_code == 201, granted.text
    assert granted.json()["user_id"] == coach_id
    assert granted.json()["display_name"] == coach_payload["display_name"]
    assert _grant(client, athlete, {"user_id": coach_id}).status_code == 201  # no change

    own = _reads(client, athlete, None)
    assert all(status == 200 for status, _ in own), own
    assert own[0][1]["days"][0]["stress"] > 0  # the athlete's ride counts
    assert _reads(client, coach, athlete_id) == own
    assert _reads(client, coach, None) != own  # without ?rider= the coach reads their own

    listed = client.get("/api/v1/me/coaches", headers=athlete).json()["users"]
    assert [u["user_id"] for u in listed] == [coach_id]
    athletes = client.get("/api/v1/me/athletes", headers=coach).json()["users"]
    assert [u["user_id"] for u in athletes] == [athlete_id]

    # Writes take no rider: a coach's PUT changes their own thresholds, never the athlete's.
    mine = [{"kind": "ftp_w", "value": 100, "valid_from": "2020-01-01"}]
    path = f"/api/v1/fitness/thresholds?rider={athlete_id}"
    assert client.put(path, json={"values": mine}, headers=coach).status_code == 200
    assert _reads(client, athlete, None)[3] == own[3]


def test_strangers_ex_coaches_blocked_coaches_and_anonymous_read_nothing(
    client: TestClient,
) -> None:
    athlete, athlete_id = _athlete_with_data(client)
    _, stranger, _ = _person(client)
    _, ex_coach, ex_coach_id = _person(client)
    _, blocked, blocked_id = _person(client)
    for coach_id in (ex_coach_id, blocked_id):
        assert _grant(client, athlete, {"user_id": coach_id}).status_code == 201
    assert client.get(READS[0] + f"&rider={athlete_id}", headers=ex_coach).status_code == 200
    revoked = client.delete(f"/api/v1/me/coaches/{ex_coach_id}", headers=athlete)
    assert revoked.status_code == 204, revoked.text
    block = client.put(f"/api/v1/me/blocks/{blocked_id}", headers=athlete)
    assert block.status_code == 204, block.text

    missing = _reads(client, stranger, MISSING_RIDER)
    assert {status for status, _ in missing} == {404}
    for caller in (stranger, ex_coach, blocked):
        assert _reads(client, caller, athlete_id) == missing  # the same answer, no oracle
    anonymous = _reads(client, {}, athlete_id)
    assert {status for status, _ in anonymous} == {401}
    assert client.get("/api/v1/me/athletes", headers=ex_coach).json()["users"] == []
    assert client.get("/api/v1/me/athletes", headers=blocked).json()["users"] == []
    assert client.get("/api/v1/me/coaches", headers=athlete).json()["users"] == []
    # A blocked user cannot be made coach again, and looks like nobody.
    again = _grant(client, athlete, {"user_id": blocked_id})
    assert again.status_code == 404 and again.json()["detail"] == "no such user"


def test_grants_refuse_bad_input_clearly(client: TestClient) -> None:
    _, headers, me = _person(client)
    assert _grant(client, headers, {"user_id": me}).status_code == 422
    both = _grant(client, headers, {"user_id": MISSING_RIDER, "email": "x@example.org"})
    assert both.status_code == 422 and "exactly one of user_id and email" in both.text
    assert _grant(client, headers, {}).status_code == 422
    unknown = _grant(client, headers, {"email": "nobody-here@example.org"})
    assert unknown.status_code == 404 and unknown.json()["detail"] == "no such user"
    by_id = _grant(client, headers, {"user_id": MISSING_RIDER})
    assert by_id.status_code == 404 and by_id.json()["detail"] == unknown.json()["detail"]
    gone = client.delete(f"/api/v1/me/coaches/{MISSING_RIDER}", headers=headers)
    assert gone.status_code == 404
    anonymous = client.get("/api/v1/me/coaches")
    assert anonymous.status_code == 401


def test_grant_and_revoke_are_audited_exported_on_both_sides_and_erased(
    client: TestClient,
) -> None:
    _, athlete, athlete_id = _person(client)
    _, _, coach_id = _person(client)
    assert _grant(client, athlete, {"user_id": coach_id}).status_code == 201
    sessions: Any = client.app.state.session_factory  # type: ignore[attr-defined]
    with sessions() as session:
        for owner, side, other in (
            (athlete_id, "my_coaches", coach_id),
            (coach_id, "my_athletes", athlete_id),
        ):
            files = dict(fitness.iter_user_export(session, uuid.UUID(owner)))
            grants = json.loads(files["fitness/coaches.json"])
            assert [g["user_id"] for g in grants[side]] == [other]
        erased = fitness.erase_user_data(session, uuid.UUID(coach_id))
        assert erased.fitness_coach_grants == 1
        session.rollback()  # only counted here: the revoke below is audited too
    assert client.delete(f"/api/v1/me/coaches/{coach_id}", headers=athlete).status_code == 204
    with sessions() as session:
        events = audit.list_events(session, subject_id=uuid.UUID(coach_id))
        kinds = [
            (e.event_type, str(e.actor_id)) for e in events if e.event_type.startswith("fitness")
        ]
        assert kinds == [
            ("fitness.coach_revoked", athlete_id),
            ("fitness.coach_granted", athlete_id),
        ]
