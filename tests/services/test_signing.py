"""Completing, signing, verifying and adding to a session, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ketalog.domain.errors import DomainError, TransitionRefused, ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.reports.session_summary import build_session_summary
from ketalog.services.accounts import LoginRefused
from ketalog.services.documents import session_summary_data
from ketalog.services.errors import PermissionDenied
from ketalog.services.interventions import record_adverse_event, record_intervention
from ketalog.services.session.common import current_dose_order, load_session
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import (
    add_note,
    add_vital_action_note,
    flag_event,
    record_scale,
    record_vitals,
    update_discharge_details,
)
from ketalog.services.session.state import (
    CHECKLIST_ITEMS,
    acknowledge_predose_bp,
    change_rate,
    change_state,
    update_checklist,
)
from ketalog.services.session_view import load_session_view
from ketalog.services.signing import (
    PHYSICIAN_SIGNATURE,
    add_addendum,
    complete_nursing_record,
    sign_session,
    verify_session,
    waiting_for_signature,
)
from ketalog.store.models import Note, Signature, TreatmentSession, User, VitalSign
from tests.conftest import FakeClock
from tests.dose_check import right_figures
from tests.play import BASELINE, book, start_infusion
from tests.staff import NURSE, NURSE2, PHYSICIAN, password_of
from tests.tamper import tamper

PASSWORD = password_of(PHYSICIAN.username)


@pytest.fixture
def discharged(db: Session, clock: FakeClock) -> int:
    """José Ñúñez's first IV infusion, played through the services up to discharge."""
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    start_infusion(db, sid, clock)
    clock.advance(40)
    change_state(db, NURSE, sid, SessionAction.STOP_INFUSION, clock=clock)
    clock.advance(30)
    record_vitals(db, NURSE, sid, BASELINE, clock=clock)
    record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2], clock=clock)
    update_discharge_details(db, NURSE, sid,
                             expected_version=load_session(db, sid).version,
                             instructions_given=True, clock=clock)
    add_note(db, NURSE, sid, "recovery", "Tolerated infusion well; steady gait.",
             clock=clock)
    clock.advance(5)
    change_state(db, NURSE, sid, SessionAction.DISCHARGE, clock=clock)
    return sid


@pytest.fixture
def signed(db: Session, clock: FakeClock, discharged: int) -> int:
    """The same session, nursing record completed and signed by Ada Lindqvist, MD."""
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    clock.advance(30)
    sign_session(db, PHYSICIAN, discharged, password=PASSWORD, clock=clock)
    return discharged


def first_vital(db: Session, sid: int) -> VitalSign:
    vital = db.scalars(select(VitalSign).where(VitalSign.session_id == sid)
                       .order_by(VitalSign.id)).first()
    assert vital is not None
    return vital


def test_a_nurse_cannot_sign(db: Session, clock: FakeClock, discharged: int) -> None:
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    with pytest.raises(PermissionDenied, match="Only a physician can sign"):
        sign_session(db, NURSE, discharged, password=password_of("nora"), clock=clock)
    assert db.get(TreatmentSession, discharged, populate_existing=True).state == "discharged"


def test_a_physician_cannot_complete_the_nursing_record(
    db: Session, clock: FakeClock, discharged: int
) -> None:
    with pytest.raises(PermissionDenied, match="nurse"):
        complete_nursing_record(db, PHYSICIAN, discharged,
                                password=password_of(PHYSICIAN.username), clock=clock)


def test_signing_waits_for_the_nursing_record(
    db: Session, clock: FakeClock, discharged: int
) -> None:
    with pytest.raises(TransitionRefused, match="nursing record is not complete"):
        sign_session(db, PHYSICIAN, discharged, password=PASSWORD, clock=clock)
    [waiting] = waiting_for_signature(db)
    assert (waiting.session_id, waiting.ready_to_sign) == (discharged, False)
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    [waiting] = waiting_for_signature(db)
    assert waiting.ready_to_sign and waiting.nursing_completed_by == "Nora Reyes, RN"


def test_wrong_password_is_refused_and_counts_as_a_failed_login(
    db: Session, clock: FakeClock, discharged: int
) -> None:
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    with pytest.raises(LoginRefused, match="password is wrong"):
        sign_session(db, PHYSICIAN, discharged, password="not-it", clock=clock)
    db.rollback()
    physician = db.get(User, PHYSICIAN.user_id, populate_existing=True)
    assert physician is not None and physician.failed_login_count == 1
    assert db.get(TreatmentSession, discharged, populate_existing=True).state == "discharged"
    assert not db.scalars(select(Signature).where(Signature.kind == PHYSICIAN_SIGNATURE)).all()


def test_signing_stores_the_signed_content_and_its_hash(
    db: Session, clock: FakeClock, discharged: int
) -> None:
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    clock.advance(30)
    result = sign_session(db, PHYSICIAN, discharged, password=PASSWORD, clock=clock)
    assert db.get(TreatmentSession, discharged, populate_existing=True).state == "signed"
    row = db.get(Signature, result.signature_id)
    assert row is not None and row.content_json is not None
    assert (row.kind, row.signer_name, row.meaning) == (
        PHYSICIAN_SIGNATURE, "Ada Lindqvist, MD", "Reviewed and approved")
    assert row.content_sha256 == hashlib.sha256(row.content_json.encode()).hexdigest()
    assert result.content_sha256 == row.content_sha256
    check = verify_session(db, discharged)
    assert check.signed and check.intact and not check.changed
    assert waiting_for_signature(db) == []
    physician = db.get(User, PHYSICIAN.user_id, populate_existing=True)
    assert physician is not None and physician.failed_login_count == 0


def _edits(db: Session, sid: int, clock: FakeClock) -> dict[str, Callable[[], object]]:
    """Every service that changes a session's clinical record, aimed at ``sid``."""
    vital = first_vital(db, sid)
    version = load_session(db, sid).version
    order = current_dose_order(db, sid)
    assert order is not None
    return {
        "record_vitals": lambda: record_vitals(db, NURSE, sid, BASELINE, clock=clock),
        "add_note": lambda: add_note(db, NURSE, sid, "nursing", "late", clock=clock),
        "record_scale": lambda: record_scale(db, NURSE, sid, "aldrete", [2, 2, 2, 2, 2],
                                             clock=clock),
        "flag_event": lambda: flag_event(db, NURSE, sid, "sedation", clock=clock),
        "change_rate": lambda: change_rate(db, NURSE, sid, "100", reason="slower",
                                           clock=clock),
        "update_checklist": lambda: update_checklist(db, NURSE, sid,
                                                     CHECKLIST_ITEMS[0], False,
                                                     clock=clock),
        "update_discharge_details": lambda: update_discharge_details(
            db, NURSE, sid, expected_version=version, escort_name="someone else", clock=clock),
        "order_dose": lambda: order_dose(db, NURSE, sid, inputs={}, clock=clock),
        "verify_dose": lambda: verify_dose(db, NURSE2, sid, dose_order_id=order.id,
                                           **right_figures(db, order.id),
                                           clock=clock),
        "add_vital_action_note": lambda: add_vital_action_note(
            db, NURSE, vital.id, "physician notified", expected_version=vital.version,
            clock=clock),
        "record_intervention": lambda: record_intervention(db, NURSE, sid, drug="ondansetron",
                                                           clock=clock),
        "record_adverse_event": lambda: record_adverse_event(db, NURSE, sid, kind="nausea",
                                                             clock=clock),
        "acknowledge_predose_bp": lambda: acknowledge_predose_bp(db, PHYSICIAN, sid,
                                                                 clock=clock),
    }


EDITS = ("record_vitals", "add_note", "record_scale", "flag_event", "change_rate",
         "update_checklist", "update_discharge_details", "order_dose", "verify_dose",
         "add_vital_action_note", "record_intervention", "record_adverse_event",
         "acknowledge_predose_bp")


@pytest.mark.parametrize("edit", EDITS)
def test_every_edit_of_a_signed_session_is_refused(
    db: Session, clock: FakeClock, signed: int, edit: str
) -> None:
    action = _edits(db, signed, clock)[edit]
    with pytest.raises(DomainError) as refused:
        action()
    assert "addendum" in str(refused.value)
    db.rollback()
    assert verify_session(db, signed).intact


@pytest.mark.parametrize("move", [SessionAction.DISCHARGE, SessionAction.CANCEL,
                                  SessionAction.CHECK_IN])
def test_a_signed_session_does_not_change_state(
    db: Session, clock: FakeClock, signed: int, move: SessionAction
) -> None:
    with pytest.raises(DomainError) as refused:
        change_state(db, NURSE, signed, move, reason="test", clock=clock)
    assert "addendum" in str(refused.value)
    db.rollback()
    assert db.get(TreatmentSession, signed, populate_existing=True).state == "signed"


def test_the_database_refuses_raw_sql_on_a_signed_session(
    db: Session, engine: Engine, signed: int
) -> None:
    vital_id = first_vital(db, signed).id
    db.rollback()
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE vital_signs SET heart_rate_bpm = 140 WHERE id = :id"),
                     {"id": vital_id})
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO notes (session_id, kind, written_at_utc, author_id, author_name, text, "
            "created_at_utc) SELECT session_id, kind, written_at_utc, author_id, author_name, "
            "'slipped in', created_at_utc FROM notes WHERE session_id = :sid"), {"sid": signed})
    assert verify_session(db, signed).intact


def test_a_change_behind_the_guards_is_itemised(
    db: Session, engine: Engine, clock: FakeClock, signed: int
) -> None:
    vital_id = first_vital(db, signed).id
    db.rollback()
    tamper(engine, "UPDATE vital_signs SET heart_rate_bpm = 140 WHERE id = :id", id=vital_id)
    check = verify_session(db, signed)
    assert check.changed and not check.intact
    assert check.current_sha256 != check.signed_sha256
    assert check.changes == (f"Vital signs {vital_id}: heart_rate_bpm was 72, now 140",)
    assert load_session_view(db, signed, clock.now).signing.changed


def test_a_deleted_note_is_reported_removed(db: Session, engine: Engine, signed: int) -> None:
    note_id = db.scalar(select(Note.id).where(Note.session_id == signed))
    db.rollback()
    tamper(engine, "DELETE FROM notes WHERE id = :id", id=note_id)
    check = verify_session(db, signed)
    assert check.changed
    assert f"Note {note_id}: removed after signing" in check.changes


def test_addenda_need_reason_and_text_and_a_signed_session(
    db: Session, clock: FakeClock, discharged: int
) -> None:
    with pytest.raises(TransitionRefused, match="not signed yet"):
        add_addendum(db, NURSE, discharged,
                     password=password_of(NURSE.username), reason="late entry",
                     text="BP 120/80", clock=clock)
    db.rollback()
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    sign_session(db, PHYSICIAN, discharged, password=PASSWORD, clock=clock)
    with pytest.raises(ValidationError) as missing:
        add_addendum(db, NURSE, discharged,
                     password=password_of(NURSE.username), reason=" ", text="", clock=clock)
    assert {p.field for p in missing.value.problems} == {"reason", "text"}
    db.rollback()
    clock.advance(10)
    add_addendum(db, NURSE, discharged, password=password_of(NURSE.username), reason="late entry",
                 text="Patient phoned at 18:00: home safely.", clock=clock)
    clock.advance(5)
    add_addendum(db, PHYSICIAN, discharged,
                 password=password_of(PHYSICIAN.username), reason="correction of BP at 10:05",
                 text="Cuff reading 124/78 confirmed manually.", clock=clock)
    addenda = session_summary_data(db, discharged).addenda
    assert [(a.number, a.author_name, a.reason) for a in addenda] == [
        (1, "Nora Reyes, RN", "late entry"), (2, "Ada Lindqvist, MD", "correction of BP at 10:05")]
    # an addendum is not part of the signed record: the signature still verifies
    assert verify_session(db, discharged).intact
    signing = load_session_view(db, discharged, clock.now).signing
    assert [a.number for a in signing.addenda] == [1, 2]
    assert signing.addenda[0].author_name == "Nora Reyes, RN"


def test_the_signed_summary_prints_the_signature_and_addenda(
    db: Session, clock: FakeClock, signed: int
) -> None:
    clock.advance(10)
    add_addendum(db, NURSE, signed,
                 password=password_of(NURSE.username), reason="late entry",
                 text="Home safely.", clock=clock)
    signature = db.scalars(select(Signature).where(Signature.kind == PHYSICIAN_SIGNATURE)).one()
    pdf = build_session_summary(session_summary_data(db, signed))
    body = " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    flat = " ".join(body.split())
    assert "Ada Lindqvist, MD" in flat
    assert "Reviewed and approved" in flat
    assert signature.content_sha256 in flat.replace(" ", "")
    assert "Addendum 1" in flat and "Home safely." in flat
    assert "DRAFT" not in body
    # date and time of signing, with the zone (UTC here)
    stamp = signature.signed_at_utc.strftime("%Y-%m-%d %H:%M")
    assert f"{stamp} UTC" in flat


def test_the_session_view_carries_the_sign_off_state(
    db: Session, clock: FakeClock, discharged: int
) -> None:
    view = load_session_view(db, discharged, clock.now)
    assert view.signing.nursing_completed is None and view.signing.verification is None
    complete_nursing_record(db, NURSE, discharged,
                            password=password_of(NURSE.username), clock=clock)
    view = load_session_view(db, discharged, clock.now)
    attested = view.signing.nursing_completed
    assert attested is not None and attested.signer_name == "Nora Reyes, RN"
    assert view.signing.verification is None  # not signed: no hashing on every refresh
    sign_session(db, PHYSICIAN, discharged, password=PASSWORD, clock=clock)
    view = load_session_view(db, discharged, clock.now)
    assert view.signing.signature is not None
    assert view.signing.signature.signer_name == "Ada Lindqvist, MD"
    assert view.signing.verification is not None and view.signing.verification.intact
    assert not view.signing.changed


def test_a_state_moved_back_behind_the_guards_is_reported(
    db: Session, engine: Engine, signed: int
) -> None:
    sid = signed
    assert verify_session(db, sid).intact
    db.rollback()  # end the read before another connection writes
    tamper(engine, "UPDATE treatment_sessions SET state = 'discharged' WHERE id = :id", id=sid)
    db.expire_all()
    result = verify_session(db, sid)
    assert result.changed
    assert 'Session: state was "signed", now "discharged"' in result.changes
