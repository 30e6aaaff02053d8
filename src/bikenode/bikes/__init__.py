"""Bikes: a rider's bikes, their components as a tree, usage from rides and maintenance.

Other domains use only what is exported here.
"""

from bikenode.bikes.assignments import rides_on_bike
from bikenode.bikes.events import ComponentDue
from bikenode.bikes.gdpr import erase_user_data, iter_user_export
from bikenode.bikes.market_jobs import owned_bike_parts

__all__ = [
    "ComponentDue",
    "erase_user_data",
    "iter_user_export",
    "owned_bike_parts",
    "rides_on_bike",
]
