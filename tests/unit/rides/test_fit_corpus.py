"""The FIT reader on every FIT file of the shared corpus, checked against fitdecode.

What is compared: a point is one record message. fitdecode's count of record messages must
equal our point count, and its count of records whose timestamp is set (by the field or by
a compressed-timestamp header) must equal our count of finite ``time_s`` values. Where the
last record with a distance has one, our last distance must be within 0.5% of it.
"""

from __future__ import annotations

import gzip
import io
import json
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from bikenode.rides.formats import NotAnActivity, ParseError
from bikenode.rides.formats.fit import parse_fit
from tests.corpus import CORPUS, MISSING

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=MISSING),
]


def _fit_entries() -> list[dict[str, str]]:
    if not CORPUS.is_dir():
        return []
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    return [
        e
        for e in manifest
        if e["file"].startswith(("fit/", "bad/"))
        and e["file"].lower().endswith((".fit", ".fit.gz"))
    ]


ENTRIES = _fit_entries()


def _names(expect: str) -> list[str]:
    return [e["file"] for e in ENTRIES if e["expect"] == expect]


def _read(name: str) -> bytes:
    data = (CORPUS / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


@dataclass(frozen=True)
class Reference:
    """What fitdecode reads from a file: record counts, last distance, and how it ended."""

    records: int
    timed: int
    last_distance_m: float | None
    error: str | None


def fitdecode_reference(data: bytes) -> Reference:
    import fitdecode

    records = timed = 0
    last_distance = None
    error = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fitdecode warns about CRCs and unknown fields
        try:
            # processor=None skips its unit conversions: 25% faster, the same counts.
            reader = fitdecode.FitReader(
                io.BytesIO(data), processor=None, check_crc=fitdecode.CrcCheck.DISABLED
            )
            with reader:
                for frame in reader:
                    if not isinstance(frame, fitdecode.FitDataMessage) or frame.name != "record":
                        continue
                    records += 1
                    timed += frame.get_value("timestamp", fallback=None) is not None
                    distance = frame.get_value("distance", fallback=None)
                    last_distance = distance if distance is not None else last_distance
        except Exception as exc:  # any failure of the peer is data for the test
            error = f"{type(exc).__name__}: {exc}"
    return Reference(records, timed, last_distance, error)


def _assert_matches(data: bytes, reference: Reference) -> None:
    parsed = parse_fit(data)
    time_s = parsed.streams["time_s"]
    assert parsed.point_count == reference.records
    assert int(np.isfinite(time_s).sum()) == reference.timed
    if reference.last_distance_m is not None:
        distance = parsed.streams["distance_m"]
        ours = distance[np.isfinite(distance)][-1]
        assert ours == pytest.approx(reference.last_distance_m, rel=0.005, abs=0.01)


@pytest.mark.slow
@pytest.mark.parametrize("name", _names("ok"))
def test_ok_files_have_the_records_fitdecode_reads(name: str) -> None:
    data = _read(name)
    reference = fitdecode_reference(data)
    assert reference.error is None, f"fitdecode fails on an ok file: {reference.error}"
    _assert_matches(data, reference)


@pytest.mark.slow
@pytest.mark.parametrize("name", _names("tolerant"))
def test_tolerant_files_parse_at_least_what_fitdecode_reads(name: str) -> None:
    data = _read(name)
    reference = fitdecode_reference(data)
    if reference.error is None:
        _assert_matches(data, reference)
        return
    try:
        parsed = parse_fit(data)
    except ParseError as exc:
        assert str(exc)
        return
    # fitdecode stops at the damage; we must say what was damaged and keep what it kept.
    assert parsed.warnings
    assert parsed.point_count >= reference.records


def test_the_strava_app_file_is_salvaged_past_the_byte_that_stops_every_peer() -> None:
    parsed = parse_fit(_read("fit/fitparse__strava-android-app-201.10-b1218918.fit"))
    assert any("byte 7471" in w for w in parsed.warnings)
    assert parsed.point_count > 10 * 473  # every peer stops after 473 records
    time_s = parsed.streams["time_s"]
    assert np.isfinite(time_s).all() and (np.diff(time_s) >= 0).all()


@pytest.mark.parametrize("name", _names("non-activity"))
def test_non_activity_files_raise_not_an_activity(name: str) -> None:
    with pytest.raises(NotAnActivity, match="expected"):
        parse_fit(_read(name))


# Reject files that still hold a readable activity, and the damage we must report for them.
SALVAGEABLE = {
    "bad/fitparse__activity-filecrc.fit": "CRC",
    "bad/fitparse__activity-activity-filecrc.fit": "CRC",
    "bad/fitparse__activity-settings-corruptheader.fit": "not another FIT file",
    "bad/fitparse__activity-settings-nodata.fit": "cut short",
    "bad/fitparse__activity-unexpected-eof.fit": "cut short",
    "bad/sportslib__fixtures-empty-activities.fit": "data size of 0",
}


@pytest.mark.parametrize("name", _names("reject"))
def test_reject_files_are_refused_with_a_reason_or_salvaged_with_a_warning(name: str) -> None:
    data = _read(name)
    if name not in SALVAGEABLE:
        with pytest.raises(ParseError, match="expected"):
            parse_fit(data)
        return
    parsed = parse_fit(data)
    assert parsed.point_count > 0
    assert any(SALVAGEABLE[name] in w for w in parsed.warnings), parsed.warnings


def test_every_fit_file_of_the_corpus_is_covered() -> None:
    covered = {n for expect in ("ok", "tolerant", "non-activity", "reject") for n in _names(expect)}
    assert covered == {e["file"] for e in ENTRIES}
    assert len(ENTRIES) > 100
