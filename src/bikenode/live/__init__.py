"""Live tracking: riders send positions over WebSocket, viewers watch, group rides.

Other domains use only what is exported here.
"""

from bikenode.live.gdpr import ErasedLive, erase_user_data, iter_user_export
from bikenode.live.service import ride_channel

__all__ = ["ErasedLive", "erase_user_data", "iter_user_export", "ride_channel"]
