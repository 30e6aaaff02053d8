"""Argon2id password hashing with bounded concurrency, so a login flood cannot exhaust memory."""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bikenode.accounts.logic import normalise_password
from bikenode.errors import Busy


class HashingBusy(Busy):
    """Too many password hashes are running; the caller should retry shortly."""


class PasswordHashing:
    """Hashes and verifies passwords; at most `max_concurrent` Argon2 runs at a time."""

    def __init__(
        self, *, memory_kib: int, time_cost: int, max_concurrent: int, wait_s: float
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._wait_s = wait_s
        # Verified when the e-mail is unknown, so a login takes the same time either way.
        self._dummy_hash = self._hasher.hash("not a real password, used for timing parity")

    def hash(self, password: str) -> str:
        """The Argon2id hash of the (normalised) password."""
        with self._slot():
            return self._hasher.hash(normalise_password(password))

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True if the password matches; with no hash, spends the same time and says False."""
        with self._slot():
            try:
                self._hasher.verify(password_hash or self._dummy_hash, normalise_password(password))
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False
        return password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """True if the hash was made with weaker parameters than today's."""
        return self._hasher.check_needs_rehash(password_hash)

    def _slot(self) -> _Slot:
        return _Slot(self._slots, self._wait_s)


class _Slot:
    def __init__(self, semaphore: threading.BoundedSemaphore, wait_s: float) -> None:
        self._semaphore = semaphore
        self._wait_s = wait_s

    def __enter__(self) -> None:
        if not self._semaphore.acquire(timeout=self._wait_s):
            raise HashingBusy("too many sign-ins at once; try again in a few seconds")

    def __exit__(self, *exc: object) -> None:
        self._semaphore.release()
