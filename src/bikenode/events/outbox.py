"""Typed, versioned events and `publish`: an event is a row written in the caller's transaction."""

from __future__ import annotations

import dataclasses
import functools
import threading
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.orm import Session

from bikenode.events.models import OutboxEvent

NOTIFY_CHANNEL = "bikenode_events"


class UnknownEvent(LookupError):
    """A stored event whose type and version no code here knows."""


@dataclass(frozen=True)
class Event:
    """A fact a domain announces, in the past tense. Subclasses are frozen dataclasses.

    `type` names it for good ("rides.ride_imported"); `version` goes up when its fields change
    incompatibly (the old class stays registered so stored events still read). `aggregate`
    names the field whose value orders delivery, `user` the field naming whose data it is.
    """

    type: ClassVar[str] = ""
    version: ClassVar[int] = 1
    aggregate: ClassVar[str] = ""
    user: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.type:
            _EVENT_TYPES[(cls.type, cls.version)] = cls


_EVENT_TYPES: dict[tuple[str, int], type[Event]] = {}


def aggregate_of(event: Event) -> str:
    """The id of the thing the event is about; events of one aggregate arrive in order."""
    return str(getattr(event, event.aggregate))


def user_of(event: Event) -> uuid.UUID | None:
    """The person whose data the event carries (their erasure deletes it), if any."""
    return getattr(event, event.user) if event.user else None


@dataclass(frozen=True)
class Envelope:
    """An event as a subscriber receives it: its place in the log and when it happened."""

    id: int
    occurred_at: datetime
    event: Event


def to_payload(event: Event) -> dict[str, Any]:
    """The event's fields as JSON values (UUIDs, dates and datetimes as strings, tuples as lists)."""
    return {
        field.name: _jsonable(getattr(event, field.name)) for field in dataclasses.fields(event)
    }


def from_payload(type_: str, version: int, payload: dict[str, Any]) -> Event:
    """The event a stored row holds; UnknownEvent if its type and version are not registered."""
    cls = _EVENT_TYPES.get((type_, version))
    if cls is None:
        raise UnknownEvent(f"expected a registered event type, got {type_!r} version {version}")
    parsers = _field_parsers(cls)
    return cls(**{name: parsers[name](value) for name, value in payload.items()})


def _field_parsers(cls: type[Event]) -> dict[str, Callable[[Any], Any]]:
    """Per field, what turns its JSON value back into the field's type (resolved once)."""
    parsers = _PARSERS.get(cls)
    if parsers is None:
        hints = typing.get_type_hints(cls)
        parsers = {
            field.name: functools.partial(_parse, hints[field.name])
            for field in dataclasses.fields(cls)
        }
        _PARSERS[cls] = parsers
    return parsers


_PARSERS: dict[type[Event], dict[str, Callable[[Any], Any]]] = {}


def publish(session: Session, event: Event) -> None:
    """Write the event to the outbox in the caller's transaction; it exists only if they commit."""
    session.add(
        OutboxEvent(
            type=event.type,
            version=event.version,
            aggregate_id=aggregate_of(event),
            user_id=user_of(event),
            payload=to_payload(event),
        )
    )
    _announce_at_commit(session)


# Dispatchers in this process, woken when a transaction that published commits.
_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def add_commit_listener(wake: Callable[[], None]) -> None:
    with _listeners_lock:
        _listeners.append(wake)


def remove_commit_listener(wake: Callable[[], None]) -> None:
    with _listeners_lock:
        if wake in _listeners:
            _listeners.remove(wake)


def _announce_at_commit(session: Session) -> None:
    if session.info.get(_PUBLISHED):
        return
    session.info[_PUBLISHED] = True
    if session.get_bind().dialect.name == "postgresql":
        # Delivered to LISTENing dispatchers on every node when (and only if) this commits.
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


_PUBLISHED = "bikenode_events_published"


@sa_event.listens_for(Session, "after_commit")
def _wake_listeners(session: Session) -> None:
    if not session.info.pop(_PUBLISHED, False):
        return
    with _listeners_lock:
        listeners = list(_listeners)
    for wake in listeners:
        wake()


@sa_event.listens_for(Session, "after_rollback")
def _forget_announcement(session: Session) -> None:
    session.info.pop(_PUBLISHED, None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    return value


def _parse(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    base = typing.get_origin(hint)
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if base is tuple:
        return tuple(_parse(args[0], item) for item in value)
    if args and base is not None and base is not list:  # an optional: X | None
        return _parse(args[0], value)
    if hint is uuid.UUID:
        return uuid.UUID(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    return value
