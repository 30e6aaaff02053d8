"""Races on a real database (SQLite and PostgreSQL): two accepts, an accept and the expiry
timer, two requests with one Idempotency-Key. Each ends with exactly one outcome."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.db.engine import make_session_factory
from bikenode.errors import Conflict, DomainError
from bikenode.market import idempotency, service
from bikenode.market.models import IdempotencyKey, Quote, RepairJob
from tests.service_factories import make_mechanic, make_repair_job, make_user, view_of_user


def _race(engine: Engine, tasks: list[Callable[[Session], Any]]) -> list[Any]:
    """Run the tasks at once, each in its own session; their results or errors."""
    sessions = make_session_factory(engine)
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)

    def run(n: int) -> None:
        with sessions() as session:
            barrier.wait()
            try:
                results[n] = tasks[n](session)
            except (DomainError, OperationalError) as error:
                session.rollback()
                results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _accept(rider: uuid.UUID, quote_id: uuid.UUID) -> Callable[[Session], Any]:
    def accept(session: Session) -> Any:
        quote, access = service.quote_access(
            session, user=view_of_user(session, rider), quote_id=quote_id
        )
        return service.accept_quote(session, quote=quote, access=access).state

    return accept


def test_two_quotes_accepted_at_once_leave_exactly_one_accepted(
    engine: Engine, session: Session
) -> None:
    rider = make_user(session)
    job_id, quotes = make_repair_job(
        session, rider, mechanics=[make_mechanic(session), make_mechanic(session)]
    )
    results = _race(engine, [_accept(rider, q) for q in quotes])
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "str"], results
    session.expire_all()
    states = sorted(session.scalars(select(Quote.state).where(Quote.job_id == job_id)))
    assert states == ["accepted", "declined"]
    assert session.get(RepairJob, job_id).state == "accepted"  # type: ignore[union-attr]


def test_an_accept_racing_the_expiry_timer_has_one_winner(engine: Engine, session: Session) -> None:
    rider = make_user(session)
    job_id, [quote_id] = make_repair_job(session, rider, mechanics=[make_mechanic(session)])
    later = utcnow() + timedelta(days=4)  # past the quote's validity

    def expire(s: Session) -> str:
        return service.run_timers(s, job_id=job_id, now=later)

    results = _race(engine, [_accept(rider, quote_id), expire])
    session.expire_all()
    final = session.get(RepairJob, job_id)
    assert final is not None
    # The loser is refused (Conflict), or PostgreSQL ends the tie by aborting it as a deadlock:
    # a request then answers 503 with Retry-After, the timer's job is retried by the queue.
    lost = (Conflict, OperationalError)
    if final.state == "open":  # the timer won: the quote lapsed, the job reopened
        assert results[1] == "open" and isinstance(results[0], lost), results
    else:  # the accept won: nothing of the timer's changed it
        assert final.state == "accepted" and results[0] == "accepted", results
        assert isinstance(results[1], lost) or results[1] == "accepted", results


def test_concurrent_requests_with_one_key_let_exactly_one_run(
    engine: Engine, session: Session
) -> None:
    user = make_user(session)

    def claim(s: Session) -> Any:
        return idempotency.claim(s, user_id=user, key="same", fingerprint="f" * 64)

    results = _race(engine, [claim] * 6)
    assert results.count(None) == 1, results  # the one that runs
    assert all(isinstance(r, Conflict) for r in results if r is not None)
    assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 1
