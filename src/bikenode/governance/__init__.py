"""Governance: GDPR export and erasure, and rotation of the keys that seal health data.

It reaches accounts, rides, live, planner and sync only through their public interfaces.
"""

from bikenode.governance.events import UserErased
from bikenode.governance.service import (
    AdminRead,
    ErasureReport,
    erase_user,
    export_user_data,
    key_ids_in_use,
    read_user_as_admin,
)

__all__ = [
    "AdminRead",
    "ErasureReport",
    "UserErased",
    "erase_user",
    "export_user_data",
    "key_ids_in_use",
    "read_user_as_admin",
]
