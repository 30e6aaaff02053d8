"""Benchmark the GPX and TCX readers against gpxpy and tcxreader on the shared corpus.

Run: python bench/parsers_xml.py [corpus_dir] [repeats]
Every parser reads the same files (in memory) in the same run. Each row reports the median over
the repeats of the total CPU time (CPU time, because the machine is shared) for the files where
the peer reads exactly our points, and ours' points/second divided by that parser's.
"bikenode-tree" is our reader with the byte-level fast path turned off; "lxml-walk" only builds
the lxml tree and visits every element (a floor for any tree-based reader).
"""

from __future__ import annotations

import gc
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import gpxpy
from lxml import etree
from tcxreader.tcxreader import TCXReader

from bikenode.rides.formats.activity import ParseError
from bikenode.rides.formats.gpx import parse_gpx
from bikenode.rides.formats.tcx import parse_tcx

Parser = Callable[[bytes], int]  # returns the number of points it read

DEFAULT_CORPUS = Path(
    os.environ.get("BIKENODE_CORPUS_DIR")
    or Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
)


def _gpxpy_points(data: bytes) -> int:
    gpx = gpxpy.parse(data.decode("utf-8-sig"))
    track = sum(len(s.points) for t in gpx.tracks for s in t.segments)
    return track or sum(len(r.points) for r in gpx.routes)


def _tcxreader_points(data: bytes) -> int:
    return len(TCXReader().read(io.BytesIO(data), only_gps=False).trackpoints)


def _lxml_walk(data: bytes) -> int:
    """Build the tree and visit every element: the floor for any tree-based reader."""
    return sum(1 for _ in etree.fromstring(data).iter())


PARSERS: dict[str, dict[str, Parser]] = {
    "gpx": {
        "bikenode": lambda d: parse_gpx(d).point_count,
        "bikenode-tree": lambda d: parse_gpx(d, fast=False).point_count,
        "gpxpy": _gpxpy_points,
        "lxml-walk": _lxml_walk,
    },
    "tcx": {
        "bikenode": lambda d: parse_tcx(d).point_count,
        "bikenode-tree": lambda d: parse_tcx(d, fast=False).point_count,
        "tcxreader": _tcxreader_points,
        "lxml-walk": _lxml_walk,
    },
}
PEERS = {"gpx": "gpxpy", "tcx": "tcxreader"}


def _candidates(corpus_dir: Path, fmt: str) -> list[bytes]:
    """The corpus's ok files of the format that ours reads as an activity."""
    manifest = json.loads((corpus_dir / "manifest.json").read_text())
    found = []
    for entry in manifest:
        if entry["expect"] == "ok" and entry["file"].endswith("." + fmt):
            data = (corpus_dir / entry["file"]).read_bytes()
            try:
                PARSERS[fmt]["bikenode"](data)
            except ParseError:
                continue  # waypoints only: nothing to compare
            found.append(data)
    return found


def _measure(
    files: list[bytes], parsers: dict[str, Parser], repeats: int
) -> tuple[dict[str, list[list[float]]], dict[str, list[int | None]]]:
    """CPU seconds per repeat and file for each parser, and the points each one read (None when
    it failed). Each parser runs in its own block, so one parser's freed memory does not bill
    the next, and the order alternates between repeats."""
    seconds: dict[str, list[list[float]]] = {name: [] for name in parsers}
    points: dict[str, list[int | None]] = {name: [None] * len(files) for name in parsers}
    names = list(parsers)
    for repeat in range(repeats):
        for name in names if repeat % 2 == 0 else reversed(names):
            gc.collect()  # start every block without the previous parser's garbage
            times = []
            for i, data in enumerate(files):
                start = time.process_time()
                try:
                    points[name][i] = parsers[name](data)
                except Exception:  # a peer that cannot read the file: the file is left out
                    points[name][i] = None
                times.append(time.process_time() - start)
            seconds[name].append(times)
    return seconds, points


def bench_rows(corpus_dir: Path, repeats: int = 3) -> list[dict[str, object]]:
    """Rows per format and parser: points, median seconds, points/second, ours/theirs ratio."""
    rows: list[dict[str, object]] = []
    for fmt, parsers in PARSERS.items():
        files = _candidates(corpus_dir, fmt)
        seconds, points = _measure(files, parsers, repeats)
        ours, peer = points["bikenode"], points[PEERS[fmt]]
        # Only files where the peer reads exactly our points (tcxreader finds none in a
        # MultiSportSession file); lxml-walk is credited with our points.
        kept = [i for i in range(len(files)) if ours[i] and ours[i] == peer[i]]
        total = sum(ours[i] or 0 for i in kept)
        medians = {
            name: statistics.median(sum(run[i] for i in kept) for run in runs)
            for name, runs in seconds.items()
        }
        for name in parsers:
            rows.append(
                {
                    "format": fmt,
                    "parser": name,
                    "files": len(kept),
                    "points": total,
                    "median_s": medians[name],
                    "points_per_s": total / medians[name],
                    "ours_ratio": medians[name] / medians["bikenode"],
                }
            )
    return rows


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS.resolve()
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    header = f"{'format':6} {'parser':14} {'files':>5} {'points':>8} {'median s':>9}"
    print(header + f" {'points/s':>11} {'ours/this':>9}")
    for r in bench_rows(corpus, repeats):
        print(
            f"{r['format']:6} {r['parser']:14} {r['files']:>5} {r['points']:>8}"
            f" {r['median_s']:>9.3f} {r['points_per_s']:>11,.0f} {r['ours_ratio']:>9.1f}"
        )


if __name__ == "__main__":
    main()
