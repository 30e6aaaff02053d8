"""Push subscriptions' checks and what a push service's answer means (RFC 8030)."""

from __future__ import annotations

import pytest

from bikenode.notifications.logic.push import (
    GONE,
    KEPT,
    REFUSED,
    RETRY,
    BadSubscription,
    check_endpoint,
    outcome,
)


@pytest.mark.parametrize(
    ("status", "meaning"),
    [
        *[(201, KEPT), (None, RETRY), (429, RETRY), (503, RETRY), (404, GONE), (410, GONE)],
        *[(400, REFUSED), (401, REFUSED), (413, REFUSED)],
    ],
)
def test_each_answer_means_one_thing(status: int | None, meaning: str) -> None:
    assert outcome(status) == meaning


@pytest.mark.parametrize(
    "url",
    ["https://fcm.googleapis.com/fcm/send/x", "http://127.0.0.1:8080/p", "http://[::1]/p"],
)
def test_https_or_loopback_endpoints_are_kept(url: str) -> None:
    assert check_endpoint(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://push.example.com/x",
        "http://127.0.0.1.example.com/x",
        "ftp://push.example.com/x",
        "https:///no-host",
        "https://push.example.com:99999/x",
        "https://a@push.example.com/x",
    ],
)
def test_other_endpoints_are_refused(url: str) -> None:
    with pytest.raises(BadSubscription):
        check_endpoint(url)
