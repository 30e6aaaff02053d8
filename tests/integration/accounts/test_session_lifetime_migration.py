"""Migration 0008_session_lifetime: existing sessions count their lifetime from their sign-in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from bikenode.accounts.models import RefreshToken
from tests.integration.accounts.test_totp_sealing import _uuid_param
from tests.migration_tools import migrate

SIGN_IN = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _insert_token(
    engine: Engine, *, user_id: uuid.UUID, family_id: uuid.UUID, issued_at: datetime
) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts_refresh_tokens (id, token_hash, family_id, user_id,"
                " issued_at, expires_at) VALUES (:id, :hash, :family, :user, :issued, :expires)"
            ),
            {
                "id": _uuid_param(engine, uuid.uuid4()),
                "hash": uuid.uuid4().hex * 2,
                "family": _uuid_param(engine, family_id),
                "user": _uuid_param(engine, user_id),
                "issued": issued_at,
                "expires": issued_at + timedelta(days=30),
            },
        )


def test_the_migration_dates_each_session_from_its_first_token_and_downgrades(
    empty_database: Engine,
) -> None:
    engine = empty_database
    migrate(engine, "0007_share_health_default")
    user_id = uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounts_users (id, email, password_hash, display_name, role, units,"
                " timezone, created_at, updated_at) VALUES (:id, 'old@example.org', 'x', 'Old',"
                " 'rider', 'metric', 'UTC', :now, :now)"
            ),
            {"id": _uuid_param(engine, user_id), "now": SIGN_IN},
        )
    daily, fresh = uuid.uuid4(), uuid.uuid4()
    for day in (0, 1, 2, 40):  # a session refreshed for 40 days
        _insert_token(
            engine, user_id=user_id, family_id=daily, issued_at=SIGN_IN + timedelta(days=day)
        )
    _insert_token(engine, user_id=user_id, family_id=fresh, issued_at=SIGN_IN + 50 * DAY)

    migrate(engine, "heads")
    with Session(engine) as db:
        started = {
            (token.family_id, token.session_started_at)
            for token in db.scalars(select(RefreshToken))
        }
    assert started == {(daily, SIGN_IN), (fresh, SIGN_IN + 50 * DAY)}

    migrate(engine, "0007_share_health_default", down=True)
    with engine.connect() as connection:
        columns = connection.execute(text("SELECT * FROM accounts_refresh_tokens")).keys()
        count = connection.execute(text("SELECT count(*) FROM accounts_refresh_tokens")).scalar()
    assert "session_started_at" not in columns
    assert count == 5
