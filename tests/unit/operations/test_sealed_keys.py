"""The keys inside a backup open with the passphrase, and with nothing else."""

from __future__ import annotations

import json

import pytest

from bikenode.operations.sealed_keys import NodeKeys, WrongPassphrase, seal, unseal

KEYS = NodeKeys(data_keys="k1:" + "B" * 43 + "=\n", secret_key="token-secret")


def test_the_passphrase_opens_what_it_sealed() -> None:
    sealed = seal(KEYS, "a good long passphrase")
    assert b"token-secret" not in sealed and b"BBBB" not in sealed
    assert unseal(sealed, "a good long passphrase") == KEYS


def test_a_wrong_passphrase_or_an_altered_file_is_refused() -> None:
    sealed = seal(KEYS, "a good long passphrase")
    with pytest.raises(WrongPassphrase, match="does not open"):
        unseal(sealed, "a good long passphrasf")
    envelope = json.loads(sealed)
    envelope["salt"] = "AAAAAAAAAAAAAAAAAAAAAA=="
    with pytest.raises(WrongPassphrase, match="does not open"):
        unseal(json.dumps(envelope).encode(), "a good long passphrase")
    with pytest.raises(WrongPassphrase, match="damaged"):
        unseal(b"not json", "a good long passphrase")


def test_a_file_asking_for_absurd_work_is_refused_before_any() -> None:
    envelope = json.loads(seal(KEYS, "a good long passphrase"))
    envelope["kdf"]["n"] = 2**30
    with pytest.raises(WrongPassphrase, match="outside"):
        unseal(json.dumps(envelope).encode(), "a good long passphrase")


def test_a_short_passphrase_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 12"):
        seal(KEYS, "short")
