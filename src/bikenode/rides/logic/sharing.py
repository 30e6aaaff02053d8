"""What of a ride's heart rate and power others see.

Heart rate is health data (BioVerse treats it so) and riders hide power on peer platforms,
so both are the rider's until they choose otherwise: per ride (`share_health` True or False)
or, when a ride does not say (None), by their default (`share_health_by_default`, False
unless they change it). Without that choice, others get no `hr_bpm` or `power_w` stream and
no summary figure computed from them (averages, maxima, weighted power, best efforts,
calories, which devices derive from heart rate and body weight).

Some figures stay the owner's even with the choice made: time in heart-rate and power zones
(each zone's bounds are fractions of the rider's maximum heart rate or FTP, so they give both
away), and intensity and training stress (weighted power over FTP gives FTP away).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

__all__ = [
    "HEALTH_STREAMS",
    "HEALTH_SUMMARY_KEYS",
    "OWNER_ONLY_SUMMARY_KEYS",
    "WITHHELD_REASON",
    "shares_health",
    "streams_for_others",
    "summary_for_others",
    "withheld_streams",
]

HEALTH_STREAMS = ("hr_bpm", "power_w")
HEALTH_SUMMARY_KEYS = frozenset(
    {
        "avg_hr_bpm",
        "max_hr_bpm",
        "avg_power_w",
        "max_power_w",
        "weighted_power_w",
        "best_power",
        "calories_kcal",
    }
)
# devices: the serial numbers of the rider's head unit and sensors would let others follow
# the rider's equipment from ride to ride.
OWNER_ONLY_SUMMARY_KEYS = frozenset(
    {"hr_zones", "power_zones", "intensity", "training_stress", "devices"}
)
WITHHELD_REASON = (
    "the rider shows heart rate and power to others only if they choose to "
    "(the ride's share_health, or their share_health_by_default)"
)

ValueT = TypeVar("ValueT")


def shares_health(ride_choice: bool | None, rider_default: bool) -> bool:
    """True when others may see the ride's heart rate and power: the ride's choice, else the
    rider's default."""
    return rider_default if ride_choice is None else ride_choice


def streams_for_others(streams: Mapping[str, ValueT], *, health: bool) -> dict[str, ValueT]:
    """The streams without heart rate and power unless the rider shares them."""
    return {k: v for k, v in streams.items() if health or k not in HEALTH_STREAMS}


def withheld_streams(*, health: bool) -> dict[str, str]:
    """Each stream kept from others and why (the same whether or not the ride has it)."""
    return {} if health else dict.fromkeys(HEALTH_STREAMS, WITHHELD_REASON)


def summary_for_others(summary: Mapping[str, Any], *, health: bool) -> dict[str, Any]:
    """The summary others see: no owner-only figure, and no health figure unless shared."""
    hidden = OWNER_ONLY_SUMMARY_KEYS if health else OWNER_ONLY_SUMMARY_KEYS | HEALTH_SUMMARY_KEYS
    return {k: v for k, v in summary.items() if k not in hidden}
