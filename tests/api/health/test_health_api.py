"""The health API: metrics in and out, alerts kept in step, readiness, CSV import, 422s."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import signed_in

START = date(2025, 3, 1)
METRICS = "/api/v1/health/metrics"


def _post(client: TestClient, headers: dict[str, str], metrics: list[dict[str, Any]]) -> Any:
    answer = client.post(METRICS, json={"metrics": metrics}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["metrics"]


def _nights(values: list[float], source: str = "watch") -> list[dict[str, Any]]:
    return [
        {
            "day": (START + timedelta(days=i)).isoformat(),
            "metric": "resting_hr_bpm",
            "value": v,
            "source": source,
        }
        for i, v in enumerate(values)
    ]


def _alerts(client: TestClient, headers: dict[str, str]) -> list[Any]:
    answer = client.get("/api/v1/health/alerts", headers=headers)
    assert answer.status_code == 200, answer.text
    alerts: list[Any] = answer.json()["alerts"]
    return alerts


def test_values_round_trip_and_a_new_value_replaces_the_old(client: TestClient) -> None:
    _, headers = signed_in(client)
    [stored] = _post(client, headers, [{"day": "2025-03-01", "metric": "weight_kg", "value": 70.5}])
    assert (stored["value"], stored["source"]) == (70.5, "manual")
    _post(client, headers, [{"day": "2025-03-01", "metric": "weight_kg", "value": 70.1}])
    answer = client.get(
        f"{METRICS}?from=2025-03-01&to=2025-03-31&metric=weight_kg", headers=headers
    )
    assert [m["value"] for m in answer.json()["metrics"]] == [70.1]
    _, stranger = signed_in(client)
    assert client.get(f"{METRICS}?from=2025-03-01&to=2025-03-31", headers=stranger).json() == {
        "metrics": []
    }


def test_two_elevated_nights_raise_one_explained_alert_that_reentry_never_duplicates(
    client: TestClient,
) -> None:
    _, headers = signed_in(client)
    nights = _nights([50.0, 51.0] * 10 + [56.0, 57.0])
    _post(client, headers, nights)
    [alert] = _alerts(client, headers)
    assert (alert["day"], alert["kind"], alert["acknowledged"]) == (
        "2025-03-22",
        "resting_hr_elevated",
        False,
    )
    explanation = alert["explanation"]
    assert explanation["values"] == [56.0, 57.0]
    assert explanation["days"] == 2 and explanation["source"] == "watch"
    assert "usual range" in explanation["message"]
    acknowledged = client.post(f"/api/v1/health/alerts/{alert['id']}/acknowledge", headers=headers)
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged"] is True
    _post(client, headers, nights[-2:])  # the same two nights again
    [again] = _alerts(client, headers)
    assert (again["id"], again["acknowledged"]) == (alert["id"], True)
    readiness = client.get("/api/v1/health/readiness?day=2025-03-22", headers=headers).json()
    assert readiness["state"] == "rest advised"
    assert readiness["factors"][0]["status"] == "alert"
    # Deleting the second night ends the episode: the alert goes with it.
    gone = client.delete(f"{METRICS}?day=2025-03-22&metric=resting_hr_bpm", headers=headers)
    assert gone.json() == {"deleted": 1}
    assert _alerts(client, headers) == []


def test_a_value_deleted_by_id_is_gone_and_another_riders_id_is_404(client: TestClient) -> None:
    _, headers = signed_in(client)
    [stored] = _post(client, headers, [{"day": "2025-03-01", "metric": "sleep_h", "value": 7}])
    _, stranger = signed_in(client)
    assert client.delete(f"{METRICS}/{stored['id']}", headers=stranger).status_code == 404
    assert client.delete(f"{METRICS}/{stored['id']}", headers=headers).status_code == 204
    assert client.delete(f"{METRICS}/{stored['id']}", headers=headers).status_code == 404


def test_readiness_without_data_says_so(client: TestClient) -> None:
    _, headers = signed_in(client)
    answer = client.get("/api/v1/health/readiness", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "not enough data"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"day": "2025-03-01", "metric": "resting_hr_bpm", "value": 400}, "from 25 to 220"),
        ({"day": "2099-01-01", "metric": "weight_kg", "value": 70}, "2099-01-01"),
        ({"day": "2025-03-01", "metric": "mood_1_5", "value": 2.5}, "whole score"),
        ({"day": "2025-03-01", "metric": "blood_sugar", "value": 5}, "metric"),
    ],
)
def test_wrong_values_are_refused_with_what_was_expected(
    client: TestClient, body: dict[str, Any], expected: str
) -> None:
    _, headers = signed_in(client)
    answer = client.post(METRICS, json={"metrics": [body]}, headers=headers)
    assert answer.status_code == 422, answer.text
    assert expected in answer.text


def test_nan_is_refused(client: TestClient) -> None:
    _, headers = signed_in(client)
    body = b'{"metrics": [{"day": "2025-03-01", "metric": "weight_kg", "value": NaN}]}'
    answer = client.post(
        METRICS, content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text


def _import(client: TestClient, headers: dict[str, str], text: str) -> Any:
    files = {"file": ("metrics.csv", text.encode(), "text/csv")}
    return client.post(f"{METRICS}/import", files=files, headers=headers)


def test_csv_import_writes_every_line_or_none_and_reports_each_wrong_line(
    client: TestClient,
) -> None:
    _, headers = signed_in(client)
    bad = "day,metric,value,source\n2025-03-01,weight_kg,70\n2025-03-02,weight_kg,nan\n"
    bad += "2025-03-03,sleep_h,25,ring\n"
    answer = _import(client, headers, bad)
    assert answer.status_code == 422, answer.text
    assert [e["line"] for e in answer.json()["errors"]] == [3, 4]
    listed = client.get(f"{METRICS}?from=2025-03-01&to=2025-03-31", headers=headers)
    assert listed.json()["metrics"] == []
    good = "2025-03-01,weight_kg,70\n2025-03-02,hrv_rmssd_ms,62.5,ring\n"
    answer = _import(client, headers, good)
    assert answer.status_code == 201 and answer.json() == {"imported": 2}, answer.text


def test_rr_intervals_become_the_days_rmssd(client: TestClient) -> None:
    _, headers = signed_in(client)
    body = {"day": "2025-03-01", "source": "strap", "rr_ms": [800.0, 850.0] * 40}
    answer = client.post(f"{METRICS}/rr", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["metric"], answer.json()["value"]) == ("hrv_rmssd_ms", 50.0)
    noisy = {"day": "2025-03-01", "rr_ms": [800.0, 1200.0] * 40}
    assert client.post(f"{METRICS}/rr", json=noisy, headers=headers).status_code == 422
