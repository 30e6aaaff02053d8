"""What governance announces: an account and its data are gone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bikenode.events import Event


@dataclass(frozen=True)
class UserErased(Event):
    """A user and all their data were erased; a domain holding derived data drops its share.

    Unlike other events it is kept when the user's events are erased (as the audit log keeps
    the id): it carries no data but the id itself.
    """

    type = "governance.user_erased"
    aggregate = "user_id"

    user_id: uuid.UUID
