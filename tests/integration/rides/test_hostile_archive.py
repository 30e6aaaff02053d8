"""A hostile archive: every bad member gets a clear error, the rest imports, memory stays low."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, func, select

from bikenode.db.engine import make_session_factory
from bikenode.rides.formats.export import export_activity
from bikenode.rides.models import Ride
from tests.synthetic import synthetic_gpx

# The whole import process, Python and numpy included, stays under this resident size.
MAX_RSS_MB = 256  # measured: about 130 MB
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<gpx version="1.1"><trk><name>&d;</name><trkseg><trkpt lat="1" lon="1"/></trkseg></trk></gpx>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<gpx version="1.1"><trk><name>&x;</name><trkseg><trkpt lat="1" lon="1"/></trkseg></trk></gpx>"""


def _gpx_points(points: list[tuple[str, str, str]]) -> bytes:
    body = "".join(f'<trkpt lat="{la}" lon="{lo}"><time>{t}</time></trkpt>' for la, lo, t in points)
    return (
        f'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><trkseg>{body}</trkseg></trk></gpx>"
    ).encode()


def _truncated_fit() -> bytes:
    time_s = 1.7e9 + np.arange(600, dtype=np.float64)
    streams = {
        "time_s": time_s,
        "lat_deg": 45 + time_s * 0 + np.arange(600) * 1e-5,
        "lon_deg": 6 + np.arange(600) * 1e-5,
        "hr_bpm": np.full(600, 130.0),
    }
    data = export_activity(streams, fmt="fit", sport="cycling")
    return data[: len(data) // 2]


def _write_bomb(archive: zipfile.ZipFile, name: str, size: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        block = bytes(1 << 20)
        for _ in range(size >> 20):
            member.write(block)


def _hostile_archive(path: Path) -> dict[str, str]:
    """Write the archive; return each member's expected status."""
    good_start = datetime(2024, 3, 1, 7, 0, tzinfo=UTC)
    expected = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(3):
            archive.writestr(f"good/{n}.gpx", synthetic_gpx(good_start.replace(day=1 + n), seed=n))
            expected[f"good/{n}.gpx"] = "imported"
        _write_bomb(archive, "bomb.fit", 300 << 20)
        inner_path = path.with_name("inner.zip")
        with zipfile.ZipFile(inner_path, "w", zipfile.ZIP_DEFLATED) as inner:
            _write_bomb(inner, "deeper.gpx", 300 << 20)
        archive.write(inner_path, "nested.zip")
        members = {
            "laughs.gpx": BILLION_LAUGHS,
            "xxe.gpx": XXE,
            "truncated.fit": _truncated_fit(),
            "nan.gpx": _gpx_points([("NaN", "NaN", "2024-01-01T00:00:00Z")] * 3),
            "future.gpx": _gpx_points(
                [("45", "6", "2099-01-01T00:00:00Z"), ("45.1", "6", "2099-01-01T00:01:00Z")]
            ),
            "ancient.gpx": _gpx_points(
                [("45", "6", "1970-01-02T00:00:00Z"), ("45.1", "6", "1970-01-02T00:01:00Z")]
            ),
            "garbage.tcx": os.urandom(4096),
        }
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr(zipfile.ZipInfo("../../etc/evil.gpx"), synthetic_gpx(good_start, seed=9))
    expected |= {
        "bomb.fit": "failed",
        "nested.zip/deeper.gpx": "failed",
        "laughs.gpx": "failed",
        "xxe.gpx": "failed",
        "future.gpx": "failed",
        "ancient.gpx": "failed",
        "garbage.tcx": "failed",
        "../../etc/evil.gpx": "failed",
        "nan.gpx": "failed",
    }
    return expected


def test_hostile_archive_fails_per_file_and_imports_the_rest(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    archive = tmp_path / "hostile.zip"
    expected = _hostile_archive(archive)
    assert archive.stat().st_size < 20 << 20  # bombs: small on disk, huge inflated
    env = dict(os.environ, BIKENODE_DATA_DIR=str(tmp_path / "data"), COLUMNS="200")
    if not database_url.startswith("sqlite"):
        env["BIKENODE_DATABASE_URL"] = database_url
    subprocess.run(
        [sys.executable, "-m", "bikenode", "user", "create", "h@example.org", "--password-stdin"],
        input="hostile archives are fine\n",
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    # The import reports its own high-water mark as it exits (/proc VmHWM belongs to the
    # program after exec; rusage of a forked child would include the test process's size).
    report = tmp_path / "vmhwm"
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(report)!r}, 'w').write("
        "next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))))\n"
        "from bikenode.cli import main\n"
        f"sys.argv = ['bikenode', 'import', '--user', 'h@example.org', {str(archive)!r}]\n"
        "main()\n"
    )
    with (tmp_path / "stderr").open("wb") as errors:
        process = subprocess.run(
            [sys.executable, "-c", probe],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            timeout=600,
            check=False,
        )
    peak_mb = int(report.read_text().split()[1]) / 1024  # "VmHWM:  123456 kB"
    print(f"import peak RSS {peak_mb:.0f} MB")
    stderr = (tmp_path / "stderr").read_text()
    assert process.returncode == 1, stderr  # some files failed: non-zero exit
    assert peak_mb < MAX_RSS_MB
    output = " ".join(stderr.split())
    for name, status in expected.items():
        if status == "failed":
            assert name.rsplit("/", 1)[-1] in output, name
    for phrase in ("ratio", "entit", "2099", "1990", "..", "expected"):
        assert phrase in output, phrase
    database = engine if database_url.startswith("postgresql") else None
    sqlite_url = f"sqlite:///{tmp_path / 'data' / 'bikenode.sqlite3'}"
    from bikenode.db.engine import create_db_engine

    check_engine = database or create_db_engine(sqlite_url)
    with make_session_factory(check_engine)() as session:
        rides = session.scalar(select(func.count()).select_from(Ride))
    # The three good rides and what decodes of the truncated FIT file.
    assert rides == 4
