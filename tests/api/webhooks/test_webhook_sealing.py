"""Webhook signing secrets under data-key rotation: sealed at rest and counted as in use,
re-sealed by governance's re-encryption job, and deliveries still verify with the old key
gone (the secrets themselves never change, so receivers notice nothing)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.encryption import (
    KeyRing,
    add_key_to_file,
    current_key_ring,
    install_key_ring,
    key_file_path,
    key_id_of,
    parse_data_keys,
)
from bikenode.governance.service import key_ids_in_use, start_reencryption
from bikenode.webhooks.models import WebhookSubscription
from tests.api.webhooks.test_webhooks import Rider
from tests.webhook_receiver import Receiver, webhook_receiver


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    """Loopback allowed for the tests' receiver."""
    application = create_app(settings.model_copy(update={"webhooks_allowed_hosts": "127.0.0.1"}))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


def _sessions(client: TestClient) -> sessionmaker[Session]:
    return client.app.state.session_factory  # type: ignore[attr-defined,no-any-return]


def test_secrets_are_sealed_and_their_key_is_in_use(client: TestClient, receiver: Receiver) -> None:
    hook = Rider(client, receiver).subscribe()
    with _sessions(client)() as db:
        row = db.scalars(select(WebhookSubscription)).one()
        assert hook["secret"].encode() not in row.secrets_sealed
        assert hook["secret"].removeprefix("whsec_").encode() not in row.secrets_sealed
        assert current_key_ring().current_key_id in key_ids_in_use(db)


def test_rotation_reseals_secrets_and_deliveries_verify_with_the_old_key_gone(
    client: TestClient, receiver: Receiver, settings: Settings
) -> None:
    rider = Rider(client, receiver)
    hooks = [rider.subscribe() for _ in range(3)]
    rotated = client.post(f"/api/v1/webhooks/{hooks[0]['id']}/rotate-secret", headers=rider.headers)
    assert rotated.status_code == 200, rotated.text
    receiver.secrets.append(rotated.json()["secret"])
    with _sessions(client)() as db:
        old_key = current_key_ring().current_key_id
        changed_at = {r.id: r.updated_at for r in db.scalars(select(WebhookSubscription))}
    new_key = add_key_to_file(settings)
    with _sessions(client)() as db:
        start_reencryption(db, actor="test")
    client.app.state.worker.run_until_idle()  # type: ignore[attr-defined]
    with _sessions(client)() as db:
        rows = db.scalars(select(WebhookSubscription)).all()
        assert {key_id_of(r.secrets_sealed) for r in rows} == {new_key}
        assert {r.key_id for r in rows} == {new_key}
        assert {r.id: r.updated_at for r in rows} == changed_at  # not the owner's edit
        assert old_key not in key_ids_in_use(db)
    previous = current_key_ring()
    keys = parse_data_keys(key_file_path(settings).read_text())
    install_key_ring(KeyRing([key for key in keys if key[0] == new_key]))
    try:
        rider.upload_ride()
        rider.run_background()
        assert len(receiver.requests) == 3
        assert all(request.verified_by for request in receiver.requests)
        # The rotated webhook still signs with both its secrets, as before the key rotation.
        assert sorted(len(r.verified_by) for r in receiver.requests) == [1, 1, 2]
    finally:
        install_key_ring(previous)
