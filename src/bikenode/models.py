"""Imports every domain's tables so that migrations and tests see the whole schema."""

from bikenode.accounts.models import (
    LoginThrottle,
    MfaFactor,
    RatePlan,
    RecoveryCode,
    RefreshToken,
    User,
)
from bikenode.audit.models import AuditEvent
from bikenode.bikes.models import (
    Bike,
    Component,
    Installation,
    Reminder,
    RideAssignment,
    ServiceEntry,
)
from bikenode.db.queue import Job
from bikenode.events.models import HeldEvent, OutboxEvent, SubscriberProgress
from bikenode.fitness.models import (
    FitnessProfile,
    FitnessRecompute,
    FitnessRideFigures,
    FitnessThreshold,
)
from bikenode.governance.models import Erasure
from bikenode.health.models import HealthAlert, HealthMetric
from bikenode.live.models import LiveBatch, LiveGroup, LiveGroupMember, LiveSession, LiveShare
from bikenode.planner.models import PlannedRoute, RouteCollaborator, RouteUpdate
from bikenode.rides.models import (
    PrivacyZone,
    PublicRideView,
    Ride,
    RideOriginal,
    RideStreams,
    Upload,
    UploadChunk,
    UploadItem,
)
from bikenode.segments.models import Best, Effort, Segment
from bikenode.sync.models import SyncClient, SyncConflict, SyncMutation, SyncOwner, SyncRecord
from bikenode.webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = [
    "AuditEvent",
    "Best",
    "Bike",
    "Component",
    "Effort",
    "Erasure",
    "FitnessProfile",
    "FitnessRecompute",
    "FitnessRideFigures",
    "FitnessThreshold",
    "HealthAlert",
    "HealthMetric",
    "HeldEvent",
    "Installation",
    "Job",
    "LiveBatch",
    "LiveGroup",
    "LiveGroupMember",
    "LiveSession",
    "LiveShare",
    "LoginThrottle",
    "MfaFactor",
    "OutboxEvent",
    "PlannedRoute",
    "PrivacyZone",
    "PublicRideView",
    "RatePlan",
    "RecoveryCode",
    "RefreshToken",
    "Reminder",
    "Ride",
    "RideAssignment",
    "RideOriginal",
    "RideStreams",
    "RouteCollaborator",
    "RouteUpdate",
    "Segment",
    "ServiceEntry",
    "SubscriberProgress",
    "SyncClient",
    "SyncConflict",
    "SyncMutation",
    "SyncOwner",
    "SyncRecord",
    "Upload",
    "UploadChunk",
    "UploadItem",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
]
