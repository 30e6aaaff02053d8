"""The signed-in user as other domains see them: a small read-only view, never the table row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bikenode.accounts.models import User


@dataclass(frozen=True)
class UserView:
    """Who is signed in, their role and the preferences other domains act on.

    No e-mail address, password hash or sealed body metrics: those stay in accounts.
    """

    id: uuid.UUID
    role: str
    display_name: str
    units: str
    timezone: str
    ftp_w: int | None
    max_hr_bpm: int | None
    share_health_by_default: bool
    moderator: bool = False  # granted by an admin (accounts.set_moderator)
    private_rides: bool = True  # False: an app token without rides:read_all is the caller

    @property
    def is_admin(self) -> bool:
        """True for the admin role (admin actions also need MFA: accounts.require_admin)."""
        return self.role == "admin"

    @property
    def is_moderator(self) -> bool:
        """True for admins and riders granted moderation (they also need MFA:
        accounts.require_moderator)."""
        return self.role == "admin" or self.moderator


def view_of(user: User) -> UserView:
    """The read-only view of a user row, detached from the session that loaded it."""
    return UserView(
        id=user.id,
        role=user.role,
        display_name=user.display_name,
        units=user.units,
        timezone=user.timezone,
        ftp_w=user.ftp_w,
        max_hr_bpm=user.max_hr_bpm,
        share_health_by_default=user.share_health_by_default,
        moderator=user.moderator,
    )
