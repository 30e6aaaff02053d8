"""An admin reading another user's profile and rides: admins with MFA only, always audited."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from bikenode.audit import verify_log
from bikenode.audit.models import AuditEvent
from tests.factories import STRONG_PASSWORD, admin_with_mfa, login, signed_in, upload_files
from tests.synthetic import synthetic_gpx

GPX = synthetic_gpx(datetime(2024, 6, 1, 7, tzinfo=UTC), points=240, seed=3)


def _admin_reads(client: TestClient) -> list[AuditEvent]:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        query = select(AuditEvent).where(AuditEvent.event_type == "governance.admin_read")
        return list(db.scalars(query.order_by(AuditEvent.seq)))


def test_an_admin_read_returns_profile_and_rides_and_is_in_the_chain(client: TestClient) -> None:
    rider, rider_headers = signed_in(client)
    [upload] = upload_files(client, rider_headers, [("morning.gpx", GPX)])
    ride_id = upload["items"][0]["ride_id"]
    rider_id = client.get("/api/v1/me", headers=rider_headers).json()["id"]
    admin_headers, _secret = admin_with_mfa(client)
    admin_id = client.get("/api/v1/me", headers=admin_headers).json()["id"]

    read = client.get(f"/api/v1/admin/users/{rider_id}", headers=admin_headers)
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["profile"]["email"] == rider["email"]
    assert body["profile"]["mfa_enabled"] is False
    assert [ride["id"] for ride in body["rides"]] == [ride_id]
    assert "password_hash" not in read.text and "sessions" not in body["profile"]

    [event] = _admin_reads(client)
    assert (str(event.actor_id), str(event.subject_id)) == (admin_id, rider_id)
    assert event.details == {"read": ["profile", "rides"], "rides": 1}
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        _count, head, findings = verify_log(db)
    assert findings == [] and head == event.entry_hash  # the newest link of the chain

    # The rider sees the read in their own security log (GDPR export).
    exported = client.get("/api/v1/me/export", headers=rider_headers)
    assert exported.status_code == 200
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        events = json.loads(archive.read("security_events.json"))
    assert {"event_type": "governance.admin_read", "by_you": False}.items() <= next(
        e for e in events if e["event_type"] == "governance.admin_read"
    ).items()


def test_only_an_admin_with_mfa_may_read_others(client: TestClient) -> None:
    _, rider_headers = signed_in(client)
    rider_id = client.get("/api/v1/me", headers=rider_headers).json()["id"]
    _, other_headers = signed_in(client)
    assert client.get(f"/api/v1/admin/users/{rider_id}", headers=other_headers).status_code == 403
    assert client.get(f"/api/v1/admin/users/{rider_id}").status_code == 401

    from bikenode.accounts.service import register_user

    app = client.app
    with app.state.session_factory() as db:  # type: ignore[attr-defined]
        register_user(
            db,
            app.state.accounts,  # type: ignore[attr-defined]
            email="nomfa-admin@example.org",
            password=STRONG_PASSWORD,
            display_name="Admin without MFA",
            role="admin",
        )
    tokens = login(client, "nomfa-admin@example.org")
    no_mfa = {"Authorization": f"Bearer {tokens['access_token']}"}
    refused = client.get(f"/api/v1/admin/users/{rider_id}", headers=no_mfa)
    assert refused.status_code == 403 and "two-factor" in refused.json()["detail"]

    admin_headers, _ = admin_with_mfa(client)
    assert (
        client.get(f"/api/v1/admin/users/{uuid.uuid4()}", headers=admin_headers).status_code == 404
    )
    assert _admin_reads(client) == []  # refused reads read nothing, so record no read
