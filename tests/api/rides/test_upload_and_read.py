from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import gpxpy
from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files

FIT_RIDE = "fit/fitparse__2019-02-17-062644-ELEMNT-297E-195-0.fit"
GPX_RIDE = "gpx/gpsbabel__wahoo-element-bolt.gpx"


def _corpus_file(corpus: Path, name: str) -> bytes:
    return (corpus / name).read_bytes()


def test_upload_fit_then_read_ride_streams_and_list(client: TestClient, corpus: Path) -> None:
    _, headers = signed_in(client)
    [upload] = upload_files(client, headers, [("ride.fit", _corpus_file(corpus, FIT_RIDE))])
    assert upload["status"] == "done", upload
    [item] = upload["items"]
    assert item["status"] == "imported", item
    ride = client.get(f"/api/v1/rides/{item['ride_id']}", headers=headers).json()
    assert ride["source_format"] == "fit"
    assert ride["visibility"] == "private"
    assert ride["point_count"] > 1000
    assert ride["distance_m"] > 1000
    streams = client.get(
        f"/api/v1/rides/{item['ride_id']}/streams?keys=time_s,hr_bpm&resolution=100",
        headers=headers,
    ).json()
    assert set(streams["streams"]) <= {"time_s", "hr_bpm"}
    assert streams["returned_points"] <= 100
    listed = client.get("/api/v1/rides", headers=headers).json()
    assert [r["id"] for r in listed["items"]] == [item["ride_id"]]


def test_same_file_twice_is_a_duplicate(client: TestClient, corpus: Path) -> None:
    _, headers = signed_in(client)
    data = _corpus_file(corpus, FIT_RIDE)
    [first] = upload_files(client, headers, [("a.fit", data)])
    [second] = upload_files(client, headers, [("b.fit.gz", gzip.compress(data))])
    assert second["items"][0]["status"] == "duplicate"
    assert second["items"][0]["duplicate_of"] == first["items"][0]["ride_id"]


def test_zip_with_good_and_bad_files_imports_the_good_ones(
    client: TestClient, corpus: Path
) -> None:
    _, headers = signed_in(client)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("rides/one.fit", _corpus_file(corpus, FIT_RIDE))
        archive.writestr("rides/two.gpx.gz", gzip.compress(_corpus_file(corpus, GPX_RIDE)))
        archive.writestr("rides/broken.fit", b"\x0e\x10garbage")
        archive.writestr("../evil.gpx", b"<gpx/>")
    [upload] = upload_files(client, headers, [("export.zip", buffer.getvalue())])
    statuses = {item["entry"]: item["status"] for item in upload["items"]}
    assert statuses["rides/one.fit"] == "imported"
    assert statuses["rides/two.gpx.gz"] == "imported"
    assert statuses["rides/broken.fit"] == "failed"
    reasons = {item["entry"]: item["reason"] for item in upload["items"]}
    assert reasons["rides/broken.fit"]
    assert any("evil" in entry and status == "failed" for entry, status in statuses.items())


def test_other_users_cannot_see_a_private_ride(client: TestClient, corpus: Path) -> None:
    _, owner = signed_in(client)
    [upload] = upload_files(client, owner, [("ride.gpx", _corpus_file(corpus, GPX_RIDE))])
    ride_id = upload["items"][0]["ride_id"]
    _, stranger = signed_in(client)
    for path in ("", "/streams", "/export?format=gpx"):
        assert client.get(f"/api/v1/rides/{ride_id}{path}", headers=stranger).status_code == 404
        assert client.get(f"/api/v1/rides/{ride_id}{path}").status_code == 404
    assert (
        client.patch(f"/api/v1/rides/{ride_id}", json={"name": "x"}, headers=stranger).status_code
        == 404
    )
    assert client.delete(f"/api/v1/rides/{ride_id}", headers=stranger).status_code == 404
    upload_url = f"/api/v1/uploads/{upload['id']}"
    assert client.get(upload_url, headers=stranger).status_code == 404
    # "followers" is kept, and widens to approved followers only: a stranger is still refused.
    client.patch(f"/api/v1/rides/{ride_id}", json={"visibility": "followers"}, headers=owner)
    assert client.get(f"/api/v1/rides/{ride_id}", headers=owner).json()["visibility"] == (
        "followers"
    )
    assert client.get(f"/api/v1/rides/{ride_id}", headers=stranger).status_code == 404
    # Made public, it is readable by anyone, but still only editable by its owner.
    client.patch(f"/api/v1/rides/{ride_id}", json={"visibility": "public"}, headers=owner)
    assert client.get(f"/api/v1/rides/{ride_id}").status_code == 200
    assert (
        client.patch(f"/api/v1/rides/{ride_id}", json={"name": "x"}, headers=stranger).status_code
        == 404
    )


def test_export_gpx_is_read_back_by_gpxpy(client: TestClient, corpus: Path) -> None:
    _, headers = signed_in(client)
    [upload] = upload_files(client, headers, [("ride.fit", _corpus_file(corpus, FIT_RIDE))])
    ride_id = upload["items"][0]["ride_id"]
    ride = client.get(f"/api/v1/rides/{ride_id}", headers=headers).json()
    response = client.get(f"/api/v1/rides/{ride_id}/export?format=gpx", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/gpx+xml")
    gpx = gpxpy.parse(response.text)
    points = [p for t in gpx.tracks for s in t.segments for p in s.points]
    assert 0 < len(points) <= ride["point_count"]


def test_patch_and_delete_ride(client: TestClient, corpus: Path) -> None:
    _, headers = signed_in(client)
    [upload] = upload_files(client, headers, [("ride.gpx", _corpus_file(corpus, GPX_RIDE))])
    ride_id = upload["items"][0]["ride_id"]
    changed = client.patch(
        f"/api/v1/rides/{ride_id}",
        json={"name": "Col du Galibier", "visibility": "public"},
        headers=headers,
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "Col du Galibier"
    bad = client.patch(f"/api/v1/rides/{ride_id}", json={"owner_id": "x"}, headers=headers)
    assert bad.status_code == 422
    assert client.delete(f"/api/v1/rides/{ride_id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/rides/{ride_id}", headers=headers).status_code == 404


def test_an_empty_file_among_several_gets_its_own_answer(client: TestClient, corpus: Path) -> None:
    _, headers = signed_in(client)
    response = client.post(
        "/api/v1/uploads",
        files=[
            ("files", ("ride.gpx", _corpus_file(corpus, GPX_RIDE), "application/gpx+xml")),
            ("files", ("empty.fit", b"", "application/octet-stream")),
        ],
        headers=headers,
    )
    assert response.status_code == 202, response.text
    ride, empty = response.json()["uploads"]
    assert (ride["filename"], ride["status"]) == ("ride.gpx", "queued")
    assert (empty["filename"], empty["status"]) == ("empty.fit", "failed")
    assert "empty file" in empty["error"]
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    done = client.get(f"/api/v1/uploads/{ride['id']}", headers=headers).json()
    assert done["items"][0]["status"] == "imported"
    failed = client.get(f"/api/v1/uploads/{empty['id']}", headers=headers).json()
    assert failed["status"] == "failed" and failed["finished_at"] is not None


def test_a_zip_with_no_activity_file_fails_saying_what_it_held(
    client: TestClient, corpus: Path
) -> None:
    _, headers = signed_in(client)
    data = _corpus_file(corpus, "bad/fittrackee__gpx_test_no_gpx.zip")
    [upload] = upload_files(client, headers, [("no_gpx.zip", data)])
    assert upload["status"] == "failed" and upload["items"] == []
    assert "expected an activity file" in upload["error"]
    assert "its one file is not an activity: folder/fichier.doc" in upload["error"]
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    [nothing] = upload_files(client, headers, [("empty.zip", empty.getvalue())])
    assert nothing["status"] == "failed"
    assert "no files in it" in nothing["error"]
