"""Rate-limit plans: a user's tier (standard or premium) and an admin's per-user override."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bikenode.accounts import repo
from bikenode.accounts.mfa import require_admin
from bikenode.accounts.models import RatePlan
from bikenode.accounts.user_view import UserView
from bikenode.audit import record_event
from bikenode.errors import InvalidInput, NotFound

TIERS = ("standard", "premium")
MAX_OVERRIDE_PER_MINUTE = 1_000_000


@dataclass(frozen=True)
class RatePlanView:
    """A user's tier, and the override (requests per minute) that replaces it, if any."""

    user_id: uuid.UUID
    tier: str
    requests_per_minute: int | None


def get_rate_plan(session: Session, user_id: uuid.UUID) -> RatePlanView:
    """The user's plan: standard with no override unless an admin set one."""
    plan = repo.get_rate_plan(session, user_id)
    if plan is None:
        return RatePlanView(user_id, "standard", None)
    return RatePlanView(user_id, plan.tier, plan.requests_per_minute)


def read_rate_plan(session: Session, *, actor: UserView, user_id: uuid.UUID) -> RatePlanView:
    """Another user's plan, for an admin with MFA on."""
    require_admin(session, user=actor)
    if repo.get_user(session, user_id) is None:
        raise NotFound("no such user")
    return get_rate_plan(session, user_id)


def set_rate_plan(
    session: Session,
    *,
    actor: UserView,
    user_id: uuid.UUID,
    tier: str,
    requests_per_minute: int | None,
    client_ip: str | None = None,
) -> RatePlanView:
    """Set a user's tier and override (admins with MFA only); the change is audited."""
    require_admin(session, user=actor)
    if tier not in TIERS:
        raise InvalidInput(f"expected a tier among {', '.join(TIERS)}, got {tier!r}")
    if requests_per_minute is not None and not 1 <= requests_per_minute <= MAX_OVERRIDE_PER_MINUTE:
        raise InvalidInput(
            f"expected 1 to {MAX_OVERRIDE_PER_MINUTE} requests per minute, got {requests_per_minute}"
        )
    if repo.get_user(session, user_id) is None:
        raise NotFound("no such user")
    plan = repo.get_rate_plan(session, user_id)
    before = get_rate_plan(session, user_id)
    if plan is None:
        plan = RatePlan(user_id=user_id)
        session.add(plan)
    plan.tier, plan.requests_per_minute, plan.set_by = tier, requests_per_minute, actor.id
    record_event(
        session,
        event_type="ratelimit.plan_changed",
        actor_id=actor.id,
        subject_id=user_id,
        client_ip=client_ip,
        details={
            "from": {"tier": before.tier, "requests_per_minute": before.requests_per_minute},
            "to": {"tier": tier, "requests_per_minute": requests_per_minute},
        },
    )
    session.commit()
    return RatePlanView(user_id, tier, requests_per_minute)
