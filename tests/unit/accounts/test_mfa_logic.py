from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from bikenode.accounts import throttle_rules, totp
from bikenode.accounts.common_passwords import common_passwords
from bikenode.accounts.logic import PolicyError, check_password_policy

NOW = datetime(2026, 3, 1, 12, 0, 10, tzinfo=UTC)


def test_rfc6238_sha1_test_vector_is_accepted_at_its_time() -> None:
    # RFC 6238 appendix B: secret "12345678901234567890", T = 59 s -> 94287082 (8 digits);
    # the 6-digit code is its last six digits.
    secret = base64.b32encode(b"12345678901234567890").decode()
    at = datetime.fromtimestamp(59, tz=UTC)
    assert totp.matching_step(secret, "287082", now=at, after_step=0) == 1


def test_a_code_is_good_once_per_time_step() -> None:
    secret = totp.new_totp_secret()
    code = pyotp.TOTP(secret).at(NOW)
    step = totp.matching_step(secret, code, now=NOW, after_step=0)
    assert step == totp.time_step(NOW)
    assert totp.matching_step(secret, code, now=NOW, after_step=step) is None


def test_codes_one_step_off_are_accepted_two_steps_off_refused() -> None:
    secret = totp.new_totp_secret()
    previous = pyotp.TOTP(secret).at(NOW - timedelta(seconds=30))
    too_old = pyotp.TOTP(secret).at(NOW - timedelta(seconds=60))
    assert totp.matching_step(secret, previous, now=NOW, after_step=0) == totp.time_step(NOW) - 1
    assert totp.matching_step(secret, too_old, now=NOW, after_step=0) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes_are_refused(code: str) -> None:
    assert totp.matching_step(totp.new_totp_secret(), code, now=NOW, after_step=0) is None


def test_recovery_codes_are_ten_distinct_and_hashed_canonically() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    code = codes[0]
    assert len(code.replace("-", "")) == 16
    expected = hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert totp.hash_recovery_code(code.upper().replace("-", " ")) == expected


def test_qr_code_is_an_svg_of_the_otpauth_uri() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", account="ada@example.org", issuer="BikeNode")
    assert uri.startswith("otpauth://totp/BikeNode:ada%40example.org?secret=JBSWY3DPEHPK3PXP")
    svg = totp.qr_svg(uri)
    assert svg.lstrip().startswith(b"<svg") and b"</svg>" in svg


def test_delays_grow_and_are_capped() -> None:
    rule = throttle_rules.ACCOUNT_FROM_IP
    delays = [throttle_rules.delay_after(rule, n).total_seconds() for n in range(1, 20)]
    free = rule.free_failures
    assert delays[:free] == [0.0] * free
    assert delays[free : free + 4] == [1.0, 2.0, 4.0, 8.0]
    assert max(delays) == rule.max_delay_s
    assert throttle_rules.delay_after(throttle_rules.ACCOUNT, 10_000).total_seconds() == 60


def test_old_failures_are_forgotten() -> None:
    assert throttle_rules.failures_now(7, NOW - timedelta(hours=25), NOW) == 0
    assert throttle_rules.failures_now(7, NOW - timedelta(hours=1), NOW) == 7


def test_throttle_keys_cover_account_ip_and_pair() -> None:
    keys = throttle_rules.throttle_keys(email="a@example.org", client_ip="192.0.2.7")
    assert set(keys) == {
        "account:a@example.org",
        "ip:192.0.2.7",
        "account-ip:a@example.org|192.0.2.7",
    }


def test_common_passwords_are_refused_whatever_their_case() -> None:
    listed = common_passwords()
    assert len(listed) > 10_000
    assert "password1" in listed and "iloveyou" in listed
    with pytest.raises(PolicyError, match="common or breached"):
        check_password_policy("PassWord1", has_mfa=True, common=listed)
    check_password_policy("violet kayak thunder", has_mfa=True, common=listed)


def test_with_mfa_the_minimum_is_eight() -> None:
    check_password_policy("tram-kite", has_mfa=True)
    with pytest.raises(PolicyError, match="at least 15"):
        check_password_policy("tram-kite", has_mfa=False)
