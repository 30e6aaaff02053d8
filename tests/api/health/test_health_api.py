"""The health API: metrics in and out, alerts kept in step, readiness, CSV import, 422s."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

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


def _ride_with_stress(
    client: TestClient, headers: dict[str, str], day: date, stress: float, seed: int
) -> None:
    """A ride on the day (UTC, the rider's zone) counting the rider's own stress figure."""
    start = datetime.combine(day, time(8), tzinfo=UTC)
    [upload] = upload_files(
        client, headers, [(f"ride-{seed}.gpx", synthetic_gpx(start, seed=seed))]
    )
    ride_id = upload["items"][0]["ride_id"]
    app: Any = client.app
    while app.state.worker.run_until_idle() + app.state.events.run_until_idle():
        pass  # fitness gives the ride its figures from the import's event
    path = f"/api/v1/fitness/rides/{ride_id}/stress"
    answer = client.put(path, json={"stress": stress}, headers=headers)
    assert answer.status_code == 200, answer.text


def test_an_alert_names_a_training_load_spike_from_the_riders_rides(client: TestClient) -> None:
    _, headers = signed_in(client)
    # 200 stress over the four weeks before the alert's week, 300 in that week: 42.9 a
    # day against 7.1, six times the usual load.
    for seed, (day, stress) in enumerate(
        [(date(2025, 2, 20), 100.0), (date(2025, 3, 5), 100.0), (date(2025, 3, 20), 300.0)]
    ):
        _ride_with_stress(client, headers, day, stress, seed)
    _post(client, headers, _nights([50.0, 51.0] * 10 + [56.0, 57.0]))
    [alert] = _alerts(client, headers)
    spike = "training load spike: 43 stress a day over the last week, against 7 over the four weeks before (x6.0)"
    assert alert["explanation"]["also"] == [spike]
    assert spike in alert["explanation"]["message"]


def test_an_alert_without_rides_names_no_load_spike(client: TestClient) -> None:
    _, headers = signed_in(client)
    _post(client, headers, _nights([50.0, 51.0] * 10 + [56.0, 57.0]))
    [alert] = _alerts(client, headers)
    assert alert["explanation"]["also"] == []


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
    assert answer.status_code == 201 and answer.json() == {"imported": 2, "source": None}


def test_rr_intervals_become_the_days_rmssd(client: TestClient) -> None:
    _, headers = signed_in(client)
    body = {"day": "2025-03-01", "source": "strap", "rr_ms": [800.0, 850.0] * 40}
    answer = client.post(f"{METRICS}/rr", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["metric"], answer.json()["value"]) == ("hrv_rmssd_ms", 50.0)
    noisy = {"day": "2025-03-01", "rr_ms": [800.0, 1200.0] * 40}
    assert client.post(f"{METRICS}/rr", json=noisy, headers=headers).status_code == 422


def test_baselines_per_day_are_those_the_alert_was_judged_by(client: TestClient) -> None:
    _, headers = signed_in(client)
    _post(client, headers, _nights([50.0, 51.0] * 10 + [56.0, 57.0]))
    _post(client, headers, [{"day": "2025-03-10", "metric": "weight_kg", "value": 70}])
    answer = client.get(
        "/api/v1/health/baselines?metric=resting_hr_bpm&from=2025-03-01&to=2025-03-31",
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    days = {d["day"]: d for d in answer.json()["days"]}
    # 14 nights of warm-up: the first baseline is on the 15th night, the last on the 22nd.
    assert (min(days), max(days)) == ("2025-03-15", "2025-03-22")
    assert days["2025-03-15"]["baseline"] == 50.5 and days["2025-03-15"]["source"] == "watch"
    [alert] = _alerts(client, headers)
    judged = days[alert["day"]]
    for key in ("baseline", "usual_low", "usual_high"):
        assert round(judged[key], 1) == alert["explanation"][key]
    weight = client.get(
        "/api/v1/health/baselines?metric=weight_kg&from=2025-03-01&to=2025-03-31", headers=headers
    )
    assert weight.json() == {"metric": "weight_kg", "days": []}  # one value: still warming up
    wrong = client.get(
        "/api/v1/health/baselines?metric=blood&from=2025-03-01&to=2025-03-31", headers=headers
    )
    assert wrong.status_code == 422
