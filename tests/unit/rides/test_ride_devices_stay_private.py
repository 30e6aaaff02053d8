"""A ride's device serials are the owner's: others' summaries never carry them."""

from __future__ import annotations

from bikenode.rides.logic.sharing import summary_for_others


def test_others_never_see_the_serials_of_the_riders_devices() -> None:
    summary = {"distance_m": 1.0, "devices": [{"serial": "600772547", "kind": "power_meter"}]}
    for health in (True, False):
        assert summary_for_others(summary, health=health) == {"distance_m": 1.0}
