"""Market: repair jobs with quotes (a declared state machine), payments into escrow through a
double-entry ledger, reviews. Other domains use only what is exported here: its events
(notifications and bikes subscribe to them) and its GDPR hooks."""

from bikenode.market.events import (
    JobCompleted,
    JobExpired,
    JobStarted,
    MessagePosted,
    PaymentRefunded,
    PaymentSucceeded,
    QuoteAccepted,
    QuoteDeclined,
    QuoteReceived,
    ReviewPosted,
    ReviewReplied,
)
from bikenode.market.gdpr import erase_user_data, iter_user_export

__all__ = [
    "JobCompleted",
    "JobExpired",
    "JobStarted",
    "MessagePosted",
    "PaymentRefunded",
    "PaymentSucceeded",
    "QuoteAccepted",
    "QuoteDeclined",
    "QuoteReceived",
    "ReviewPosted",
    "ReviewReplied",
    "erase_user_data",
    "iter_user_export",
]
