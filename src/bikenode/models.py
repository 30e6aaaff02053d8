"""Imports every domain's tables so that migrations and tests see the whole schema."""

from bikenode.accounts.models import RefreshToken, User

__all__ = ["RefreshToken", "User"]
