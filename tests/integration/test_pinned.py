"""The pinned POST (bikenode/pinned.py) against a real server on loopback: it connects to
the address given, says the host name it was given, follows no redirect, uses no proxy and
reads only the first bytes of an answer; over TLS it checks the certificate against the host
name, not the address."""

from __future__ import annotations

import contextlib
import http.server
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bikenode.pinned import Pinned, post_pinned
from tests.webhook_receiver import serving

LONG_ANSWER = b"x" * 100_000


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, bytes]]] = []  # (path, Host header, body) of each request

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.seen.append((self.path, self.headers.get("Host", ""), body))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(201)
        self.send_header("Content-Length", str(len(LONG_ANSWER)))
        self.end_headers()
        # The client reads what it wants and hangs up: a broken pipe here is expected.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(LONG_ANSWER)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    _Handler.seen = []
    with serving(_Handler) as base:
        yield urlsplit(base).port or 0


def _post(port: int, path: str) -> Any:
    pinned = Pinned("http", "push.example", port, "127.0.0.1")
    return post_pinned(
        pinned, path, body=b"hello", headers={}, timeout_s=5.0, max_answer_bytes=4096
    )


def test_the_post_reaches_the_pinned_address_under_the_host_name(port: int) -> None:
    # push.example does not resolve here: only the pinned address can have been used.
    answer = _post(port, "/push/a?x=1")

    assert answer.status == 201
    assert len(answer.body) == 4096  # the rest of the 100 kB answer is never read
    assert _Handler.seen == [("/push/a?x=1", f"push.example:{port}", b"hello")]


def test_a_redirect_is_answered_not_followed(port: int) -> None:
    assert _post(port, "/moved").status == 302
    assert [path for path, _, _ in _Handler.seen] == ["/moved"]


def test_a_proxy_in_the_environment_is_not_used(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens on port 9
    assert _post(port, "/push/b").status == 201


def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A certificate for `name` that signs itself (to be trusted as its own CA), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """An https server on loopback whose certificate names push.example; the client's
    default context trusts that certificate (and nothing else changes in it)."""
    cert, key = _self_signed(tmp_path, "push.example")
    default = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda: default(cafile=str(cert)))
    _Handler.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _post_tls(port: int, host: str) -> Any:
    pinned = Pinned("https", host, port, "127.0.0.1")
    return post_pinned(
        pinned, "/push/c", body=b"hi", headers={}, timeout_s=5.0, max_answer_bytes=64
    )


def test_tls_checks_the_certificate_against_the_host_name_not_the_address(tls_port: int) -> None:
    assert _post_tls(tls_port, "push.example").status == 201
    assert _Handler.seen == [("/push/c", f"push.example:{tls_port}", b"hi")]
    with pytest.raises(ssl.SSLCertVerificationError, match=r"other\.example"):
        _post_tls(tls_port, "other.example")
