"""rMSSD from beat-to-beat (RR) intervals, with the usual artefact removal.

rMSSD is the root mean square of successive differences of RR intervals (Task Force of the
European Society of Cardiology and NASPE, 1996, Circulation 93:1043):

    rMSSD = sqrt( mean( (RR[i] - RR[i-1])^2 ) )   over the pairs of adjacent beats kept

Artefacts (missed or extra beats, movement) are removed before the sum, as HRV4Training and
Kubios' simple filters do:

1. an interval outside 300-2000 ms (200 to 30 bpm) is not a heartbeat: it is dropped, and
   so are both differences it takes part in;
2. a difference larger than 20% of the earlier interval is an ectopic or missed beat (the
   20% rule of Malik et al., 1989): that difference is left out.

Differences are only taken between beats adjacent in the recording, never across a dropped
one. A recording with fewer than 30 differences left, or with more than a fifth of them
removed, gives no value: too little clean signal to trust (the caller says why).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_RR_MS", "MIN_DIFFERENCES", "MIN_RR_MS", "RmssdResult", "rmssd_ms"]

MIN_RR_MS = 300.0
MAX_RR_MS = 2000.0
MAX_RELATIVE_CHANGE = 0.20
MIN_DIFFERENCES = 30
MAX_DROPPED_SHARE = 0.20


@dataclass(frozen=True)
class RmssdResult:
    """rMSSD in ms (None when the recording is too short or too noisy, and `reason` says why),
    with how many differences were used and what share of them artefacts removed."""

    rmssd_ms: float | None
    differences_used: int
    dropped_share: float
    reason: str | None = None


def rmssd_ms(rr_ms: npt.ArrayLike) -> RmssdResult:
    """rMSSD of a recording of RR intervals in milliseconds, artefacts removed (module doc)."""
    rr = np.asarray(rr_ms, dtype=np.float64).ravel()
    if rr.size < 2:
        return RmssdResult(None, 0, 0.0, f"expected at least 2 RR intervals, got {rr.size}")
    beat_ok = np.isfinite(rr) & (rr >= MIN_RR_MS) & (rr <= MAX_RR_MS)
    earlier, later = rr[:-1], rr[1:]
    differences = later - earlier
    with np.errstate(invalid="ignore"):
        kept = beat_ok[:-1] & beat_ok[1:] & (np.abs(differences) <= MAX_RELATIVE_CHANGE * earlier)
    used = int(kept.sum())
    dropped = 1.0 - used / differences.size
    if used < MIN_DIFFERENCES:
        reason = f"expected at least {MIN_DIFFERENCES} clean beat-to-beat differences, got {used}"
        return RmssdResult(None, used, dropped, reason)
    if dropped > MAX_DROPPED_SHARE:
        reason = f"expected at most 20% of beats to be artefacts, got {dropped:.0%}"
        return RmssdResult(None, used, dropped, reason)
    value = float(np.sqrt(np.mean(differences[kept] ** 2)))
    return RmssdResult(value, used, dropped)
