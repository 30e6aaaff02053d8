"""Segments: stretches of road riders are timed on, efforts matched from rides, boards.

Other domains use only what is exported here.
"""

from bikenode.segments.gdpr import erase_user_data, iter_user_export

__all__ = ["erase_user_data", "iter_user_export"]
