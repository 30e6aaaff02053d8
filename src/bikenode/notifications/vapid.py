"""This server's VAPID key pair (RFC 8292): made on first start, kept in data_dir like the
token-signing secret, and the same for every worker and every restart, because browsers
bind each push subscription to the public key they were given."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

VAPID_FILE_NAME = "vapid.pem"


def load_or_create(data_dir: Path) -> Vapid02:
    """The key pair in data_dir/vapid.pem, created there (mode 0600) if absent."""
    path = data_dir / VAPID_FILE_NAME
    if not path.exists():
        _create(path)
    return Vapid02.from_pem(path.read_bytes())


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written aside, then linked into place: a second worker starting at the same moment
    # fails the link and uses the first key, never one of its own.
    draft = path.parent / f".{path.name}.{secrets.token_hex(8)}"
    draft.touch(mode=0o600)
    draft.write_bytes(pem)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def application_server_key(vapid: Vapid02) -> str:
    """The public key as browsers' PushManager.subscribe wants it: the uncompressed P-256
    point, base64url without padding."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
