"""AES-256-GCM for sensitive fields at rest, under a ring of keys with an id on every value.

A value is ``b"BNE1" | key-id length u8 | key id (ASCII) | 12-byte nonce | ciphertext+tag``.
The first key of the ring encrypts; any key of the ring decrypts, chosen by the value's id,
so keys can be rotated while old values are still being re-encrypted. Every value is bound
to the row and field it belongs to (the ``context``, passed as GCM associated data): a blob
copied to another ride's row does not decrypt there.

Keys come from BIKENODE_DATA_KEYS ("keyid:base64key,keyid:base64key", the first current),
or else from DATA_DIR/data.keys (one "keyid:base64key" a line, the first current), a file
created with one random key on first use. Losing every copy of a key loses the values
encrypted under it for good: there is no back door.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bikenode.config import Settings

__all__ = [
    "KEY_FILE_NAME",
    "DecryptionFailed",
    "KeyRing",
    "add_key_to_file",
    "current_key_ring",
    "install_key_ring",
    "key_id_of",
    "key_ring_from_settings",
    "parse_data_keys",
]

KEY_FILE_NAME = "data.keys"
_MAGIC = b"BNE1"
_NONCE_BYTES = 12  # the GCM standard nonce; random nonces are safe far beyond 2**32 values
_KEY_BYTES = 32  # AES-256
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")

DataKeys = list[tuple[str, bytes]]


class DecryptionFailed(ValueError):
    """A value cannot be decrypted: unknown key id, wrong key, or damaged or moved data."""


def parse_data_keys(text: str) -> DataKeys:
    """The (key id, 32-byte key) pairs of "id:base64,id:base64" (commas or new lines)."""
    keys: DataKeys = []
    for item in re.split(r"[,\n]", text):
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ValueError(
                f"expected 'keyid:base64key' with a short plain key id, got {key_id!r}"
            )
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            raise ValueError(f"expected base64 for data key {key_id!r}") from None
        if len(key) != _KEY_BYTES:
            raise ValueError(f"expected a 32-byte key for {key_id!r}, got {len(key)} bytes")
        keys.append((key_id, key))
    if len({key_id for key_id, _ in keys}) != len(keys):
        raise ValueError("expected unique data key ids, got one twice")
    return keys


def new_key_line() -> str:
    """A fresh random key as one "keyid:base64key" line."""
    key_id = f"k{secrets.token_hex(4)}"
    return f"{key_id}:{base64.b64encode(os.urandom(_KEY_BYTES)).decode()}"


class KeyRing:
    """Encrypts under the current (first) key, decrypts under whichever key a value names."""

    def __init__(self, keys: DataKeys, *, reload: Callable[[], DataKeys] | None = None) -> None:
        if not keys:
            raise ValueError("expected at least one data key, got none")
        self._reload = reload
        self._lock = threading.Lock()
        self._set(keys)

    def _set(self, keys: DataKeys) -> None:
        self._keys = {key_id: AESGCM(key) for key_id, key in keys}
        self._current = keys[0][0]

    @property
    def current_key_id(self) -> str:
        """The id of the key new values are encrypted under."""
        return self._current

    @property
    def key_ids(self) -> list[str]:
        """Every key id the ring can decrypt."""
        return list(self._keys)

    def refresh(self) -> None:
        """Read the keys again from their source (another process may have rotated them)."""
        if self._reload is not None:
            with self._lock:
                self._set(self._reload())

    def encrypt(self, plaintext: bytes, *, context: bytes) -> bytes:
        """The value encrypted under the current key, bound to context."""
        key_id = self._current.encode("ascii")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[self._current].encrypt(nonce, plaintext, context)
        return _MAGIC + bytes([len(key_id)]) + key_id + nonce + sealed

    def decrypt(self, value: bytes, *, context: bytes) -> bytes:
        """The plaintext of a value from encrypt(); raises DecryptionFailed."""
        key_id = key_id_of(value)
        if key_id not in self._keys:
            self.refresh()  # a key added since this process loaded its ring
        cipher = self._keys.get(key_id)
        if cipher is None:
            raise DecryptionFailed(f"expected a configured data key, got key id {key_id!r}")
        start = len(_MAGIC) + 1 + len(key_id)
        nonce, sealed = value[start : start + _NONCE_BYTES], value[start + _NONCE_BYTES :]
        try:
            return cipher.decrypt(nonce, sealed, context)
        except InvalidTag:
            raise DecryptionFailed(
                f"expected data sealed under key {key_id!r} for this record, got a value "
                "that fails authentication (damaged, moved or under another key)"
            ) from None


def key_id_of(value: bytes) -> str:
    """The id of the key a value was encrypted under; raises DecryptionFailed if malformed."""
    if len(value) < len(_MAGIC) + 2 or not value.startswith(_MAGIC):
        raise DecryptionFailed(f"expected an encrypted value starting {_MAGIC!r}")
    length = value[len(_MAGIC)]
    raw = value[len(_MAGIC) + 1 : len(_MAGIC) + 1 + length]
    if len(raw) != length or len(value) < len(_MAGIC) + 1 + length + _NONCE_BYTES + 16:
        raise DecryptionFailed("expected a key id, a nonce and a tag, got a truncated value")
    return raw.decode("ascii", errors="replace")


def key_file_path(settings: Settings) -> Path:
    """Where the generated key ring lives when BIKENODE_DATA_KEYS is not set."""
    return settings.data_dir / KEY_FILE_NAME


def _read_or_create_key_file(path: Path) -> DataKeys:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(new_key_line() + "\n")
    return parse_data_keys(path.read_text())


def key_ring_from_settings(settings: Settings) -> KeyRing:
    """The ring from BIKENODE_DATA_KEYS, else from the data folder's key file (created once)."""
    if settings.data_keys:
        return KeyRing(parse_data_keys(settings.data_keys))
    path = key_file_path(settings)
    return KeyRing(_read_or_create_key_file(path), reload=lambda: _read_or_create_key_file(path))


def add_key_to_file(settings: Settings) -> str:
    """Put a new random key first in the data folder's key file; return its id."""
    if settings.data_keys:
        raise ValueError(
            "keys come from BIKENODE_DATA_KEYS: put a new key first in it on every node"
        )
    path = key_file_path(settings)
    old = path.read_text() if path.exists() else ""
    line = new_key_line()
    path.touch(mode=0o600)
    # Written whole to a temporary file, then renamed: a reader never sees half a file.
    temporary = path.with_suffix(".tmp")
    temporary.touch(mode=0o600)
    temporary.write_text(line + "\n" + old)
    temporary.replace(path)
    return line.partition(":")[0]


_installed: KeyRing | None = None


def install_key_ring(ring: KeyRing) -> None:
    """Make ring the process's key ring (the app and the CLI do this at start)."""
    global _installed  # one configuration per process, like logging's
    _installed = ring


def current_key_ring() -> KeyRing:
    """The process's key ring; raises if the app or CLI has not installed one."""
    if _installed is None:
        raise RuntimeError("no data keys installed: create_app() or the CLI installs them")
    return _installed
