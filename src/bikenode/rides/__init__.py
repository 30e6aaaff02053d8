"""Rides: import, analyse, store and export GPX, FIT and TCX activities.

Other domains use only what is exported here.
"""

from bikenode.rides.audience import Audience, Relation, current_audience, register_audience
from bikenode.rides.events import GearListed, RideChanged, RideDeleted, RideImported
from bikenode.rides.feed import (
    FeedRide,
    feed_cursor,
    feed_rides,
    is_private_ride,
    ride_visible_to,
    rider_rides,
    visible_ride_owner,
)
from bikenode.rides.formats.activity import ParseError
from bikenode.rides.formats.fit_health import (
    MonitoringDay,
    MonitoringFile,
    NotMonitoring,
    parse_fit_monitoring,
)
from bikenode.rides.gdpr import (
    ErasedRides,
    RideRow,
    erase_user_data,
    iter_user_export,
    list_user_rides,
)
from bikenode.rides.heartbeats import RideHeartbeats, ride_heartbeats
from bikenode.rides.imports import EntryResult
from bikenode.rides.logic.privacy import HiddenCircle, hidden_mask
from bikenode.rides.privacy import hide_positions, privacy_circles, privacy_circles_of
from bikenode.rides.retention import abandoned_uploads, expired_duplicate_copies, expired_originals
from bikenode.rides.service import import_live_track
from bikenode.rides.signals import (
    RidePower,
    RideSignals,
    RideStart,
    RideTrack,
    list_ride_starts,
    ride_power_seen_by,
    ride_signals,
    ride_track,
    rides_signals,
)
from bikenode.rides.storage import (
    ReencryptBatch,
    health_key_counts,
    reencrypt_health_batch,
)
from bikenode.rides.totals import (
    BatteryReading,
    RideAccess,
    RideDevice,
    RiderWeekTotals,
    RideTotals,
    ride_access,
    ride_devices,
    ride_totals,
    riders_totals,
    rides_around,
)

__all__ = [
    "Audience",
    "BatteryReading",
    "EntryResult",
    "ErasedRides",
    "FeedRide",
    "GearListed",
    "HiddenCircle",
    "MonitoringDay",
    "MonitoringFile",
    "NotMonitoring",
    "ParseError",
    "ReencryptBatch",
    "Relation",
    "RideAccess",
    "RideChanged",
    "RideDeleted",
    "RideDevice",
    "RideHeartbeats",
    "RideImported",
    "RidePower",
    "RideRow",
    "RideSignals",
    "RideStart",
    "RideTotals",
    "RideTrack",
    "RiderWeekTotals",
    "abandoned_uploads",
    "current_audience",
    "erase_user_data",
    "expired_duplicate_copies",
    "expired_originals",
    "feed_cursor",
    "feed_rides",
    "health_key_counts",
    "hidden_mask",
    "hide_positions",
    "import_live_track",
    "is_private_ride",
    "iter_user_export",
    "list_ride_starts",
    "list_user_rides",
    "parse_fit_monitoring",
    "privacy_circles",
    "privacy_circles_of",
    "reencrypt_health_batch",
    "register_audience",
    "ride_access",
    "ride_devices",
    "ride_heartbeats",
    "ride_power_seen_by",
    "ride_signals",
    "ride_totals",
    "ride_track",
    "ride_visible_to",
    "rider_rides",
    "riders_totals",
    "rides_around",
    "rides_signals",
    "visible_ride_owner",
]
