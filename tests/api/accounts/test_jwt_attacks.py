"""JWT attacks beyond those in test_auth.py: HS/RS key confusion, tampered payloads, MFA tokens."""

from __future__ import annotations

import base64
import json

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from tests.factories import STRONG_PASSWORD, enable_mfa, login, register, signed_in


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_rs256_tokens_are_refused_whatever_key_signed_them(client: TestClient) -> None:
    payload = register(client)
    good = login(client, payload["email"])["access_token"]
    claims = jwt.decode(good, options={"verify_signature": False})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert _me(client, jwt.encode(claims, key, algorithm="RS256")) == 401
    # Key confusion: an HS256 token whose HMAC key is a public key the attacker knows.
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    import hashlib
    import hmac

    signature = _b64(hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
    assert _me(client, f"{header}.{body}.{signature}") == 401
    assert _me(client, good) == 200


def test_a_tampered_payload_with_the_original_signature_is_refused(client: TestClient) -> None:
    victim, _ = signed_in(client)
    attacker = register(client)
    victim_id = client.get(
        "/api/v1/me",
        headers={"Authorization": f"Bearer {login(client, victim['email'])['access_token']}"},
    ).json()["id"]
    token = login(client, attacker["email"])["access_token"]
    header, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = victim_id
    forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert _me(client, forged) == 401
    # Dropping the signature is no better.
    assert _me(client, f"{header}.{body}.") == 401


def test_a_second_step_token_cannot_be_used_as_an_access_token_or_vice_versa(
    client: TestClient,
) -> None:
    payload, headers = signed_in(client)
    enable_mfa(client, headers)
    challenge = client.post(
        "/api/v1/auth/login", json={"email": payload["email"], "password": STRONG_PASSWORD}
    ).json()
    assert _me(client, challenge["mfa_token"]) == 401
    access = headers["Authorization"].split(" ", 1)[1]
    as_mfa = client.post("/api/v1/auth/login/mfa", json={"mfa_token": access, "code": "123456"})
    assert as_mfa.status_code == 401
