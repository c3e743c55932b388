"""Every clinician act of a session is made with its maker's key (issue 14, item 1).

The attestation, addenda, the second nurse's dose check, the dose-maximum
override and the pre-dose BP acknowledgment each carry an Ed25519 signature by
the person's own key. Each attack here (a row inserted or rewritten by SQL, a
key planted by SQL) passed as validly signed before schema 0014; now the
signature is NOT VALID, with a reason naming the row.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionAction
from ketalog.services.session.common import load_session
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import record_vitals, update_discharge_details
from ketalog.services.session.state import (
    CHECKLIST_ITEMS,
    acknowledge_predose_bp,
    change_state,
    update_checklist,
)
from ketalog.services.signature_status import signature_status
from ketalog.services.signing import add_addendum, complete_nursing_record, sign_session
from ketalog.store.models import Addendum, DoseOrder, DoseVerification, Signature
from tests.conftest import FakeClock
from tests.dose_check import right_figures
from tests.forgery import forge_addendum, forge_attestation, forge_keyed_signature
from tests.play import BASELINE, book, discharge, discharged_session, sign
from tests.staff import NURSE, PHYSICIAN, password_of, prove
from tests.tamper import tamper


def _everything_keyed(db: Session, clock: FakeClock) -> int:
    """A session with every keyed act: high pre-dose BP acknowledged, a dose above the
    maximum overridden, the dose checked, attested, signed and an addendum."""
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    for item in CHECKLIST_ITEMS:
        update_checklist(db, NURSE, sid, item, True, clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             escort_name="Maria (wife)", clock=clock)
    clock.advance(2)
    record_vitals(db, NURSE, sid, {**BASELINE, "systolic_mmhg": 152}, clock=clock)
    acknowledge_predose_bp(db, NURSE, sid, clock=clock,
                           physician=prove(db, "ada", "acknowledge_bp", clock))
    order = order_dose(
        db, NURSE, sid, clock=clock, lot_number="KT1", override_reason="ordered by Dr L",
        inputs={"concentration_mg_per_ml": "10", "bag_volume_ml": "100", "duration_min": 40,
                "dose_mg_per_kg": "2.1255"},
        override_by=prove(db, "ada", "override_dose", clock))
    verify_dose(db, NURSE, sid, dose_order_id=order.dose_order_id,
                **right_figures(db, order.dose_order_id), clock=clock,
                verifier=prove(db, "sam", "verify_dose", clock))
    clock.advance(1)
    change_state(db, NURSE, sid, SessionAction.START_INFUSION, clock=clock)
    discharge(db, sid, clock)
    sign(db, sid, clock)
    clock.advance(60)
    add_addendum(db, NURSE, sid, password=password_of("nora"), reason="late entry",
                 text="Home safely.", clock=clock)
    return sid


def test_every_keyed_act_verifies_with_its_makers_key(db: Session, clock: FakeClock) -> None:
    sid = _everything_keyed(db, clock)
    order = db.scalars(select(DoseOrder).where(DoseOrder.session_id == sid)).one()
    check = db.scalars(select(DoseVerification)).one()
    attestation = db.scalars(select(Signature).where(Signature.kind == "nursing_attestation")
                             ).one()
    addendum = db.scalars(select(Addendum)).one()
    session = load_session(db, sid)
    for key_id, signature in ((order.override_key_id, order.override_signature),
                              (check.key_id, check.signature),
                              (attestation.key_id, attestation.signature),
                              (addendum.key_id, addendum.signature),
                              (session.predose_bp_ack_key_id, session.predose_bp_ack_signature)):
        assert key_id is not None and signature is not None and len(signature) == 128
    assert addendum.author_name == "Nora Reyes, RN"
    status = signature_status(db, sid)
    assert status.valid, status.findings


def test_an_attestation_inserted_by_sql_is_not_valid(
    db: Session, engine: Engine, clock: FakeClock
) -> None:
    sid = discharged_session(db, clock)
    forge_attestation(db, engine, sid, clock.advance(5))  # hash recomputed, audit row too
    clock.advance(30)
    sign_session(db, PHYSICIAN, sid, password=password_of("ada"), clock=clock)
    status = signature_status(db, sid)
    assert status.not_valid
    assert status.reason.startswith("the nursing attestation by Nora Reyes, RN at ")
    assert status.reason.endswith("was not made with Nora Reyes, RN's key (it was written "
                                  "without their password)")


def test_an_attestation_re_pointed_at_the_nurses_real_key_is_not_valid(
    db: Session, engine: Engine, clock: FakeClock
) -> None:
    sid = discharged_session(db, clock)
    complete_nursing_record(db, NURSE, sid, password=password_of("nora"), clock=clock)
    key_id, signature = db.execute(select(Signature.key_id, Signature.signature)).one()
    forge_attestation(db, engine, sid, clock.advance(5))
    tamper(engine, "UPDATE signatures SET key_id = :k, signature = :s WHERE id = 2",
           k=key_id, s=signature)  # the real attestation's signature, copied
    clock.advance(30)
    sign_session(db, PHYSICIAN, sid, password=password_of("ada"), clock=clock)
    status = signature_status(db, sid)
    assert status.not_valid
    assert "was not made with Nora Reyes, RN's key (the cryptographic signature does not " \
           "match the row)" in status.reason


def test_an_addendum_inserted_by_sql_is_not_valid(
    db: Session, engine: Engine, clock: FakeClock
) -> None:
    sid = discharged_session(db, clock)
    sign(db, sid, clock)
    forge_addendum(db, engine, sid, clock.advance(60))
    status = signature_status(db, sid)
    assert status.not_valid
    assert status.reason.startswith("addendum 1 by Ada Lindqvist, MD at ")
    assert "was not made with Ada Lindqvist, MD's key" in status.reason


def test_a_dose_check_rewritten_to_name_another_nurse_is_not_valid(
    db: Session, engine: Engine, clock: FakeClock
) -> None:
    sid = discharged_session(db, clock)  # Sam checked the dose with his password
    with engine.begin() as conn:  # every guard in place: the session is not signed yet
        conn.execute(text("UPDATE dose_verifications SET verifier_id = 4, "
                          "verifier_name = 'Alex Admin'"))
    db.expire_all()
    sign(db, sid, clock)
    status = signature_status(db, sid)
    assert status.not_valid
    assert status.reason.startswith("the dose check by Alex Admin at ")
    assert status.reason.endswith("was not made with Alex Admin's key (the key is another "
                                  "person's)")


def test_a_dose_check_inserted_by_sql_is_not_valid(
    db: Session, engine: Engine, clock: FakeClock
) -> None:
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    order = order_dose(db, NURSE, sid, inputs={}, lot_number="KT1", clock=clock)
    db.rollback()
    with engine.begin() as conn:  # "Sam checked it": no password, no key
        conn.execute(text(
            "INSERT INTO dose_verifications (dose_order_id, verifier_id, verifier_name, "
            "verified_at_utc, created_at_utc) VALUES (:o, 2, 'Sam Okafor, RN', :at, :at)"),
            {"o": order.dose_order_id, "at": clock()})
    db.expire_all()
    for item in CHECKLIST_ITEMS:
        update_checklist(db, NURSE, sid, item, True, clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             escort_name="Maria (wife)", clock=clock)
    record_vitals(db, NURSE, sid, BASELINE, clock=clock)
    change_state(db, NURSE, sid, SessionAction.START_INFUSION, clock=clock)
    discharge(db, sid, clock)
    sign(db, sid, clock)
    status = signature_status(db, sid)
    assert status.not_valid
    assert status.reason.startswith("the dose check by Sam Okafor, RN at ")
    assert "was not made with Sam Okafor, RN's key" in status.reason


def test_a_forged_bp_acknowledgment_and_override_are_not_valid(
    db: Session, engine: Engine, clock: FakeClock
) -> None:
    sid = _everything_keyed(db, clock)
    assert signature_status(db, sid).valid
    db.rollback()
    tamper(engine, "UPDATE dose_orders SET override_reason = 'patient asked'")
    tamper(engine, "UPDATE treatment_sessions SET predose_bp_ack_by_id = 4")
    status = signature_status(db, sid)
    assert status.not_valid
    problems = " | ".join(status.problems)
    assert "the dose-maximum override by Ada Lindqvist, MD at " in problems
    assert "the pre-dose blood pressure acknowledgment by Alex Admin at " in problems


def test_a_key_planted_by_sql_verifies_nothing(
    db: Session, engine: Engine, clock: FakeClock
) -> None:
    sid = discharged_session(db, clock)
    complete_nursing_record(db, NURSE, sid, password=password_of("nora"), clock=clock)
    key_id = forge_keyed_signature(db, engine, sid, clock.advance(30))
    status = signature_status(db, sid)
    assert status.not_valid
    assert status.reason == f"the signing key {key_id} has no audit trail entry of its creation"


def _pdf_text(db: Session, sid: int) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    from ketalog.reports.session_summary import build_session_summary
    from ketalog.services.documents import session_summary_data

    pdf = build_session_summary(session_summary_data(db, sid))
    return " ".join((page.extract_text() or "") for page in PdfReader(BytesIO(pdf)).pages)


def test_a_key_issued_after_an_admin_reset_is_said_on_the_printed_summary(
    db: Session, clock: FakeClock
) -> None:
    from ketalog.services.accounts import change_own_password, reset_password
    from ketalog.services.signing import ADMIN_RESET_NOTE
    from tests.staff import ADMIN

    sid = discharged_session(db, clock)
    complete_nursing_record(db, NURSE, sid, password=password_of("nora"), clock=clock)
    reset_password(db, ADMIN, "ada", "temporary-pass-2026", clock=clock)
    change_own_password(db, PHYSICIAN, "temporary-pass-2026", "ada-own-new-pass", clock=clock)
    clock.advance(30)
    sign_session(db, PHYSICIAN, sid, password="ada-own-new-pass", clock=clock)
    status = signature_status(db, sid)
    assert status.valid and status.check is not None and status.check.notes == (
        ADMIN_RESET_NOTE,)
    text = " ".join(_pdf_text(db, sid).split())
    assert "Note signed with a key issued after an administrator reset the signer's password" \
        in text, text


def test_a_signature_from_before_keys_is_said_on_the_printed_summary(tmp_path: Path) -> None:
    from ketalog.services.database import make_sessionmaker, open_database
    from ketalog.services.signing import LEGACY_NOTE

    copy = tmp_path / "schema_0008.sqlite3"
    shutil.copy(Path(__file__).parents[1] / "store" / "fixtures" / "schema_0008.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with make_sessionmaker(engine)() as db:
            status = signature_status(db, 2)
            assert status.valid and status.check is not None
            assert status.check.notes == (LEGACY_NOTE,)
            text = " ".join(_pdf_text(db, 2).split())
        assert "Note signed before keyed signatures (not cryptographically bound)" in text, text
    finally:
        engine.dispose()


def test_a_proof_carrying_another_persons_key_is_refused(
    db: Session, clock: FakeClock
) -> None:
    import dataclasses

    import pytest

    from ketalog.services.errors import PermissionDenied

    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    order = order_dose(db, NURSE, sid, inputs={}, lot_number="KT1", clock=clock)
    sams = prove(db, "sam", "verify_dose", clock)
    assert "private" not in repr(sams)  # the key travels in-process, never printed
    adas_key = prove(db, "ada", "verify_dose", clock).key
    with pytest.raises(PermissionDenied, match="second nurse must enter their own"):
        verify_dose(db, NURSE, sid, dose_order_id=order.dose_order_id,
                    **right_figures(db, order.dose_order_id), clock=clock,
                    verifier=dataclasses.replace(sams, key=adas_key))
    assert db.scalar(select(DoseVerification.id)) is None


def test_a_forged_attestation_is_named_before_any_physician_signs(
    db: Session, engine: Engine, clock: FakeClock
) -> None:
    sid = discharged_session(db, clock)
    forge_attestation(db, engine, sid, clock.advance(5))
    status = signature_status(db, sid)
    assert not status.valid and not status.not_valid  # nothing signed yet
    [problem] = status.attestation_problems
    assert problem.startswith("the nursing attestation by Nora Reyes, RN at ")
    assert "was not made with Nora Reyes, RN's key" in problem
