"""webhooks.WebhookDisabled becomes one notification for the subscription's owner; the text
names the host and the reason, links to the webhook (or the app), and never more."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from bikenode import webhooks
from bikenode.notifications.logic.catalogue import EMAIL, IN_APP, PUSH, effective, render
from bikenode.notifications.registry import intents_of

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OWNER, HOOK, APP = (uuid.UUID(int=n) for n in range(1, 4))


def _fact(**changes: object) -> webhooks.WebhookDisabled:
    fields: dict[str, object] = {
        "subscription_id": HOOK,
        "owner_id": OWNER,
        "app_id": None,
        "host": "hooks.example.org",
        "reason": webhooks.GONE_REASON,
        "failing_since": None,
        "attempts": 0,
    }
    fields.update(changes)
    return webhooks.WebhookDisabled(**fields)  # type: ignore[arg-type]


def test_a_410_tells_the_owner_the_host_and_links_to_the_webhook() -> None:
    [intent] = intents_of(_fact(), NOW)
    assert (intent.recipient_id, intent.kind, intent.actor_id) == (OWNER, "webhook_disabled", None)
    shown = render(intent.kind, intent.params)
    assert shown.title == "A webhook to hooks.example.org was disabled"
    assert "410 Gone" in shown.text
    assert shown.link == f"/settings/webhooks?webhook={HOOK}"


def test_failing_for_days_names_since_when_and_how_many_attempts() -> None:
    since = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
    fact = _fact(reason=webhooks.FAILING_REASON, failing_since=since, attempts=12)
    [intent] = intents_of(fact, NOW)
    text = render(intent.kind, intent.params).text
    assert "failed since 2026-12-04 09:30 UTC after 12 attempts in a row" in text


def test_an_apps_webhook_links_to_the_app() -> None:
    [intent] = intents_of(_fact(app_id=APP), NOW)
    assert render(intent.kind, intent.params).link == f"/settings/apps?app={APP}"


def test_in_app_and_e_mail_by_default_not_push() -> None:
    assert effective("webhook_disabled", IN_APP, {}) and effective("webhook_disabled", EMAIL, {})
    assert not effective("webhook_disabled", PUSH, {})
