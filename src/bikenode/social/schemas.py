"""The social API's wire format, apart from the tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bikenode.social.logic.rules import MAX_APPEAL_CHARS, MAX_COMMENT_CHARS, MAX_REASON_CHARS


class StrictModel(BaseModel):
    """Request bodies: strict types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid")


class RiderCardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    display_name: str


class RiderList(BaseModel):
    items: list[RiderCardPublic]


class ProfilePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    display_name: str
    approve_followers: bool = Field(description="follows wait for the rider's approval")
    followers: int
    following: int
    follow_status: Literal["pending", "accepted"] | None = Field(
        description="your follow of this rider, if any"
    )
    lists_visible: bool = Field(description="whether you may read the follower lists")


class FollowAnswer(BaseModel):
    status: Literal["pending", "accepted"]


class SocialSettings(StrictModel):
    approve_followers: bool


class KudosList(BaseModel):
    count: int
    given: bool = Field(description="whether you gave kudos")
    items: list[RiderCardPublic]


class CommentCreate(StrictModel):
    body: str = Field(min_length=1, max_length=MAX_COMMENT_CHARS * 2)


class CommentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ride_id: uuid.UUID
    author_id: uuid.UUID
    author_name: str
    body: str = Field(description="plain text: show it as text, never as HTML")
    created_at: datetime
    deletable: bool = Field(description="whether you may delete it (author or ride owner)")
    hidden: bool = Field(description="hidden by a moderator: shown to its author only")


class CommentList(BaseModel):
    items: list[CommentPublic]


class FeedEntry(BaseModel):
    kind: Literal["ride"] = "ride"
    id: uuid.UUID
    owner_id: uuid.UUID
    owner_name: str
    name: str
    sport: str
    visibility: str
    started_at: datetime | None
    distance_m: float | None
    moving_time_s: float | None
    elevation_gain_m: float | None
    kudos: int
    comments: int
    kudosed: bool


class ClubPostEntry(BaseModel):
    """A post in one of the rider's clubs, in the feed beside rides."""

    kind: Literal["club_post"] = "club_post"
    id: uuid.UUID
    club_id: uuid.UUID
    club_name: str
    author_id: uuid.UUID
    author_name: str
    body: str
    created_at: datetime


class FeedPage(BaseModel):
    items: list[Annotated[FeedEntry | ClubPostEntry, Field(discriminator="kind")]]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class ReportCreate(StrictModel):
    kind: Literal["user", "ride", "comment"]
    id: uuid.UUID = Field(strict=False, description="the reported user's, ride's or comment's id")
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS * 2)


class ReportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    reason: str
    status: str
    created_at: datetime


class ReportList(BaseModel):
    items: list[ReportPublic]


class ModerationReason(StrictModel):
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS * 2)


ObjectKind = Literal["user", "ride", "comment"]


class ActionCreate(StrictModel):
    kind: Literal["dismiss", "hide", "warn", "suspend"]
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS * 2)
    report_id: uuid.UUID | None = Field(
        default=None, strict=False, description="act on this report's object (and settle it)"
    )
    object_kind: ObjectKind | None = Field(default=None, description="or act on this directly")
    object_id: uuid.UUID | None = Field(default=None, strict=False)
    until: datetime | None = Field(
        default=None, strict=False, description="a suspension's end (UTC); none: for good"
    )


class ActionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    user_id: uuid.UUID | None = Field(description="the affected rider (none for a dismissal)")
    object_kind: str
    object_id: uuid.UUID
    report_id: uuid.UUID | None
    reason: str
    until: datetime | None
    created_at: datetime
    lifted_at: datetime | None
    active: bool = Field(description="whether the action holds now")
    appeal_text: str | None
    appealed_at: datetime | None
    appeal_status: Literal["pending", "upheld", "overturned"] | None


class ActionList(BaseModel):
    items: list[ActionPublic]


class QueuedReportPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    reason: str
    created_at: datetime
    owner_id: uuid.UUID | None = Field(description="whose object it is (none: it is gone)")
    owner_name: str
    summary: str = Field(description="plain text: show it as text, never as HTML")


class ModerationQueue(BaseModel):
    reports: list[QueuedReportPublic] = Field(description="open reports, oldest first")
    appeals: list[ActionPublic] = Field(description="pending appeals, oldest first")


class AppealCreate(StrictModel):
    text: str = Field(min_length=1, max_length=MAX_APPEAL_CHARS * 2)


class AppealDecision(StrictModel):
    decision: Literal["uphold", "overturn"]
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS * 2)
