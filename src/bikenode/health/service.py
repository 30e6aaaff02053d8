"""Health use cases: record and remove daily metrics, alerts kept in step, readiness.

Every change to a rider's metrics recomputes their alerts in the same transaction: the alert
episodes are a function of the readings (logic/alerts.py), reconciled with the stored rows
by (day, metric, kind), so entering a value again never adds an alert, and an alert the
rider acknowledged stays acknowledged while its episode lasts.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bikenode import accounts, fitness, rides
from bikenode.errors import InvalidInput, NotFound
from bikenode.events import publish
from bikenode.health import repo, sealing, sync_records
from bikenode.health.events import AlertRaised
from bikenode.health.logic.alerts import (
    ACUTE_LOAD_DAYS,
    CHRONIC_LOAD_DAYS,
    WINDOW_DAYS,
    Alert,
    Reading,
    find_alerts,
)
from bikenode.health.logic.csv_rows import LineError, parse_csv
from bikenode.health.logic.metrics import (
    METRICS,
    MetricRuleError,
    check_day,
    check_source,
    check_value,
)
from bikenode.health.logic.readiness import Readiness, readiness
from bikenode.health.logic.rmssd import rmssd_ms
from bikenode.health.logic.series import BaselineDay, baseline_days
from bikenode.health.models import HealthAlert, HealthMetric, HealthRideHrv

MAX_RANGE_DAYS = 3660
# Beats during a ride give a far lower rMSSD than a morning reading: the ride's value is kept
# under its own source ("<device> ride") so that baselines and alerts never mix the two.
RIDE_SOURCE_SUFFIX = " ride"
# What alerts and readiness look at: the alert rules' 60-day windows and more.
READINESS_HISTORY_DAYS = 120


class ImportRejected(InvalidInput):
    """A CSV file with wrong lines: nothing of it was written; `errors` lists them."""

    def __init__(self, detail: str, errors: list[LineError]) -> None:
        super().__init__(detail)
        self.errors = errors


@dataclass(frozen=True)
class MetricEntry:
    """One value a rider enters or imports."""

    day: date
    metric: str
    value: float
    source: str = "manual"


@dataclass(frozen=True)
class MetricView:
    """A stored value, opened (None if its key is gone)."""

    id: uuid.UUID
    day: date
    metric: str
    value: float | None
    source: str


@dataclass(frozen=True)
class AlertView:
    """A stored alert with its explanation opened (None if its key is gone)."""

    id: uuid.UUID
    day: date
    metric: str
    kind: str
    acknowledged: bool
    explanation: dict[str, Any] | None


def rider_today(timezone: str) -> date:
    """Today's date where the rider lives (UTC if their time zone is unknown)."""
    return datetime.now(_zone(timezone)).date()


def rider_today_of(session: Session, *, owner_id: uuid.UUID) -> date:
    """Today's date where this rider lives (a coach reads the athlete's today, not theirs)."""
    profile = accounts.get_rider_profile(session, owner_id)
    return rider_today(profile.timezone if profile else "UTC")


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def record_metrics(
    session: Session, *, owner_id: uuid.UUID, entries: Sequence[MetricEntry]
) -> list[MetricView]:
    """Store the values (one per day, metric and source: a new value replaces the old), then
    recompute the rider's alerts; InvalidInput naming the first wrong entry."""
    today = datetime.now(UTC).date()
    checked = []
    for index, entry in enumerate(entries):
        try:
            checked.append(_checked(entry, today))
        except MetricRuleError as error:
            raise InvalidInput(f"entry {index}: {error}") from None
    rows = [_store(session, owner_id, entry) for entry in checked]
    refresh_alerts(session, owner_id=owner_id)
    session.commit()
    return [_view(row, entry.value) for row, entry in zip(rows, checked, strict=True)]


def import_csv(session: Session, *, owner_id: uuid.UUID, data: bytes) -> int:
    """Store every line of a `day,metric,value[,source]` file and recompute alerts; the count.
    ImportRejected (nothing written) if any line is wrong."""
    rows, errors = parse_csv(data, today=datetime.now(UTC).date())
    if errors:
        first = errors[0]
        detail = f"{len(errors)} wrong line(s), nothing imported; line {first.line}: {first.error}"
        raise ImportRejected(detail, errors)
    if not rows:
        raise InvalidInput("expected at least one line day,metric,value[,source], got none")
    for row in rows:
        _store(session, owner_id, MetricEntry(row.day, row.metric, row.value, row.source))
    refresh_alerts(session, owner_id=owner_id)
    session.commit()
    return len(rows)


def record_rr_intervals(
    session: Session, *, owner_id: uuid.UUID, day: date, source: str, rr_ms: Sequence[float]
) -> MetricView:
    """The day's rMSSD from a recording of RR intervals, stored as hrv_rmssd_ms; InvalidInput
    when the recording is too short or too noisy (logic/rmssd.py)."""
    result = rmssd_ms(rr_ms)
    if result.rmssd_ms is None:
        raise InvalidInput(f"no rMSSD from this recording: {result.reason}")
    entry = MetricEntry(day, "hrv_rmssd_ms", round(result.rmssd_ms, 1), source)
    [view] = record_metrics(session, owner_id=owner_id, entries=[entry])
    return view


def import_fit(session: Session, *, owner_id: uuid.UUID, data: bytes) -> tuple[int, str]:
    """Store the daily resting heart rate, steps, weight and sleep of a FIT monitoring, weight
    or sleep file under its device's name, recompute alerts; the count and the source.
    InvalidInput (nothing written) for a file that is not a readable one of those or holds
    no value BikeNode records."""
    profile = accounts.get_rider_profile(session, owner_id)
    try:
        parsed = rides.parse_fit_monitoring(data, timezone=profile.timezone if profile else "UTC")
    except rides.NotMonitoring as error:
        raise InvalidInput(f"{error}; rides are uploaded at /api/v1/uploads") from None
    except rides.ParseError as error:
        raise InvalidInput(f"expected a readable FIT file: {error}") from None
    if parsed.warnings:  # a damaged file may have lost or garbled readings: none are taken
        raise InvalidInput(f"the FIT file is damaged, nothing imported: {parsed.warnings[0]}")
    source = (parsed.device or "FIT monitoring file")[:80]
    found = [
        (day.day, metric, value)
        for day in parsed.days
        for metric, value in (
            ("resting_hr_bpm", day.resting_hr_bpm),
            ("steps", day.steps),
            ("weight_kg", day.weight_kg),
            ("sleep_h", None if day.sleep_h is None else round(day.sleep_h, 2)),
        )
        if value is not None
    ]
    if not found:
        held = ", ".join(f"{count} x message {num}" for num, count in parsed.message_counts.items())
        raise InvalidInput(
            "expected a monitoring file with daily resting heart rate (monitoring_hr_data) or "
            "whole-day step totals, a weight file with weighings (weight_scale) or a sleep file "
            f"with sleep levels (sleep_level), got none of them ({held}); nothing imported"
        )
    today = datetime.now(UTC).date()
    entries = []
    for day, metric, value in found:
        try:
            entries.append(_checked(MetricEntry(day, metric, value, source), today))
        except MetricRuleError as error:
            raise InvalidInput(f"{day.isoformat()}: {error}; nothing imported") from None
    for entry in entries:
        _store(session, owner_id, entry)
    refresh_alerts(session, owner_id=owner_id)
    session.commit()
    return len(entries), source


def record_ride_hrv(session: Session, *, ride_id: uuid.UUID) -> MetricView | None:
    """Note the rMSSD of a ride's FIT hrv messages for its local day and "<device> ride"
    source, then make that day's hrv_rmssd_ms the value of the day's ride with the most clean
    beats (this one or another), alerts recomputed; flushes, never commits (the event
    dispatcher does). None when the ride has no usable beats (none, too few or too noisy,
    an untimed ride, a day out of range): nothing is written. Idempotent."""
    found = _ride_rmssd(session, ride_id)
    if found is None:
        return None
    owner_id, entry, beats = found
    link = repo.ride_hrv_row(session, ride_id)
    if link is None:
        link = HealthRideHrv(ride_id=ride_id, owner_id=owner_id)
        session.add(link)
    link.day, link.source, link.beats = entry.day, entry.source, beats
    session.flush()
    view = _settle_ride_day(session, owner_id, entry.day, entry.source, known={ride_id: entry})
    refresh_alerts(session, owner_id=owner_id)
    return view


def forget_ride_hrv(session: Session, *, ride_id: uuid.UUID) -> None:
    """A deleted ride's HRV leaves its day: the day's next ride with beats gives the value,
    or the value goes; alerts recomputed. Flushes, never commits; a ride that gave no HRV
    (or a re-delivery) changes nothing."""
    link = repo.ride_hrv_row(session, ride_id)
    if link is None:
        return
    owner_id, day, source = link.owner_id, link.day, link.source
    session.delete(link)
    session.flush()
    _settle_ride_day(session, owner_id, day, source, known={})
    refresh_alerts(session, owner_id=owner_id)


def _ride_rmssd(session: Session, ride_id: uuid.UUID) -> tuple[uuid.UUID, MetricEntry, int] | None:
    """The ride's owner, its HRV as a checked entry, and its count of clean differences."""
    beats = rides.ride_heartbeats(session, ride_id)
    if beats is None or beats.started_at is None:
        return None
    result = rmssd_ms(beats.rr_ms)
    if result.rmssd_ms is None:
        return None
    profile = accounts.get_rider_profile(session, beats.owner_id)
    day = beats.started_at.astimezone(_zone(profile.timezone if profile else "UTC")).date()
    source = (beats.device or "FIT file")[: 80 - len(RIDE_SOURCE_SUFFIX)] + RIDE_SOURCE_SUFFIX
    try:
        entry = _checked(
            MetricEntry(day, "hrv_rmssd_ms", round(result.rmssd_ms, 1), source),
            datetime.now(UTC).date(),
        )
    except MetricRuleError:
        return None  # a far-future clock or an implausible value: not a reading to keep
    return beats.owner_id, entry, result.differences_used


def _settle_ride_day(
    session: Session,
    owner_id: uuid.UUID,
    day: date,
    source: str,
    *,
    known: dict[uuid.UUID, MetricEntry],
) -> MetricView | None:
    """Store the day's value from its ride with the most clean beats (one whose file can no
    longer give it, its original gone, is passed over), or delete the value if none is left."""
    for link in repo.ride_hrv_rows(session, owner_id, day, source):
        entry = known.get(link.ride_id)
        if entry is None:
            found = _ride_rmssd(session, link.ride_id)
            entry = found[1] if found is not None and found[1].day == day else None
        if entry is not None:
            return _view(_store(session, owner_id, entry), entry.value)
    stale = repo.metric_row(session, owner_id, day, "hrv_rmssd_ms", source)
    if stale is not None:
        _delete(session, stale)
    return None


def list_metrics(
    session: Session, *, owner_id: uuid.UUID, start: date, end: date, metric: str | None
) -> list[MetricView]:
    """The rider's values from `start` to `end` (at most ten years), of one metric or all."""
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"expected a range of 0 to {MAX_RANGE_DAYS} days, got {start} to {end}")
    if metric is not None and metric not in METRICS:
        raise InvalidInput(f"expected a metric among {', '.join(METRICS)}, got {metric!r}")
    rows = repo.metric_rows(
        session, owner_id, start=start, end=end, metrics=None if metric is None else [metric]
    )
    return [_view(row, sealing.open_value(row.id, row.value_sealed)) for row in rows]


def list_baselines(
    session: Session, *, owner_id: uuid.UUID, metric: str, start: date, end: date
) -> list[BaselineDay]:
    """Each day's baseline and usual range of one of the rider's metrics, per source, from
    `start` to `end` (at most ten years): the numbers alerts and readiness judge by."""
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"expected a range of 0 to {MAX_RANGE_DAYS} days, got {start} to {end}")
    if metric not in METRICS:
        raise InvalidInput(f"expected a metric among {', '.join(METRICS)}, got {metric!r}")
    since = start - timedelta(days=WINDOW_DAYS)
    readings = _readings(session, owner_id, start=since, end=end).get(metric, [])
    return baseline_days(metric, readings, start, end)


def delete_metric(session: Session, *, row: HealthMetric) -> None:
    """Delete one of the rider's values (the caller checked it is theirs: health.access)."""
    owner_id = row.owner_id
    _delete(session, row)
    refresh_alerts(session, owner_id=owner_id)
    session.commit()


def delete_metrics_on(
    session: Session, *, owner_id: uuid.UUID, day: date, metric: str, source: str | None
) -> int:
    """Delete the rider's values of a metric on a day (of one source, or all); the count."""
    rows = repo.metric_rows(session, owner_id, start=day, end=day, metrics=[metric])
    doomed = [row for row in rows if source is None or row.source == source]
    for row in doomed:
        _delete(session, row)
    refresh_alerts(session, owner_id=owner_id)
    session.commit()
    return len(doomed)


def create_synced_metric(
    session: Session, *, owner_id: uuid.UUID, metric_id: uuid.UUID, entry: MetricEntry
) -> None:
    """Store a value a device logged offline under the id it drew, and recompute alerts;
    flushes, never commits (sync's push does). A value of the same day, metric and source
    is replaced (devices pull its deletion). InvalidInput for a wrong value, NotFound for
    an id that is taken."""
    if session.get(HealthMetric, metric_id) is not None:
        raise NotFound(f"no such health_metric: {metric_id}")
    checked = _checked_for_sync(entry)
    _free_key(session, owner_id, checked, keep=metric_id)
    row = HealthMetric(
        id=metric_id,
        owner_id=owner_id,
        day=checked.day,
        metric=checked.metric,
        source=checked.source,
    )
    sealing.seal_value(row, checked.value)
    session.add(row)
    session.flush()
    refresh_alerts(session, owner_id=owner_id)


def change_synced_metrics(
    session: Session, *, owner_id: uuid.UUID, edits: Sequence[tuple[HealthMetric, dict[str, Any]]]
) -> None:
    """Apply devices' merged edits (day, metric, value, source) to the rider's values, then
    recompute alerts once; flushes, never commits. InvalidInput for a wrong value or one
    whose key is gone and that the edit does not give again."""
    for row, changes in edits:
        value = changes.get("value", sealing.open_value(row.id, row.value_sealed))
        if value is None:
            raise InvalidInput(f"health_metric {row.id}: its value cannot be read; send it again")
        entry = MetricEntry(
            changes.get("day", row.day),
            changes.get("metric", row.metric),
            value,
            changes.get("source", row.source),
        )
        checked = _checked_for_sync(entry, where=f"health_metric {row.id}: ")
        _free_key(session, owner_id, checked, keep=row.id)
        row.day, row.metric, row.source = checked.day, checked.metric, checked.source
        sealing.seal_value(row, checked.value)
        session.flush()
    refresh_alerts(session, owner_id=owner_id)


def delete_synced_metric(session: Session, *, row: HealthMetric) -> None:
    """Delete a value a device deleted, and recompute alerts; flushes, never commits."""
    session.delete(row)
    session.flush()
    refresh_alerts(session, owner_id=row.owner_id)


def list_alerts(session: Session, *, owner_id: uuid.UUID) -> list[AlertView]:
    """The rider's alerts, newest first, each with its explanation."""
    return [_alert_view(row) for row in repo.alert_rows(session, owner_id)]


def acknowledge_alert(session: Session, *, row: HealthAlert) -> AlertView:
    """Mark one of the rider's alerts as seen (the caller checked it is theirs)."""
    row.acknowledged = True
    session.commit()
    return _alert_view(row)


def get_readiness(session: Session, *, owner_id: uuid.UUID, day: date) -> Readiness:
    """The rider's readiness on `day`, from their last 120 days of values."""
    start = day - timedelta(days=READINESS_HISTORY_DAYS)
    readings = _readings(session, owner_id, start=start, end=day)
    alerts = find_alerts(readings, stress_by_day=_stress_by_day(session, owner_id, readings))
    return readiness(day, readings, alerts)


def refresh_alerts(session: Session, *, owner_id: uuid.UUID) -> None:
    """Make the rider's stored alerts exactly those their values raise (flushes, never
    commits): new episodes added, ended ones removed, changed explanations re-sealed."""
    readings = _readings(session, owner_id)
    alerts = find_alerts(readings, stress_by_day=_stress_by_day(session, owner_id, readings))
    wanted = {(a.day, a.metric, a.kind): a for a in alerts}
    for row in repo.alert_rows(session, owner_id):
        alert = wanted.pop((row.day, row.metric, row.kind), None)
        if alert is None:
            session.delete(row)
            continue
        explanation = explanation_fields(alert)
        if sealing.open_explanation(row) != explanation:
            sealing.seal_explanation(row, explanation)
    for (day, metric, kind), alert in sorted(wanted.items()):
        row = HealthAlert(id=uuid.uuid4(), owner_id=owner_id, day=day, metric=metric, kind=kind)
        sealing.seal_explanation(row, explanation_fields(alert))
        session.add(row)
        publish(session, AlertRaised(alert_id=row.id, owner_id=owner_id, kind=kind, day=day))
    session.flush()


def explanation_fields(alert: Alert) -> dict[str, Any]:
    """An alert's explanation as JSON-ready fields (days as ISO dates)."""
    fields = dataclasses.asdict(alert.explanation)
    for name in ("first_day", "last_day"):
        fields[name] = fields[name].isoformat()
    fields["values"], fields["also"] = list(fields["values"]), list(fields["also"])
    return fields


def _readings(
    session: Session, owner_id: uuid.UUID, *, start: date | None = None, end: date | None = None
) -> dict[str, list[Reading]]:
    readings: dict[str, list[Reading]] = defaultdict(list)
    for row in repo.metric_rows(session, owner_id, start=start, end=end):
        value = sealing.open_value(row.id, row.value_sealed)
        if value is not None:
            readings[row.metric].append(Reading(row.day, value, row.source))
    return dict(readings)


def _stress_by_day(
    session: Session, owner_id: uuid.UUID, readings: dict[str, list[Reading]]
) -> dict[date, float]:
    """The rider's daily training stress (from fitness) over the readings' days and the
    load windows before them, to name a load spike in an alert."""
    days = [reading.day for rows in readings.values() for reading in rows]
    if not days:
        return {}
    start = min(days) - timedelta(days=ACUTE_LOAD_DAYS + CHRONIC_LOAD_DAYS)
    return dict(fitness.stress_days(session, owner_id=owner_id, start=start, end=max(days)))


def _checked(entry: MetricEntry, today: date) -> MetricEntry:
    return MetricEntry(
        check_day(entry.day, today=today),
        entry.metric,
        check_value(entry.metric, entry.value),
        check_source(entry.source),
    )


def _checked_for_sync(entry: MetricEntry, where: str = "") -> MetricEntry:
    try:
        return _checked(entry, datetime.now(UTC).date())
    except MetricRuleError as error:
        raise InvalidInput(f"{where}{error}") from None


def _free_key(
    session: Session, owner_id: uuid.UUID, entry: MetricEntry, *, keep: uuid.UUID
) -> None:
    """Make way for a device's value: another row of its day, metric and source is deleted
    (entering a value again replaces it), and devices pull the deletion."""
    other = repo.metric_row(session, owner_id, entry.day, entry.metric, entry.source)
    if other is not None and other.id != keep:
        _delete(session, other)


def _delete(session: Session, row: HealthMetric) -> None:
    session.delete(row)
    session.flush()
    sync_records.record_metric_deleted(session, row)


def _store(session: Session, owner_id: uuid.UUID, entry: MetricEntry) -> HealthMetric:
    row = repo.metric_row(session, owner_id, entry.day, entry.metric, entry.source)
    if row is None:
        row = HealthMetric(
            id=uuid.uuid4(),
            owner_id=owner_id,
            day=entry.day,
            metric=entry.metric,
            source=entry.source,
        )
        session.add(row)
    sealing.seal_value(row, entry.value)
    session.flush()
    sync_records.record_metric_saved(session, row, entry.value)
    return row


def _view(row: HealthMetric, value: float | None) -> MetricView:
    return MetricView(row.id, row.day, row.metric, value, row.source)


def _alert_view(row: HealthAlert) -> AlertView:
    return AlertView(
        row.id, row.day, row.metric, row.kind, row.acknowledged, sealing.open_explanation(row)
    )
