"""The crash_alert notification a contact who rides here gets: its defaults and its text."""

from __future__ import annotations

from bikenode.notifications.logic.catalogue import EMAIL, IN_APP, PUSH, effective, render

PARAMS = {
    "alert_id": "5b0c",
    "rider": "Ada",
    "stopped_at": "2026-12-07T18:04:31+00:00",
    "lat": 52.5224567,
    "lon": 13.405,
}


def test_a_crash_alert_is_in_the_app_and_pushed_but_not_mailed_by_default() -> None:
    assert effective("crash_alert", IN_APP, {}) and effective("crash_alert", PUSH, {})
    assert not effective("crash_alert", EMAIL, {})  # the alert e-mail went already


def test_a_crash_alert_names_the_rider_the_time_and_links_the_map() -> None:
    shown = render("crash_alert", PARAMS)
    assert shown.title == "Possible crash: Ada may need help"
    assert "2026-12-07 18:04 UTC" in shown.text and "52.522457, 13.405000" in shown.text
    assert shown.link == (
        "https://www.openstreetmap.org/?mlat=52.522457&mlon=13.405000#map=17/52.522457/13.405000"
    )


def test_a_crash_alert_without_a_name_speaks_of_a_rider() -> None:
    assert render("crash_alert", {**PARAMS, "rider": ""}).title.startswith("Possible crash: A ")
