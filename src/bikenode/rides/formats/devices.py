"""Device names as a person writes them ("Garmin Edge 1030 Plus", "Wahoo ELEMNT BOLT"), from
the FIT profile's manufacturer and product keys ("garmin", "edge_1030_plus").

A product name the file itself carries ("Karoo 2", "Suunto 9 Baro") wins over a table. A
Garmin product key loses its regional suffix (the Edge 1030 sold in Asia is an Edge 1030).
A product number no table knows is left out rather than shown as a bare number.
"""

from __future__ import annotations

import re

from bikenode.rides.formats.fit_profile import GARMIN_PRODUCTS

_MAKERS = {
    "garmin": "Garmin",
    "garmin_fr405_antfs": "Garmin",
    "dynastream": "Garmin",  # Garmin's ANT+ arm: its heart-rate straps and footpods
    "dynastream_oem": "Garmin",
    "wahoo_fitness": "Wahoo",
    "hammerhead": "Hammerhead",
    "coros": "COROS",
    "sigmasport": "Sigma",
    "srm": "SRM",
    "osynce": "o-synce",
    "4iiiis": "4iiii",
    "stages_cycling": "Stages",
    "polar_electro": "Polar",
    "nielsen_kellerman": "NK",
    "the_sufferfest": "The Sufferfest",
    "trainer_road": "TrainerRoad",
    "ifor_powell": "iBike",
}
# Placeholders, not makers: a file from them names no device.
# Makers whose product numbers are Garmin's (fit_profile.GARMIN_PRODUCT_MAKERS, by name).
_GARMIN_PRODUCT_MAKERS = {"garmin", "garmin_fr405_antfs", "dynastream", "dynastream_oem", "tacx"}
_NO_MAKER = {"development", "manufacturer_0", "invalid"}
# Wahoo's product numbers in FIT files: 28 and 31 as their own files name them (see the
# shared corpus), the others as ANT+ device lists give them.
_WAHOO_PRODUCTS = {
    28: "ELEMNT",
    31: "ELEMNT BOLT",
    33: "ELEMNT RIVAL",
    35: "TICKR FIT",
    37: "ELEMNT ROAM",
    47: "ELEMNT ROAM",
    57: "ELEMNT ACE",
}
_HAMMERHEAD_PRODUCTS = {1: "Karoo", 2: "Karoo 2", 3: "Karoo 3"}
_PRODUCT_TABLES = {"wahoo_fitness": _WAHOO_PRODUCTS, "hammerhead": _HAMMERHEAD_PRODUCTS}

_REGIONS = {
    "asia", "japan", "jpn", "apac", "china", "chn", "taiwan", "twn", "korea", "sea", "thai",
    "ww", "russia", "india", "latam",
}  # fmt: skip
_GARMIN_FAMILIES = (
    ("vivo_active", "Vivoactive"),
    ("vivo_smart", "Vivosmart"),
    ("vivo_fit", "Vivofit"),
    ("vivo_move", "Vivomove"),
    ("vivo_ki", "Vivoki"),
    ("fr", "Forerunner"),
    ("etrex", "eTrex"),
)
_GARMIN_SPELLINGS = {"hrm1": "HRM1", "hrm_pro": "HRM-Pro", "hrm_dual": "HRM-Dual"}
_UPPER_WORDS = {"hr", "hrm", "lte", "xt", "gps", "marq", "amx", "apac", "hrmpro", "bt", "gpsmap"}


def device_name(maker: str, product: int | None, product_name: str | None = None) -> str | None:
    """How a person names the device: maker and model, or just the maker; None for none."""
    if maker in _NO_MAKER or maker.startswith("manufacturer_"):
        return product_name or None
    brand = _MAKERS.get(maker) or _words(maker)
    model = product_name or _model(maker, product)
    if not model:
        return brand
    if model.lower().startswith(brand.lower()):
        return model  # "Suunto 9 Baro", not "Suunto Suunto 9 Baro"
    return f"{brand} {model}"


def garmin_model(key: str) -> str:
    """A Garmin product key as people write it: "edge_1030_plus_asia" is "Edge 1030 Plus"."""
    if key in _GARMIN_SPELLINGS:
        return _GARMIN_SPELLINGS[key]
    tokens = key.split("_")
    while len(tokens) > 1 and tokens[-1] in _REGIONS:
        tokens.pop()
    text = "_".join(tokens)
    for prefix, family in _GARMIN_FAMILIES:
        if text == prefix or text.startswith(prefix + "_") or re.match(rf"{prefix}\d", text):
            rest = text[len(prefix) :].strip("_")
            return " ".join([family, *_tokens(rest)]) if rest else family
    return " ".join(_tokens(text))


def _model(maker: str, product: int | None) -> str | None:
    if product is None:
        return None
    if maker in _GARMIN_PRODUCT_MAKERS:
        key = GARMIN_PRODUCTS.get(product)
        return garmin_model(key) if key else None
    return _PRODUCT_TABLES.get(maker, {}).get(product)


def _tokens(text: str) -> list[str]:
    """Words of a key with numbers apart: "edge810" gives Edge, 810; "5x" gives 5X."""
    words = []
    for part in text.split("_"):
        for piece in re.findall(r"[a-z]+|\d+[a-z]*", part):
            words.append(_word(piece))
    return words


def _word(piece: str) -> str:
    if piece[0].isdigit():
        digits = re.match(r"\d+", piece)
        number = digits.group() if digits else ""
        suffix = piece[len(number) :]
        return number + (suffix if suffix == "xx" else suffix.upper())
    return piece.upper() if piece in _UPPER_WORDS else piece.capitalize()


def _words(key: str) -> str:
    return " ".join(word.capitalize() for word in key.split("_") if word)
