"""Collaborative route planning: routes are Yjs documents edited over y-websocket.

Other domains use only what is exported here.
"""

from bikenode.planner.gdpr import erase_user_data, iter_user_export
from bikenode.planner.service import RouteAccess, route_access

__all__ = ["RouteAccess", "erase_user_data", "iter_user_export", "route_access"]
