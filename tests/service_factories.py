"""Factories for service-level tests: rows made through the domains' own services, on the
database under test, without HTTP. Each takes overrides for what a test cares about."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bikenode.accounts.models import User
from bikenode.live import logic as live_logic
from bikenode.live import service as live_service
from bikenode.live.models import LiveSession
from bikenode.rides.imports import RiderContext, import_activity
from tests.live_tools import columns
from tests.synthetic import synthetic_gpx

RIDE_START = datetime(2026, 5, 1, 7, 0, tzinfo=UTC)


def make_user(session: Session, **overrides: Any) -> uuid.UUID:
    """A rider (no password anyone could use: these tests never sign in)."""
    fields: dict[str, Any] = {
        "email": f"rider-{uuid.uuid4().hex[:10]}@example.org",
        "password_hash": "not-a-usable-hash",
        "display_name": "Rider",
    }
    user = User(**(fields | overrides))
    session.add(user)
    session.commit()
    return user.id


def make_ride(session: Session, owner_id: uuid.UUID, **overrides: Any) -> uuid.UUID:
    """A ride imported from a synthetic GPX file through the import service.

    Overrides: `start` (datetime), `points` (seconds), `seed` (shape and name), and any
    RiderContext field (visibility, ftp_w...). Each seed makes a different file.
    """
    seed = overrides.pop("seed", 0)
    start = overrides.pop("start", RIDE_START + timedelta(days=seed))
    points = overrides.pop("points", 300)
    data = synthetic_gpx(start, points=points, seed=seed)
    result = import_activity(
        session,
        rider=RiderContext(owner_id=owner_id, **overrides),
        filename=f"ride-{seed}.gpx",
        data=data,
    )
    assert result.ride_id is not None, result
    session.commit()
    return result.ride_id


def make_live_session(
    session: Session, owner_id: uuid.UUID, *, batches: int = 0, points: int = 10, **overrides: Any
) -> LiveSession:
    """A live session with `batches` stored batches of a steady ride (tests/live_tools)."""
    live = live_service.start_session(session, owner_id=owner_id, **overrides)
    rows = [
        live_service.batch_row(live.id, live_logic.Batch(n, columns(n, points=points)))
        for n in range(1, batches + 1)
    ]
    if rows:
        live_service.store_batches(session, rows=rows)
    return live


def make_mechanic(session: Session, **overrides: Any) -> uuid.UUID:
    """A user with the mechanic role."""
    return make_user(session, role="mechanic", display_name="Mechanic", **overrides)


def make_bike(
    session: Session, owner_id: uuid.UUID, *, parts: int = 1
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A road bike of the owner and `parts` chains of theirs: (bike id, component ids)."""
    from bikenode.bikes.models import Bike, Component

    bike = Bike(id=uuid.uuid4(), owner_id=owner_id, name="Road", type="road")
    components = [Component(id=uuid.uuid4(), owner_id=owner_id, type="chain") for _ in range(parts)]
    session.add_all([bike, *components])
    session.commit()
    return bike.id, [c.id for c in components]


def view_of_user(session: Session, user_id: uuid.UUID) -> Any:
    """The UserView handed to services (accounts' read-only view of the row)."""
    from bikenode.accounts.user_view import view_of

    user = session.get(User, user_id)
    assert user is not None
    return view_of(user)


def make_repair_job(
    session: Session, owner_id: uuid.UUID, *, mechanics: list[uuid.UUID], price_minor: int = 5000
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """An open repair job on a new bike of the owner, quoted by each mechanic: (job, quotes)."""
    from bikenode.market import service as market

    bike_id, parts = make_bike(session, owner_id)
    job = market.post_job(
        session,
        owner_id=owner_id,
        bike_id=bike_id,
        component_ids=parts,
        title="Bottom bracket",
        description="Creaks",
        lat_deg=51.5,
        lon_deg=-0.12,
        currency="EUR",
        publish_now=True,
    )
    quotes = [
        market.submit_quote(
            session,
            mechanic=view_of_user(session, mechanic),
            job_id=job.id,
            price_minor=price_minor + n,
            currency="EUR",
            message="",
            valid_until=datetime.now(UTC) + timedelta(days=3),
        ).id
        for n, mechanic in enumerate(mechanics)
    ]
    return job.id, quotes
