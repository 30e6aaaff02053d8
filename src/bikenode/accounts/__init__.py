"""Accounts: users, roles, sessions and tokens, preferences.

Other domains use only what is exported here.
"""

from bikenode.accounts.logic import ROLES
from bikenode.accounts.models import User
from bikenode.accounts.service import AccountsConfig, Principal

__all__ = ["ROLES", "AccountsConfig", "Principal", "User"]
