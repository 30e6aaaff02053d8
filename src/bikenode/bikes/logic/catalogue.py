"""The component types a rider can add, with default service intervals.

The defaults are guidance, not manufacturer promises: wear depends on weather, dirt,
lubrication and riding, and every interval is editable per component. The figures are the
ranges commonly given by manufacturers' service manuals and workshop guides, rounded to
the cautious end:

- chain: replace at 0.5 % (11/12-speed) to 0.75 % elongation (Shimano and SRAM dealer
  manuals; Park Tool "Chain Wear" guide), typically reached after 2,000-5,000 km: check
  at 3,000 km.
- cassette: about two to three chains when chains are changed in time (Park Tool;
  SRAM): 10,000 km. Chainrings: about 20,000 km.
- brake pads: resin disc pads and rim pads wear out in 1,000-3,000 km, faster in wet
  grit (Shimano and SRAM brake manuals give a minimum thickness, not a distance): 2,000 km.
- rotors: replaced at a minimum thickness (Shimano 1.5 mm, SRAM 1.55 mm), usually after
  several sets of pads: 15,000 km.
- tyres: road tyres last about 4,000-6,000 km (rear sooner than front); Continental and
  Schwalbe point to the wear indicator rather than a distance: 4,000 km.
- tubeless sealant: top up every 2-7 months depending on heat and humidity (Stan's
  NoTubes, Orange Seal): 120 days.
- hydraulic brake fluid and cables: bleed or replace once a year (SRAM DOT brakes; common
  workshop practice for cables and housing): 365 days.
- suspension: fork lower-leg and rear shock air-can service every 50 hours of riding
  (RockShox service intervals; Fox gives 125 hours for a full service), dropper post
  200 hours (RockShox Reverb).
- headset, bottom bracket, hubs: clean and grease once a year (workshop practice).

Types without a common figure (saddle, pedals, wheelsets...) have no default.
"""

from __future__ import annotations

from dataclasses import dataclass

from bikenode.bikes.logic.intervals import ServiceInterval

NO_INTERVAL = ServiceInterval()
KM = 1000.0
HOUR_S = 3600.0


@dataclass(frozen=True)
class ComponentType:
    """A kind of component: its label, default interval, and whether it holds others."""

    name: str
    label: str
    interval: ServiceInterval = NO_INTERVAL
    holds_parts: bool = False


CATALOGUE: dict[str, ComponentType] = {
    t.name: t
    for t in (
        ComponentType("chain", "Chain", ServiceInterval(distance_m=3_000 * KM)),
        ComponentType("cassette", "Cassette", ServiceInterval(distance_m=10_000 * KM)),
        ComponentType("chainring", "Chainring", ServiceInterval(distance_m=20_000 * KM)),
        ComponentType("brake_pads", "Brake pads", ServiceInterval(distance_m=2_000 * KM)),
        ComponentType("rotor", "Brake rotor", ServiceInterval(distance_m=15_000 * KM)),
        ComponentType("tyre", "Tyre", ServiceInterval(distance_m=4_000 * KM)),
        ComponentType("tube", "Inner tube"),
        ComponentType("sealant", "Tubeless sealant", ServiceInterval(days=120)),
        ComponentType("brake_fluid", "Brake fluid", ServiceInterval(days=365)),
        ComponentType("cables", "Cables and housing", ServiceInterval(days=365)),
        ComponentType("bar_tape", "Bar tape"),
        ComponentType("fork", "Suspension fork", ServiceInterval(moving_s=50 * HOUR_S)),
        ComponentType("shock", "Rear shock", ServiceInterval(moving_s=50 * HOUR_S)),
        ComponentType("dropper_post", "Dropper post", ServiceInterval(moving_s=200 * HOUR_S)),
        ComponentType("headset", "Headset", ServiceInterval(days=365)),
        ComponentType("bottom_bracket", "Bottom bracket", ServiceInterval(days=365)),
        ComponentType("hub", "Hub", ServiceInterval(days=365)),
        ComponentType("derailleur", "Derailleur"),
        ComponentType("pedals", "Pedals"),
        ComponentType("saddle", "Saddle"),
        ComponentType("wheel", "Wheel", holds_parts=True),
        ComponentType("wheelset", "Wheelset", holds_parts=True),
        ComponentType("drivetrain", "Drivetrain", holds_parts=True),
        ComponentType("other", "Other"),
    )
}


def component_type(name: str) -> ComponentType:
    """The catalogue entry of a type name; raises KeyError for an unknown one."""
    return CATALOGUE[name]
