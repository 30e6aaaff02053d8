"""Parser speed on the shared corpus, ours beside the peers, in one run.

FIT: bikenode vs garmin-fit-sdk, fitdecode, fitparse. GPX: bikenode vs gpxpy.
TCX: bikenode vs tcxreader. Each row gives points per second (median over repeats) and how
many times faster ours is; the targets are 50x the fastest FIT peer, 20x the fastest GPX
peer and 6x the fastest TCX peer, with identical point counts.

Run: .venv/bin/python bench/parsers.py [repeats]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import parsers_fit
import parsers_xml

CORPUS = Path(
    os.environ.get("BIKENODE_CORPUS_DIR")
    or (Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus").resolve()
)
TARGETS = {"fit": 100.0, "gpx": 20.0, "tcx": 6.0}  # as the rides issues ask
PEERS = {"garmin-fit-sdk", "fitdecode", "fitparse", "gpxpy", "tcxreader"}


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"the shared corpus is not at {CORPUS}")
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rows = [{"format": "fit", **row} for row in parsers_fit.bench_rows(CORPUS, repeats)]
    rows += parsers_xml.bench_rows(CORPUS, repeats)
    print(
        f"{'format':6} {'parser':16} {'files':>24} {'points':>9} {'median s':>9} "
        f"{'points/s':>12} {'ours x':>8}"
    )
    for row in rows:
        ratio = row.get("ours_x", row.get("ours_ratio"))
        print(
            f"{row['format']:6} {row['parser']!s:16} {row['files']!s:>24} {row['points']:>9} "
            f"{row['median_s']:>9.3f} {row['points_per_s']:>12,.0f} "
            f"{'' if ratio is None else f'{ratio:.1f}':>8}"
        )
    print()
    for fmt, target in TARGETS.items():
        peers = [r for r in rows if r["format"] == fmt and r["parser"] in PEERS]
        fastest = max(peers, key=lambda r: float(r["points_per_s"]))  # type: ignore[arg-type]
        ratio = float(fastest.get("ours_x", fastest.get("ours_ratio")) or 0)  # type: ignore[arg-type]
        verdict = "met" if ratio >= target else "MISSED"
        print(
            f"{fmt}: {ratio:.1f}x the fastest peer ({fastest['parser']}); target {target:.0f}x: {verdict}"
        )


if __name__ == "__main__":
    main()
