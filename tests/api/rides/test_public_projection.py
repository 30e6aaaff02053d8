"""What each kind of viewer gets of a public ride: keys, summary figures, streams, exports.

The sets below are written out in full, so a field added to an answer fails here until
someone decides who may see it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from bikenode.rides.formats import parse_activity
from tests.factories import admin_with_mfa, signed_in, upload_files

# Heart rate, power, cadence, temperature, GPS, a device total of calories.
FIT_RIDE = "fit/fitparse__Edge810-Vector-2013-08-16-15-35-10.fit"

OWNER_KEYS = {
    "id",
    "owner_id",
    "name",
    "description",
    "sport",
    "sub_sport",
    "commute",
    "visibility",
    "source",
    "device",
    "started_at",
    "distance_m",
    "moving_time_s",
    "elapsed_time_s",
    "elevation_gain_m",
    "has_position",
    "point_count",
    "source_format",
    "summary",
    "import_notes",
    "created_at",
    "share_health",
    "health_shared",
}
OTHERS_KEYS = {
    "id",
    "owner_name",
    "name",
    "description",
    "sport",
    "sub_sport",
    "started_at",
    "distance_m",
    "moving_time_s",
    "elapsed_time_s",
    "elevation_gain_m",
    "has_position",
    "point_count",
    "source_format",
    "health_shared",
    "summary",
}
HEALTH_FIGURES = {
    "avg_hr_bpm",
    "max_hr_bpm",
    "avg_power_w",
    "max_power_w",
    "weighted_power_w",
    "best_power",
    "calories_kcal",
}
# Zone bounds give the rider's maximum heart rate and FTP away; intensity gives FTP away.
# devices: the serials of the head unit and sensors the FIT file names (bikes learns from them)
OWNER_ONLY_FIGURES = {"hr_zones", "power_zones", "intensity", "training_stress", "devices"}
PLAIN_FIGURES = {
    "point_count",
    "started_at",
    "elapsed_s",
    "moving_s",
    "distance_m",
    "distance_source",
    "elapsed_source",
    "moving_source",
    "avg_speed_mps",
    "max_speed_mps",
    "elevation_gain_m",
    "elevation_loss_m",
    "min_elevation_m",
    "max_elevation_m",
    "avg_cadence_rpm",
    "max_cadence_rpm",
    "avg_temperature_c",
    "bounding_box",
    "start_lat_deg",
    "start_lon_deg",
    "splits",
    "splits_mi",
    "fastest",
}
PLAIN_STREAMS = {
    "time_s",
    "lat_deg",
    "lon_deg",
    "elevation_m",
    "distance_m",
    "speed_mps",
    "cadence_rpm",
    "temperature_c",
}
HEALTH_STREAMS = {"hr_bpm", "power_w"}
# Heart rate and power as each export format writes them (local element names).
HEALTH_ELEMENTS = {"gpx": {"hr", "power", "PowerInWatts"}, "tcx": {"HeartRateBpm", "Watts"}}

# viewer kind -> (top-level keys, summary figures, streams, withheld streams)
SEEN = {
    "owner": (
        OWNER_KEYS,
        PLAIN_FIGURES | HEALTH_FIGURES | OWNER_ONLY_FIGURES,
        PLAIN_STREAMS | HEALTH_STREAMS,
        set(),
    ),
    "stranger": (OTHERS_KEYS, PLAIN_FIGURES, PLAIN_STREAMS, HEALTH_STREAMS),
    "anonymous": (OTHERS_KEYS, PLAIN_FIGURES, PLAIN_STREAMS, HEALTH_STREAMS),
    "admin": (OTHERS_KEYS, PLAIN_FIGURES, PLAIN_STREAMS, HEALTH_STREAMS),
    "stranger, ride shared": (
        OTHERS_KEYS,
        PLAIN_FIGURES | HEALTH_FIGURES,
        PLAIN_STREAMS | HEALTH_STREAMS,
        set(),
    ),
    "anonymous, shared by default": (
        OTHERS_KEYS,
        PLAIN_FIGURES | HEALTH_FIGURES,
        PLAIN_STREAMS | HEALTH_STREAMS,
        set(),
    ),
}


@pytest.fixture
def public_ride(client: TestClient, corpus: Path) -> dict[str, Any]:
    """A public ride with heart rate and power, its owner (FTP and max HR set) and viewers."""
    owner_payload, owner = signed_in(client, display_name="Ada Lovelace")
    me = client.patch("/api/v1/me", json={"ftp_w": 250, "max_hr_bpm": 186}, headers=owner)
    assert me.status_code == 200, me.text
    assert me.json()["share_health_by_default"] is False
    [upload] = upload_files(client, owner, [("ride.fit", (corpus / FIT_RIDE).read_bytes())])
    ride_id = upload["items"][0]["ride_id"]
    public = client.patch(f"/api/v1/rides/{ride_id}", json={"visibility": "public"}, headers=owner)
    assert public.status_code == 200, public.text
    _, stranger = signed_in(client)
    admin, _secret = admin_with_mfa(client)
    return {
        "id": ride_id,
        "upload_id": upload["id"],
        "owner_id": client.get("/api/v1/me", headers=owner).json()["id"],
        "owner_email": owner_payload["email"],
        "headers": {"owner": owner, "stranger": stranger, "anonymous": {}, "admin": admin},
    }


def _viewer(client: TestClient, ride: dict[str, Any], kind: str) -> dict[str, str]:
    """The viewer's headers, after the owner made the choice the kind names."""
    owner = ride["headers"]["owner"]
    if kind == "stranger, ride shared":
        changed = client.patch(
            f"/api/v1/rides/{ride['id']}", json={"share_health": True}, headers=owner
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["share_health"], changed.json()["health_shared"]) == (True, True)
    if kind == "anonymous, shared by default":
        me = client.patch("/api/v1/me", json={"share_health_by_default": True}, headers=owner)
        assert me.json()["share_health_by_default"] is True
    headers: dict[str, str] = ride["headers"][kind.split(",")[0]]
    return headers


def _get(client: TestClient, path: str, headers: dict[str, str]) -> Any:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("kind", list(SEEN))
def test_each_viewer_gets_exactly_its_keys_figures_and_streams(
    client: TestClient, public_ride: dict[str, Any], kind: str
) -> None:
    headers = _viewer(client, public_ride, kind)
    keys, figures, streams, withheld = SEEN[kind]
    ride = _get(client, f"/api/v1/rides/{public_ride['id']}", headers)
    assert set(ride) == keys
    assert set(ride["summary"]) == figures
    got = _get(client, f"/api/v1/rides/{public_ride['id']}/streams?resolution=200", headers)
    assert set(got["streams"]) == streams
    assert set(got["withheld"]) == withheld
    # Asking for a withheld stream by name gets the reason, not the stream, and no error.
    asked = _get(client, f"/api/v1/rides/{public_ride['id']}/streams?keys=hr_bpm", headers)
    assert set(asked["streams"]) == {"hr_bpm"} - withheld
    assert all("share_health" in reason for reason in asked["withheld"].values())
    # No id of the owner, their upload or their e-mail anywhere in what others get.
    text = str(ride) + str(got)
    leaked = [public_ride["owner_id"], public_ride["upload_id"], public_ride["owner_email"]]
    assert [value in text for value in leaked] == [kind == "owner", False, False]
    if kind != "owner":
        assert ride["owner_name"] == "Ada Lovelace"


def test_shared_health_figures_are_the_owners_and_zones_stay_the_owners(
    client: TestClient, public_ride: dict[str, Any]
) -> None:
    headers = _viewer(client, public_ride, "stranger, ride shared")
    own = _get(client, f"/api/v1/rides/{public_ride['id']}", public_ride["headers"]["owner"])
    seen = _get(client, f"/api/v1/rides/{public_ride['id']}", headers)
    assert own["summary"]["hr_zones"] and own["summary"]["intensity"] is not None
    assert own["summary"]["calories_kcal"] is not None
    for key in HEALTH_FIGURES | PLAIN_FIGURES:
        assert seen["summary"][key] == own["summary"][key], key


def test_a_rides_own_choice_beats_the_riders_default(
    client: TestClient, public_ride: dict[str, Any]
) -> None:
    owner, path = public_ride["headers"]["owner"], f"/api/v1/rides/{public_ride['id']}"
    client.patch("/api/v1/me", json={"share_health_by_default": True}, headers=owner)
    hidden = client.patch(path, json={"share_health": False}, headers=owner).json()
    assert (hidden["share_health"], hidden["health_shared"]) == (False, False)
    assert "hr_bpm" not in _get(client, f"{path}/streams", {})["streams"]
    back = client.patch(path, json={"share_health": None}, headers=owner).json()
    assert (back["share_health"], back["health_shared"]) == (None, True)
    assert "hr_bpm" in _get(client, f"{path}/streams", {})["streams"]


def _health_in_export(data: bytes, fmt: str) -> set[str]:
    """The heart-rate and power data an exported file carries, read back independently."""
    if fmt == "fit":
        return set(parse_activity(data, "ride.fit").streams) & HEALTH_STREAMS
    root = etree.parse(io.BytesIO(data), etree.XMLParser(resolve_entities=False)).getroot()
    names = {etree.QName(element).localname for element in root.iter(etree.Element)}
    return names & HEALTH_ELEMENTS[fmt]


@pytest.mark.parametrize("fmt", ["gpx", "tcx", "fit"])
def test_exports_carry_heart_rate_and_power_only_for_the_owner_or_when_shared(
    client: TestClient, public_ride: dict[str, Any], fmt: str
) -> None:
    path = f"/api/v1/rides/{public_ride['id']}/export?format={fmt}"
    found = {}
    for kind in ("owner", "stranger", "anonymous", "admin"):
        response = client.get(path, headers=public_ride["headers"][kind])
        assert response.status_code == 200, response.text
        found[kind] = _health_in_export(response.content, fmt)
    assert found["owner"] and found["stranger"] == found["anonymous"] == found["admin"] == set()
    headers = _viewer(client, public_ride, "anonymous, shared by default")
    assert _health_in_export(client.get(path, headers=headers).content, fmt) == found["owner"]


def test_the_owners_public_preview_matches_what_others_get(
    client: TestClient, public_ride: dict[str, Any]
) -> None:
    owner = public_ride["headers"]["owner"]
    [item] = _get(client, "/api/v1/rides?view=public", owner)["items"]
    [own_item] = _get(client, "/api/v1/rides", owner)["items"]
    assert (
        set(item)
        == set(own_item)
        == {
            "id",
            "name",
            "sport",
            "commute",
            "visibility",
            "started_at",
            "distance_m",
            "moving_time_s",
            "elapsed_time_s",
            "elevation_gain_m",
            "has_position",
        }
    )
    seen = _get(client, f"/api/v1/rides/{public_ride['id']}", {})
    assert {k: item[k] for k in item.keys() & seen.keys()} == {
        k: seen[k] for k in item.keys() & seen.keys()
    }


def test_sharing_choices_are_checked(client: TestClient, public_ride: dict[str, Any]) -> None:
    owner, path = public_ride["headers"]["owner"], f"/api/v1/rides/{public_ride['id']}"
    assert client.patch(path, json={"share_health": "yes"}, headers=owner).status_code == 422
    stranger = public_ride["headers"]["stranger"]
    assert client.patch(path, json={"share_health": True}, headers=stranger).status_code == 404
    refused = client.patch("/api/v1/me", json={"share_health_by_default": None}, headers=owner)
    assert refused.status_code == 422, refused.text
    assert client.get(f"{path}/streams", headers={}).json()["withheld"]  # still hidden
