"""Audit: an append-only, hash-chained log of security events.

Other domains use only what is exported here: `record_event` adds an entry in the caller's
transaction (it is kept only if the caller commits), `verify_log` checks the whole chain.
"""

from bikenode.audit.logic import Finding
from bikenode.audit.service import AuditEventView, list_events, record_event, verify_log

__all__ = ["AuditEventView", "Finding", "list_events", "record_event", "verify_log"]
