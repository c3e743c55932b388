"""The session header's safety strip: every fact readable at 1366x768, nothing elided."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from ketalog.services.screening import screening_view, update_screening
from ketalog.services.session.common import load_session
from ketalog.services.session.entries import record_scale
from ketalog.ui.session.session_page import SessionPage
from tests.ui.conftest import NURSE, Chair

ALLERGY = "penicillin (anaphylaxis 2015), latex, sulfonamides (rash), shellfish"


def _cautious(chair: Chair) -> None:
    """José's screening now records allergies and a benzodiazepine; PHQ-9 item 9 is 2."""
    with chair.db() as db:
        view = screening_view(db, load_session(db, chair.session_id).course_id)
        assert view is not None
        for field, value in (("allergies", ALLERGY), ("takes_benzodiazepine", True),
                             ("medications", "lorazepam 1 mg at night")):
            version = screening_view(db, view.course_id).version  # type: ignore[union-attr]
            update_screening(db, NURSE, view.screening_id, field, value,
                             expected_version=version, clock=chair.clock)
    chair.to("checked_in")
    with chair.db() as db:
        record_scale(db, NURSE, chair.session_id, "phq9", [2, 2, 1, 1, 1, 1, 1, 0, 2],
                     clock=chair.clock)


def _fully_shown(label: QLabel) -> bool:
    """A wrapping label tall enough for its text at its width: nothing cut off."""
    return label.wordWrap() and label.height() >= label.heightForWidth(label.width())


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_strip_shows_every_fact_in_full(qtbot: QtBot, chair: Chair,
                                            size: tuple[int, int]) -> None:
    _cautious(chair)
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    page.resize(*size)
    page.show()
    qtbot.waitExposed(page)
    page.reload()
    qtbot.wait(20)
    strip = page.safety_strip
    assert f"Age 46 · Sex not recorded · Allergies: {ALLERGY}" in strip.identity.text()
    warnings = strip.warnings.text()
    assert "⚠ C-SSRS screen needed: PHQ-9 item 9 = 2" in warnings
    assert "⚠ Caution: benzodiazepine" in warnings
    assert strip.warnings.isVisible()
    for label in (strip.identity, strip.warnings):
        assert _fully_shown(label), label.objectName()
        assert label.geometry().right() <= page.width()


def test_nothing_positive_still_says_the_screen_state(qtbot: QtBot, chair: Chair) -> None:
    chair.to("checked_in")
    page = SessionPage(chair.ctx, chair.session_id, chair.drafts)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    assert page.safety_strip.identity.text() == (
        "Age 46 · Sex not recorded · Allergies: none known · "
        "Suicide-risk screen: no PHQ-9 at this visit yet")
    assert not page.safety_strip.warnings.isVisible()
