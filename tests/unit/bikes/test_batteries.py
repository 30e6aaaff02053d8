"""A sensor's battery state from its readings: last status and volts, low, last charged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bikenode.bikes.logic.batteries import JUMP_V, Reading, battery_state

T0 = datetime(2025, 5, 1, 8, tzinfo=UTC)


def _readings(*values: tuple[str | None, float | None]) -> list[Reading]:
    return [Reading(T0 + timedelta(days=i), s, v) for i, (s, v) in enumerate(values)]


def test_no_readings_give_no_state() -> None:
    assert battery_state("heart_rate", []) is None


def test_the_latest_reading_decides_whatever_the_order_given() -> None:
    readings = _readings(("good", 2.95), ("ok", 2.8), ("ok", 2.75))
    state = battery_state("heart_rate", list(reversed(readings)))
    assert state is not None
    assert (state.status, state.voltage_v, state.last_seen_at) == ("ok", 2.75, T0 + timedelta(2))
    assert not state.low and state.last_charged_at is None


def test_a_reading_without_volts_keeps_the_last_voltage() -> None:
    state = battery_state("heart_rate", _readings(("ok", 2.8), ("ok", None)))
    assert state is not None and state.voltage_v == 2.8


def test_the_sensors_own_low_or_critical_status_is_a_warning() -> None:
    for status in ("low", "critical"):
        state = battery_state("power_meter", _readings(("ok", 2.66), (status, 2.49)))
        assert state is not None and state.low
        assert state.low_reason == f"the sensor reports its battery {status}"


def test_a_coin_cell_under_its_threshold_is_low_even_when_the_sensor_says_ok() -> None:
    state = battery_state("heart_rate", _readings(("ok", 2.45)))
    assert state is not None and state.low and state.low_reason == "2.45 V is under 2.5 V"
    state = battery_state("heart_rate", _readings(("ok", 2.55)))
    assert state is not None and not state.low


def test_power_meters_have_no_voltage_threshold_their_batteries_differ() -> None:
    # A Saris meter on one 1.5 V cell reads 1.27 V and says "ok" (corpus: tormoder__garmin).
    state = battery_state("power_meter", _readings(("ok", 1.27)))
    assert state is not None and not state.low


def test_a_radar_pack_under_3_6_volts_is_low() -> None:
    state = battery_state("radar", _readings(("good", 3.98), (None, 3.55)))
    assert state is not None and state.low and state.status is None


def test_a_voltage_jump_dates_the_last_charge_noise_does_not() -> None:
    readings = _readings(
        ("good", 4.2), ("ok", 3.7), ("good", 4.19),  # charged before day 2
        ("good", 4.11), ("good", 4.2),  # 0.09 V up: temperature, not a charge
    )  # fmt: skip
    state = battery_state("radar", readings)
    assert state is not None and state.last_charged_at == T0 + timedelta(days=2)


def test_a_coin_cell_replaced_reads_new_after_a_worse_status() -> None:
    readings = _readings(("ok", None), ("low", None), ("new", None))
    state = battery_state("speed_cadence", readings)
    assert state is not None and state.last_charged_at == T0 + timedelta(days=2)
    assert not state.low


@given(st.lists(st.floats(min_value=1.0, max_value=4.3), min_size=1, max_size=30))
def test_without_a_rise_of_the_margin_nothing_was_charged(volts: list[float]) -> None:
    falling = sorted(volts, reverse=True)
    state = battery_state("radar", _readings(*[("ok", v) for v in falling]))
    assert state is not None and state.last_charged_at is None
    rise = _readings(*[("ok", v) for v in falling], ("ok", falling[-1] + JUMP_V + 0.01))
    state = battery_state("radar", rise)
    assert state is not None and state.last_charged_at == rise[-1].read_at
