"""A ride's training stress from power or heart rate, on hand-computable rides."""

from __future__ import annotations

import math

import pytest

from bikenode.fitness.logic.stress import (
    TRIMP_K_FEMALE,
    heart_rate_stress,
    power_stress,
    ride_stress,
    trimp,
)


def test_one_hour_at_ftp_scores_100() -> None:
    assert power_stress(3600, 250.0, 250.0) == pytest.approx(100.0)


def test_power_stress_grows_with_the_square_of_intensity() -> None:
    assert power_stress(1800, 300.0, 200.0) == pytest.approx(0.5 * 1.5**2 * 100)


def test_trimp_follows_banister() -> None:
    ratio = (150 - 50) / (190 - 50)
    assert trimp(3600, 150, rest_hr_bpm=50, max_hr_bpm=190) == pytest.approx(
        60 * ratio * 0.64 * math.exp(1.92 * ratio)
    )
    assert trimp(3600, 150, rest_hr_bpm=50, max_hr_bpm=190, k=TRIMP_K_FEMALE) == pytest.approx(
        60 * ratio * 0.64 * math.exp(1.67 * ratio)
    )


def test_one_hour_at_threshold_heart_rate_scores_100() -> None:
    value = heart_rate_stress(3600, 170, rest_hr_bpm=50, max_hr_bpm=190, threshold_hr_bpm=170)
    assert value == pytest.approx(100.0)
    # Without a measured threshold it is 90 % of the maximum: 171 bpm here.
    assert heart_rate_stress(3600, 171, rest_hr_bpm=50, max_hr_bpm=190) == pytest.approx(100.0)


def test_ride_stress_prefers_power_then_heart_rate() -> None:
    both = ride_stress(
        duration_s=3600,
        normalized_power_w=200,
        ftp_w=200,
        avg_hr_bpm=120,
        rest_hr_bpm=50,
        max_hr_bpm=190,
    )
    assert both.method == "power"
    assert both.stress == pytest.approx(100.0)
    no_ftp = ride_stress(
        duration_s=3600, normalized_power_w=200, avg_hr_bpm=171, rest_hr_bpm=50, max_hr_bpm=190
    )
    assert no_ftp.method == "heart_rate"
    assert no_ftp.stress == pytest.approx(100.0)


def test_ride_stress_says_why_it_cannot_be_computed() -> None:
    result = ride_stress(duration_s=3600, normalized_power_w=200, avg_hr_bpm=140)
    assert result.stress is None and result.method is None
    assert result.reason == (
        "neither power nor heart-rate stress can be computed: no FTP; no resting, maximum heart rate"
    )
    assert "no duration" in ride_stress(duration_s=0).reason
