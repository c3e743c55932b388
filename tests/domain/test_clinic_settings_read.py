"""Stored clinic settings read once: defaults for what is unset, and for what is broken."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ketalog.domain.clinic_settings import (
    DEFAULT_CHAIRS,
    DEFAULT_CLINIC_NAME,
    DEFAULT_IDLE_LOCK_MINUTES,
    DEFAULT_WEIGHT_CHANGE_PERCENT,
    ClinicSettings,
)
from ketalog.domain.roles import ROLE_WITH_ARTICLE, Role


def test_nothing_stored_reads_as_every_default() -> None:
    read = ClinicSettings.from_stored({})
    assert read == ClinicSettings()
    assert read.name == DEFAULT_CLINIC_NAME and read.chairs == DEFAULT_CHAIRS
    assert read.timezone is None and read.zone.key == "UTC" and not read.demo


def test_stored_values_are_read_as_typed() -> None:
    read = ClinicSettings.from_stored({
        "clinic_name": "Riverside", "clinic_address": "1 River Rd", "clinic_phone": "555",
        "clinic_logo_path": "/srv/logo.png", "clinic_timezone": "Europe/Berlin",
        "chairs": ["A", "B"], "idle_lock_minutes": 3, "document_footer": "Confidential",
        "weight_change_percent": 20, "demo_clinic": True, "closed_days": {"weekdays": [6]},
    })
    assert read == ClinicSettings("Riverside", "1 River Rd", "555", "/srv/logo.png",
                                  ZoneInfo("Europe/Berlin"), ("A", "B"), 3, "Confidential",
                                  20, demo=True)


@pytest.mark.parametrize("broken", [None, "", "ten", True, 0, 241, 3.5, ["A"]])
def test_a_broken_lock_or_weight_check_reads_as_its_default_never_as_off(
        broken: object) -> None:
    read = ClinicSettings.from_stored({"idle_lock_minutes": broken,
                                       "weight_change_percent": broken})
    assert read.idle_lock_minutes == DEFAULT_IDLE_LOCK_MINUTES
    assert read.weight_change_percent == DEFAULT_WEIGHT_CHANGE_PERCENT


@pytest.mark.parametrize("broken", [None, [], "Chair 1", [1, 2], {"a": 1}])
def test_a_broken_chair_list_or_zone_reads_as_the_default(broken: object) -> None:
    read = ClinicSettings.from_stored({"chairs": broken, "clinic_timezone": broken,
                                       "demo_clinic": broken})
    assert read.chairs == DEFAULT_CHAIRS and read.timezone is None and not read.demo


@pytest.mark.parametrize("broken", [None, "", 1, ["logo.png"]])
def test_no_logo_unless_a_path_is_stored(broken: object) -> None:
    assert ClinicSettings.from_stored({"clinic_logo_path": broken}).logo_path is None


def test_every_role_has_its_words_and_is_stored_as_its_name() -> None:
    assert [str(role) for role in Role] == ["nurse", "physician", "administrator"]
    assert set(ROLE_WITH_ARTICLE) == set(Role)
    assert ROLE_WITH_ARTICLE[Role("administrator")] == "an administrator"
