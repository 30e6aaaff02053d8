"""Opening untrusted uploads: plain, .gz and .zip, nested, damaged, hostile."""

from __future__ import annotations

import gzip
import io
import json
import random
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bikenode.rides.formats import detect_format
from bikenode.rides.formats.containers import (
    ContainerEntry,
    ContainerError,
    ContainerLimits,
    EntryStatus,
    iter_activity_files,
    unsafe_name_reason,
)

MIB = 1024 * 1024
OK, DAMAGED, FAILED, SKIPPED = (
    EntryStatus.OK,
    EntryStatus.DAMAGED,
    EntryStatus.FAILED,
    EntryStatus.SKIPPED,
)
GPX = b"<?xml version='1.0'?><gpx version='1.1'><trk><trkseg></trkseg></trk></gpx>"
FIT = b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT" + bytes(range(64))


def text_payload(size: int, seed: int = 1) -> bytes:
    """GPX-like text that compresses about as well as a real track (5-10x)."""
    rng = random.Random(seed)
    points = (
        f'<trkpt lat="{rng.uniform(40, 50):.6f}" lon="{rng.uniform(0, 10):.6f}">'
        f"<ele>{rng.uniform(0, 900):.1f}</ele></trkpt>\n"
        for _ in range(size // 60 + 1)
    )
    return "".join(points).encode()[:size]


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


def entries(
    source: bytes | Path, name: str = "", limits: ContainerLimits | None = None
) -> list[ContainerEntry]:
    return list(iter_activity_files(source, name, limits=limits or ContainerLimits()))


def by_path(found: list[ContainerEntry]) -> dict[str, ContainerEntry]:
    return {entry.path: entry for entry in found}


# --- bombs built without compressing a gigabyte: deflate blocks of zeros repeat exactly ---


def zeros_deflate(mib: int) -> Iterator[bytes]:
    """A raw deflate stream of `mib` MiB of zeros (about 1 KiB per MiB), built in ms."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(MIB)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    for _ in range(mib - 1):
        yield block  # after a full flush every MiB of zeros compresses to the same bytes
    yield compressor.compress(zeros) + compressor.flush()


def zeros_crc(mib: int) -> int:
    crc, zeros = 0, bytes(MIB)
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    return crc


def write_bomb_zip(path: Path, names: list[str], mib: int) -> None:
    """A zip whose members each inflate to `mib` MiB of zeros (valid CRC and sizes)."""
    data = b"".join(zeros_deflate(mib))
    crc, size = zeros_crc(mib), mib * MIB
    local, central = io.BytesIO(), io.BytesIO()
    for name in names:
        raw = name.encode()
        offset = local.tell()
        local.write(
            struct.pack("<4s5H3L", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size)
            + struct.pack("<2H", len(raw), 0)
            + raw
            + data
        )
        central.write(
            struct.pack("<4s6H3L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size)
            + struct.pack("<5H2L", len(raw), 0, 0, 0, 0, 0, offset)
            + raw
        )
    directory = central.getvalue()
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(names), len(names), len(directory), local.tell(), 0
    )
    path.write_bytes(local.getvalue() + directory + end)


@pytest.fixture(scope="module")
def gib_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One member that inflates to 1 GiB of zeros from about 1 MiB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    write_bomb_zip(path, ["bomb.fit"], 1024)
    return path


def peak_mib(source: Path, limits: ContainerLimits) -> tuple[list[ContainerEntry], float]:
    tracemalloc.start()
    try:
        found = entries(source, limits=limits)
        return found, tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


# --- plain files and gzip ---


def test_plain_file_is_one_entry_with_its_bytes() -> None:
    assert entries(GPX, "ride.gpx") == [ContainerEntry("ride.gpx", OK, GPX)]


def test_path_source_is_read_and_named_from_the_path(tmp_path: Path) -> None:
    path = tmp_path / "ride.fit"
    path.write_bytes(FIT)
    assert entries(path) == [ContainerEntry("ride.fit", OK, FIT)]


def test_file_object_source_is_read_from_its_start() -> None:
    upload = io.BytesIO(make_zip({"a.gpx": GPX}))
    upload.seek(10)
    found = list(iter_activity_files(upload, "upload.zip"))
    assert [(e.path, e.data) for e in found] == [("a.gpx", GPX)]


def test_gzip_is_detected_by_magic_bytes_not_by_name() -> None:
    (entry,) = entries(gzip.compress(FIT), "ride.fit")
    assert (entry.status, entry.data, entry.name) == (OK, FIT, "ride.fit")


def test_gz_name_strips_to_the_inner_file_name() -> None:
    (entry,) = entries(gzip.compress(GPX), "Ride.GPX.GZ")
    assert (entry.path, entry.name, entry.data) == ("Ride.GPX.GZ", "Ride.GPX", GPX)


def test_gz_name_without_gzip_data_fails_clearly() -> None:
    (entry,) = entries(GPX, "ride.gpx.gz")
    assert entry.status is FAILED and entry.data is None
    assert "expected gzip data" in entry.reason


def test_concatenated_gzip_members_are_one_file() -> None:
    (entry,) = entries(gzip.compress(GPX[:20]) + gzip.compress(GPX[20:]), "ride.gpx.gz")
    assert entry.data == GPX


def test_truncated_gzip_keeps_what_was_read_and_says_what_was_lost() -> None:
    original = text_payload(2 * MIB)
    packed = gzip.compress(original)
    (entry,) = entries(packed[: len(packed) // 2], "ride.gpx.gz")
    assert entry.status is DAMAGED and entry.data is not None
    assert 0 < len(entry.data) < len(original)
    assert original.startswith(entry.data)
    assert "end marker" in entry.reason and f"first {len(entry.data)} bytes" in entry.reason


def test_gzip_with_a_wrong_crc_fails() -> None:
    packed = bytearray(gzip.compress(GPX))
    packed[-8] ^= 0xFF  # the CRC-32 of the trailer
    (entry,) = entries(bytes(packed), "ride.gpx.gz")
    assert entry.status is FAILED and "corrupt" in entry.reason


# --- zip archives ---


def test_zip_yields_activity_members_skips_others_and_drops_junk() -> None:
    archive = make_zip(
        {
            "a.fit": FIT,
            "rides/b.GPX": GPX,
            "rides/c.tcx.gz": gzip.compress(GPX),
            "notes.csv": b"a,b\n",
            "rides/": b"",
            "__MACOSX/._a.fit": b"junk",
            ".DS_Store": b"junk",
            "rides/.hidden.fit": FIT,
        }
    )
    found = by_path(entries(archive, "upload.zip"))
    assert set(found) == {"a.fit", "rides/b.GPX", "rides/c.tcx.gz", "notes.csv"}
    assert found["a.fit"].data == FIT and found["rides/b.GPX"].data == GPX
    assert (found["rides/c.tcx.gz"].data, found["rides/c.tcx.gz"].name) == (GPX, "rides/c.tcx")
    assert found["notes.csv"].status is SKIPPED and ".csv" in found["notes.csv"].reason


def test_zip_is_detected_by_magic_whatever_its_name() -> None:
    found = entries(make_zip({"a.gpx": GPX}), "upload.bin")
    assert [(e.path, e.data) for e in found] == [("a.gpx", GPX)]


def test_nested_zips_and_gz_members_are_recursed_with_folder_paths() -> None:
    inner = make_zip({"x.fit": FIT, "y.gpx.gz": gzip.compress(GPX)}, zipfile.ZIP_STORED)
    middle = make_zip({"inner.zip": inner, "z.tcx": GPX})
    outer = make_zip({"parts/middle.zip": middle})
    found = by_path(entries(outer, "export.zip"))
    assert found["parts/middle.zip/inner.zip/x.fit"].data == FIT
    assert found["parts/middle.zip/inner.zip/y.gpx.gz"].data == GPX
    assert found["parts/middle.zip/z.tcx"].data == GPX
    assert all(entry.status is OK for entry in found.values())


def test_empty_zip_yields_nothing() -> None:
    assert entries(make_zip({}), "empty.zip") == []


def test_zip_name_without_zip_data_raises_container_error() -> None:
    with pytest.raises(ContainerError, match="expected a zip archive"):
        entries(GPX, "upload.zip")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.fit", "climbs out"),
        ("rides/../../evil.fit", "climbs out"),
        ("/etc/evil.fit", "absolute"),
        ("C:/Windows/evil.fit", "absolute"),
        ("rides\\..\\evil.fit", "backslash"),
        ("evil\x01.fit", "control"),
    ],
)
def test_zip_slip_names_are_refused_per_entry(name: str, why: str) -> None:
    found = by_path(entries(make_zip({name: FIT, "good.fit": FIT}), "upload.zip"))
    assert found["good.fit"].status is OK
    assert found[name].status is FAILED and found[name].data is None
    assert why in found[name].reason and repr(name) in found[name].reason


def test_safe_names_pass_the_name_check() -> None:
    assert unsafe_name_reason("activities/2020/ride..1.fit") is None


def set_flag_bits(archive: bytes, name: str, bits: int) -> bytes:
    """Set general-purpose flag bits of one member, in its local and central headers."""
    raw = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as reader:
        info = reader.getinfo(name)
    flags = info.flag_bits | bits
    struct.pack_into("<H", raw, info.header_offset + 6, flags)
    at = raw.index(b"PK\x01\x02")
    while raw[at + 46 : at + 46 + len(name)] != name.encode():
        at = raw.index(b"PK\x01\x02", at + 4)
    struct.pack_into("<H", raw, at + 8, flags)
    return bytes(raw)


def test_encrypted_member_fails_and_the_rest_is_read() -> None:
    archive = set_flag_bits(make_zip({"secret.fit": FIT, "open.fit": FIT}), "secret.fit", 0x1)
    found = by_path(entries(archive, "upload.zip"))
    assert found["secret.fit"].status is FAILED and "encrypted" in found["secret.fit"].reason
    assert found["open.fit"].data == FIT


def test_unsupported_compression_fails_with_the_method_named() -> None:
    archive = make_zip({"ride.gpx": GPX}, zipfile.ZIP_BZIP2)
    (entry,) = entries(archive, "upload.zip")
    assert entry.status is FAILED and "12 (bzip2)" in entry.reason


def test_crc_error_fails_that_member_only() -> None:
    archive = bytearray(make_zip({"bad.gpx": GPX, "good.gpx": GPX}, zipfile.ZIP_STORED))
    archive[archive.index(b"<gpx")] ^= 0x20  # the first member's data, stored as is
    found = by_path(entries(bytes(archive), "upload.zip"))
    assert found["bad.gpx"].status is FAILED and "CRC" in found["bad.gpx"].reason
    assert found["good.gpx"].data == GPX


class Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors instead of sizes."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.buffer += data
        return len(data)


@pytest.mark.parametrize("streamed", [False, True], ids=["sizes", "descriptors"])
def test_truncated_zip_recovers_members_before_the_cut(streamed: bool) -> None:
    members = {f"ride{i}.gpx": text_payload(300_000, seed=i) for i in range(3)}
    members["notes.txt"] = b"skipped"
    sink: io.BytesIO | Unseekable = Unseekable() if streamed else io.BytesIO()
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    whole = bytes(sink.buffer if isinstance(sink, Unseekable) else sink.getvalue())
    third = whole.index(b"ride2.gpx")
    cut = whole[: third + 30_000]  # inside the third member's data
    found = entries(cut, "export.zip")
    assert [(e.path, e.status) for e in found] == [
        ("ride0.gpx", OK),
        ("ride1.gpx", OK),
        ("ride2.gpx", DAMAGED),
        ("export.zip", FAILED),
    ]
    assert found[0].data == members["ride0.gpx"] and found[1].data == members["ride1.gpx"]
    assert found[2].data and members["ride2.gpx"].startswith(found[2].data)
    assert "central directory" in found[3].reason and f"from byte {third - 30}" in found[3].reason


def test_zip_cut_before_its_directory_loses_only_the_directory() -> None:
    whole = make_zip({"a.gpx": GPX, "b.fit": FIT})
    cut = whole[: whole.index(b"PK\x01\x02")]
    found = entries(cut, "export.zip")
    assert [(e.path, e.data) for e in found[:2]] == [("a.gpx", GPX), ("b.fit", FIT)]
    assert found[2].status is FAILED and "found 2 members" in found[2].reason


# --- limits ---


def test_flat_bomb_stops_at_the_ratio_limit_in_bounded_memory(gib_bomb: Path) -> None:
    found, peak = peak_mib(gib_bomb, ContainerLimits())
    (entry,) = found
    assert entry.status is FAILED and "max_ratio" in entry.reason
    assert peak < 16, f"scanning a 1 GiB bomb peaked at {peak:.1f} MiB"


def test_flat_bomb_stops_at_the_file_size_limit_in_bounded_memory(gib_bomb: Path) -> None:
    limits = ContainerLimits(max_ratio=1e9, max_file_bytes=32 * MIB)
    found, peak = peak_mib(gib_bomb, limits)
    (entry,) = found
    assert entry.status is FAILED and "max_file_bytes" in entry.reason
    assert peak < 64, f"scanning a 1 GiB bomb peaked at {peak:.1f} MiB"


def test_gzip_bomb_stops_at_the_ratio_limit(tmp_path: Path) -> None:
    path = tmp_path / "ride.fit.gz"
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
        for block in zeros_deflate(1024):
            out.write(block)
        out.write(struct.pack("<2L", zeros_crc(1024), (1024 * MIB) & 0xFFFFFFFF))
    (entry,) = entries(path)
    assert entry.status is FAILED and "max_ratio" in entry.reason


def test_nested_bomb_fails_every_leaf_in_bounded_memory(tmp_path: Path) -> None:
    leaf = tmp_path / "leaf.zip"
    write_bomb_zip(leaf, [f"bomb{i}.fit" for i in range(4)], 256)
    middle = make_zip({f"m{i}.zip": leaf.read_bytes() for i in range(4)}, zipfile.ZIP_STORED)
    outer = tmp_path / "outer.zip"
    outer.write_bytes(make_zip({f"o{i}.zip": middle for i in range(4)}, zipfile.ZIP_STORED))
    found, peak = peak_mib(outer, ContainerLimits())
    assert len(found) == 64  # 4 x 4 x 4 members of 256 MiB: 16 GiB if it were inflated
    assert all(e.status is FAILED and "max_ratio" in e.reason for e in found)
    assert peak < 64, f"scanning a nested bomb peaked at {peak:.1f} MiB"


def test_gzip_of_a_million_empty_members_stops_at_the_ratio_limit() -> None:
    empty_members = gzip.compress(b"") * (1 << 20)  # 20 MiB that inflate to nothing
    (entry,) = entries(make_zip({"ride.fit.gz": empty_members}), "upload.zip")
    assert entry.status is FAILED and "max_ratio" in entry.reason


def test_large_file_costs_about_its_own_size_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    path.write_bytes(make_zip({"big.fit": random.randbytes(32 * MIB)}, zipfile.ZIP_STORED))
    found, peak = peak_mib(path, ContainerLimits())
    assert [len(e.data or b"") for e in found] == [32 * MIB]
    assert peak < 40, f"reading a 32 MiB file peaked at {peak:.1f} MiB"


def test_total_budget_stops_the_scan_and_names_where(tmp_path: Path) -> None:
    members = {f"ride{i}.gpx": text_payload(MIB, seed=i) for i in range(5)}
    found = entries(make_zip(members), "export.zip", ContainerLimits(max_total_bytes=3 * MIB))
    assert [e.status for e in found] == [OK, OK, OK, FAILED]
    assert found[3].path == "ride3.gpx" and "max_total_bytes" in found[3].reason


def test_too_many_members_refuses_the_upload() -> None:
    archive = make_zip({f"r{i}.fit": FIT for i in range(30)})
    with pytest.raises(ContainerError, match="at most 20 members"):
        entries(archive, "upload.zip", ContainerLimits(max_members=20))


def test_member_count_is_summed_over_nested_archives() -> None:
    inner = make_zip({f"r{i}.fit": FIT for i in range(10)})
    outer = make_zip({"a.zip": inner, "b.zip": inner, "c.zip": inner})
    found = entries(outer, "upload.zip", ContainerLimits(max_members=25))
    assert sum(e.status is OK for e in found) == 20
    failed = [e for e in found if e.status is FAILED]
    assert [e.path for e in failed] == ["c.zip"] and "max_members" in failed[0].reason


def test_directory_over_its_limit_refuses_the_upload() -> None:
    archive = make_zip({f"activities/{i:06d}.fit": FIT for i in range(100)})
    with pytest.raises(ContainerError, match="max_directory_bytes"):
        entries(archive, "upload.zip", ContainerLimits(max_directory_bytes=1000))


def test_nesting_deeper_than_the_limit_fails_that_branch() -> None:
    archive = make_zip({"deep.fit": FIT})
    for level in range(5):
        archive = make_zip({f"level{level}.zip": archive, f"ok{level}.gpx": GPX})
    found = by_path(entries(archive, "upload.zip", ContainerLimits(max_depth=3)))
    deepest = "level4.zip/level3.zip/level2.zip"
    assert found[deepest].status is FAILED and "max_depth" in found[deepest].reason
    assert found["level4.zip/level3.zip/ok2.gpx"].data == GPX
    assert not any(path.endswith("deep.fit") for path in found)


def test_members_sharing_compressed_data_are_refused() -> None:
    archive = bytearray(make_zip({"a.fit": FIT}))
    at = archive.index(b"PK\x01\x02")
    entry = bytes(archive[at : at + 46 + len("a.fit")])
    twin = entry[:-5] + b"b.fit"  # a second directory entry pointing at the same data
    end = archive.index(b"PK\x05\x06")
    directory = bytes(archive[at:end]) + twin
    record = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 2, 2, len(directory), at, 0)
    found = by_path(entries(bytes(archive[:at]) + directory + record, "upload.zip"))
    assert set(found) == {"a.fit", "b.fit"}
    assert all(e.status is FAILED for e in found.values())
    assert "overlaps" in found["a.fit"].reason


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        ContainerLimits(max_depth=0)


# --- arbitrary input never escapes as anything but entries or ContainerError ---


def assert_well_formed(source: bytes, name: str) -> None:
    try:
        found = entries(source, name)
    except ContainerError as exc:
        assert str(exc)
        return
    for entry in found:
        has_data = entry.status in (OK, DAMAGED)
        assert (entry.data is not None) == has_data
        assert entry.status is OK or entry.reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600), name=st.sampled_from(["u.zip", "u.gz", "u.fit.gz", "u"]))
def test_arbitrary_bytes_give_entries_or_container_error(data: bytes, name: str) -> None:
    assert_well_formed(data, name)
    assert_well_formed(b"PK\x03\x04" + data, name)
    assert_well_formed(b"\x1f\x8b\x08" + data, name)


SAMPLE_ZIP = make_zip({"a.fit": FIT, "b/c.gpx.gz": gzip.compress(GPX), "d.zip": make_zip({})})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(SAMPLE_ZIP) - 1), st.integers(0, 255)), max_size=6))
def test_damaged_zip_gives_entries_or_container_error(changes: list[tuple[int, int]]) -> None:
    damaged = bytearray(SAMPLE_ZIP)
    for at, value in changes:
        damaged[at] = value
    assert_well_formed(bytes(damaged), "upload.zip")


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(SAMPLE_ZIP)))
def test_zip_cut_anywhere_gives_entries_or_container_error(cut: int) -> None:
    assert_well_formed(SAMPLE_ZIP[:cut], "upload.zip")


# --- the real corpus ---


def corpus_containers(corpus: Path) -> list[dict[str, str]]:
    manifest = json.loads((corpus / "manifest.json").read_text())
    return [item for item in manifest if item["file"].endswith((".zip", ".gz"))]


@pytest.mark.corpus
def test_real_containers_yield_the_activity_files_they_hold(corpus: Path) -> None:
    items = corpus_containers(corpus)
    assert len(items) >= 10, "the corpus should hold the FitTrackee zips and the .fit.gz"
    for item in items:
        found = entries(corpus / item["file"])
        activities = [e for e in found if e.status is OK]
        assert all(e.status in (OK, SKIPPED) for e in found), (item["file"], found)
        for entry in activities:
            assert detect_format(entry.data or b"", entry.name) in ("fit", "gpx", "tcx")
        if item["expect"] == "ok":
            assert activities, f"{item['file']} should hold an activity"


@pytest.mark.corpus
def test_real_zip_without_gpx_yields_no_activity(corpus: Path) -> None:
    found = entries(corpus / "bad" / "fittrackee__gpx_test_no_gpx.zip")
    assert [(e.path, e.status) for e in found] == [("folder/fichier.doc", SKIPPED)]


@pytest.mark.corpus
def test_real_zip_with_macos_junk_yields_only_the_activities(corpus: Path) -> None:
    found = entries(corpus / "fit" / "gc__HRM-unbucle-resync.zip")
    assert [e.path for e in found] == ["activity_2677977976.fit", "activity_2677977976.tcx"]
    assert detect_format(found[0].data or b"") == "fit"


@pytest.mark.corpus
def test_real_fit_gz_inflates_to_a_fit_file(corpus: Path) -> None:
    (entry,) = entries(corpus / "fit" / "gc__14582164182.fit.gz")
    assert entry.status is OK and entry.name == "gc__14582164182.fit"
    assert entry.data is not None and entry.data[8:12] == b".FIT"
