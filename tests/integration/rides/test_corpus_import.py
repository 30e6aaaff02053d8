"""Every corpus file goes through the real import pipeline with the outcome its manifest says."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path

import gpxpy
import pytest
from sqlalchemy.orm import Session

from bikenode.rides.formats.containers import EntryStatus, iter_activity_files
from bikenode.rides.imports import EntryResult, RiderContext, import_activity
from bikenode.rides.models import Ride

pytestmark = pytest.mark.corpus


def _import_file(session: Session, rider: RiderContext, path: Path) -> list[EntryResult]:
    results = []
    for entry in iter_activity_files(path, path.name):
        if entry.status == EntryStatus.SKIPPED:
            continue
        if entry.data is None:
            results.append(EntryResult("failed", entry.reason))
            continue
        results.append(import_activity(session, rider=rider, filename=entry.name, data=entry.data))
        session.commit()
    return results


def _gpx_without_points(path: Path) -> bool:
    """True for a GPX file with no track or route points (by gpxpy, not by our reader)."""
    if path.suffix != ".gpx":
        return False
    gpx = gpxpy.parse(path.read_text(encoding="utf-8-sig"))
    points = sum(len(seg.points) for trk in gpx.tracks for seg in trk.segments)
    return points + sum(len(route.points) for route in gpx.routes) == 0


def test_every_corpus_file_imports_as_its_manifest_expects(session: Session, corpus: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    rider = RiderContext(owner_id=uuid.uuid4(), ftp_w=250, max_hr_bpm=185)
    wrong: list[str] = []
    for entry in manifest:
        results = _import_file(session, rider, corpus / entry["file"])
        statuses = {r.status for r in results}
        expect = entry["expect"]
        if expect == "ok" and _gpx_without_points(corpus / entry["file"]):
            # Waypoints alone (a list of places) or an empty track are no ride; like Strava,
            # Garmin Connect and FitTrackee, we refuse them, and must say why.
            expect = "non-activity"
        if expect == "ok" and not statuses & {"imported", "duplicate"}:
            wrong.append(
                f"{entry['file']}: expected an import, got {[(r.status, r.reason) for r in results]}"
            )
        if expect == "ok" and "failed" in statuses and not entry["file"].endswith(".zip"):
            wrong.append(f"{entry['file']}: a part failed: {[r.reason for r in results]}")
        if expect == "non-activity" and "imported" in statuses:
            wrong.append(f"{entry['file']}: expected a refusal ({expect}), got an import")
        # A damaged file is refused with a reason, or salvaged with a warning saying what
        # was wrong (the import rules: bad CRC and truncation keep what decodes).
        salvaged_silently = [r for r in results if r.status == "imported" and not r.warnings]
        if expect == "reject" and salvaged_silently:
            wrong.append(f"{entry['file']}: a damaged file imported without any warning")
        for result in results:
            if result.status == "failed" and not (result.reason and len(result.reason) > 10):
                wrong.append(
                    f"{entry['file']}: a failure without a clear reason: {result.reason!r}"
                )
    assert not wrong, "\n".join(wrong)


def test_non_activity_files_say_so(session: Session, corpus: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    rider = RiderContext(owner_id=uuid.uuid4())
    for entry in (e for e in manifest if e["expect"] == "non-activity"):
        results = _import_file(session, rider, corpus / entry["file"])
        assert results and all(r.status == "failed" for r in results), entry["file"]
        assert any("not an activity" in (r.reason or "") for r in results), (entry["file"], results)


def test_gzip_variants_import_like_the_plain_file(
    session: Session, corpus: Path, tmp_path: Path
) -> None:
    rider = RiderContext(owner_id=uuid.uuid4())
    for name in ("gpx/gpsbabel__wahoo-element-bolt.gpx", "tcx/gc__2009_01_09_11_13_14.tcx"):
        source = corpus / name
        packed = tmp_path / (source.name + ".gz")
        packed.write_bytes(gzip.compress(source.read_bytes()))
        [result] = _import_file(session, rider, packed)
        assert result.status == "imported", (name, result.reason)


def test_an_impossible_session_is_set_aside_and_the_ride_says_why(
    session: Session, corpus: Path
) -> None:
    rider = RiderContext(owner_id=uuid.uuid4())
    data = gzip.decompress((corpus / "fit/gc__14582164182.fit.gz").read_bytes())
    result = import_activity(session, rider=rider, filename="14582164182.fit", data=data)
    ride = session.get(Ride, result.ride_id)
    assert ride is not None
    assert (ride.elapsed_time_s, ride.summary["elapsed_source"]) == (2759.0, "records")
    assert ride.summary["distance_source"] == "device_total"
    assert any("shorter than its own timer time of 2760 s" in n for n in ride.import_notes)
    assert "notes" not in ride.summary
