"""Device names as people write them, from FIT manufacturer and product keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from bikenode.rides.formats import parse_activity
from bikenode.rides.formats.devices import device_name, garmin_model

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "fit"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("edge_1030_plus", "Edge 1030 Plus"),
        ("edge_1030_plus_asia", "Edge 1030 Plus"),
        ("edge810", "Edge 810"),
        ("edge_explore_820", "Edge Explore 820"),
        ("fr735xt", "Forerunner 735XT"),
        ("fenix5x", "Fenix 5X"),
        ("vivo_active_hr", "Vivoactive HR"),
        ("oregon7xx_ww", "Oregon 7xx"),
        ("hrm1", "HRM1"),
    ],
)
def test_garmin_product_keys_read_as_their_names(key: str, expected: str) -> None:
    assert garmin_model(key) == expected


def test_makers_and_models_read_as_written() -> None:
    assert device_name("wahoo_fitness", 31) == "Wahoo ELEMNT BOLT"
    assert device_name("garmin", 3570) == "Garmin Edge 1030 Plus"
    assert device_name("suunto", None, "Suunto 9 Baro") == "Suunto 9 Baro"
    assert device_name("hammerhead", 2) == "Hammerhead Karoo 2"
    assert device_name("sigmasport", 46) == "Sigma"  # a number no table knows is left out
    assert device_name("development", 0) is None
    assert device_name("manufacturer_1052", 1052) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("muktihari__activity_lowbattery.fit", "Garmin Edge 1030 Plus"),
        ("gpsbabel__wahoo-element-bolt.fit", "Wahoo ELEMNT BOLT"),
        ("fitparse__Edge810-Vector-2013-08-16-15-35-10.fit", "Garmin Edge 810"),
        ("gc__Karoo-Botley_BW_Swanmore_Wickham-2025-05-09-1238.fit", "Hammerhead Karoo 2"),
    ],
)
def test_device_files_name_their_device(name: str, expected: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    assert parse_activity(path.read_bytes(), name).device == expected
