"""A phone logs health values offline, edits and deletes them, and pulls the web's edits;
alerts follow every change, and sync's own tables never hold a value."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bikenode.sync.models import SyncRecord
from tests.api.sync.conftest import Device
from tests.factories import signed_in

START = date(2025, 3, 1)
METRICS = "/api/v1/health/metrics"


def _listed(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get(f"{METRICS}?from=2025-01-01&to=2025-12-31", headers=headers)
    assert answer.status_code == 200, answer.text
    return {m["id"]: m for m in answer.json()["metrics"]}


def _night(device: Device, record_id: str, day: date, value: float) -> dict[str, Any]:
    return device.mutation(
        "health_metric",
        record_id,
        day={"value": day.isoformat()},
        metric={"value": "resting_hr_bpm"},
        value={"value": value},
        source={"value": "ring"},
    )


def test_a_phone_logs_and_edits_values_offline_and_alerts_follow(client: TestClient) -> None:
    _, headers = signed_in(client)
    phone = Device(client, headers, "phone-1")
    ids = [str(uuid.uuid4()) for _ in range(22)]
    nights = [50.0, 51.0] * 10 + [56.0, 57.0]
    mutations = [
        _night(phone, i, START + timedelta(days=n), v)
        for n, (i, v) in enumerate(zip(ids, nights, strict=True))
    ]
    pushed = phone.push(*mutations)
    assert pushed.status_code == 200, pushed.text
    assert {r["status"] for r in pushed.json()["results"]} == {"applied"}
    listed = _listed(client, headers)
    assert listed[ids[-1]] == {
        "id": ids[-1],
        "day": "2025-03-22",
        "metric": "resting_hr_bpm",
        "value": 57.0,
        "source": "ring",
    }
    [alert] = client.get("/api/v1/health/alerts", headers=headers).json()["alerts"]
    assert alert["explanation"]["values"] == [56.0, 57.0]

    edited = phone.push(phone.mutation("health_metric", ids[-1], value={"value": 50.0}))
    assert edited.json()["results"][0]["status"] == "applied", edited.text
    assert _listed(client, headers)[ids[-1]]["value"] == 50.0
    assert client.get("/api/v1/health/alerts", headers=headers).json()["alerts"] == []

    deleted = phone.push(
        {
            "counter": 24,
            "record_type": "health_metric",
            "record_id": ids[0],
            "delete": True,
            "hlc": phone.stamp(),
        }
    )
    assert deleted.json()["results"][0]["status"] == "deleted", deleted.text
    assert ids[0] not in _listed(client, headers)


def test_a_pull_sees_a_web_edit(client: TestClient) -> None:
    _, headers = signed_in(client)
    phone = Device(client, headers, "phone-1")
    record_id = str(uuid.uuid4())
    phone.push(
        phone.mutation(
            "health_metric",
            record_id,
            day={"value": "2025-03-01"},
            metric={"value": "weight_kg"},
            value={"value": 70.5},
        )
    )
    cursor = phone.pull()["cursor"]
    # The web enters the same day, metric and source again: the value of the phone's
    # record changes, and the phone pulls that field alone.
    answer = client.post(
        METRICS,
        json={"metrics": [{"day": "2025-03-01", "metric": "weight_kg", "value": 70.1}]},
        headers=headers,
    )
    [web] = answer.json()["metrics"]
    assert web["id"] == record_id  # entering it again replaces the value on the same record
    changes = phone.pull(cursor)["changes"]
    assert changes == [
        {
            "record_type": "health_metric",
            "record_id": record_id,
            "fields": {"value": {"value": 70.1, "hlc": changes[0]["fields"]["value"]["hlc"]}},
        }
    ]


def test_a_device_value_on_a_taken_day_replaces_the_webs_and_the_pull_drops_it(
    client: TestClient,
) -> None:
    _, headers = signed_in(client)
    [web] = client.post(
        METRICS,
        json={"metrics": [{"day": "2025-03-01", "metric": "sleep_h", "value": 7}]},
        headers=headers,
    ).json()["metrics"]
    phone = Device(client, headers, "phone-1")
    cursor = phone.pull()["cursor"]
    record_id = str(uuid.uuid4())
    pushed = phone.push(
        phone.mutation(
            "health_metric",
            record_id,
            day={"value": "2025-03-01"},
            metric={"value": "sleep_h"},
            value={"value": 6.5},
        )
    )
    assert pushed.status_code == 200, pushed.text
    assert {m["id"]: m["value"] for m in _listed(client, headers).values()} == {record_id: 6.5}
    changes = {c["record_id"]: c for c in phone.pull(cursor)["changes"]}
    assert changes[web["id"]] == {
        "record_type": "health_metric",
        "record_id": web["id"],
        "deleted": True,
    }
    assert changes[record_id]["fields"]["value"]["value"] == 6.5


def test_wrong_values_are_refused_with_the_metrics_range(client: TestClient) -> None:
    _, headers = signed_in(client)
    phone = Device(client, headers, "phone-1")
    refused = phone.push(_night(phone, str(uuid.uuid4()), START, 400.0))
    assert refused.status_code == 422, refused.text
    assert "expected resting_hr_bpm from 25 to 220 bpm, got 400" in refused.text
    retry = Device(client, headers, "phone-1")  # nothing of the refused push was applied
    missing = retry.push(
        retry.mutation("health_metric", str(uuid.uuid4()), metric={"value": "sleep_h"})
    )
    assert missing.status_code == 422 and "needs day, value" in missing.text
    assert _listed(client, headers) == {}


def test_another_riders_value_is_not_found(client: TestClient) -> None:
    _, headers = signed_in(client)
    [mine] = client.post(
        METRICS,
        json={"metrics": [{"day": "2025-03-01", "metric": "mood_1_5", "value": 4}]},
        headers=headers,
    ).json()["metrics"]
    _, stranger = signed_in(client)
    thief = Device(client, stranger, "phone-2")
    answer = thief.push(thief.mutation("health_metric", mine["id"], value={"value": 1}))
    assert answer.status_code == 404, answer.text
    assert _listed(client, headers)[mine["id"]]["value"] == 4


def test_sync_tables_keep_no_value(client: TestClient, engine: Engine) -> None:
    _, headers = signed_in(client)
    phone = Device(client, headers, "phone-1")
    phone.push(_night(phone, str(uuid.uuid4()), START, 53.0))
    client.post(
        METRICS,
        json={"metrics": [{"day": "2025-03-02", "metric": "resting_hr_bpm", "value": 54}]},
        headers=headers,
    )
    pulled = [c for c in phone.pull()["changes"] if c["record_type"] == "health_metric"]
    assert [c["fields"]["value"]["value"] for c in pulled] == [53.0, 54.0]
    with Session(engine) as session:
        rows = session.scalars(
            select(SyncRecord).where(SyncRecord.record_type == "health_metric")
        ).all()
    assert len(rows) == 2
    assert all(row.fields["value"]["v"] is None for row in rows)
    assert {row.fields["metric"]["v"] for row in rows} == {"resting_hr_bpm"}
