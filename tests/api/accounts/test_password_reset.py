"""Password reset: a link by e-mail through a real SMTP server on loopback, single use, 30 min."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import stat
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text, update

from bikenode.accounts.models import PasswordResetToken
from bikenode.app import create_app
from bikenode.audit import verify_log
from bikenode.config import Settings
from bikenode.db.base import utcnow
from tests.factories import (
    STRONG_PASSWORD,
    enable_mfa,
    login,
    register,
    register_payload,
    signed_in,
    totp_code,
)
from tests.servers import free_port, served_app

PUBLIC_URL = "https://bikes.example.org"
SMTP_USER, SMTP_PASSWORD = "bikenode", "smtp secret for tests"
NEW_PASSWORD = "a brand new passphrase for ada"
LINK = re.compile(r"https://bikes\.example\.org/reset-password#token=([A-Za-z0-9_-]+)")


@dataclass
class Mailbox:
    """What the SMTP server received, and who logged in to send it."""

    port: int
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == SMTP_PASSWORD.encode()
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)

    def link_token(self, index: int = -1) -> str:
        body = self.messages[index][1].get_content()
        found = LINK.search(body)
        assert found, body
        return found.group(1)


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on loopback that asks for a login."""
    box = Mailbox(free_port())
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=box.port,
        authenticator=box.authenticate,
        auth_require_tls=False,  # loopback only; production settings use STARTTLS
    )
    controller.start()
    yield box
    controller.stop()


def _app_client(settings: Settings, **changes: Any) -> TestClient:
    return TestClient(
        create_app(settings.model_copy(update=changes)), raise_server_exceptions=False
    )


@pytest.fixture
def mail_client(settings: Settings, engine: Engine, mailbox: Mailbox) -> Iterator[TestClient]:
    with _app_client(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
        smtp_starttls=False,
        public_url=PUBLIC_URL,
        rate_limit_password_reset="100/hour",
        rate_limit_password_reset_confirm="100/hour",
    ) as client:
        yield client


def _ask(client: TestClient, email: str) -> Any:
    return client.post("/api/v1/auth/password-reset", json={"email": email})


def _confirm(client: TestClient, token: str, password: str, code: str | None = None) -> Any:
    body = {"token": token, "new_password": password, "code": code}
    return client.post("/api/v1/auth/password-reset/confirm", json=body)


def _events(client: TestClient) -> list[str]:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        rows = db.execute(text("SELECT event_type FROM audit_events ORDER BY seq")).scalars()
        return list(rows)


def test_a_reset_link_arrives_by_smtp_and_sets_a_new_password(
    mail_client: TestClient, mailbox: Mailbox
) -> None:
    client = mail_client
    payload = register(client)
    email = payload["email"]
    tokens = login(client, email)
    asked = _ask(client, email)
    assert asked.status_code == 202, asked.text
    [(recipients, message)] = mailbox.messages
    assert recipients == [email] and message["To"] == email
    assert message["Subject"] == "Reset your BikeNode password"
    assert mailbox.logins == [SMTP_USER]
    token = mailbox.link_token()
    assert len(token) >= 43  # 256 bits, base64url
    # Only the token's SHA-256 is stored.
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        [row] = db.execute(text("SELECT * FROM accounts_password_reset_tokens")).mappings()
        stored = db.scalars(select(PasswordResetToken)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in row.values())
    assert stored.expires_at - stored.created_at == timedelta(minutes=30)

    assert _confirm(client, token, NEW_PASSWORD).status_code == 204
    # Every session ended: the refresh token and the access token stop working.
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 401
    old = client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
    assert old.status_code == 401
    login(client, email, NEW_PASSWORD)
    # Single use.
    again = _confirm(client, token, "yet another long passphrase")
    assert again.status_code == 400 and "works once" in again.json()["detail"]
    events = _events(client)
    assert "auth.password_reset_requested" in events and "auth.password_reset" in events
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        _count, _head, findings = verify_log(db)
    assert findings == []


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    mail_client: TestClient, mailbox: Mailbox
) -> None:
    client = mail_client
    payload = register(client)
    known, unknown = _ask(client, payload["email"]), _ask(client, "nobody-here@example.org")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    varying = {"x-request-id", "ratelimit-remaining", "ratelimit-reset", "content-length"}
    assert {k: v for k, v in known.headers.items() if k not in varying} == {
        k: v for k, v in unknown.headers.items() if k not in varying
    }
    assert [recipients for recipients, _ in mailbox.messages] == [[payload["email"]]]
    assert _ask(client, "not an address").status_code == 202  # not even the format is judged


def test_the_new_password_must_keep_the_rules_and_a_refusal_keeps_the_link(
    mail_client: TestClient, mailbox: Mailbox
) -> None:
    client = mail_client
    payload = register(client)
    _ask(client, payload["email"])
    token = mailbox.link_token()
    short = _confirm(client, token, "only 14 chars")
    assert short.status_code == 422 and "at least 15" in short.json()["detail"]
    common = _confirm(client, token, "qwertyuiop12345")
    assert common.status_code == 422 and "common" in common.json()["detail"]
    assert _confirm(client, "x" * 43, NEW_PASSWORD).status_code == 400
    assert _confirm(client, token, NEW_PASSWORD).status_code == 204


def test_an_expired_link_is_refused(mail_client: TestClient, mailbox: Mailbox) -> None:
    client = mail_client
    payload = register(client)
    _ask(client, payload["email"])
    token = mailbox.link_token()
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        db.execute(update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    refused = _confirm(client, token, NEW_PASSWORD)
    assert refused.status_code == 400, refused.text
    login(client, payload["email"])  # the password is unchanged


def test_with_mfa_a_reset_needs_a_code_and_allows_eight_characters(
    mail_client: TestClient, mailbox: Mailbox
) -> None:
    client = mail_client
    payload, headers = signed_in(client)
    secret, recovery = enable_mfa(client, headers)
    _ask(client, payload["email"])
    token = mailbox.link_token()
    without = _confirm(client, token, "tandem-7x")
    assert without.status_code == 401 and "two-factor" in without.json()["detail"]
    assert _confirm(client, token, "tandem-7x", "000000").status_code == 401
    assert "mfa.code_rejected" in _events(client)
    assert _confirm(client, token, "tandem-7x", totp_code(secret, step_offset=1)).status_code == 204
    # Sign-in still asks for the second factor; a recovery code works too.
    first = login(client, payload["email"], "tandem-7x")
    assert first["mfa_required"]
    done = client.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": first["mfa_token"], "code": recovery[0]}
    )
    assert done.status_code == 200, done.text


def test_an_account_gets_at_most_three_reset_mails_an_hour(
    mail_client: TestClient, mailbox: Mailbox
) -> None:
    payload = register(mail_client)
    for _ in range(5):
        assert _ask(mail_client, payload["email"]).status_code == 202
    assert len(mailbox.messages) == 3


def test_asking_and_confirming_have_strict_rate_limits(settings: Settings, engine: Engine) -> None:
    with _app_client(settings) as client:  # the defaults: 5 and 10 an hour per address
        answers = [_ask(client, f"flood{i}@example.org") for i in range(6)]
        assert [a.status_code for a in answers] == [202] * 5 + [429]
        assert int(answers[-1].headers["Retry-After"]) > 0
        assert answers[0].headers["RateLimit-Policy"] == "5;w=3600"
        tries = [_confirm(client, f"guess-{i}", NEW_PASSWORD) for i in range(11)]
        assert [t.status_code for t in tries] == [400] * 10 + [429]


def test_without_smtp_the_mail_goes_to_the_outbox_and_the_token_stays_out_of_the_logs(
    settings: Settings, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with _app_client(settings, public_url=PUBLIC_URL) as client:
        payload = register(client)
        with caplog.at_level(logging.INFO):
            assert _ask(client, payload["email"]).status_code == 202
        [eml] = list((settings.data_dir / "outbox").glob("*.eml"))
        assert stat.S_IMODE(eml.stat().st_mode) == 0o600
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found = LINK.search(message.get_content())
        assert found and message["To"] == payload["email"]
        token = found.group(1)
        logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
        assert str(eml) in logged  # the operator learns where the message is
        assert token not in logged
        assert _confirm(client, token, NEW_PASSWORD).status_code == 204


def test_an_unreachable_smtp_server_changes_nothing_for_the_caller(
    settings: Settings, engine: Engine
) -> None:
    closed_port = free_port()
    with _app_client(settings, smtp_host="127.0.0.1", smtp_port=closed_port) as client:
        payload = register(client)
        answer = _ask(client, payload["email"])
        assert answer.status_code == 202
        assert "auth.password_reset_requested" in _events(client)


@dataclass
class SlowMailbox(Mailbox):
    """An SMTP server that takes its time, as a distant one does."""

    delay_s: float = 0.3

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay_s)
        return await super().handle_DATA(server, session, envelope)


def _post_json(base: str, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def _timed_ask(base: str, email: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    status, body = _post_json(base, "/api/v1/auth/password-reset", {"email": email})
    return time.perf_counter() - started, status, body


def test_the_answer_takes_as_long_for_an_unknown_address_as_for_a_known_one(
    settings: Settings, engine: Engine
) -> None:
    box = SlowMailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    changes = {
        "smtp_host": "127.0.0.1",
        "smtp_port": box.port,
        "smtp_starttls": False,
        "rate_limit_password_reset": "100/hour",
    }
    app = create_app(settings.model_copy(update=changes))
    try:
        with served_app(app) as base:
            emails = [f"timed{i}@example.org" for i in range(7)]  # one account per ask
            for email in emails:
                _post_json(base, "/api/v1/auth/register", register_payload(email=email))
            known: list[float] = []
            unknown: list[float] = []
            answers = set()
            for i, email in enumerate(emails):  # interleaved: load on the machine hits both
                for asked, times in ((email, known), (f"ghost{i}@example.org", unknown)):
                    elapsed_s, status, body = _timed_ask(base, asked)
                    answers.add((status, body))
                    times.append(elapsed_s)
                    time.sleep(box.delay_s + 0.1)  # let the background delivery finish
    finally:
        controller.stop()
    assert len(answers) == 1 and len(box.messages) == 7  # mail went out, after the answers
    known_s, unknown_s = sorted(known)[3], sorted(unknown)[3]
    # Delivering inline would add the SMTP server's 0.3 s to every known address.
    assert known_s < 0.15 and abs(known_s - unknown_s) < 0.05, (known, unknown)


def test_signing_up_with_a_taken_address_mails_its_owner_and_a_new_address_gets_nothing(
    mail_client: TestClient, mailbox: Mailbox
) -> None:
    client = mail_client
    payload = register(client)
    assert mailbox.messages == []  # a new account: signed in at once, no mail needed
    again = client.post("/api/v1/auth/register", json=register_payload(email=payload["email"]))
    assert again.status_code == 202
    [(recipients, message)] = mailbox.messages
    assert recipients == [payload["email"]]
    assert message["Subject"] == "You already have a BikeNode account"
    body = message.get_content()
    assert f"{PUBLIC_URL}/signin" in body and f"{PUBLIC_URL}/forgot-password" in body
    assert "auth.sign_up_for_existing_account" in _events(client)
