"""What a webhook's `data` holds for a ride event, for one subscriber: ids and changed fields,
never more than the subscriber may see.

- The subscription's owner (`scopes=None`) sees their own rides whole.
- An app sees what the rider's grant allows, as the API shows it to the app's tokens:
  `rides:read` covers public and followers-only rides, `rides:read_all` private ones too.
  An event about a ride the app may not see is not sent at all (None), so an app never
  learns that a private ride exists, changed or went; a ride made private is announced as
  `{"visibility": "private"}` and nothing else.
- Only the fields in PAYLOAD_FIELDS ever go out, whatever the event holds: no coordinates
  (so no start point to cut by privacy zones), no streams, no heart rate or power analytics.
  An integrator fetches a track through the API, where privacy zones are applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RIDE_SCOPES = frozenset({"rides:read", "rides:read_all"})
# The API's ride summary (RideListItem) and the owner-editable details it shows.
SUMMARY_FIELDS = (
    "name",
    "sport",
    "commute",
    "visibility",
    "started_at",
    "distance_m",
    "moving_time_s",
    "elapsed_time_s",
    "elevation_gain_m",
)
PAYLOAD_FIELDS = frozenset({*SUMMARY_FIELDS, "description", "share_health"})
SEEN_BY_READ = frozenset({"public", "followers"})  # what rides:read shows an app


@dataclass(frozen=True)
class RideFacts:
    """A ride event as plain values: its webhook type and what the event recorded."""

    kind: str  # ride.created, ride.updated, ride.deleted
    ride_id: str
    visibility: str | None  # None: not recorded, judged as private
    summary: dict[str, Any] | None = None  # ride.created: the ride's fields when stored
    changed: tuple[str, ...] = ()  # ride.updated: the names of the changed fields
    values: dict[str, Any] | None = None  # ride.updated: new values of those carried


def covers(kind: str, scopes: frozenset[str]) -> bool:
    """True when a grant with these scopes covers the event type (the ride.* ones)."""
    return kind.startswith("ride.") and bool(scopes & RIDE_SCOPES)


def needed_scope(facts: RideFacts, *, scopes: frozenset[str]) -> str:
    """The scope an app must still hold when its delivery goes: rides:read_all if the data
    was built from it for a ride rides:read does not show, rides:read otherwise."""
    if "rides:read_all" in scopes and facts.visibility not in SEEN_BY_READ:
        return "rides:read_all"
    return "rides:read"


def holds(needed: str | None, scopes: frozenset[str]) -> bool:
    """True when these scopes still give what the delivery needed (read_all covers read)."""
    if needed is None:
        return bool(scopes & RIDE_SCOPES)
    return needed in scopes or (needed == "rides:read" and "rides:read_all" in scopes)


def ride_data(facts: RideFacts, *, scopes: frozenset[str] | None) -> dict[str, Any] | None:
    """The `data` of the ride event for a subscriber with these scopes (None: the ride's
    owner), or None when the subscriber may not hear of it."""
    if scopes is not None:
        if not covers(facts.kind, scopes):
            return None
        if "rides:read_all" not in scopes and facts.visibility not in SEEN_BY_READ:
            return _made_private(facts)
    return _data(facts)


def _data(facts: RideFacts) -> dict[str, Any]:
    data: dict[str, Any] = {"ride_id": facts.ride_id}
    if facts.kind == "ride.created" and facts.summary is not None:
        data["ride"] = {k: v for k, v in facts.summary.items() if k in PAYLOAD_FIELDS}
    elif facts.kind == "ride.updated":
        values = facts.values or {}
        data["changed"] = sorted(set(facts.changed))
        data["values"] = {
            k: v for k, v in values.items() if k in PAYLOAD_FIELDS and k in facts.changed
        }
    return data


def _made_private(facts: RideFacts) -> dict[str, Any] | None:
    """For an app without rides:read_all: only that the ride it saw became private."""
    if facts.kind != "ride.updated" or "visibility" not in facts.changed:
        return None
    return {
        "ride_id": facts.ride_id,
        "changed": ["visibility"],
        "values": {"visibility": "private"},
    }
