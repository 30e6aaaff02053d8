"""Webhooks: signed HTTP deliveries of a rider's events to programs they choose.

Other domains use only what is exported here.
"""

from bikenode.webhooks.events import FAILING_REASON, GONE_REASON, WebhookDisabled
from bikenode.webhooks.gdpr import erase_user_data, iter_user_export
from bikenode.webhooks.sealing import ResealBatch, reseal_secrets_batch, secret_key_counts

__all__ = [
    "FAILING_REASON",
    "GONE_REASON",
    "ResealBatch",
    "WebhookDisabled",
    "erase_user_data",
    "iter_user_export",
    "reseal_secrets_batch",
    "secret_key_counts",
]
