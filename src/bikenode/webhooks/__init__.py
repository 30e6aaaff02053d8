"""Webhooks: signed HTTP deliveries of a rider's events to programs they choose.

Other domains use only what is exported here.
"""

from bikenode.webhooks.gdpr import erase_user_data, iter_user_export
from bikenode.webhooks.sealing import ResealBatch, reseal_secrets_batch, secret_key_counts

__all__ = [
    "ResealBatch",
    "erase_user_data",
    "iter_user_export",
    "reseal_secrets_batch",
    "secret_key_counts",
]
