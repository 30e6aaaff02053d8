"""Governance: GDPR export and erasure, and rotation of the keys that seal health data.

It reaches accounts and rides only through their public interfaces.
"""

from bikenode.governance.service import ErasureReport, erase_user, export_user_data

__all__ = ["ErasureReport", "erase_user", "export_user_data"]
