"""Accounts: users, roles, sessions and tokens, preferences.

Other domains use only what is exported here.
"""

from bikenode.accounts.board_classes import BoardClasses, board_classes
from bikenode.accounts.body_metrics import body_metrics_key_counts, reseal_body_metrics_batch
from bikenode.accounts.gdpr import confirm_password, erase_user, export_user_profile
from bikenode.accounts.logic import ROLES, TokenError, TokenSettings, verify_access_token
from bikenode.accounts.mfa import has_mfa, require_admin
from bikenode.accounts.moderation import (
    lift_account_suspension,
    require_moderator,
    set_moderator,
    suspend_account,
)
from bikenode.accounts.rate_plans import RatePlanView, get_rate_plan
from bikenode.accounts.sealing import ResealBatch, reseal_totp_batch, totp_key_counts
from bikenode.accounts.service import (
    AccountsConfig,
    Contact,
    Principal,
    RiderProfile,
    appealing_user_id,
    authenticate,
    authenticate_app,
    display_names,
    find_user_id_by_email,
    get_contact,
    get_rider_profile,
    rider_profiles,
    verified_user_ids_by_email,
)
from bikenode.accounts.user_view import UserView

__all__ = [
    "ROLES",
    "AccountsConfig",
    "BoardClasses",
    "Contact",
    "Principal",
    "RatePlanView",
    "ResealBatch",
    "RiderProfile",
    "TokenError",
    "TokenSettings",
    "UserView",
    "appealing_user_id",
    "authenticate",
    "authenticate_app",
    "board_classes",
    "body_metrics_key_counts",
    "confirm_password",
    "display_names",
    "erase_user",
    "export_user_profile",
    "find_user_id_by_email",
    "get_contact",
    "get_rate_plan",
    "get_rider_profile",
    "has_mfa",
    "lift_account_suspension",
    "require_admin",
    "require_moderator",
    "reseal_body_metrics_batch",
    "reseal_totp_batch",
    "rider_profiles",
    "set_moderator",
    "suspend_account",
    "totp_key_counts",
    "verified_user_ids_by_email",
    "verify_access_token",
]
