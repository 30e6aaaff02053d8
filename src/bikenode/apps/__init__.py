"""Apps: third-party programs acting for a rider over OAuth2, and personal access tokens.

Other modules use only what is exported here.
"""

from bikenode.apps.gdpr import erase_user_apps, export_user_apps
from bikenode.apps.logic import SCOPES, is_app_token, required_scope
from bikenode.apps.retention import expired_credentials
from bikenode.apps.service import (
    AppCaller,
    app_owners,
    granted_scopes,
    owns_app,
    resolve_token,
    rider_grants,
)

__all__ = [
    "SCOPES",
    "AppCaller",
    "app_owners",
    "erase_user_apps",
    "expired_credentials",
    "export_user_apps",
    "granted_scopes",
    "is_app_token",
    "owns_app",
    "required_scope",
    "resolve_token",
    "rider_grants",
]
