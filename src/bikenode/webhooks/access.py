"""The webhooks and deliveries a request may act on: the caller's own only.

Someone else's webhook answers the same 404 as a missing one, so an id reveals nothing.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

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
