"""The node's keys inside a backup, sealed with the operator's passphrase.

A backup that held the keys in the clear would hand whoever finds it every sealed health
value and the power to sign access tokens; one without them is useless once the data folder
is lost. So the keys go in only when asked, under scrypt + AES-256-GCM, and restore needs the
passphrase. Without a passphrase the backup says which key ids it needs, and restore refuses
until a key ring holding them is in place.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT_N = 2**15  # about 0.1 s and 32 MiB per guess on a laptop
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSPHRASE_CHARS = 12
_CONTEXT = b"bikenode backup keys v1"


class WrongPassphrase(ValueError):
    """The passphrase does not open the sealed keys (or the file was altered)."""


@dataclass(frozen=True)
class NodeKeys:
    data_keys: str  # "id:base64" lines, the current key first (bikenode.encryption)
    secret_key: str | None  # the token-signing secret, when it lives in the data folder


def seal(keys: NodeKeys, passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise ValueError(f"the passphrase must be at least {MIN_PASSPHRASE_CHARS} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    plain = json.dumps({"data_keys": keys.data_keys, "secret_key": keys.secret_key}).encode()
    sealed = AESGCM(_derive(passphrase, salt, SCRYPT_N)).encrypt(nonce, plain, _CONTEXT)
    return json.dumps(
        {
            "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
            "salt": base64.b64encode(salt).decode(),
            "nonce": base64.b64encode(nonce).decode(),
            "sealed": base64.b64encode(sealed).decode(),
        },
        indent=1,
    ).encode()


def unseal(data: bytes, passphrase: str) -> NodeKeys:
    try:
        envelope = json.loads(data)
        salt = base64.b64decode(envelope["salt"])
        nonce = base64.b64decode(envelope["nonce"])
        sealed = base64.b64decode(envelope["sealed"])
        n = int(envelope["kdf"]["n"])
    except (ValueError, KeyError, TypeError) as error:
        raise WrongPassphrase(f"the sealed keys file is damaged ({error})") from error
    if not 2**14 <= n <= 2**20:  # a file asking for absurd work is not ours
        raise WrongPassphrase(f"the sealed keys file asks for scrypt n={n}, outside 2^14..2^20")
    try:
        plain = AESGCM(_derive(passphrase, salt, n)).decrypt(nonce, sealed, _CONTEXT)
    except InvalidTag as error:
        raise WrongPassphrase("the passphrase does not open this backup's keys") from error
    values = json.loads(plain)
    return NodeKeys(data_keys=values["data_keys"], secret_key=values["secret_key"])


def _derive(passphrase: str, salt: bytes, n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase.encode())
