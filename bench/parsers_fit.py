"""Benchmark: our FIT reader against fitdecode, fitparse and the Garmin FIT SDK.

A point is one record message. Every parser reads the same files in the same run; the
median over ``repeats`` runs is reported. The peers are slow (the SDK reads about 8,000
points/s, fitparse about 2,000), so they are timed on a subset of the largest activity
files (the smallest of the 10 largest, until PEER_POINT_BUDGET points), and the ratios
compare all parsers on that same subset. Our reader is also timed on the 10 largest files
and on every "ok" FIT file of the corpus. Run: ``python bench/parsers_fit.py``.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from bikenode.rides.formats.fit import parse_fit

CORPUS = Path(
    os.environ.get("BIKENODE_CORPUS_DIR")
    or Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
)
LARGEST = 10
PEER_POINT_BUDGET = 25_000
OUR_RUNS_PER_ROUND = 5


def load_ok_fit_files(corpus_dir: Path) -> dict[str, bytes]:
    """Return the decoded bytes of every "ok" FIT (and .fit.gz) file of the corpus by name."""
    manifest = json.loads((corpus_dir / "manifest.json").read_text())
    files = {}
    for entry in manifest:
        name = str(entry["file"])
        if entry["expect"] != "ok" or not name.lower().endswith((".fit", ".fit.gz")):
            continue
        data = (corpus_dir / name).read_bytes()
        files[name] = gzip.decompress(data) if name.endswith(".gz") else data
    return files


def ours(data: bytes) -> int:
    return parse_fit(data).point_count


def garmin_sdk(data: bytes) -> int:
    from garmin_fit_sdk import Decoder, Stream

    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    # Its fastest settings that still apply scale and offset, as ours does.
    messages, _ = decoder.read(
        convert_datetimes_to_dates=False,
        convert_types_to_strings=False,
        expand_sub_fields=False,
        expand_components=False,
        merge_heart_rates=False,
    )
    return len(messages.get("record_mesgs", []))


def fitdecode_records(data: bytes) -> int:
    import fitdecode

    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.WARN) as reader:
        return sum(
            1
            for frame in reader
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record"
        )


def fitparse_records(data: bytes) -> int:
    import fitparse

    return sum(1 for _ in fitparse.FitFile(data).get_messages("record"))


PARSERS: dict[str, Callable[[bytes], int]] = {
    "bikenode": ours,
    "garmin-fit-sdk": garmin_sdk,
    "fitdecode": fitdecode_records,
    "fitparse": fitparse_records,
}


def time_once(parse: Callable[[bytes], int], files: list[bytes]) -> tuple[list[int], float]:
    """Return the points of each file and the seconds to parse them all once."""
    start = time.perf_counter()
    counts = [parse(data) for data in files]
    return counts, time.perf_counter() - start


def bench_rows(corpus_dir: Path, repeats: int = 3) -> list[dict[str, object]]:
    """Time every parser on the same files; one row per parser and file set, with ratios.

    The parsers take turns within each round, so load from other processes on the machine
    falls on all of them alike; ours is fast enough to run OUR_RUNS_PER_ROUND times a round.
    """
    ok = load_ok_fit_files(corpus_dir)
    largest = sorted(ok, key=lambda name: len(ok[name]), reverse=True)[:LARGEST]
    subset = _peer_subset(largest, ok)
    files = [ok[name] for name in subset]
    runs: dict[str, list[float]] = {name: [] for name in PARSERS}
    counts: dict[str, list[int]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # peers warn about unknown fields and CRCs
        for _ in range(repeats):
            for name, parse in PARSERS.items():
                for _ in range(OUR_RUNS_PER_ROUND if parse is ours else 1):
                    counts[name], seconds = time_once(parse, files)
                    runs[name].append(seconds)
    our_rate = sum(counts["bikenode"]) / statistics.median(runs["bikenode"])
    label = f"{len(subset)} of the {LARGEST} largest"
    rows = []
    for name in PARSERS:
        points, seconds = sum(counts[name]), statistics.median(runs[name])
        same = counts[name] == counts["bikenode"]
        rows.append(_row(name, label, points, seconds, our_rate * seconds / points, same))
    for label, names in ((f"{LARGEST} largest", largest), (f"all {len(ok)} ok", list(ok))):
        timed = [time_once(ours, [ok[f] for f in names]) for _ in range(repeats)]
        seconds = statistics.median(t for _, t in timed)
        rows.append(_row("bikenode", label, sum(timed[0][0]), seconds, None, None))
    return rows


def _peer_subset(largest: list[str], ok: dict[str, bytes]) -> list[str]:
    subset, points = [], 0
    for name in reversed(largest):  # smallest of the largest first
        if points >= PEER_POINT_BUDGET:
            break
        subset.append(name)
        points += ours(ok[name])
    return subset


def _row(
    parser: str, files: str, points: int, seconds: float, ratio: float | None, same: bool | None
) -> dict[str, object]:
    return {
        "parser": parser,
        "files": files,
        "points": points,
        "median_s": seconds,
        "points_per_s": points / seconds,
        "ours_x": ratio,
        "same_counts": same,
    }


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rows = bench_rows(CORPUS.resolve(), repeats)
    print(
        f"{'parser':16} {'files':22} {'points':>8} {'median s':>9} {'points/s':>11} "
        f"{'ours x':>7} same counts"
    )
    for r in rows:
        ratio = "" if r["ours_x"] is None else f"{r['ours_x']:.0f}"
        same = "" if r["same_counts"] is None else str(r["same_counts"])
        print(
            f"{r['parser']:16} {r['files']:22} {r['points']:>8} {r['median_s']:>9.3f} "
            f"{r['points_per_s']:>11,.0f} {ratio:>7} {same}"
        )


if __name__ == "__main__":
    main()
