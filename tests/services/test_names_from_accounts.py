"""Every stored name comes from the accounts table, never from the caller's Actor.

An :class:`~ketalog.services.context.Actor` is a claim any caller can build:
a real user id with a name of the caller's choosing, or with another user's
user name (which the audit row would then carry). Services take the person
behind the id from the stored account: the id and the user name must agree,
and the names written on clinical rows (who gave a drug, who reviewed a
suicide-risk screen, who has a session open) are the account's.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionAction
from ketalog.services.errors import PermissionDenied
from ketalog.services.interventions import record_intervention
from ketalog.services.presence import announce_presence, others_present
from ketalog.services.safety import review_suicide_risk
from ketalog.services.session.entries import record_scale
from ketalog.services.session.state import change_state
from ketalog.store.models import AuditEntry, Intervention, Note
from tests.conftest import FakeClock
from tests.play import book
from tests.staff import NURSE, NURSE2, PHYSICIAN

#: Nora's id and user name, with a name of the caller's choosing.
NAMED_NOBODY = dataclasses.replace(NURSE, display_name="Dr. Nobody, MD")
#: Nora's id, with Sam's user name: the audit trail would blame Sam.
SAM_ON_NORAS_ID = dataclasses.replace(NURSE, username="sam", display_name="Sam Okafor, RN")


def _audit_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _checked_in(db: Session, clock: FakeClock) -> int:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    return sid


def test_who_gave_a_drug_defaults_to_the_account_not_the_claim(
        db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    row_id = record_intervention(db, NAMED_NOBODY, sid, drug="ondansetron", dose="4",
                                 dose_unit="mg", route="IV", clock=clock)
    assert db.get(Intervention, row_id).given_by_name == "Nora Reyes, RN"  # type: ignore[union-attr]


def test_a_user_name_that_is_not_the_ids_is_refused_and_writes_nothing(
        db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    before = _audit_count(db)
    with pytest.raises(PermissionDenied, match="does not match"):
        record_intervention(db, SAM_ON_NORAS_ID, sid, drug="ondansetron", clock=clock)
    db.rollback()
    assert _audit_count(db) == before
    assert db.scalar(select(func.count()).select_from(Intervention)) == 0


def test_the_risk_reviewer_is_named_from_the_account(db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    record_scale(db, NURSE, sid, "phq9", [2, 2, 2, 1, 1, 1, 1, 0, 2], clock=clock)
    record_scale(db, NURSE, sid, "cssrs", [1, 1, 1, 0, 0, 0], clock=clock)
    forged = dataclasses.replace(PHYSICIAN, display_name="Dr. Nobody, MD")
    note_id = review_suicide_risk(db, forged, sid, "No plan; safety plan given.", clock=clock)
    assert db.get(Note, note_id).author_name == "Ada Lindqvist, MD"  # type: ignore[union-attr]


def test_presence_shows_the_accounts_name(db: Session, clock: FakeClock) -> None:
    sid = _checked_in(db, clock)
    announce_presence(db, dataclasses.replace(NURSE2, display_name="Dr. Nobody, MD"), sid,
                      clock=clock)
    [other] = others_present(db, NURSE, sid, clock.now + timedelta(seconds=1))
    assert other.display_name == "Sam Okafor, RN"
