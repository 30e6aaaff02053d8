"""An uploaded file of tracks recorded days apart gives a ride per day of riding."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files

pytestmark = pytest.mark.corpus

LOGGER = "gpx/gpsbabel__mtk_logger_m241_multiple_tracks.gpx"


def test_a_logger_file_of_years_imports_as_a_ride_per_outing(
    client: TestClient, corpus: Path
) -> None:
    _, headers = signed_in(client)
    data = (corpus / LOGGER).read_bytes()
    [upload] = upload_files(client, headers, [("logger.gpx", data)])
    assert upload["status"] == "done"
    items = upload["items"]
    assert [i["entry"] for i in items] == [f"logger.gpx (ride {n} of 5)" for n in range(1, 6)]
    assert {i["status"] for i in items} == {"imported"}
    assert all("recorded hours or days apart" in i["warnings"][0] for i in items)
    rides = [client.get(f"/api/v1/rides/{i['ride_id']}", headers=headers).json() for i in items]
    assert sum(r["distance_m"] for r in rides) == pytest.approx(167_000, rel=0.01)
    assert all(r["elapsed_time_s"] < 12 * 3600 for r in rides)
    assert sorted(r["started_at"][:4] for r in rides) == ["2012", "2012", "2014", "2014", "2015"]

    [again] = upload_files(client, headers, [("logger.gpx", data)])
    assert [i["status"] for i in again["items"]] == ["duplicate"] * 5
    listed = client.get("/api/v1/rides?limit=50", headers=headers).json()["items"]
    assert len(listed) == 5
