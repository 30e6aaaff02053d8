"""Where each domain keeps a person's data: the one list GDPR export and erasure walk.

A new domain that stores anything about a user adds one entry here (docs/architecture.md,
"Adding a domain"); tests/api/governance/test_gdpr_all_domains.py then fails until its
tables are really emptied by the eraser it names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from bikenode import (
    apps,
    bikes,
    fitness,
    health,
    live,
    market,
    notifications,
    planner,
    rides,
    segments,
    social,
    sync,
    webhooks,
)

ExportFiles = Callable[[Session, uuid.UUID], Iterable[tuple[str, bytes]]]
# Deletes the user's rows (flush, never commit) and says how many of what went, for the
# audit entry: counts only, nothing that names the person.
EraseData = Callable[[Session, uuid.UUID], Mapping[str, float]]


@dataclass(frozen=True)
class PersonalData:
    domain: str
    export: ExportFiles  # (path in the zip, bytes), one file in memory at a time
    erase: EraseData


def _erase_rides(session: Session, user_id: uuid.UUID) -> Mapping[str, float]:
    return asdict(rides.erase_user_data(session, user_id))


def _erase_fitness(session: Session, user_id: uuid.UUID) -> Mapping[str, float]:
    return asdict(fitness.erase_user_data(session, user_id))


def _erase_health(session: Session, user_id: uuid.UUID) -> Mapping[str, float]:
    return asdict(health.erase_user_data(session, user_id))


def _erase_live(session: Session, user_id: uuid.UUID) -> Mapping[str, float]:
    erased = live.erase_user_data(session, user_id)
    return {"live_sessions": erased.sessions, "live_groups": erased.groups}


def _erase_routes(session: Session, user_id: uuid.UUID) -> Mapping[str, float]:
    return {"routes": planner.erase_user_data(session, user_id)}


def _erase_sync(session: Session, user_id: uuid.UUID) -> Mapping[str, float]:
    return {"sync_records": sync.erase_user_data(session, user_id)}  # names, descriptions too


# Erased in this order, before the account itself (accounts is the root every domain points
# at) and the event log (governance/service.py).
PERSONAL_DATA: tuple[PersonalData, ...] = (
    PersonalData("rides", rides.iter_user_export, _erase_rides),
    PersonalData("fitness", fitness.iter_user_export, _erase_fitness),
    PersonalData("live", live.iter_user_export, _erase_live),
    PersonalData("planner", planner.iter_user_export, _erase_routes),
    PersonalData("sync", sync.iter_user_export, _erase_sync),
    PersonalData("market", market.iter_user_export, market.erase_user_data),
    PersonalData("bikes", bikes.iter_user_export, bikes.erase_user_data),
    PersonalData("health", health.iter_user_export, _erase_health),
    PersonalData("webhooks", webhooks.iter_user_export, webhooks.erase_user_data),
    PersonalData("notifications", notifications.iter_user_export, notifications.erase_user_data),
    PersonalData("social", social.iter_user_export, social.erase_user_data),
    PersonalData("segments", segments.iter_user_export, segments.erase_user_data),
    PersonalData("apps", apps.export_user_apps, apps.erase_user_apps),
)
