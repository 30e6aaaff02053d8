"""The outbox in Prometheus: deliveries, failures and dead letters counted, lag per subscriber."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class EventMetrics:
    """Counters the dispatcher bumps after each commit, gauges it refreshes every few seconds."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.delivered = Counter(
            "bikenode_events_delivered_total",
            "Events handled successfully, by subscriber.",
            ["subscriber"],
            registry=registry,
        )
        self.failed = Counter(
            "bikenode_events_failed_total",
            "Event handler failures (each is retried with backoff), by subscriber.",
            ["subscriber"],
            registry=registry,
        )
        self.dead_lettered = Counter(
            "bikenode_events_dead_lettered_total",
            "Events given up after their last attempt, by subscriber.",
            ["subscriber"],
            registry=registry,
        )
        self.pending = Gauge(
            "bikenode_events_pending",
            "Events in the log the subscriber has not read yet.",
            ["subscriber"],
            registry=registry,
        )
        self.lag = Gauge(
            "bikenode_events_lag_seconds",
            "Age of the oldest event the subscriber has not read yet (0 when caught up).",
            ["subscriber"],
            registry=registry,
        )
        self.dead = Gauge(
            "bikenode_events_dead_letters",
            "Dead letters waiting for `bikenode events retry`, by subscriber.",
            ["subscriber"],
            registry=registry,
        )
