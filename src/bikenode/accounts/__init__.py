"""Accounts: users, roles, sessions and tokens, preferences.

Other domains use only what is exported here.
"""

from bikenode.accounts.logic import ROLES
from bikenode.accounts.models import User
from bikenode.accounts.service import (
    AccountsConfig,
    Principal,
    RiderProfile,
    find_user_id_by_email,
    get_rider_profile,
)

__all__ = [
    "ROLES",
    "AccountsConfig",
    "Principal",
    "RiderProfile",
    "User",
    "find_user_id_by_email",
    "get_rider_profile",
]
