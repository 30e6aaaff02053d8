"""Collaborative route planning: routes are Yjs documents edited over y-websocket.

Other domains use only what is exported here.
"""

from bikenode.planner.service import RouteAccess, route_access

__all__ = ["RouteAccess", "route_access"]
