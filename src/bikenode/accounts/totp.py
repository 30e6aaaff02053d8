"""TOTP (RFC 6238) and recovery codes as pure functions: no I/O, no clock of their own."""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from datetime import datetime

import pyotp
import segno

TOTP_PERIOD_S = 30
TOTP_DIGITS = 6
# A code from the step before or after is accepted too: phones' clocks drift.
TOTP_WINDOW_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud safely
_RECOVERY_GROUPS, _RECOVERY_GROUP_LEN = 4, 4  # 16 symbols of 31: about 79 bits


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// URI that authenticator apps read from the QR code."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_S).provisioning_uri(
        name=account, issuer_name=issuer
    )


def qr_svg(uri: str) -> bytes:
    """The URI as a QR code in SVG, made locally (nothing is sent anywhere)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=6, border=4, xmldecl=False)
    return out.getvalue()


def time_step(now: datetime) -> int:
    """The TOTP time step (30 s slots since the epoch) that `now` falls in."""
    return int(now.timestamp()) // TOTP_PERIOD_S


def matching_step(secret: str, code: str, *, now: datetime, after_step: int) -> int | None:
    """The time step whose code this is, if valid and newer than `after_step`; else None.

    Refusing steps at or before `after_step` makes each code single-use: a code seen once
    (even by an eavesdropper) cannot be replayed within its 90 s window.
    """
    code = code.strip().replace(" ", "")
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_S)
    current = time_step(now)
    for step in range(current - TOTP_WINDOW_STEPS, current + TOTP_WINDOW_STEPS + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh recovery codes such as 'k7mq-2xfe-9pzt-w3hd', shown to the user once."""
    return [
        "-".join(
            "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_GROUP_LEN))
            for _ in range(_RECOVERY_GROUPS)
        )
        for _ in range(count)
    ]


def normalise_recovery_code(code: str) -> str:
    """The canonical form of a typed recovery code: lower case, no spaces or dashes."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    """The stored form of a recovery code: SHA-256 of its canonical form (it is random)."""
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def looks_like_totp(code: str) -> bool:
    """True for six digits (a TOTP code), False for anything else (maybe a recovery code)."""
    cleaned = code.strip().replace(" ", "")
    return len(cleaned) == TOTP_DIGITS and cleaned.isdigit()
