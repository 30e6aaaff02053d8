"""Health data from device files: a ride's hrv messages give its day's HRV; a FIT monitoring
file gives daily resting heart rate through the import endpoint, all of it or nothing."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fitdecode
from fastapi.testclient import TestClient

from bikenode.health import rmssd_ms
from bikenode.health import service as health_service
from bikenode.health.logic.device_files import MAX_FIT_BYTES
from tests.factories import signed_in, upload_files
from tests.fit_builder import (
    monitoring_file,
    sleep_file,
    untimed_activity_with_beats,
    weight_file,
)

METRICS = "/api/v1/health/metrics"


def _settle(client: TestClient) -> None:
    app: Any = client.app
    while app.state.worker.run_until_idle() + app.state.events.run_until_idle():
        pass  # the import's event reaches health's subscriber


def _metrics(client: TestClient, headers: dict[str, str], start: str, end: str) -> list[Any]:
    answer = client.get(f"{METRICS}?from={start}&to={end}", headers=headers)
    assert answer.status_code == 200, answer.text
    metrics: list[Any] = answer.json()["metrics"]
    return metrics


def _import(client: TestClient, headers: dict[str, str], data: bytes, name: str = "m.fit") -> Any:
    files = {"file": (name, data, "application/octet-stream")}
    return client.post(f"{METRICS}/import", files=files, headers=headers)


def _peer_rr_ms(data: bytes) -> list[float]:
    rr: list[float] = []
    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.global_mesg_num == 78:
                value = frame.get_value("time")
                rr += [v * 1000 for v in (value if isinstance(value, tuple) else (value,)) if v]
    return rr


def test_a_ride_with_hrv_messages_records_its_days_rmssd_once(
    client: TestClient, corpus: Path
) -> None:
    _, headers = signed_in(client)
    data = (corpus / "fit" / "fitparsers__hrv-activity.fit").read_bytes()
    [upload] = upload_files(client, headers, [("hrv.fit", data)])
    ride_id = upload["items"][0]["ride_id"]
    _settle(client)
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=headers).json()
    [metric] = _metrics(client, headers, "2022-02-01", "2022-02-28")
    expected = rmssd_ms(_peer_rr_ms(data)).rmssd_ms
    assert expected is not None
    assert metric["metric"] == "hrv_rmssd_ms" and metric["day"] == "2022-02-07"
    assert metric["value"] == round(expected, 1)
    assert metric["source"] == f"{ride['device']} ride"
    # A re-delivery of the event recomputes the same value into the same row.
    app: Any = client.app
    with app.state.session_factory() as session:
        again = health_service.record_ride_hrv(session, ride_id=uuid.UUID(ride["id"]))
        session.commit()
    assert again is not None and str(again.id) == metric["id"]
    assert _metrics(client, headers, "2022-02-01", "2022-02-28") == [metric]


def test_deleting_the_ride_takes_its_hrv_away(client: TestClient, corpus: Path) -> None:
    _, headers = signed_in(client)
    data = (corpus / "fit" / "gc__IpBike-HRV-Data.fit").read_bytes()
    [upload] = upload_files(client, headers, [("ipbike.fit", data)])
    ride_id = upload["items"][0]["ride_id"]
    _settle(client)
    [metric] = _metrics(client, headers, "2017-03-01", "2017-03-03")
    expected = rmssd_ms(_peer_rr_ms(data)).rmssd_ms
    assert expected is not None and metric["value"] == round(expected, 1)
    assert metric["day"] == "2017-03-02"
    assert client.delete(f"/api/v1/rides/{ride_id}", headers=headers).status_code == 204
    _settle(client)
    assert _metrics(client, headers, "2017-03-01", "2017-03-31") == []


def test_an_untimed_rides_hrv_counts_once_the_rider_dates_it(client: TestClient) -> None:
    _, headers = signed_in(client)
    data = untimed_activity_with_beats([800, 840] * 60)  # rMSSD exactly 40 ms
    [upload] = upload_files(client, headers, [("untimed.fit", data)])
    ride_id = upload["items"][0]["ride_id"]
    _settle(client)
    assert _metrics(client, headers, "2025-01-01", "2025-12-31") == []  # no day yet
    for day in ("2025-03-01", "2025-03-09"):  # dated, then dated again
        dated = {"started_at": f"{day}T08:00:00Z"}
        answer = client.patch(f"/api/v1/rides/{ride_id}", json=dated, headers=headers)
        assert answer.status_code == 200, answer.text
        _settle(client)
        [metric] = _metrics(client, headers, "2025-01-01", "2025-12-31")
        assert (metric["day"], metric["value"]) == (day, 40.0)


def test_a_ride_without_hrv_messages_records_nothing(client: TestClient, corpus: Path) -> None:
    _, headers = signed_in(client)
    data = (corpus / "fit" / "sweatpy__2020-06-01-16-52-40.fit").read_bytes()
    [upload] = upload_files(client, headers, [("plain.fit", data)])
    assert upload["items"][0]["ride_id"]
    _settle(client)
    assert _metrics(client, headers, "2020-01-01", "2020-12-31") == []


def test_a_monitoring_file_records_each_days_resting_heart_rate(client: TestClient) -> None:
    _, headers = signed_in(client)
    morning = datetime(2025, 3, 1, 7, tzinfo=UTC)
    readings = [(morning + timedelta(days=i), 52, 48 + i % 3) for i in range(20)]
    answer = _import(client, headers, monitoring_file(readings))
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"imported": 20, "source": "Garmin Fenix 5"}
    stored = _metrics(client, headers, "2025-03-01", "2025-03-31")
    assert [(m["day"], m["metric"], m["value"], m["source"]) for m in stored] == [
        (
            (morning + timedelta(days=i)).date().isoformat(),
            "resting_hr_bpm",
            48.0 + i % 3,
            "Garmin Fenix 5",
        )
        for i in range(20)
    ]
    # Importing the file again replaces each day's value: still 20 rows.
    assert _import(client, headers, monitoring_file(readings)).status_code == 201
    assert len(_metrics(client, headers, "2025-03-01", "2025-03-31")) == 20
    # The values join the rider's baselines like any other source's.
    baselines = client.get(
        "/api/v1/health/baselines?metric=resting_hr_bpm&from=2025-03-01&to=2025-03-31",
        headers=headers,
    ).json()["days"]
    assert baselines and {d["source"] for d in baselines} == {"Garmin Fenix 5"}


def test_the_corpus_monitoring_file_gives_a_days_steps(client: TestClient, corpus: Path) -> None:
    _, headers = signed_in(client)
    data = (corpus / "fit" / "fitparse__MonitoringFile.fit").read_bytes()
    answer = _import(client, headers, data)
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"imported": 1, "source": "Garmin Vivofit"}
    [steps] = _metrics(client, headers, "2014-12-01", "2014-12-31")
    assert (steps["day"], steps["metric"], steps["value"]) == ("2014-12-27", "steps", 3173.0)


def test_a_monitoring_file_with_nothing_to_record_is_refused(client: TestClient) -> None:
    _, headers = signed_in(client)
    answer = _import(client, headers, monitoring_file([]))
    assert answer.status_code == 422, answer.text
    assert "resting heart rate" in answer.json()["detail"]
    assert "1 x message 103" in answer.json()["detail"]


def test_wrong_device_files_are_refused_and_nothing_is_written(
    client: TestClient, corpus: Path
) -> None:
    _, headers = signed_in(client)
    activity = (corpus / "fit" / "fitparsers__hrv-activity.fit").read_bytes()
    answer = _import(client, headers, activity)
    assert answer.status_code == 422 and "/api/v1/uploads" in answer.json()["detail"]
    noon = datetime(2025, 3, 1, 12, tzinfo=UTC)
    good = monitoring_file([(noon + timedelta(days=i), 50, 47) for i in range(5)])
    damaged = _import(client, headers, good[:-8])  # its last reading and CRC cut off
    assert damaged.status_code == 422 and "damaged" in damaged.json()["detail"]
    garbage = _import(client, headers, b"\x0e\x20\x54\x08\x10\x00\x00\x00.FIT" + bytes(999))
    assert garbage.status_code == 422, garbage.text
    # One wrong day (far in the future, or a rate no heart rests at) refuses the whole file.
    future = monitoring_file([(noon, 50, 47), (datetime(2090, 1, 1, tzinfo=UTC), 50, 47)])
    answer = _import(client, headers, future)
    assert answer.status_code == 422 and "2090-01-01" in answer.json()["detail"]
    racing = monitoring_file([(noon, 50, 47), (noon + timedelta(days=1), 250, 250)])
    answer = _import(client, headers, racing)
    assert answer.status_code == 422 and "resting_hr_bpm" in answer.json()["detail"]
    assert _metrics(client, headers, "2025-01-01", "2025-12-31") == []


def test_a_fit_file_over_the_size_limit_is_refused(client: TestClient) -> None:
    _, headers = signed_in(client)
    over = monitoring_file([]) + bytes(MAX_FIT_BYTES)  # under the 1 MiB body cap
    answer = _import(client, headers, over)
    assert answer.status_code == 413, answer.text
    assert str(MAX_FIT_BYTES) in answer.json()["detail"]
    huge = monitoring_file([]) + bytes(4 * MAX_FIT_BYTES)  # over it: refused before reading
    assert _import(client, headers, huge).status_code == 413


def test_a_scales_file_records_each_days_weight_in_the_riders_days(client: TestClient) -> None:
    _, headers = signed_in(client)
    zone = client.patch("/api/v1/me", json={"timezone": "America/New_York"}, headers=headers)
    assert zone.status_code == 200, zone.text
    late = datetime(2025, 3, 2, 3, 0, tzinfo=UTC)  # 22:00 on the 1st in New York
    weighings = [(late, 7250), (late + timedelta(days=1), 7210), (late + timedelta(days=2), 0xFFFE)]
    answer = _import(client, headers, weight_file(weighings))
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"imported": 2, "source": "Garmin Fenix 5"}
    stored = _metrics(client, headers, "2025-03-01", "2025-03-31")
    assert [(m["day"], m["metric"], m["value"]) for m in stored] == [
        ("2025-03-01", "weight_kg", 72.5),
        ("2025-03-02", "weight_kg", 72.1),
    ]


def test_a_sleep_file_records_the_nights_hours_on_the_wake_up_day(client: TestClient) -> None:
    _, headers = signed_in(client)
    bed = datetime(2025, 3, 1, 22, 30, tzinfo=UTC)
    # 10 min awake, 4 h light, 1 h deep, 2 h rem, then awake at 07:40 on the 2nd
    levels = [(bed, 1), (bed + timedelta(minutes=10), 2)]
    levels += [(bed + timedelta(minutes=250), 3), (bed + timedelta(minutes=310), 4)]
    levels += [(bed + timedelta(minutes=430), 1)]
    answer = _import(client, headers, sleep_file(levels))
    assert answer.status_code == 201, answer.text
    [night] = _metrics(client, headers, "2025-03-01", "2025-03-31")
    assert (night["day"], night["metric"], night["value"]) == ("2025-03-02", "sleep_h", 7.0)


def test_weight_and_sleep_files_are_taken_whole_or_not_at_all(client: TestClient) -> None:
    _, headers = signed_in(client)
    noon = datetime(2025, 3, 1, 12, tzinfo=UTC)
    # One impossible weighing (450 kg) refuses the file: the good day is not kept either.
    heavy = _import(client, headers, weight_file([(noon, 7000), (noon + timedelta(days=1), 45000)]))
    assert heavy.status_code == 422 and "weight_kg" in heavy.json()["detail"]
    calculating = _import(client, headers, weight_file([(noon, 0xFFFE)]))
    assert calculating.status_code == 422 and "weight_scale" in calculating.json()["detail"]
    awake = _import(client, headers, sleep_file([(noon, 1), (noon + timedelta(hours=1), 1)]))
    assert awake.status_code == 422 and "sleep_level" in awake.json()["detail"]
    damaged = _import(client, headers, sleep_file([(noon, 2), (noon + timedelta(hours=7), 1)])[:-6])
    assert damaged.status_code == 422 and "damaged" in damaged.json()["detail"]
    assert _metrics(client, headers, "2025-01-01", "2025-12-31") == []
