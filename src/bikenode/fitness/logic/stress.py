"""Training stress of one ride, from power when the rider's FTP is known, else heart rate.

Power (Coggan's TSS): stress = duration_s * NP * IF / (FTP * 3600) * 100 with IF = NP / FTP,
so an hour at FTP scores 100. NP is the ride's weighted (normalised) power, which the rides
domain computes; it is a parameter here so that this package needs no other domain.

Heart rate (Banister's TRIMP, 1991): TRIMP = duration_min * r * 0.64 * e^(k * r), with the
heart-rate reserve ratio r = (HR_avg - HR_rest) / (HR_max - HR_rest). Banister's k is 1.92 for
men and 1.67 for women; 1.92 is the common default (GoldenCheetah, TrainingPeaks' hrTSS), and
TRIMP_K_FEMALE is there for riders who choose it. TRIMP is put on the TSS scale by the TRIMP of
one hour at lactate threshold heart rate: hrTSS = TRIMP / TRIMP(60 min at LTHR) * 100, so an
hour at LTHR scores 100 like an hour at FTP. Without a measured LTHR it is taken as
LTHR_FRACTION_OF_MAX of the maximum heart rate (a rule of thumb; a tested LTHR is better).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "LTHR_FRACTION_OF_MAX",
    "TRIMP_K_FEMALE",
    "TRIMP_K_MALE",
    "RideStress",
    "heart_rate_stress",
    "power_stress",
    "ride_stress",
    "trimp",
]

TRIMP_K_MALE = 1.92
TRIMP_K_FEMALE = 1.67
LTHR_FRACTION_OF_MAX = 0.9


@dataclass(frozen=True)
class RideStress:
    """A ride's training stress and how it was found, or None and the reason why not."""

    stress: float | None
    method: Literal["power", "heart_rate"] | None
    reason: str = ""


def power_stress(duration_s: float, normalized_power_w: float, ftp_w: float) -> float:
    """Power-based training stress (TSS): 100 for one hour at FTP."""
    if ftp_w <= 0 or duration_s < 0 or normalized_power_w < 0:
        raise ValueError(
            f"expected FTP > 0 and non-negative duration and power, got FTP {ftp_w} W, "
            f"{duration_s} s, {normalized_power_w} W"
        )
    intensity = normalized_power_w / ftp_w
    return duration_s * normalized_power_w * intensity / (ftp_w * 3600.0) * 100.0


def trimp(
    duration_s: float,
    avg_hr_bpm: float,
    *,
    rest_hr_bpm: float,
    max_hr_bpm: float,
    k: float = TRIMP_K_MALE,
) -> float:
    """Banister's TRIMP of a session at an average heart rate (0 at or below resting)."""
    if max_hr_bpm <= rest_hr_bpm:
        raise ValueError(
            f"expected a maximum heart rate above the resting one, got {max_hr_bpm} and {rest_hr_bpm}"
        )
    ratio = min(max((avg_hr_bpm - rest_hr_bpm) / (max_hr_bpm - rest_hr_bpm), 0.0), 1.0)
    return duration_s / 60.0 * ratio * 0.64 * math.exp(k * ratio)


def heart_rate_stress(
    duration_s: float,
    avg_hr_bpm: float,
    *,
    rest_hr_bpm: float,
    max_hr_bpm: float,
    threshold_hr_bpm: float | None = None,
    k: float = TRIMP_K_MALE,
) -> float:
    """Heart-rate training stress (hrTSS): TRIMP scaled so one hour at LTHR scores 100."""
    lthr = threshold_hr_bpm or LTHR_FRACTION_OF_MAX * max_hr_bpm
    if lthr <= rest_hr_bpm:
        raise ValueError(f"expected a threshold heart rate above resting, got {lthr} bpm")
    hour_at_threshold = trimp(3600.0, lthr, rest_hr_bpm=rest_hr_bpm, max_hr_bpm=max_hr_bpm, k=k)
    session = trimp(duration_s, avg_hr_bpm, rest_hr_bpm=rest_hr_bpm, max_hr_bpm=max_hr_bpm, k=k)
    return session / hour_at_threshold * 100.0


def ride_stress(
    *,
    duration_s: float,
    normalized_power_w: float | None = None,
    ftp_w: float | None = None,
    avg_hr_bpm: float | None = None,
    rest_hr_bpm: float | None = None,
    max_hr_bpm: float | None = None,
    threshold_hr_bpm: float | None = None,
    k: float = TRIMP_K_MALE,
) -> RideStress:
    """The ride's stress from power if it can be had, else from heart rate, else None and why."""
    if duration_s <= 0:
        return RideStress(None, None, f"the ride has no duration ({duration_s} s)")
    if normalized_power_w is not None and ftp_w:
        return RideStress(power_stress(duration_s, normalized_power_w, ftp_w), "power")
    if avg_hr_bpm is not None and rest_hr_bpm is not None and max_hr_bpm is not None:
        lthr = threshold_hr_bpm or LTHR_FRACTION_OF_MAX * max_hr_bpm
        if rest_hr_bpm < min(lthr, max_hr_bpm):
            value = heart_rate_stress(
                duration_s,
                avg_hr_bpm,
                rest_hr_bpm=rest_hr_bpm,
                max_hr_bpm=max_hr_bpm,
                threshold_hr_bpm=lthr,
                k=k,
            )
            return RideStress(value, "heart_rate")
    return RideStress(
        None, None, _missing_inputs(normalized_power_w, ftp_w, avg_hr_bpm, rest_hr_bpm, max_hr_bpm)
    )


def _missing_inputs(
    normalized_power_w: float | None,
    ftp_w: float | None,
    avg_hr_bpm: float | None,
    rest_hr_bpm: float | None,
    max_hr_bpm: float | None,
) -> str:
    power = "no power" if normalized_power_w is None else ("no FTP" if not ftp_w else "")
    named = {"average": avg_hr_bpm, "resting": rest_hr_bpm, "maximum": max_hr_bpm}
    absent = [name for name, value in named.items() if value is None]
    if absent:
        heart = "no " + ", ".join(absent) + " heart rate"
    else:
        heart = "a maximum heart rate not above the resting one or the threshold"
    return f"neither power nor heart-rate stress can be computed: {power}; {heart}"
