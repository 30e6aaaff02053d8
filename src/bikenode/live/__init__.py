"""Live tracking: riders send positions over WebSocket, viewers watch, group rides.

Other domains use only what is exported here.
"""

from bikenode.live.events import CrashAlertSent, CrashSuspected
from bikenode.live.gdpr import ErasedLive, erase_user_data, iter_user_export
from bikenode.live.group_rides import join_group_ride, leave_group_ride, open_group_ride
from bikenode.live.retention import expired_positions
from bikenode.live.service import ride_channel
from bikenode.live.storage import ResealBatch, health_key_counts, reseal_health_batch
from bikenode.live.tasks import crash_jobs

__all__ = [
    "CrashAlertSent",
    "CrashSuspected",
    "ErasedLive",
    "ResealBatch",
    "crash_jobs",
    "erase_user_data",
    "expired_positions",
    "health_key_counts",
    "iter_user_export",
    "join_group_ride",
    "leave_group_ride",
    "open_group_ride",
    "reseal_health_batch",
    "ride_channel",
]
