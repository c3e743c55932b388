"""Second-person actions prove identity in the service (issue 14, item 5).

A dose check, a dose-maximum override, a pre-dose BP acknowledgment and an
alert acknowledgment name someone other than the caller. An Actor naming a
real user, built without that user's password, is only a claim: each of these
refuses it and writes nothing. Only a proof minted by ``prove_identity`` after
the password matched counts, for its own purpose, for two minutes, once; and
the stored name is the account's, whatever the caller said.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionAction
from ketalog.services.alerts import acknowledge_alert
from ketalog.services.context import Actor
from ketalog.services.errors import PermissionDenied
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import add_note, record_vitals
from ketalog.services.session.state import acknowledge_predose_bp, change_state
from ketalog.store.models import (
    AlertAcknowledgment,
    AuditEntry,
    DoseOrder,
    DoseVerification,
    TreatmentSession,
    User,
)
from tests.conftest import FakeClock
from tests.dose_check import right_figures
from tests.play import BASELINE, book, start_infusion, verbal_order
from tests.staff import NURSE, NURSE2, PHYSICIAN, password_of

#: Sam's real name and id, with a name of the caller's choosing.
FORGED_SAM = Actor(username="sam", display_name="Dr. Nobody, MD", role="nurse", user_id=2)
FORGED_ADA = Actor(username="ada", display_name="Dr. Nobody, MD", role="physician", user_id=3)
DOSE = {"dose_mg_per_kg": "0.5", "concentration_mg_per_ml": "10", "bag_volume_ml": "100",
        "duration_min": 40}


def _proof(db: Session, username: str, purpose: str, clock: FakeClock) -> Any:
    from ketalog.services.accounts import prove_identity
    from ketalog.services.identity import ProofPurpose

    return prove_identity(db, username, password_of(username), purpose=ProofPurpose(purpose),
                          workstation="t", clock=clock)


def _audit_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _refused_writing_nothing(db: Session, action: Callable[[], object], match: str) -> None:
    before = _audit_count(db)
    with pytest.raises(PermissionDenied, match=match):
        action()
    db.rollback()
    assert _audit_count(db) == before


@pytest.fixture
def ordered(db: Session, clock: FakeClock) -> tuple[int, int]:
    """José checked in with a high pre-dose BP and a dose Nora ordered: (session, order)."""
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    record_vitals(db, NURSE, sid, dict(BASELINE, systolic_mmhg=152), clock=clock)
    order = order_dose(db, NURSE, sid, inputs=DOSE, clock=clock)
    return sid, order.dose_order_id


def _verifications(db: Session) -> list[DoseVerification]:
    return list(db.scalars(select(DoseVerification)))


def test_a_forged_verifier_is_refused_and_writes_nothing(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    sid, order = ordered
    for forged in (NURSE2, FORGED_SAM):
        _refused_writing_nothing(db, lambda f=forged: verify_dose(  # type: ignore[misc]
            db, f, sid, dose_order_id=order, **right_figures(db, order), clock=clock), "password")
        _refused_writing_nothing(db, lambda f=forged: verify_dose(  # type: ignore[misc]
            db, NURSE, sid, dose_order_id=order,
            **right_figures(db, order), verifier=f, clock=clock), "password")
    assert _verifications(db) == []


def test_the_verifier_name_comes_from_the_accounts_table(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    sid, order = ordered
    signed_in = dataclasses.replace(NURSE, display_name="Dr. Nobody, MD")
    verify_dose(db, signed_in, sid, dose_order_id=order, **right_figures(db, order),
                verifier=_proof(db, "sam", "verify_dose", clock), clock=clock)
    [check] = _verifications(db)
    assert (check.verifier_id, check.verifier_name) == (2, "Sam Okafor, RN")
    rows = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(2)).all()
    verify, password = rows
    assert (password.action, password.username, password.user_id) == ("verify_dose", "sam", 2)
    assert (verify.action, verify.username, verify.new_value) == ("verify", "sam",
                                                                 "Sam Okafor, RN")
    assert verify.old_value == "signed in: nora"


def test_the_preparer_name_comes_from_the_accounts_table(
        db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    forged = dataclasses.replace(NURSE, display_name="Dr. Nobody, MD")
    order_dose(db, forged, sid, inputs=DOSE, clock=clock)
    assert db.scalar(select(DoseOrder.prepared_by_name)) == "Nora Reyes, RN"


def test_a_proof_for_another_purpose_an_expired_one_or_a_spent_one_is_refused(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    sid, order = ordered
    wrong_purpose = _proof(db, "sam", "acknowledge_bp", clock)
    _refused_writing_nothing(db, lambda: verify_dose(
        db, NURSE, sid, dose_order_id=order,
        **right_figures(db, order), verifier=wrong_purpose, clock=clock),
        "entered to acknowledge the pre-dose blood pressure, not to verify the dose")
    stale = _proof(db, "sam", "verify_dose", clock)
    clock.advance(2.5)
    _refused_writing_nothing(db, lambda: verify_dose(
        db, NURSE, sid, dose_order_id=order,
        **right_figures(db, order), verifier=stale, clock=clock),
        "more than 2 minutes ago")
    # a proof edited to name someone else no longer verifies
    sams = _proof(db, "sam", "verify_dose", clock)
    edited = dataclasses.replace(sams, user_id=3)
    _refused_writing_nothing(db, lambda: verify_dose(
        db, NURSE, sid, dose_order_id=order,
        **right_figures(db, order), verifier=edited, clock=clock), "password")
    verify_dose(db, NURSE, sid, dose_order_id=order,
                **right_figures(db, order), verifier=sams, clock=clock)
    assert len(_verifications(db)) == 1
    # the same entry cannot be used twice (here: on the next dose order)
    verbal_order(db, sid, clock, "0.6")
    again = order_dose(db, NURSE, sid, inputs=dict(DOSE, dose_mg_per_kg="0.6"), clock=clock)
    _refused_writing_nothing(db, lambda: verify_dose(
        db, NURSE, sid, dose_order_id=again.dose_order_id,
        **right_figures(db, again.dose_order_id), verifier=sams, clock=clock),
        "already used")


def test_a_wrong_password_is_refused_audited_and_counted_like_a_log_in(
        db: Session, clock: FakeClock) -> None:
    from ketalog.services.accounts import LoginRefused, prove_identity
    from ketalog.services.identity import ProofPurpose

    before = _audit_count(db)
    with pytest.raises(LoginRefused, match=r"The user name or password is wrong."):
        prove_identity(db, "sam", "guess", purpose=ProofPurpose.VERIFY_DOSE, clock=clock)
    assert _audit_count(db) == before + 1
    row = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert row is not None
    assert (row.action, row.username, row.field) == ("login_failed", "sam", "verify_dose")
    sam = db.get(User, 2, populate_existing=True)
    assert sam is not None and sam.failed_login_count == 1


def test_a_forged_override_is_refused_and_writes_nothing(
        db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    high = dict(DOSE, dose_mg_per_kg="5")
    for forged in (PHYSICIAN, FORGED_ADA):
        _refused_writing_nothing(db, lambda f=forged: order_dose(  # type: ignore[misc]
            db, NURSE, sid, inputs=high, confirm_outside_warning=True,
            override_reason="ordered by Dr X", override_by=f, clock=clock), "password")
    assert db.scalars(select(DoseOrder)).all() == []
    order_dose(db, NURSE, sid, inputs=high, confirm_outside_warning=True,
               override_reason="ordered by Dr X",
               override_by=_proof(db, "ada", "override_dose", clock), clock=clock)
    assert db.scalar(select(DoseOrder.override_by_id)) == 3


def test_a_forged_bp_acknowledgment_is_refused_and_writes_nothing(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    sid, _ = ordered
    for forged in (PHYSICIAN, FORGED_ADA):
        _refused_writing_nothing(db, lambda f=forged: acknowledge_predose_bp(  # type: ignore[misc]
            db, f, sid, clock=clock), "password")
        _refused_writing_nothing(db, lambda f=forged: acknowledge_predose_bp(  # type: ignore[misc]
            db, NURSE, sid, physician=f, clock=clock), "password")
    session = db.get(TreatmentSession, sid, populate_existing=True)
    assert session is not None and session.predose_bp_ack_at_utc is None
    # a nurse's own proof is a proof of a nurse: the role still decides
    with pytest.raises(PermissionDenied, match="Only a physician"):
        acknowledge_predose_bp(db, NURSE, sid, clock=clock,
                               physician=_proof(db, "sam", "acknowledge_bp", clock))
    db.rollback()
    acknowledge_predose_bp(db, NURSE, sid, clock=clock,
                           physician=_proof(db, "ada", "acknowledge_bp", clock))
    session = db.get(TreatmentSession, sid, populate_existing=True)
    assert session is not None and session.predose_bp_ack_by_id == 3
    last = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None
    assert (last.action, last.username, last.old_value) == ("acknowledge", "ada",
                                                            "signed in: nora")


def test_a_forged_alert_acknowledgment_is_refused_and_writes_nothing(
        db: Session, clock: FakeClock) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, sid, clock)
    clock.advance(10)
    saved = record_vitals(db, NURSE, sid, dict(BASELINE, systolic_mmhg=185), clock=clock)
    alert = {"source": "vital_signs", "source_id": saved.vital_id, "code": "sbp_high"}
    for forged in (PHYSICIAN, FORGED_ADA):
        _refused_writing_nothing(db, lambda f=forged: acknowledge_alert(  # type: ignore[misc]
            db, f, sid, **alert, clock=clock), "password")
        _refused_writing_nothing(db, lambda f=forged: acknowledge_alert(  # type: ignore[misc]
            db, NURSE, sid, **alert, physician=f, clock=clock), "password")
    assert db.scalars(select(AlertAcknowledgment)).all() == []
    ack_id = acknowledge_alert(db, PHYSICIAN, sid, **alert, clock=clock,
                               physician=_proof(db, "ada", "acknowledge_alert", clock))
    ack = db.get(AlertAcknowledgment, ack_id)
    assert ack is not None and ack.acknowledged_by_id == 3
    assert clock() - ack.acknowledged_at_utc < timedelta(seconds=1)


def test_a_note_author_name_comes_from_the_accounts_table(
        db: Session, clock: FakeClock) -> None:
    from ketalog.store.models import Note

    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    add_note(db, dataclasses.replace(NURSE, display_name="Dr. Nobody, MD"), sid, "nursing",
             "Settled in the chair.", clock=clock)
    assert db.scalar(select(Note.author_name)) == "Nora Reyes, RN"
