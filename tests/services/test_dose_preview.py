"""The live dose preview: the same numbers the order stores, and nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.protocols import Protocol, load_default_protocols
from ketalog.services.dose_preview import preview_dose, preview_for_protocol
from ketalog.services.errors import NotFound
from ketalog.services.session.dose import order_dose
from ketalog.services.session.state import change_state
from ketalog.store.models import AuditEntry, DoseOrder
from tests.conftest import FakeClock
from tests.play import book, verbal_order
from tests.staff import NURSE

IV_INPUTS = {"dose_mg_per_kg": "0.5", "concentration_mg_per_ml": "10", "bag_volume_ml": "100",
             "duration_min": "40"}


def _protocol(code: str) -> Protocol:
    return next(p for p in load_default_protocols() if p.code == code)


def test_weight_based_dose_with_working() -> None:
    preview = preview_for_protocol(_protocol("iv-depression-0.5"), IV_INPUTS, "80")
    assert preview.ok and preview.problems == ()
    calc = preview.calculation
    assert calc is not None
    assert (calc.total_mg_display, calc.drug_volume_display, calc.rate_ml_per_h_display) == (
        "40.0 mg", "4.0 mL", "150 mL/h")
    assert calc.working[0] == "0.5 mg/kg x 80 kg = 40.0 mg"
    assert preview.limit_level == "within" and preview.limit_message is None
    assert not preview.needs_confirmation and not preview.needs_physician_override


def test_left_out_inputs_take_the_protocol_defaults() -> None:
    preview = preview_for_protocol(_protocol("iv-depression-0.5"), {}, Decimal("80"))
    assert preview.calculation is not None and preview.calculation.total_mg == 40


@pytest.mark.parametrize(("dose", "level", "confirm", "override"), [
    ("0.05", "below_warning", True, False),
    ("1.0", "within", False, False),
    ("1.2", "above_warning", True, False),
    ("1.5", "above_warning", True, False),
    ("1.6", "above_maximum", False, True),
])
def test_limits_are_judged_live(dose: str, level: str, confirm: bool, override: bool) -> None:
    preview = preview_for_protocol(_protocol("iv-depression-0.5"),
                                   {**IV_INPUTS, "dose_mg_per_kg": dose}, "80")
    assert preview.ok
    assert (preview.limit_level, preview.needs_confirmation,
            preview.needs_physician_override) == (level, confirm, override)
    assert (preview.limit_message is None) == (level == "within")


def test_every_problem_is_reported_not_raised() -> None:
    preview = preview_for_protocol(
        _protocol("iv-depression-0.5"), {**IV_INPUTS, "dose_mg_per_kg": "", "duration_min": "0"},
        "")
    assert not preview.ok and preview.calculation is None
    assert len(preview.problems) == 3
    assert any("Dose is missing" in p for p in preview.problems)
    assert any("Weight is missing" in p for p in preview.problems)
    assert any("Duration 0 min is impossible" in p for p in preview.problems)


def test_rate_and_device_modes() -> None:
    pain = preview_for_protocol(_protocol("iv-pain-0.35"), {}, "80")
    assert pain.calculation is not None
    assert pain.calculation.rate_mg_per_h_display == "28.0 mg/h"
    assert pain.calculation.total_mg_display == "112.0 mg"
    nasal = _protocol("esketamine-intranasal")
    assert preview_for_protocol(nasal, {"device_count": 2}, "ignored").calculation is not None
    refused = preview_for_protocol(nasal, {"device_count": 4})
    assert not refused.ok and "give 2 or 3 devices" in refused.problems[0]


def test_preview_reads_the_sessions_protocol_and_writes_nothing(db: Session,
                                                                 clock: FakeClock) -> None:
    sid = book(db, clock)
    audit_rows = db.scalar(select(func.count()).select_from(AuditEntry))

    preview = preview_dose(db, sid, {**IV_INPUTS, "dose_mg_per_kg": "0.75"}, "80")

    assert preview.calculation is not None and preview.calculation.total_mg == 60
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows
    assert db.scalar(select(func.count()).select_from(DoseOrder)) == 0
    # what the nurse saw is what gets stored
    change_state(db, NURSE, sid, "check_in", clock=clock)
    verbal_order(db, sid, clock, "0.75")  # the standing order is 0.5 mg/kg
    stored = order_dose(db, NURSE, sid, inputs={**IV_INPUTS, "dose_mg_per_kg": "0.75"},
                        weight_kg="80", clock=clock)
    assert stored.working == preview.calculation.working
    assert stored.total_mg == preview.calculation.total_mg
    with pytest.raises(NotFound):
        preview_dose(db, sid + 999, IV_INPUTS, "80")
