"""Social: follows and blocks, kudos and comments on rides, and the feed.

Other domains use only what is exported here.
"""

from bikenode.social.audience import AUDIENCE
from bikenode.social.clubs.events import ClubEventCreated, ClubMemberJoined, ClubPostAdded
from bikenode.social.clubs.service import active_memberships, club_member_ids
from bikenode.social.events import (
    CommentAdded,
    FollowAccepted,
    FollowRequested,
    KudosGiven,
    Mentioned,
    ModerationActionTaken,
)
from bikenode.social.gdpr import erase_user_data, iter_user_export
from bikenode.social.service import blocked_either_way, blockers_among

__all__ = [
    "AUDIENCE",
    "ClubEventCreated",
    "ClubMemberJoined",
    "ClubPostAdded",
    "CommentAdded",
    "FollowAccepted",
    "FollowRequested",
    "KudosGiven",
    "Mentioned",
    "ModerationActionTaken",
    "active_memberships",
    "blocked_either_way",
    "blockers_among",
    "club_member_ids",
    "erase_user_data",
    "iter_user_export",
]
