"""The live REST API: start and end sessions, share links, group rides."""

from __future__ import annotations

import html
import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from bikenode.accounts import find_user_id_by_email
from bikenode.errors import NotFound
from bikenode.live import crash_alerts, devices, group_rides, ingest, mqtt, service
from bikenode.live.access import (
    OwnedCrashAlert,
    OwnedCrashContact,
    OwnedDevice,
    OwnedGroup,
    OwnedLiveSession,
    VisibleGroup,
    WatchableSession,
)
from bikenode.live.models import LiveGroup, LiveSession
from bikenode.live.schemas import (
    CrashAlertPublic,
    CrashContactCreate,
    CrashContactPublic,
    CrashSettingsPublic,
    CrashSettingsUpdate,
    DeviceCreate,
    DeviceCreated,
    DevicePublic,
    GroupCreate,
    GroupMemberAdd,
    GroupPublic,
    LiveSessionCreate,
    LiveSessionPage,
    LiveSessionPublic,
    ShareCreated,
    SharePublic,
)
from bikenode.live.ws import LiveNode
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1/live", tags=["live"], route_class=StrictJSONRoute)
# Outside /api/v1: the address tracking apps are set up with (their protocol, not our API).
ingest_router = APIRouter(tags=["live"])
INGEST_PATH = "/ingest/osmand"


def session_public(live: LiveSession) -> LiveSessionPublic:
    base = f"/api/v1/live/sessions/{live.id}"
    return LiveSessionPublic.model_validate(
        {
            **{c: getattr(live, c) for c in LiveSessionPublic.model_fields if hasattr(live, c)},
            "ride_socket": f"{base}/ride",
            "watch_socket": f"{base}/watch",
        }
    )


def group_public(group: LiveGroup) -> GroupPublic:
    fields = ("id", "owner_id", "name", "visibility", "split_distance_m", "stale_after_s")
    return GroupPublic.model_validate(
        {
            **{name: getattr(group, name) for name in fields},
            "created_at": group.created_at,
            "route_points": len(json.loads(group.route)) if group.route else 0,
            "watch_socket": f"/api/v1/live/groups/{group.id}/watch",
        }
    )


@router.post("/sessions", status_code=status.HTTP_201_CREATED, response_model=LiveSessionPublic)
def start_session(
    body: LiveSessionCreate, user: CurrentUser, session: SessionDep
) -> LiveSessionPublic:
    """Start a live session; then connect to its ride socket and send positions."""
    live = service.start_session(
        session,
        owner_id=user.id,
        name=body.name,
        visibility=body.visibility,
        group_id=body.group_id,
    )
    return session_public(live)


@router.get("/sessions", response_model=LiveSessionPage)
def list_sessions(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> LiveSessionPage:
    """Your live sessions, newest first, a page at a time."""
    rows, next_cursor = service.list_sessions(session, owner_id=user.id, limit=limit, cursor=cursor)
    return LiveSessionPage(items=[session_public(s) for s in rows], next_cursor=next_cursor)


@router.get("/sessions/{session_id}", response_model=LiveSessionPublic)
def read_session(live: WatchableSession) -> LiveSessionPublic:
    """A live session the caller may watch."""
    return session_public(live)


@router.post("/sessions/{session_id}/end", response_model=LiveSessionPublic)
async def end_session(
    request: Request, live: OwnedLiveSession, session: SessionDep
) -> LiveSessionPublic:
    """End the session: its track becomes a ride; viewers get an 'ended' message."""
    node: LiveNode = request.app.state.live
    # In the session that checked ownership: the check and the ending are one transaction.
    live = await run_in_threadpool(
        service.end_session, session, session_id=live.id, owner_id=live.owner_id
    )
    ended = {"kind": "ended", "session": str(live.id), "ride_id": str(live.ride_id or "") or None}
    # Key 2**31 is above every batch number: a repeated end is published once.
    await node.hub.broker.publish(
        service.ride_channel(live.id), json.dumps(ended).encode(), key=2**31
    )
    return session_public(live)


@router.post(
    "/sessions/{session_id}/shares",
    status_code=status.HTTP_201_CREATED,
    response_model=ShareCreated,
)
def create_share(live: OwnedLiveSession, session: SessionDep) -> ShareCreated:
    """A share link: anyone holding its token may watch until it is revoked."""
    share, token = service.create_share(session, live=live)
    return ShareCreated(id=share.id, token=token, watch_url=f"/live/{live.id}?share={token}")


@router.delete("/sessions/{session_id}/shares/{share_id}", response_model=SharePublic)
async def revoke_share(
    request: Request, live: OwnedLiveSession, share_id: uuid.UUID, session: SessionDep
) -> SharePublic:
    """Revoke a share link; viewers connected with it are disconnected (close code 4003)."""
    node: LiveNode = request.app.state.live
    # In the session that checked ownership: the check and the revocation are one transaction.
    share = await run_in_threadpool(
        service.revoke_share, session, session_id=live.id, share_id=share_id, owner_id=live.owner_id
    )
    notice = json.dumps({"kind": "share_revoked", "share": str(share.id)}, separators=(",", ":"))
    await node.hub.broker.publish(service.ride_channel(live.id), notice.encode())
    return SharePublic.model_validate(share)


@router.post("/groups", status_code=status.HTTP_201_CREATED, response_model=GroupPublic)
def create_group(body: GroupCreate, user: CurrentUser, session: SessionDep) -> GroupPublic:
    """Create a group ride; you are its first member."""
    group = group_rides.create_group(
        session,
        owner_id=user.id,
        owner_name=user.display_name,
        name=body.name,
        visibility=body.visibility,
        split_distance_m=body.split_distance_m,
        stale_after_s=body.stale_after_s,
        route=[(p[0], p[1]) for p in body.route] if body.route else None,
    )
    return group_public(group)


@router.get("/groups/{group_id}", response_model=GroupPublic)
def read_group(group: VisibleGroup) -> GroupPublic:
    """A group ride you may see."""
    return group_public(group)


@router.post("/groups/{group_id}/members", status_code=status.HTTP_204_NO_CONTENT)
def add_member(group: OwnedGroup, body: GroupMemberAdd, session: SessionDep) -> None:
    """Add a rider (by e-mail) to your group ride."""
    member_id = find_user_id_by_email(session, body.email)
    if member_id is None:
        raise NotFound("no account with this e-mail address")
    group_rides.add_member(
        session,
        group=group,
        user_id=member_id,
        display_name=body.display_name.strip() or "Rider",
    )


@router.post("/devices", status_code=status.HTTP_201_CREATED, response_model=DeviceCreated)
def create_device(body: DeviceCreate, user: CurrentUser, session: SessionDep) -> DeviceCreated:
    """A device token for a tracker or tracking app (shown once)."""
    device, token = devices.create_device(session, owner_id=user.id, name=body.name)
    public = DevicePublic.model_validate(device).model_dump()
    return DeviceCreated(
        **public, token=token, ingest_url=INGEST_PATH, mqtt_topic=mqtt.topic_for(device.id)
    )


@router.get("/devices", response_model=list[DevicePublic])
def list_devices(user: CurrentUser, session: SessionDep) -> list[DevicePublic]:
    """Your devices that may send positions."""
    rows = devices.list_devices(session, owner_id=user.id)
    return [
        DevicePublic.model_validate(device).model_copy(update={"live_session_id": live_id})
        for device, live_id in rows
    ]


@router.delete("/devices/{device_id}", response_model=DevicePublic)
def revoke_device(device: OwnedDevice, session: SessionDep) -> DevicePublic:
    """Revoke a device: its token is refused from now on."""
    device = devices.revoke_device(session, device=device)
    return DevicePublic.model_validate(device)


# GET writes here, against the rule: OsmAnd sends its positions as GET requests.
async def ingest_osmand(request: Request) -> Response:
    """Positions from a tracking app speaking the OsmAnd protocol (OsmAnd, Traccar Client)."""
    body = await ingest.read_body(request)
    report = ingest.parse(
        query=request.url.query, body=body, content_type=request.headers.get("content-type")
    )
    await ingest.ingest(request.app.state.live, report)
    return Response(status_code=200)


for _method in ("GET", "POST"):  # one operation each: OpenAPI wants unique operation ids
    ingest_router.add_api_route(
        INGEST_PATH,
        ingest_osmand,
        methods=[_method],
        operation_id=f"ingest_osmand_{_method.lower()}",
        response_class=Response,
    )


@router.get("/crash/settings", response_model=CrashSettingsPublic)
def read_crash_settings(user: CurrentUser, session: SessionDep) -> CrashSettingsPublic:
    """Your crash-detection settings (off until you turn it on)."""
    row = crash_alerts.get_settings(session, owner_id=user.id)
    return CrashSettingsPublic.model_validate(row)


@router.put("/crash/settings", response_model=CrashSettingsPublic)
def update_crash_settings(
    body: CrashSettingsUpdate, user: CurrentUser, session: SessionDep
) -> CrashSettingsPublic:
    """Turn crash detection on or off and set its stillness and cancel times."""
    row = crash_alerts.set_settings(session, owner_id=user.id, **body.model_dump())
    return CrashSettingsPublic.model_validate(row)


@router.get("/crash/contacts", response_model=list[CrashContactPublic])
def list_crash_contacts(user: CurrentUser, session: SessionDep) -> list[CrashContactPublic]:
    """Your emergency contacts."""
    rows = crash_alerts.list_contacts(session, owner_id=user.id)
    return [CrashContactPublic.model_validate(row) for row in rows]


@router.post(
    "/crash/contacts", status_code=status.HTTP_201_CREATED, response_model=CrashContactPublic
)
def add_crash_contact(
    body: CrashContactCreate, user: CurrentUser, session: SessionDep
) -> CrashContactPublic:
    """Add an emergency contact by e-mail; they are told once, with a link to opt out."""
    contact = crash_alerts.add_contact(session, owner_id=user.id, email=body.email)
    return CrashContactPublic.model_validate(contact)


@router.delete("/crash/contacts/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_crash_contact(contact: OwnedCrashContact, session: SessionDep) -> None:
    """Remove one of your emergency contacts."""
    crash_alerts.remove_contact(session, owner_id=contact.owner_id, contact_id=contact.id)


@router.get("/crash/alerts", response_model=list[CrashAlertPublic])
def list_open_crash_alerts(user: CurrentUser, session: SessionDep) -> list[CrashAlertPublic]:
    """Your suspected crashes you may still cancel, newest first."""
    rows = crash_alerts.open_alerts(session, owner_id=user.id)
    return [CrashAlertPublic.model_validate(row) for row in rows]


@router.get("/crash/alerts/{crash_id}", response_model=CrashAlertPublic)
def read_crash_alert(alert: OwnedCrashAlert) -> CrashAlertPublic:
    """One of your suspected crashes and where it stands."""
    return CrashAlertPublic.model_validate(alert)


@router.post("/crash/alerts/{crash_id}/cancel", response_model=CrashAlertPublic)
def cancel_crash_alert(alert: OwnedCrashAlert, session: SessionDep) -> CrashAlertPublic:
    """You are fine: cancel the alert before your contacts are told."""
    alert = crash_alerts.cancel_alert(session, alert_id=alert.id, owner_id=alert.owner_id)
    return CrashAlertPublic.model_validate(alert)


OPT_OUT_PATH = "/api/v1/live/crash-contacts/opt-out"
OPT_OUT_PAGE = """<!doctype html><meta charset="utf-8"><title>BikeNode emergency contact</title>
<p>Stop being this rider's emergency contact? You will get no more e-mails from them.</p>
<form method="post" action="{path}?token={token}"><button>Opt out</button></form>"""


# Outside the signed-in API: the contact has no account. The GET only shows a button (a
# mail scanner following the link must not opt anyone out); the POST does it.
@ingest_router.get(OPT_OUT_PATH, response_class=HTMLResponse)
def crash_contact_opt_out_page(token: Annotated[str, Query(max_length=100)]) -> HTMLResponse:
    """The page behind an emergency contact's opt-out link."""
    return HTMLResponse(OPT_OUT_PAGE.format(path=OPT_OUT_PATH, token=html.escape(token)))


@ingest_router.post(OPT_OUT_PATH, response_class=HTMLResponse)
def crash_contact_opt_out(
    token: Annotated[str, Query(max_length=100)], session: SessionDep
) -> HTMLResponse:
    """Opt out of being a rider's emergency contact."""
    crash_alerts.opt_out(session, token=token)
    return HTMLResponse("<!doctype html><p>Done: this rider can no longer alert you.</p>")
