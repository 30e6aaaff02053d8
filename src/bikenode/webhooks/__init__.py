"""Webhooks: signed HTTP deliveries of a rider's events to programs they choose.

Other domains use only what is exported here.
"""

from bikenode.webhooks.gdpr import erase_user_data, iter_user_export

__all__ = ["erase_user_data", "iter_user_export"]
