"""Bytes per point of our stream codec on the real corpus, against gzip'd CSV and the file.

Run: python bench/storage.py

Parses every activity the corpus manifest expects to import ("ok"), cleans it, encodes its
streams and prints, per format and overall: files, points, bytes per point (median over
files, and total bytes over total points), and how many times smaller our blob is than the
same streams as gzip'd CSV (values as decoded, so both hold the same information) and than
the original file (uncompressed). The last row, "typical", takes the rides that have time,
position, elevation, heart rate, cadence and power, and encodes just those seven streams:
the ride the <= 6 bytes/point target is about (its file ratio flatters the file, which
holds more).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bikenode.rides.formats import parse_activity
from bikenode.rides.formats.activity import FloatArray
from bikenode.rides.logic.cleaning import ImplausibleActivity, clean_activity
from bikenode.rides.logic.codec import decode_streams, encode_streams

CORPUS = Path(
    os.environ.get("BIKENODE_CORPUS_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "corpus"
)
Sizes = tuple[int, int, int, int]
TYPICAL = {"time_s", "lat_deg", "lon_deg", "elevation_m", "hr_bpm", "cadence_rpm", "power_w"}


@dataclass
class Group:
    """Totals for one row of the table."""

    files: int = 0
    points: int = 0
    blob_bytes: int = 0
    csv_gz_bytes: int = 0
    original_bytes: int = 0
    per_file: list[float] = field(default_factory=list)

    def add(self, points: int, blob: int, csv_gz: int, original: int) -> None:
        self.files += 1
        self.points += points
        self.blob_bytes += blob
        self.csv_gz_bytes += csv_gz
        self.original_bytes += original
        self.per_file.append(blob / points)


def csv_gz_size(streams: dict[str, FloatArray]) -> int:
    """Size of the streams as CSV (shortest exact decimal, empty for NaN), gzip level 6."""
    names = list(streams)
    columns = [[_cell(v) for v in streams[name].tolist()] for name in names]
    text = io.StringIO()
    text.write(",".join(names) + "\n")
    for row in zip(*columns, strict=True):
        text.write(",".join(row) + "\n")
    return len(gzip.compress(text.getvalue().encode(), compresslevel=6))


def _cell(value: float) -> str:
    if value != value:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def load(entry: dict[str, str]) -> bytes:
    data = (CORPUS / entry["file"]).read_bytes()
    return gzip.decompress(data) if entry["file"].endswith(".gz") else data


def main() -> int:
    if not (CORPUS / "manifest.json").is_file():
        print(f"corpus not found at {CORPUS}: nothing to measure")
        return 0
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    groups: dict[str, Group] = {}
    skipped: list[str] = []
    timings = dict.fromkeys(("parse", "clean", "encode", "decode"), 0.0)
    for entry in (e for e in manifest if e["expect"] == "ok"):
        result = measure(entry, timings)
        if isinstance(result, str):
            skipped.append(f"{entry['file']}: {result}")
            continue
        for key, sizes in result.items():
            groups.setdefault(key, Group()).add(*sizes)
    report(groups, skipped, timings)
    return 0


def measure(entry: dict[str, str], timings: dict[str, float]) -> dict[str, Sizes] | str:
    """(points, blob, csv.gz, original) sizes of one file per table row, or why it was skipped."""
    data = load(entry)
    clock = time.perf_counter()
    try:
        activity = parse_activity(data, entry["file"].removesuffix(".gz"))
    except Exception as error:  # a reader still being written must not stop the bench
        return f"parse failed: {type(error).__name__}: {error}"
    clock = _lap(timings, "parse", clock)
    try:
        cleaned, _ = clean_activity(activity, now_s=time.time())
    except ImplausibleActivity as error:
        return f"rejected by cleaning: {error}"
    clock = _lap(timings, "clean", clock)
    if cleaned.point_count == 0:
        return "rejected by cleaning: no points"
    blob = encode_streams(cleaned.streams)
    clock = _lap(timings, "encode", clock)
    decoded = decode_streams(blob)
    _lap(timings, "decode", clock)
    sizes = {
        cleaned.format: (cleaned.point_count, len(blob), csv_gz_size(decoded), len(data)),
    }
    sizes["all"] = sizes[cleaned.format]
    if {name for name, v in decoded.items() if not np.isnan(v).all()} >= TYPICAL:
        typical = {name: decoded[name] for name in decoded if name in TYPICAL}
        typical_blob = encode_streams(typical)
        sizes["typical"] = (cleaned.point_count, len(typical_blob), csv_gz_size(typical), len(data))
    return sizes


def _lap(timings: dict[str, float], step: str, since: float) -> float:
    now = time.perf_counter()
    timings[step] += now - since
    return now


def report(groups: dict[str, Group], skipped: list[str], timings: dict[str, float]) -> None:
    print(
        f"{'rows':<9}{'files':>6}{'points':>10}{'B/pt med':>10}{'B/pt all':>10}"
        f"{'csv.gz/us':>11}{'file/us':>9}"
    )
    for key in ("fit", "gpx", "tcx", "all", "typical"):
        g = groups.get(key)
        if g is None:
            continue
        print(
            f"{key:<9}{g.files:>6}{g.points:>10}{statistics.median(g.per_file):>10.2f}"
            f"{g.blob_bytes / g.points:>10.2f}{g.csv_gz_bytes / g.blob_bytes:>11.2f}"
            f"{g.original_bytes / g.blob_bytes:>9.1f}"
        )
    total = groups.get("all", Group()).points or 1
    rates = (f"{step} {total / max(seconds, 1e-9):,.0f}" for step, seconds in timings.items())
    print("throughput, points/s: " + ", ".join(rates))
    print(f"skipped {len(skipped)} files:")
    for line in skipped:
        print(f"  {line}")


if __name__ == "__main__":
    sys.exit(main())
