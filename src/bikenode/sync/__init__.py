"""Sync: offline multi-device sync of a user's records.

Other domains use only what is exported here: they register their record types (a merge
kind per field, and functions over their own tables) and report their own changes with
`record_change` in the same transaction, so that devices pull them.
"""

from bikenode.sync.gdpr import erase_user_data, iter_user_export
from bikenode.sync.registry import (
    BadValue,
    FieldSpec,
    RecordType,
    amount,
    choice,
    element,
    get_record_type,
    integer,
    register_record_type,
    text,
)
from bikenode.sync.service import record_change

__all__ = [
    "BadValue",
    "FieldSpec",
    "RecordType",
    "amount",
    "choice",
    "element",
    "erase_user_data",
    "get_record_type",
    "integer",
    "iter_user_export",
    "record_change",
    "register_record_type",
    "text",
]
