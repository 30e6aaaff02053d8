"""Health: daily metrics (resting heart rate, HRV, weight, sleep, how the rider feels), robust
baselines, explained alerts and readiness.

Other domains use only what is exported here.
"""

from bikenode.health.events import AlertRaised
from bikenode.health.gdpr import ErasedHealth, erase_user_data, iter_user_export
from bikenode.health.logic.rmssd import RmssdResult, rmssd_ms
from bikenode.health.sealing import (
    ResealBatch,
    key_counts,
    reseal_alerts_batch,
    reseal_metrics_batch,
)
from bikenode.health.weights import weights_on_days

__all__ = [
    "AlertRaised",
    "ErasedHealth",
    "ResealBatch",
    "RmssdResult",
    "erase_user_data",
    "iter_user_export",
    "key_counts",
    "reseal_alerts_batch",
    "reseal_metrics_batch",
    "rmssd_ms",
    "weights_on_days",
]
