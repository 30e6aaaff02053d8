"""Notifications: what riders hear about, in the app, by e-mail and by web push, as they
choose.

Other domains use only what is exported here; to have their events notify someone they add
an entry to notifications/registry.py's ROUTES.
"""

from bikenode.notifications.gdpr import erase_user_data, iter_user_export

__all__ = ["erase_user_data", "iter_user_export"]
