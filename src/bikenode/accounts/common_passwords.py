"""The bundled list of common and breached passwords, loaded once per process.

Built by scripts/build-common-passwords from the `zxcvbn` package's list of the 30,000 most
common passwords in 10 million leaked ones; kept: those of 8 characters or more.
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources

LIST_FILE = "common-passwords.txt.gz"


@functools.cache
def common_passwords() -> frozenset[str]:
    """Every bundled common password, NFKC-normalised and lower-cased."""
    data = resources.files("bikenode.accounts").joinpath("data", LIST_FILE).read_bytes()
    return frozenset(gzip.decompress(data).decode().split("\n")) - {""}
