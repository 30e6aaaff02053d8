"""The array type the fitness logic takes and returns, and one check shared by its modules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["FloatArray", "IntArray", "one_hertz_power"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def one_hertz_power(power_w: npt.ArrayLike) -> FloatArray:
    """Power one second apart as float64, with missing (NaN) and negative readings as 0 W."""
    power = np.asarray(power_w, dtype=np.float64)
    if power.ndim != 1:
        raise ValueError(f"expected a one-dimensional power stream, got shape {power.shape}")
    return np.where(np.isfinite(power) & (power > 0.0), power, 0.0)
