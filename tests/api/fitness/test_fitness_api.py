"""The fitness API over real uploads: thresholds, load, power curve, models, overrides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.fitness.conftest import FIRST_RIDE_AT, drain, import_ride, intervals, steady
from tests.factories import signed_in

DAY = FIRST_RIDE_AT.date().isoformat()


def _get(client: TestClient, path: str, headers: dict[str, str], status: int = 200) -> Any:
    answer = client.get(path, headers=headers)
    assert answer.status_code == status, answer.text
    return answer.json()


def _put_thresholds(
    client: TestClient, headers: dict[str, str], values: list[dict[str, Any]]
) -> Any:
    answer = client.put("/api/v1/fitness/thresholds", json={"values": values}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _load(client: TestClient, headers: dict[str, str], start: str, end: str) -> list[Any]:
    days: list[Any] = _get(client, f"/api/v1/fitness/load?from={start}&to={end}", headers)["days"]
    return days


def test_thresholds_history_round_trips_and_replaces(client: TestClient) -> None:
    _, headers = signed_in(client)
    assert _get(client, "/api/v1/fitness/thresholds", headers)["values"] == []
    history = [
        {"kind": "ftp_w", "value": 250.0, "valid_from": "2025-01-01"},
        {"kind": "ftp_w", "value": 270.0, "valid_from": "2025-06-01"},
        {"kind": "max_hr_bpm", "value": 190.0, "valid_from": "2024-01-01"},
    ]
    answer = _put_thresholds(client, headers, history)
    assert answer["values"] == sorted(history, key=lambda v: (v["kind"], v["valid_from"]))
    assert answer["recompute"]["status"] == "queued"
    assert answer["recompute"]["from_day"] == "2024-01-01"
    assert _get(client, "/api/v1/fitness/thresholds", headers)["values"] == answer["values"]
    refused = client.put(
        "/api/v1/fitness/thresholds",
        json={"values": [{"kind": "ftp_w", "value": 5000, "valid_from": "2025-01-01"}]},
        headers=headers,
    )
    assert refused.status_code == 422 and "expected ftp_w from 30 to 700" in refused.text


def test_a_ride_with_power_adds_stress_load_and_a_power_curve(client: TestClient) -> None:
    _, headers = signed_in(client)
    _put_thresholds(client, headers, [{"kind": "ftp_w", "value": 250, "valid_from": "2020-01-01"}])
    ride_id = import_ride(client, headers, FIRST_RIDE_AT, seconds=3600, power=steady(250))

    days = _load(client, headers, DAY, (FIRST_RIDE_AT.date() + timedelta(days=2)).isoformat())
    assert [d["rides"] for d in days] == [1, 0, 0]
    assert days[0]["stress"] == pytest.approx(100, rel=0.03)  # an hour at FTP
    assert days[1]["stress"] == 0 and days[0]["missing"] == []
    assert days[0]["fitness"] == pytest.approx(100 * (1 - 2.718281828 ** (-1 / 42)), rel=0.03)
    assert days[0]["form"] == 0  # the morning's form, before the ride
    assert days[1]["form"] == pytest.approx(days[0]["fitness"] - days[0]["fatigue"])
    curve = _get(client, f"/api/v1/fitness/power-curve?from={DAY}&to={DAY}", headers)
    assert curve["rides_with_power"] == 1
    assert curve["durations_s"][:3] == [1, 2, 3]
    assert set(curve["ride_ids"]) == {ride_id}
    assert curve["watts"][0] == pytest.approx(250)


def test_a_ride_without_power_or_thresholds_says_why_it_counts_nothing(client: TestClient) -> None:
    _, headers = signed_in(client)
    import_ride(client, headers, FIRST_RIDE_AT)
    [day] = _load(client, headers, DAY, DAY)
    assert day["stress"] == 0 and day["rides"] == 1
    [why] = day["missing"]
    assert "no power" in why and "no resting" in why


def test_a_threshold_change_recomputes_the_rides_it_reaches(client: TestClient) -> None:
    _, headers = signed_in(client)
    ftp = [{"kind": "ftp_w", "value": 250, "valid_from": "2020-01-01"}]
    _put_thresholds(client, headers, ftp)
    import_ride(client, headers, FIRST_RIDE_AT, seconds=3600, power=steady(250))
    before = _load(client, headers, DAY, DAY)[0]["stress"]

    lower = [*ftp, {"kind": "ftp_w", "value": 200, "valid_from": DAY}]
    assert _put_thresholds(client, headers, lower)["recompute"]["from_day"] == DAY
    drain(client)
    progress = _get(client, "/api/v1/fitness/recompute", headers)
    assert (progress["status"], progress["total"], progress["done"]) == ("done", 1, 1)
    after = _load(client, headers, DAY, DAY)[0]["stress"]
    assert after == pytest.approx(before * (250 / 200) ** 2, rel=1e-6)


def test_the_riders_own_stress_figure_counts_until_cleared(client: TestClient) -> None:
    _, headers = signed_in(client)
    ride_id = import_ride(client, headers, FIRST_RIDE_AT)
    path = f"/api/v1/fitness/rides/{ride_id}/stress"
    computed = client.get(path, headers=headers)  # before its event is handled: computed now
    assert computed.status_code == 200, computed.text
    assert computed.json()["stress_override"] is None and computed.json()["day"] == DAY
    assert computed.json()["stress_source"] == "none" and computed.json()["stress_reason"]
    answer = client.put(path, json={"stress": 80}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["stress_override"] == 80 and answer.json()["stress_source"] == "none"
    assert _load(client, headers, DAY, DAY)[0]["stress"] == 80
    assert _load(client, headers, DAY, DAY)[0]["missing"] == []
    drain(client)  # a re-delivery or recompute keeps the rider's figure
    assert _load(client, headers, DAY, DAY)[0]["stress"] == 80
    assert client.get(path, headers=headers).json()["stress_override"] == 80
    assert client.delete(path, headers=headers).status_code == 204
    assert _load(client, headers, DAY, DAY)[0]["stress"] == 0

    _, stranger = signed_in(client)
    for method in ("GET", "PUT", "DELETE"):
        refused = client.request(method, path, json={"stress": 1}, headers=stranger)
        assert refused.status_code == 404, refused.text
    missing = client.put(
        "/api/v1/fitness/rides/00000000-0000-4000-8000-000000000000/stress",
        json={"stress": 1},
        headers=headers,
    )
    assert missing.status_code == 404 and missing.json()["detail"] == refused.json()["detail"]


def test_a_deleted_ride_leaves_the_load(client: TestClient) -> None:
    _, headers = signed_in(client)
    ride_id = import_ride(client, headers, FIRST_RIDE_AT)
    client.put(f"/api/v1/fitness/rides/{ride_id}/stress", json={"stress": 50}, headers=headers)
    assert _load(client, headers, DAY, DAY)[0]["rides"] == 1
    assert client.delete(f"/api/v1/rides/{ride_id}", headers=headers).status_code == 204
    drain(client)
    assert _load(client, headers, DAY, DAY)[0] | {"fitness": 0, "fatigue": 0} == {
        "day": DAY,
        "stress": 0,
        "fitness": 0,
        "fatigue": 0,
        "form": 0,
        "ramp": 0,
        "rides": 0,
        "missing": [],
    }


def test_forecast_follows_a_plan_or_the_last_four_weeks(client: TestClient) -> None:
    _, headers = signed_in(client)
    plan = client.post(
        "/api/v1/fitness/forecast",
        json={"days": 3, "planned_stress": [100, 0, 50]},
        headers=headers,
    )
    assert plan.status_code == 200, plan.text
    days = plan.json()["days"]
    assert [d["stress"] for d in days] == [100, 0, 50]
    assert days[0]["fitness"] > 0 and days[1]["fitness"] < days[0]["fitness"]
    steady_state = client.post("/api/v1/fitness/forecast", json={"days": 2}, headers=headers)
    assert [d["stress"] for d in steady_state.json()["days"]] == [0, 0]
    wrong = client.post(
        "/api/v1/fitness/forecast", json={"days": 3, "planned_stress": [1]}, headers=headers
    )
    assert wrong.status_code == 422 and "expected 3 days of planned stress, got 1" in wrong.text


def test_ranges_are_checked_with_clear_messages(client: TestClient) -> None:
    _, headers = signed_in(client)
    backwards = client.get("/api/v1/fitness/load?from=2025-02-01&to=2025-01-01", headers=headers)
    assert backwards.status_code == 422
    assert "expected from on or before to" in backwards.text
    too_long = client.get(
        "/api/v1/fitness/power-curve?from=1990-01-01&to=2025-01-01", headers=headers
    )
    assert too_long.status_code == 422 and "at most 7320 days" in too_long.text
    assert (
        client.get("/api/v1/fitness/models?from=x&to=2025-01-01", headers=headers).status_code
        == 422
    )
    assert client.get("/api/v1/fitness/load?from=2025-01-01&to=2025-01-02").status_code == 401


def test_profile_changes_the_time_constants(client: TestClient) -> None:
    _, headers = signed_in(client)
    assert _get(client, "/api/v1/fitness/profile", headers)["fitness_days"] == 42
    changed = client.put(
        "/api/v1/fitness/profile", json={"fatigue_days": 10, "form_same_day": True}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() | {} == {
        "fitness_days": 42,
        "fatigue_days": 10,
        "form_same_day": True,
        "seed_fitness": 0.0,
        "seed_fatigue": 0.0,
    }
    refused = client.put("/api/v1/fitness/profile", json={"fatigue_days": 50}, headers=headers)
    assert refused.status_code == 422 and "fatigue_days shorter than fitness_days" in refused.text


def test_models_and_w_balance_of_interval_rides(client: TestClient) -> None:
    rider, headers = signed_in(client)
    ride_ids = [
        import_ride(
            client,
            headers,
            FIRST_RIDE_AT + timedelta(days=n),
            seconds=3000,
            power=intervals,
            seed=n,
        )
        for n in range(3)
    ]
    end = (FIRST_RIDE_AT.date() + timedelta(days=2)).isoformat()
    models = _get(client, f"/api/v1/fitness/models?from={DAY}&to={end}", headers)
    assert models["rides_with_power"] == 3
    fits = {fit["model"]: fit for fit in models["fits"]}
    assert set(fits) == {"2p", "3p"}
    assert all(fit["refused"] is None and 200 < fit["cp_w"] < 350 for fit in fits.values())
    assert fits["3p"]["p_max_w"] > fits["3p"]["cp_w"] and fits["2p"]["ftp_w"] is not None
    answer = _get(client, f"/api/v1/rides/{ride_ids[-1]}/w-balance", headers)
    assert answer["ride_id"] == ride_ids[-1]
    assert answer["reason"] is None and answer["model"] == "3p"
    assert answer["cp_w"] == fits["3p"]["cp_w"] and answer["hard_efforts"] >= 1
    assert answer["min_w_balance_j"] < answer["w_prime_j"]

    _, stranger = signed_in(client)
    hidden = client.get(f"/api/v1/rides/{ride_ids[-1]}/w-balance", headers=stranger)
    assert hidden.status_code == 404  # a private ride, as for a missing one
    assert client.get(f"/api/v1/rides/{ride_ids[-1]}/w-balance").status_code == 404
    client.patch(f"/api/v1/rides/{ride_ids[-1]}", json={"visibility": "public"}, headers=headers)
    public = _get(client, f"/api/v1/rides/{ride_ids[-1]}/w-balance", stranger)
    assert public["cp_w"] is None and public["w_prime_j"] is None
    assert public["reason"] is not None  # power is not shared unless the rider says so
    assert rider["email"] not in str(public)
