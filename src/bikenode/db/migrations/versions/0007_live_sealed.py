"""live heart rate sealed with the data key ring (AES-256-GCM), apart from the other columns

Revision ID: 0007_live_sealed
Revises: 0003_live
Create Date: 2026-12-07

The heart rate of stored batches moves out of the plain JSON (`points`) into a sealed blob,
under the key ring the app uses: the one the running process installed (`serve`, `db
upgrade` and the CLI install it before upgrading), else the one from the settings
(BIKENODE_DATA_KEYS, or DATA_DIR/data.keys, created if missing). The downgrade writes it back
into the plain JSON.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from bikenode.encryption import KeyRing

revision = "0007_live_sealed"
down_revision = "0003_live"
branch_labels = None
depends_on = None

# The same associated data and health columns as bikenode.live.storage (frozen here on purpose).
_CONTEXT_PREFIX = b"live_batches.health:"
_HEALTH = ("hr",)
# The order the columns were stored in before (a downgrade writes them back in it).
_ORDER = ("t", "lat", "lon", "ele", "hr", "pwr", "cad")
_CHUNK = 500  # rows read at a time: a large table is never held in memory whole

_batches = sa.table(
    "live_batches",
    sa.column("id", sa.Integer()),
    sa.column("session_id", sa.Uuid()),
    sa.column("batch_no", sa.Integer()),
    sa.column("points", sa.LargeBinary()),
    sa.column("health_sealed", sa.LargeBinary()),
    sa.column("health_key_id", sa.String(40)),
)


def _key_ring() -> KeyRing:
    from bikenode.config import load_settings
    from bikenode.encryption import current_key_ring, key_ring_from_settings

    try:
        return current_key_ring()
    except RuntimeError:  # run outside the app and the CLI (alembic's own command)
        return key_ring_from_settings(load_settings())


def _context(session_id: uuid.UUID, batch_no: int) -> bytes:
    return _CONTEXT_PREFIX + session_id.bytes + batch_no.to_bytes(4, "big")


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _rows(*columns: Any, where: Any) -> Iterator[Any]:
    """The rows (id first, then `columns`) matching `where`, by id, a chunk at a time."""
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(_batches.c.id, *columns)
            .where(where, _batches.c.id > after)
            .order_by(_batches.c.id)
            .limit(_CHUNK)
        ).all()
        yield from rows
        if len(rows) < _CHUNK:
            return
        after = rows[-1].id


def upgrade() -> None:
    op.add_column("live_batches", sa.Column("health_sealed", sa.LargeBinary(), nullable=True))
    op.add_column("live_batches", sa.Column("health_key_id", sa.String(length=40), nullable=True))
    op.create_index(op.f("ix_live_batches_health_key_id"), "live_batches", ["health_key_id"])
    connection = op.get_bind()
    ring: KeyRing | None = None  # an empty table needs no key (and creates no key file)
    columns = (_batches.c.session_id, _batches.c.batch_no, _batches.c.points)
    for row_id, session_id, batch_no, points in _rows(*columns, where=sa.true()):
        stored = json.loads(points)
        health = {key: stored.pop(key) for key in _HEALTH if key in stored}
        if not health:
            continue
        ring = ring or _key_ring()
        sealed = ring.encrypt(_json(health), context=_context(session_id, batch_no))
        connection.execute(
            _batches.update()
            .where(_batches.c.id == row_id)
            .values(points=_json(stored), health_sealed=sealed, health_key_id=ring.current_key_id)
        )


def downgrade() -> None:
    connection = op.get_bind()
    ring: KeyRing | None = None
    columns = (
        _batches.c.session_id,
        _batches.c.batch_no,
        _batches.c.points,
        _batches.c.health_sealed,
    )
    where = _batches.c.health_sealed.is_not(None)
    for row_id, session_id, batch_no, points, sealed in _rows(*columns, where=where):
        ring = ring or _key_ring()
        merged = {
            **json.loads(points),
            **json.loads(ring.decrypt(sealed, context=_context(session_id, batch_no))),
        }
        ordered = {key: merged[key] for key in _ORDER if key in merged}
        ordered.update({key: value for key, value in merged.items() if key not in ordered})
        connection.execute(
            _batches.update().where(_batches.c.id == row_id).values(points=_json(ordered))
        )
    op.drop_index(op.f("ix_live_batches_health_key_id"), table_name="live_batches")
    op.drop_column("live_batches", "health_key_id")
    op.drop_column("live_batches", "health_sealed")
