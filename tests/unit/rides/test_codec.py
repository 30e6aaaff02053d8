"""encode_streams / decode_streams: precision, size, damage, and round trips of anything."""

from __future__ import annotations

import gzip
import json
import math
import struct
import time

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bikenode.rides.formats import parse_activity
from bikenode.rides.formats.activity import STREAM_KEYS, FloatArray
from bikenode.rides.logic.cleaning import clean_activity
from bikenode.rides.logic.codec import CorruptStreamBlob, decode_streams, encode_streams
from tests.corpus import CORPUS, MISSING

# Largest error each stream may come back with, from the module's precision promises.
TOLERANCE = {
    "time_s": 0.0005,
    "lat_deg": 0.5e-7,
    "lon_deg": 0.5e-7,
    "elevation_m": 0.005,
    "distance_m": 0.005,
    "speed_mps": 0.0005,
    "hr_bpm": 0.05,
    "cadence_rpm": 0.05,
    "power_w": 0.05,
    "temperature_c": 0.05,
}


def typical_ride(seconds: int = 7200, seed: int = 1) -> dict[str, FloatArray]:
    """Two hours at 1 Hz shaped like a Garmin file: semicircle positions, 0.2 m altimeter."""
    rng = np.random.default_rng(seed)
    heading = np.cumsum(rng.normal(0, 0.05, seconds))
    speed = np.clip(8 + np.cumsum(rng.normal(0, 0.1, seconds)) * 0.1, 0, 20)
    semicircles = 2**31 / 180
    lat = np.round((45.0 + np.cumsum(speed * np.cos(heading)) / 111_195) * semicircles)
    lon = np.round((7.0 + np.cumsum(speed * np.sin(heading)) / 78_600) * semicircles)
    streams = {
        "time_s": 1_700_000_000.0 + np.arange(seconds),
        "lat_deg": lat / semicircles,
        "lon_deg": lon / semicircles,
        "elevation_m": np.round((400 + np.cumsum(rng.normal(0, 0.3, seconds))) * 5) / 5,
        "hr_bpm": np.round(140 + 10 * np.sin(np.arange(seconds) / 300) + rng.normal(0, 2, seconds)),
        "cadence_rpm": np.round(np.clip(rng.normal(88, 6, seconds), 0, None)),
        "power_w": np.round(np.clip(rng.normal(200, 60, seconds), 0, None)),
    }
    return {name: np.asarray(values, dtype=np.float64) for name, values in streams.items()}


def assert_round_trip(streams: dict[str, FloatArray]) -> dict[str, FloatArray]:
    decoded = decode_streams(encode_streams(streams))
    assert list(decoded) == list(streams)
    for name, original in streams.items():
        got = decoded[name]
        assert got.dtype == np.float64 and got.shape == original.shape, name
        np.testing.assert_array_equal(np.isnan(got), np.isnan(original), err_msg=name)
        differs = ~np.isnan(original) & (got != original)  # infinities must match exactly
        error = np.abs(got[differs] - original[differs])
        allowed = TOLERANCE.get(name, 0.0) * (1 + 1e-9) + np.abs(original[differs]) * 4e-16
        assert np.all(error <= allowed), name
    return decoded


def test_typical_ride_fits_in_six_bytes_per_point() -> None:
    streams = typical_ride()
    blob = encode_streams(streams)
    assert len(blob) / 7200 <= 6.0
    assert_round_trip(streams)


def test_whole_second_times_and_integer_sensors_come_back_exact() -> None:
    streams = typical_ride(600)
    decoded = decode_streams(encode_streams(streams))
    for name in ("time_s", "hr_bpm", "cadence_rpm", "power_w"):
        np.testing.assert_array_equal(decoded[name], streams[name])


def test_millisecond_times_and_decimal_gpx_values_come_back_exact() -> None:
    streams = {
        "time_s": np.array([1_700_000_000.0, 1_700_000_000.25, 1_700_000_001.125]),
        "lat_deg": np.array([47.1234567, 47.1234568, -33.0000001]),
        "elevation_m": np.array([123.4, 123.45, -2.0]),
    }
    decoded = decode_streams(encode_streams(streams))
    for name, values in streams.items():
        np.testing.assert_array_equal(decoded[name], values)


def test_fractional_power_is_kept_to_a_tenth() -> None:
    decoded = decode_streams(encode_streams({"power_w": np.array([123.45, 200.0, 99.91])}))
    np.testing.assert_allclose(decoded["power_w"], [123.45, 200.0, 99.91], atol=0.05)
    assert decoded["power_w"][2] == 99.9


def test_time_finer_than_a_millisecond_is_rounded_to_it() -> None:
    decoded = decode_streams(encode_streams({"time_s": np.array([1.0001, 2.0])}))
    np.testing.assert_array_equal(decoded["time_s"], [1.0, 2.0])


def test_streams_of_other_names_come_back_bit_exact() -> None:
    values = np.array([math.pi, -1e-300, 1e300, np.inf, -np.inf, np.nan, 0.1 + 0.2])
    decoded = decode_streams(encode_streams({"left_right_balance": values, "hr_bpm": values}))
    np.testing.assert_array_equal(
        decoded["left_right_balance"].view(np.uint64), values.view(np.uint64)
    )
    np.testing.assert_array_equal(decoded["hr_bpm"][:5], values[:5])


def test_nan_runs_empty_streams_and_single_points_survive() -> None:
    nan = np.nan
    assert_round_trip(
        {
            "hr_bpm": np.array([nan, nan, 120, 121, nan, 122, nan]),
            "power_w": np.array([nan] * 5),
            "cadence_rpm": np.array([]),
            "lat_deg": np.array([51.5]),
            "lon_deg": np.array([-0.1]),
        }
    )
    assert decode_streams(encode_streams({})) == {}


def test_encoding_is_deterministic() -> None:
    streams = typical_ride(300)
    assert encode_streams(streams) == encode_streams(streams)


def test_two_dimensional_arrays_are_refused() -> None:
    with pytest.raises(ValueError, match="expected a 1-D array for stream 'hr_bpm'"):
        encode_streams({"hr_bpm": np.zeros((2, 2))})


# --- damage ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_blob() -> bytes:
    streams = typical_ride(40)
    streams["hr_bpm"][5:9] = np.nan
    return encode_streams(streams)


def test_every_truncation_is_detected(small_blob: bytes) -> None:
    for length in range(len(small_blob)):
        with pytest.raises(CorruptStreamBlob):
            decode_streams(small_blob[:length])


def test_every_single_bit_flip_is_detected(small_blob: bytes) -> None:
    for position in range(len(small_blob)):
        for bit in (0, 7):
            damaged = bytearray(small_blob)
            damaged[position] ^= 1 << bit
            with pytest.raises(CorruptStreamBlob):
                decode_streams(bytes(damaged))


def test_trailing_garbage_is_detected(small_blob: bytes) -> None:
    with pytest.raises(CorruptStreamBlob):
        decode_streams(small_blob + b"\x00")


def test_unknown_version_is_refused_with_what_was_found(small_blob: bytes) -> None:
    future = small_blob[:4] + bytes([2]) + small_blob[5:]
    with pytest.raises(
        CorruptStreamBlob, match="expected format 1 with compressor 1, got format 2"
    ):
        decode_streams(future)


def test_foreign_bytes_are_refused() -> None:
    with pytest.raises(CorruptStreamBlob, match="expected a blob starting b'BNST'"):
        decode_streams(b"PK\x03\x04" + bytes(40))
    with pytest.raises(CorruptStreamBlob, match="expected at least 14 bytes, got 3"):
        decode_streams(b"BNS")


def test_huge_declared_length_is_refused_without_allocating_it(small_blob: bytes) -> None:
    forged = small_blob[:6] + struct.pack("<I", 0xFFFFFFFF) + small_blob[10:]
    with pytest.raises(CorruptStreamBlob):
        decode_streams(forged)


# --- properties -----------------------------------------------------------------------------

_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.floats(-1e6, 1e6),
    st.integers(-(2**40), 2**40).map(float),
    st.sampled_from([np.nan, 0.0, -0.0, 2.0**53, -(2.0**53), 1e15, 5e-324]),
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.one_of(st.sampled_from(STREAM_KEYS), st.text(min_size=0, max_size=12)),
        hnp.arrays(np.float64, st.integers(0, 80), elements=_values),
        max_size=6,
    )
)
def test_any_streams_round_trip_within_their_precision(streams: dict[str, FloatArray]) -> None:
    assert_round_trip(streams)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.int64, st.integers(1, 200), elements=st.integers(0, 2500)),
    st.lists(st.tuples(st.integers(0, 199), st.integers(1, 50)), max_size=5),
)
def test_integer_sensors_with_nan_gaps_round_trip_exactly(
    watts: npt.NDArray[np.int64], gaps: list[tuple[int, int]]
) -> None:
    power = watts.astype(np.float64)
    for start, length in gaps:
        power[start : start + length] = np.nan
    decoded = decode_streams(encode_streams({"power_w": power}))["power_w"]
    np.testing.assert_array_equal(decoded, power)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.one_of(st.sampled_from(STREAM_KEYS), st.text(min_size=0, max_size=12)),
        hnp.arrays(np.float64, st.integers(0, 80), elements=_values),
        max_size=6,
    ),
    st.data(),
)
def test_decoding_some_streams_gives_exactly_what_decoding_all_gives(
    streams: dict[str, FloatArray], data: st.DataObject
) -> None:
    blob = encode_streams(streams)
    wanted = data.draw(st.sets(st.sampled_from([*streams, "absent"])))
    everything = decode_streams(blob)
    some = decode_streams(blob, wanted)
    assert set(some) == wanted & set(streams)
    for name, values in some.items():
        np.testing.assert_array_equal(values, everything[name])


def test_decoded_streams_are_writable_and_never_share_the_blobs_memory() -> None:
    streams = {"power_w": np.array([200.0, np.nan, 250.5]), "odd": np.array([1e-9, np.pi])}
    decoded = decode_streams(encode_streams(streams), {"power_w", "odd"})
    for values in decoded.values():
        values[0] = 7.0  # a view of the read-only payload would refuse this
    assert decoded["odd"][1] == np.pi


def test_a_damaged_blob_is_refused_even_when_only_other_streams_are_asked_for() -> None:
    blob = bytearray(encode_streams(typical_ride(600)))
    blob[len(blob) // 2] ^= 0x10
    with pytest.raises(CorruptStreamBlob):
        decode_streams(bytes(blob), {"time_s"})


# --- the real corpus ------------------------------------------------------------------------

TYPICAL = ("time_s", "lat_deg", "lon_deg", "elevation_m", "hr_bpm", "cadence_rpm", "power_w")


def corpus_streams() -> list[tuple[str, dict[str, FloatArray]]]:
    """Cleaned streams of every activity file the manifest expects to import.

    Files our readers cannot parse yet are left out (parsing has its own tests).
    """
    if not (CORPUS / "manifest.json").is_file():
        pytest.skip(MISSING)
    found = []
    for entry in json.loads((CORPUS / "manifest.json").read_text()):
        name = entry["file"]
        if (
            entry["expect"] != "ok"
            or not name.startswith(("fit/", "gpx/", "tcx/"))
            or ".zip" in name
        ):
            continue
        data = (CORPUS / name).read_bytes()
        try:
            raw = gzip.decompress(data) if name.endswith(".gz") else data
            cleaned, _ = clean_activity(
                parse_activity(raw, name.removesuffix(".gz")), now_s=time.time()
            )
        except Exception:  # a reader's gap is its own tests' business
            continue
        found.append((name, cleaned.streams))
    assert len(found) >= 100, f"expected most of the corpus to parse, got {len(found)} files"
    return found


@pytest.mark.corpus
@pytest.mark.slow
def test_corpus_rides_round_trip_and_typical_ones_take_under_six_bytes_per_point() -> None:
    typical_bytes = typical_points = 0
    for name, streams in corpus_streams():
        assert_round_trip(streams)
        if all(key in streams and not np.isnan(streams[key]).all() for key in TYPICAL):
            blob = encode_streams({key: streams[key] for key in TYPICAL})
            typical_bytes += len(blob)
            typical_points += streams["time_s"].size
            if streams["time_s"].size >= 1000:  # shorter ones are mostly header
                assert len(blob) / streams["time_s"].size <= 8.0, name
    assert typical_points > 100_000
    assert typical_bytes / typical_points <= 6.0
