"""The notifications API: the rider's list, unread count, read marks and preferences; and
the one-click unsubscribe that works without signing in."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from bikenode.addresses import allowed_hosts
from bikenode.errors import TooManyRequests
from bikenode.notifications import service, stream, vapid
from bikenode.notifications.access import OwnNotification
from bikenode.notifications.logic.catalogue import KINDS
from bikenode.notifications.schemas import (
    DigestScheduleWindow,
    MarkedRead,
    NotificationPage,
    NotificationPublic,
    PreferencesPublic,
    PreferencesUpdate,
    PushKey,
    PushSubscriptionCreate,
    PushSubscriptionPublic,
    QuietHoursWindow,
    TypePreferences,
    UnreadCount,
    Unsubscribed,
    UnsubscribeTarget,
)
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(
    prefix="/api/v1/notifications", tags=["notifications"], route_class=StrictJSONRoute
)
# RFC 8058: mail clients POST `List-Unsubscribe=One-Click` as a form, not JSON.
unsubscribe_router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
Token = Annotated[str, Query(min_length=1, max_length=200)]
Endpoint = Annotated[str, Query(min_length=1, max_length=1000)]


@router.get("", response_model=NotificationPage)
def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> NotificationPage:
    """Your notifications, newest first, and how many are unread."""
    page = service.list_notifications(session, user_id=user.id, limit=limit, cursor=cursor)
    items = [NotificationPublic.model_validate(n) for n in page.items]
    return NotificationPage(items=items, next_cursor=page.next_cursor, unread=page.unread)


@router.get("/unread-count", response_model=UnreadCount)
def unread_count(user: CurrentUser, session: SessionDep) -> UnreadCount:
    """How many of your notifications are unread."""
    return UnreadCount(unread=service.unread_count(session, user_id=user.id))


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream_notifications(user: CurrentUser, request: Request) -> StreamingResponse:
    """Your unread count, then each new notification as it is made (Server-Sent Events)."""
    node: stream.NotificationStream = request.app.state.notification_stream
    try:
        subscription = node.subscribe(user.id)
    except stream.TooManyStreams as error:
        raise TooManyRequests(str(error), retry_after_s=int(stream.KEEPALIVE_S)) from None
    read = _live_reader(request.app.state.session_factory, user.id)
    return StreamingResponse(
        stream.messages(node, subscription, read),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},  # nginx: unbuffered
    )


def _live_reader(sessions: sessionmaker[Session], user_id: uuid.UUID) -> stream.Reader:
    """Reads a stream's message off the event loop, in a short session of its own."""

    def read_now(notification_id: uuid.UUID | None) -> str:
        with sessions() as session:
            row, unread = service.live_update(
                session, user_id=user_id, notification_id=notification_id
            )
            body: dict[str, object] = {"unread": unread}
            if row is not None:
                body["notification"] = NotificationPublic.model_validate(row).model_dump(
                    mode="json"
                )
        return json.dumps(body)

    async def read(notification_id: uuid.UUID | None) -> str:
        return await anyio.to_thread.run_sync(read_now, notification_id)

    return read


@router.post("/read-all", response_model=MarkedRead)
def mark_all_read(user: CurrentUser, session: SessionDep) -> MarkedRead:
    """Mark all your notifications read."""
    return MarkedRead(marked=service.mark_all_read(session, user_id=user.id))


@router.post("/{notification_id}/read", response_model=NotificationPublic)
def mark_read(notification: OwnNotification, session: SessionDep) -> NotificationPublic:
    """Mark one of your notifications read."""
    row = service.mark_read(session, notification=notification)
    return NotificationPublic.model_validate(row)


@router.get("/preferences", response_model=PreferencesPublic)
def get_preferences(user: CurrentUser, session: SessionDep) -> PreferencesPublic:
    """Your notification settings per type and channel, and your quiet hours."""
    return _preferences(service.get_preferences(session, user_id=user.id), user.timezone)


@router.put("/preferences", response_model=PreferencesPublic)
def set_preferences(
    body: PreferencesUpdate, user: CurrentUser, session: SessionDep
) -> PreferencesPublic:
    """Switch types on or off per channel, and set or clear quiet hours."""
    quiet, schedule = body.quiet_hours, body.digest_schedule
    result = service.set_preferences(
        session,
        user_id=user.id,
        choices=[service.Choice(c.type, c.channel, c.enabled) for c in body.choices],
        quiet_hours=(quiet.start_min, quiet.end_min) if quiet else None,
        clear_quiet_hours=body.clear_quiet_hours,
        digests=[(d.type, d.period) for d in body.digests],
        digest_schedule=(schedule.hour, schedule.weekday) if schedule else None,
    )
    return _preferences(result, user.timezone)


@router.get("/push/key", response_model=PushKey)
def push_key(user: CurrentUser, request: Request) -> PushKey:
    """This server's VAPID public key, to subscribe a browser to push with."""
    return PushKey(public_key=vapid.application_server_key(request.app.state.vapid))


@router.post("/push/subscriptions", response_model=PushSubscriptionPublic, status_code=201)
def subscribe_push(
    body: PushSubscriptionCreate, user: CurrentUser, session: SessionDep, request: Request
) -> PushSubscriptionPublic:
    """Receive your notifications by push on this browser."""
    row = service.subscribe_push(
        session,
        user_id=user.id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
        allowed=allowed_hosts(request.app.state.settings.push_allowed_hosts),
    )
    return PushSubscriptionPublic.model_validate(row)


@router.delete("/push/subscriptions", status_code=204, response_class=Response)
def unsubscribe_push(user: CurrentUser, session: SessionDep, endpoint: Endpoint) -> Response:
    """Stop push to the browser with this endpoint."""
    service.unsubscribe_push(session, user_id=user.id, endpoint=endpoint)
    return Response(status_code=204)


@unsubscribe_router.get("/unsubscribe", response_model=UnsubscribeTarget)
def unsubscribe_target(token: Token, request: Request) -> UnsubscribeTarget:
    """What an unsubscribe link would switch off (nothing changes until it is POSTed)."""
    _, kind = service.check_unsubscribe(request.app.state.settings.effective_secret_key, token)
    return UnsubscribeTarget(type=kind, label=service.unsubscribe_label(kind))


@unsubscribe_router.post("/unsubscribe", response_model=Unsubscribed)
def unsubscribe(token: Token, request: Request, session: SessionDep) -> Unsubscribed:
    """Stop e-mail of one type, from a link in such an e-mail (RFC 8058 one-click)."""
    secret = request.app.state.settings.effective_secret_key
    kind = service.unsubscribe(session, secret=secret, token=token)
    return Unsubscribed(type=kind, label=service.unsubscribe_label(kind))


def _preferences(prefs: service.Preferences, timezone: str) -> PreferencesPublic:
    types = [
        TypePreferences(type=kind, label=KINDS[kind].label, channels=channels)
        for kind, channels in prefs.channels.items()
    ]
    quiet = prefs.quiet_hours
    window = QuietHoursWindow(start_min=quiet[0], end_min=quiet[1]) if quiet else None
    hour, weekday = prefs.digest_schedule
    return PreferencesPublic(
        types=types,
        quiet_hours=window,
        digests=prefs.digests,
        digest_schedule=DigestScheduleWindow(hour=hour, weekday=weekday),
        timezone=timezone or "UTC",
    )
