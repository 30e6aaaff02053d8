"""Imports every domain's tables so that migrations and tests see the whole schema."""

from bikenode.accounts.models import (
    LoginThrottle,
    MfaFactor,
    RatePlan,
    RecoveryCode,
    RefreshToken,
    User,
)
from bikenode.apps.models import App, AppGrant, AppToken, AuthorizationCode, PersonalToken
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
    FitnessCurveMonth,
    FitnessProfile,
    FitnessRecompute,
    FitnessRideFigures,
    FitnessThreshold,
)
from bikenode.governance.models import Erasure
from bikenode.health.models import HealthAlert, HealthMetric, HealthRideHrv
from bikenode.live.models import LiveBatch, LiveGroup, LiveGroupMember, LiveSession, LiveShare
from bikenode.market.models import (
    IdempotencyKey,
    Invoice,
    InvoiceCounter,
    LedgerAccount,
    Message,
    Payment,
    ProviderEvent,
    Quote,
    RepairJob,
    Transfer,
)
from bikenode.notifications.models import (
    Notification,
    NotificationDelivery,
    NotificationPreference,
    QuietHours,
)
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
from bikenode.social.clubs.models import (
    Club,
    ClubEvent,
    ClubInvite,
    ClubMember,
    ClubPost,
    ClubRsvp,
)
from bikenode.social.models import Block, Comment, Follow, Kudos, Report, SocialProfile
from bikenode.sync.models import SyncClient, SyncConflict, SyncMutation, SyncOwner, SyncRecord
from bikenode.webhooks.models import WebhookDelivery, WebhookSubscription

__all__ = [
    "App",
    "AppGrant",
    "AppToken",
    "AuditEvent",
    "AuthorizationCode",
    "Best",
    "Bike",
    "Block",
    "Club",
    "ClubEvent",
    "ClubInvite",
    "ClubMember",
    "ClubPost",
    "ClubRsvp",
    "Comment",
    "Component",
    "Effort",
    "Erasure",
    "FitnessCurveMonth",
    "FitnessProfile",
    "FitnessRecompute",
    "FitnessRideFigures",
    "FitnessThreshold",
    "Follow",
    "HealthAlert",
    "HealthMetric",
    "HealthRideHrv",
    "HeldEvent",
    "IdempotencyKey",
    "Installation",
    "Invoice",
    "InvoiceCounter",
    "Job",
    "Kudos",
    "LedgerAccount",
    "LiveBatch",
    "LiveGroup",
    "LiveGroupMember",
    "LiveSession",
    "LiveShare",
    "LoginThrottle",
    "Message",
    "MfaFactor",
    "Notification",
    "NotificationDelivery",
    "NotificationPreference",
    "OutboxEvent",
    "Payment",
    "PersonalToken",
    "PlannedRoute",
    "PrivacyZone",
    "ProviderEvent",
    "PublicRideView",
    "QuietHours",
    "Quote",
    "RatePlan",
    "RecoveryCode",
    "RefreshToken",
    "Reminder",
    "RepairJob",
    "Report",
    "Ride",
    "RideAssignment",
    "RideOriginal",
    "RideStreams",
    "RouteCollaborator",
    "RouteUpdate",
    "Segment",
    "ServiceEntry",
    "SocialProfile",
    "SubscriberProgress",
    "SyncClient",
    "SyncConflict",
    "SyncMutation",
    "SyncOwner",
    "SyncRecord",
    "Transfer",
    "Upload",
    "UploadChunk",
    "UploadItem",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
]
