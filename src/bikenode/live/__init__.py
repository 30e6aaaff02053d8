"""Live tracking: riders send positions over WebSocket, viewers watch, group rides.

Other domains use only what is exported here.
"""

from bikenode.live.service import ride_channel

__all__ = ["ride_channel"]
