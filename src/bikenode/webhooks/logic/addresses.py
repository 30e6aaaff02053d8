"""Which addresses a webhook may be sent to: the shared SSRF guard (bikenode/addresses.py)."""

from bikenode.addresses import allowed_hosts, refused_reason

__all__ = ["allowed_hosts", "refused_reason"]
