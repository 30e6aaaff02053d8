"""The webhooks API: a rider's subscriptions, their secrets and delivery log."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute
from bikenode.webhooks import service
from bikenode.webhooks.access import (
    OwnAppDelivery,
    OwnAppId,
    OwnAppWebhook,
    OwnDelivery,
    OwnWebhook,
)
from bikenode.webhooks.logic.addresses import allowed_hosts
from bikenode.webhooks.schemas import (
    DeliveryList,
    DeliveryPublic,
    SecretRotated,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPublic,
    WebhookUpdate,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], route_class=StrictJSONRoute)
# An app's subscription, managed by its developer signed in (web token): under /api/v1/apps,
# which no app token may call (apps.NEVER_FOR_APPS), so an app never manages its own.
app_router = APIRouter(
    prefix="/api/v1/apps/{app_id}/webhooks", tags=["webhooks"], route_class=StrictJSONRoute
)


def _allowed(request: Request) -> frozenset[str]:
    return allowed_hosts(request.app.state.settings.webhooks_allowed_hosts)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_webhook(
    body: WebhookCreate, request: Request, user: CurrentUser, session: SessionDep
) -> WebhookCreated:
    """Subscribe a URL to event types; the answer holds the signing secret, this once."""
    created = service.create_webhook(
        session,
        owner_id=user.id,
        url=body.url,
        event_types=body.event_types,
        allowed=_allowed(request),
    )
    public = WebhookPublic.model_validate(created.subscription)
    return WebhookCreated(**public.model_dump(), secret=created.secret)


@router.get("", response_model=WebhookList)
def list_webhooks(user: CurrentUser, session: SessionDep) -> WebhookList:
    """Your webhooks."""
    rows = service.list_webhooks(session, owner_id=user.id)
    return WebhookList(webhooks=[WebhookPublic.model_validate(r) for r in rows])


@router.get("/{webhook_id}", response_model=WebhookPublic)
def get_webhook(webhook: OwnWebhook) -> WebhookPublic:
    """One of your webhooks."""
    return WebhookPublic.model_validate(webhook)


@router.patch("/{webhook_id}", response_model=WebhookPublic)
def update_webhook(
    body: WebhookUpdate, webhook: OwnWebhook, request: Request, session: SessionDep
) -> WebhookPublic:
    """Change a webhook's URL or event types, or switch it on or off."""
    row = service.update_webhook(
        session,
        webhook=webhook,
        url=body.url,
        event_types=body.event_types,
        enabled=body.enabled,
        allowed=_allowed(request),
    )
    return WebhookPublic.model_validate(row)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook: OwnWebhook, session: SessionDep) -> Response:
    """Delete a webhook and its delivery log."""
    service.delete_webhook(session, webhook=webhook)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret", response_model=SecretRotated)
def rotate_secret(webhook: OwnWebhook, session: SessionDep) -> SecretRotated:
    """A new signing secret; the previous one keeps signing for 24 hours."""
    return SecretRotated(secret=service.rotate_secret(session, webhook=webhook))


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList)
def list_deliveries(webhook: OwnWebhook, session: SessionDep) -> DeliveryList:
    """The webhook's latest 50 deliveries, newest first, with the receiver's answers."""
    rows = service.list_deliveries(session, webhook=webhook)
    return DeliveryList(deliveries=[DeliveryPublic.model_validate(r) for r in rows])


@router.post("/{webhook_id}/deliveries/{delivery_id}/replay", response_model=DeliveryPublic)
def replay_delivery(delivery: OwnDelivery, session: SessionDep) -> DeliveryPublic:
    """Send a delivery again, with the same webhook-id."""
    return DeliveryPublic.model_validate(service.replay_delivery(session, delivery=delivery))


@app_router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
def create_app_webhook(
    body: WebhookCreate, app_id: OwnAppId, request: Request, user: CurrentUser, session: SessionDep
) -> WebhookCreated:
    """Subscribe the app (one URL per app) to its riders' events; the secret, this once."""
    created = service.create_app_webhook(
        session,
        owner_id=user.id,
        app_id=app_id,
        url=body.url,
        event_types=body.event_types,
        allowed=_allowed(request),
    )
    public = WebhookPublic.model_validate(created.subscription)
    return WebhookCreated(**public.model_dump(), secret=created.secret)


@app_router.get("", response_model=WebhookList)
def list_app_webhooks(app_id: OwnAppId, user: CurrentUser, session: SessionDep) -> WebhookList:
    """The app's webhook (none or one)."""
    rows = service.list_app_webhooks(session, owner_id=user.id, app_id=app_id)
    return WebhookList(webhooks=[WebhookPublic.model_validate(r) for r in rows])


@app_router.get("/{app_webhook_id}", response_model=WebhookPublic)
def get_app_webhook(webhook: OwnAppWebhook) -> WebhookPublic:
    """The app's webhook."""
    return WebhookPublic.model_validate(webhook)


@app_router.patch("/{app_webhook_id}", response_model=WebhookPublic)
def update_app_webhook(
    body: WebhookUpdate, webhook: OwnAppWebhook, request: Request, session: SessionDep
) -> WebhookPublic:
    """Change the app's webhook URL or event types, or switch it on or off."""
    row = service.update_webhook(
        session,
        webhook=webhook,
        url=body.url,
        event_types=body.event_types,
        enabled=body.enabled,
        allowed=_allowed(request),
    )
    return WebhookPublic.model_validate(row)


@app_router.delete("/{app_webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_app_webhook(webhook: OwnAppWebhook, session: SessionDep) -> Response:
    """Delete the app's webhook and its delivery log."""
    service.delete_webhook(session, webhook=webhook)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@app_router.post("/{app_webhook_id}/rotate-secret", response_model=SecretRotated)
def rotate_app_secret(webhook: OwnAppWebhook, session: SessionDep) -> SecretRotated:
    """A new signing secret for the app's webhook; the previous one signs for 24 hours."""
    return SecretRotated(secret=service.rotate_secret(session, webhook=webhook))


@app_router.get("/{app_webhook_id}/deliveries", response_model=DeliveryList)
def list_app_deliveries(webhook: OwnAppWebhook, session: SessionDep) -> DeliveryList:
    """The app's webhook's latest 50 deliveries, newest first."""
    rows = service.list_deliveries(session, webhook=webhook)
    return DeliveryList(deliveries=[DeliveryPublic.model_validate(r) for r in rows])


@app_router.post(
    "/{app_webhook_id}/deliveries/{app_delivery_id}/replay", response_model=DeliveryPublic
)
def replay_app_delivery(delivery: OwnAppDelivery, session: SessionDep) -> DeliveryPublic:
    """Send one of the app's deliveries again, with the same webhook-id."""
    return DeliveryPublic.model_validate(service.replay_delivery(session, delivery=delivery))
