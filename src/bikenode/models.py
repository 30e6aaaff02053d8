"""Imports every domain's tables so that migrations and tests see the whole schema."""

from bikenode.accounts.models import RefreshToken, User
from bikenode.db.queue import Job
from bikenode.rides.models import Ride, RideOriginal, RideStreams, Upload, UploadChunk, UploadItem

__all__ = [
    "Job",
    "RefreshToken",
    "Ride",
    "RideOriginal",
    "RideStreams",
    "Upload",
    "UploadChunk",
    "UploadItem",
    "User",
]
