"""Wear prediction over HTTP: a part's expected due day in its usage and in the due list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from tests.api.bikes.test_reminders import Rider, line_gpx
from tests.factories import upload_files


def test_usage_and_the_due_list_say_when_a_part_will_be_due(client: TestClient) -> None:
    rider = Rider(client)
    now = datetime.now(UTC).replace(microsecond=0)
    bike = rider.call(
        "POST", "/bikes", {"name": "Road", "type": "road", "default_for_sports": ["cycling"]}, 201
    )
    body = {
        "type": "chain",
        "installed_at": (now - timedelta(days=60)).isoformat(),
        "interval": {"distance_m": 100_000.0},
    }
    chain = rider.call("POST", f"/bikes/{bike['id']}/components", body, 201)["id"]
    files = [
        (f"r{n}.gpx", line_gpx(now - timedelta(days=days), 10, seed=n))
        for n, days in enumerate((50, 40, 30, 20, 10, 5))
    ]
    upload_files(client, rider.headers, files)
    rider.drain()

    found = rider.call("GET", f"/components/{chain}/usage")["prediction"]
    # 60 km in the last 8 weeks: about 1.07 km a day, 40 km left: about 37 days.
    assert 30 <= found["due_in_days"] <= 45, found
    assert found["earliest_in_days"] < found["due_in_days"] < found["latest_in_days"]
    assert found["summary"].startswith(f"due in about {found['due_in_days']} days")
    assert date.fromisoformat(found["due_on"]) == now.date() + timedelta(found["due_in_days"])
    assert found["seasonal"] is False
    [item] = rider.call("GET", "/maintenance/due")["items"]
    assert item["prediction"]["due_on"] == found["due_on"]


def test_a_part_not_ridden_lately_without_a_calendar_limit_has_no_prediction(
    client: TestClient,
) -> None:
    rider = Rider(client)
    chain = rider.chain(start_km=0)  # ridden on nothing lately
    assert rider.call("GET", f"/components/{chain}/usage")["prediction"] is None
