"""Bulk import: a 1,000-file archive imported, analysed and stored, timed end to end.

The archive is made from the real corpus: each activity file is decoded, shifted in time
(so every copy is a distinct ride, not a duplicate) and written back in its own format.
The same files are then parsed by the peer parsers (gpxpy, fitdecode, tcxreader) on a
sample, so the table compares our whole import per file with their parse alone per file.

Run: .venv/bin/python bench/import.py [--files 1000]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np

from bikenode.rides.formats import ParsedActivity, ParseError, parse_activity
from bikenode.rides.formats.export import ExportError, export_activity

CORPUS = Path(
    os.environ.get("BIKENODE_CORPUS_DIR")
    or (Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus").resolve()
)
DAY_S = 86_400.0


def corpus_activities() -> list[tuple[str, ParsedActivity]]:
    """(format, parsed activity) for every corpus file the manifest calls a real activity."""
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    found = []
    for entry in manifest:
        name = entry["file"]
        if entry["expect"] != "ok" or name.endswith(".zip"):
            continue
        data = (CORPUS / name).read_bytes()
        if name.endswith(".gz"):
            data = gzip.decompress(data)
        try:
            activity = parse_activity(data, name.removesuffix(".gz"))
        except ParseError:
            continue
        if "time_s" in activity.streams and np.isfinite(activity.streams["time_s"]).any():
            found.append((activity.format, activity))
    return found


def build_archive(count: int) -> tuple[bytes, list[tuple[str, bytes]]]:
    """A zip of `count` distinct activity files and the list of (format, bytes) inside."""
    activities = corpus_activities()
    files: list[tuple[str, bytes]] = []
    n = 0
    while len(files) < count:  # a few corpus rides cannot be written (no times): skip them
        fmt, activity = activities[n % len(activities)]
        streams = dict(activity.streams)
        streams["time_s"] = streams["time_s"] + DAY_S * (1 + n // len(activities)) * 7
        n += 1
        for target in (fmt, "fit"):
            try:
                files.append((target, export_activity(streams, fmt=target, sport="cycling")))  # type: ignore[arg-type]
                break
            except ExportError:
                continue
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, (fmt, data) in enumerate(files):
            archive.writestr(f"activities/{n:05d}.{fmt}", data)
    return buffer.getvalue(), files


def run_import(archive: bytes) -> tuple[float, dict[str, int]]:
    """Seconds to import the archive into a fresh SQLite database, and the outcome counts."""
    from bikenode.config import Settings
    from bikenode.db.engine import create_db_engine, make_session_factory
    from bikenode.db.migrate import upgrade_to_head
    from bikenode.encryption import install_key_ring, key_ring_from_settings
    from bikenode.rides import repo
    from bikenode.rides.tasks import process_upload
    from bikenode.rides.uploads import store_upload

    with tempfile.TemporaryDirectory() as folder:
        # Health data is sealed on import, as in the server: the same key ring set-up.
        install_key_ring(key_ring_from_settings(Settings(data_dir=Path(folder))))
        engine = create_db_engine(f"sqlite:///{folder}/bench.sqlite3")
        upgrade_to_head(engine)
        sessions = make_session_factory(engine)
        started = time.perf_counter()
        with sessions() as session:
            upload = store_upload(
                session,
                owner_id=uuid.uuid4(),
                filename="export.zip",
                source=io.BytesIO(archive),
                max_bytes=1 << 34,
            )
        process_upload(sessions, upload.id)
        elapsed = time.perf_counter() - started
        with sessions() as session:
            counts: dict[str, int] = {}
            for item in repo.upload_items(session, upload.id):
                counts[item.status] = counts.get(item.status, 0) + 1
        engine.dispose()
    return elapsed, counts


def peer_parse_s(fmt: str, data: bytes) -> float:
    """Seconds the fastest-installed peer takes to parse one file."""
    started = time.perf_counter()
    if fmt == "gpx":
        import gpxpy

        gpxpy.parse(data.decode())
    elif fmt == "tcx":
        from tcxreader.tcxreader import TCXReader

        with tempfile.NamedTemporaryFile(suffix=".tcx") as handle:
            handle.write(data)
            handle.flush()
            TCXReader().read(handle.name)
    else:
        import fitdecode

        with fitdecode.FitReader(io.BytesIO(data)) as reader:
            for _frame in reader:
                pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--peer-sample", type=int, default=100, help="files the peers parse")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"the shared corpus is not at {CORPUS}")
    archive, files = build_archive(args.files)
    elapsed_s, counts = run_import(archive)
    step = max(1, len(files) // args.peer_sample)
    sample = files[::step]
    peer_times = [peer_parse_s(fmt, data) for fmt, data in sample]
    ours_per_file = elapsed_s / len(files)
    peer_per_file = statistics.mean(peer_times)
    print(f"archive: {len(files)} files, {len(archive) / 1e6:.1f} MB zipped; outcome {counts}")
    print(f"{'what':<44}{'files':>7}{'s total':>10}{'ms/file':>10}")
    print(
        f"{'BikeNode import (parse+clean+analyse+store)':<44}{len(files):>7}{elapsed_s:>10.1f}"
        f"{ours_per_file * 1000:>10.1f}"
    )
    print(
        f"{'peers, parse only (gpxpy/fitdecode/tcxreader)':<44}{len(sample):>7}"
        f"{sum(peer_times):>10.1f}{peer_per_file * 1000:>10.1f}"
    )
    print(
        f"ratio (peer parse per file / our whole import per file): {peer_per_file / ours_per_file:.1f}x"
    )
    # Copies of the same corpus ride in several formats are (rightly) found to be duplicates.
    verdict = "met" if elapsed_s < 60 else "MISSED"
    print(f"target: {args.files} files processed in under 60 s -> {verdict}; outcome {counts}")


if __name__ == "__main__":
    main()
