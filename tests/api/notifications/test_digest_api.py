"""Digest settings over HTTP: per chatty type off, daily or weekly, and the hour and weekday
they go out in the rider's timezone (the sending: tests/integration/notifications)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import signed_in

PATH = "/api/v1/notifications/preferences"


def test_digests_are_off_until_chosen_then_kept(client: TestClient) -> None:
    _, headers = signed_in(client)
    shown = client.get(PATH, headers=headers).json()
    assert shown["digests"] == {
        "kudos": "off",
        "comment": "off",
        "new_follower": "off",
        "follow_accepted": "off",
    }
    assert shown["digest_schedule"] == {"hour": 18, "weekday": 6}
    body = {
        "digests": [{"type": "kudos", "period": "weekly"}, {"type": "comment", "period": "daily"}],
        "digest_schedule": {"hour": 7, "weekday": 0},
    }
    changed = client.put(PATH, json=body, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["digests"]["kudos"] == "weekly"
    again = client.put(
        PATH, json={"digests": [{"type": "kudos", "period": "off"}]}, headers=headers
    )
    kept = again.json()
    assert (kept["digests"]["kudos"], kept["digests"]["comment"]) == ("off", "daily")
    assert kept["digest_schedule"] == {"hour": 7, "weekday": 0}


@pytest.mark.parametrize(
    "body",
    [
        {"digests": [{"type": "payment_received", "period": "daily"}]},  # not a chatty type
        {"digests": [{"type": "kudos", "period": "hourly"}]},
        {"digest_schedule": {"hour": 24, "weekday": 0}},
        {"digest_schedule": {"hour": 7, "weekday": 7}},
        {"digests": [{"type": "kudos", "period": "daily"}] * 21},
    ],
)
def test_bad_digest_settings_are_refused(client: TestClient, body: dict[str, Any]) -> None:
    _, headers = signed_in(client)
    answer = client.put(PATH, json=body, headers=headers)
    assert answer.status_code == 422, answer.text
