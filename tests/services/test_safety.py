"""PHQ-9 item 9 at check-in: the C-SSRS screen and, at moderate or high risk, a physician's
review before the infusion can start; the day board tells the physician."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused
from ketalog.domain.session_state import SessionAction
from ketalog.services.board import day_board
from ketalog.services.errors import PermissionDenied
from ketalog.services.safety import review_suicide_risk, suicide_risk_screen
from ketalog.services.session.entries import record_scale
from ketalog.services.session.state import change_state
from ketalog.store.models import AuditEntry
from tests.conftest import FakeClock
from tests.play import book, start_infusion
from tests.staff import NURSE, PHYSICIAN

PHQ9_ITEM9_TWO = [2, 2, 2, 1, 1, 1, 1, 0, 2]


def _checked_in(db: Session, clock: FakeClock) -> int:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    return sid


def _board_alert(db: Session, sid: int, clock: FakeClock) -> str | None:
    [row] = [r for r in day_board(db, clock.now.date(), ZoneInfo("UTC"))
             if r.session_id == sid]
    return row.safety_alert


def test_item9_positive_blocks_the_start_until_screened_and_reviewed(
        db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    record_scale(db, NURSE, sid, "phq9", PHQ9_ITEM9_TWO, clock=clock)
    assert _board_alert(db, sid, clock) == "C-SSRS screen needed: PHQ-9 item 9 = 2"
    with pytest.raises(TransitionRefused, match="record the C-SSRS"):
        start_infusion(db, sid, clock)

    clock.advance(2)
    record_scale(db, NURSE, sid, "cssrs", [1, 1, 1, 0, 0, 0], clock=clock)
    assert suicide_risk_screen(db, sid).cssrs_risk == "moderate risk"
    assert _board_alert(db, sid, clock) == "Physician review needed: C-SSRS moderate risk"
    with pytest.raises(TransitionRefused, match="physician must review"):
        change_state(db, NURSE, sid, SessionAction.START_INFUSION, clock=clock)
    with pytest.raises(PermissionDenied, match="physician"):
        review_suicide_risk(db, NURSE, sid, "Looks fine", clock=clock)

    review_suicide_risk(db, PHYSICIAN, sid, "Passive ideation, no plan; safety plan given; "
                                            "proceed.", clock=clock)
    assert "reviewed by" in (_board_alert(db, sid, clock) or "")
    change_state(db, NURSE, sid, SessionAction.START_INFUSION, clock=clock)
    actions = db.scalars(select(AuditEntry.new_value).where(
        AuditEntry.table_name == "notes")).all()
    assert any("risk_review" in (a or "") for a in actions)


def test_a_screen_taken_before_the_positive_phq9_does_not_count(
        db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    record_scale(db, NURSE, sid, "cssrs", [0, 0, 0, 0, 0, 0], clock=clock)
    clock.advance(1)
    record_scale(db, NURSE, sid, "phq9", PHQ9_ITEM9_TWO, clock=clock)
    assert suicide_risk_screen(db, sid).cssrs_risk is None


def test_low_risk_screen_lets_the_nurse_start(db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    record_scale(db, NURSE, sid, "phq9", PHQ9_ITEM9_TWO, clock=clock)
    record_scale(db, NURSE, sid, "cssrs", [1, 0, 0, 0, 0, 0], clock=clock)
    start_infusion(db, sid, clock)
    assert _board_alert(db, sid, clock) == "C-SSRS low risk (PHQ-9 item 9 = 2)"


def test_nothing_to_review_without_a_screen(db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    with pytest.raises(TransitionRefused, match="no C-SSRS"):
        review_suicide_risk(db, PHYSICIAN, sid, "ok", clock=clock)
