"""The webhooks and deliveries a request may act on: the caller's own only.

Someone else's webhook answers the same 404 as a missing one, so an id reveals nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode.apps import owns_app
from bikenode.errors import NotFound
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.webhooks import service
from bikenode.webhooks.models import WebhookDelivery, WebhookSubscription


def own_webhook(
    webhook_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> WebhookSubscription:
    return service.get_webhook(session, owner_id=user.id, webhook_id=webhook_id)


OwnWebhook = Annotated[WebhookSubscription, Depends(own_webhook)]


def own_delivery(delivery_id: str, webhook: OwnWebhook, session: SessionDep) -> WebhookDelivery:
    return service.get_delivery(session, webhook=webhook, delivery_id=delivery_id)


OwnDelivery = Annotated[WebhookDelivery, Depends(own_delivery)]


def own_app_id(app_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> uuid.UUID:
    """The app in the path if the caller developed it; 404 otherwise, as for a missing one."""
    if not owns_app(session, owner_id=user.id, app_id=app_id):
        raise NotFound("no such app")
    return app_id


OwnAppId = Annotated[uuid.UUID, Depends(own_app_id)]


def own_app_webhook(
    app_webhook_id: uuid.UUID, app_id: OwnAppId, user: CurrentUser, session: SessionDep
) -> WebhookSubscription:
    return service.get_app_webhook(
        session, owner_id=user.id, app_id=app_id, webhook_id=app_webhook_id
    )


OwnAppWebhook = Annotated[WebhookSubscription, Depends(own_app_webhook)]


def own_app_delivery(
    app_delivery_id: str, webhook: OwnAppWebhook, session: SessionDep
) -> WebhookDelivery:
    return service.get_delivery(session, webhook=webhook, delivery_id=app_delivery_id)


OwnAppDelivery = Annotated[WebhookDelivery, Depends(own_app_delivery)]
