"""The second nurse's check is independent: their own figures, compared, kept and signed.

Issue 15, item 4. Before, the second nurse "verified" by typing a password
under the first nurse's figures. Now they type the total mg and pump rate
they worked out themselves; a mismatch is refused with both figures (and kept
in the audit trail as the near miss it is), a match is stored and signed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionAction
from ketalog.services.errors import PermissionDenied
from ketalog.services.session.common import load_session
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import record_vitals, update_discharge_details
from ketalog.services.session.state import CHECKLIST_ITEMS, change_state, update_checklist
from ketalog.services.signature_status import signature_status
from ketalog.store.models import AuditEntry, DoseVerification
from tests.conftest import FakeClock
from tests.play import BASELINE, book, discharge, sign
from tests.staff import NURSE, prove
from tests.tamper import tamper

#: 0.5 mg/kg of an 80 kg patient, 10 mg/mL into 100 mL over 40 min: 40 mg at 150 mL/h.
PREPARED_TOTAL_MG = Decimal(40)
PREPARED_RATE = Decimal(150)


@pytest.fixture
def ordered(db: Session, clock: FakeClock) -> tuple[int, int]:
    """A checked-in session with a dose Nora prepared: (session, dose order)."""
    sid = book(db, clock)
    change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
    for item in CHECKLIST_ITEMS:
        update_checklist(db, NURSE, sid, item, True, clock=clock)
    update_discharge_details(db, NURSE, sid, expected_version=load_session(db, sid).version,
                             escort_name="Maria (wife)", clock=clock)
    record_vitals(db, NURSE, sid, BASELINE, clock=clock)
    order = order_dose(db, NURSE, sid, inputs={}, lot_number="KT1", clock=clock)
    assert (order.total_mg, order.rate_ml_per_h) == (PREPARED_TOTAL_MG, PREPARED_RATE)
    return sid, order.dose_order_id


def _check(db: Session, clock: FakeClock, ordered: tuple[int, int], total: object,
           rate: object, who: str = "sam") -> None:
    sid, order_id = ordered
    verify_dose(db, NURSE, sid, dose_order_id=order_id, verifier_total_mg=total,
                verifier_rate_ml_per_h=rate, clock=clock,
                verifier=prove(db, who, "verify_dose", clock))


def _checks(db: Session) -> list[DoseVerification]:
    return list(db.scalars(select(DoseVerification)))


def _mismatches(db: Session) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == "dose_check_mismatch")))


def test_matching_figures_are_stored_as_an_independent_check(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    _check(db, clock, ordered, "40.0", "150")
    [check] = _checks(db)
    assert (check.verifier_total_mg, check.verifier_rate_ml_per_h) == (Decimal(40), Decimal(150))
    assert check.verifier_name == "Sam Okafor, RN"
    assert _mismatches(db) == []


def test_a_different_total_is_refused_with_both_figures_and_kept_as_a_near_miss(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    with pytest.raises(ValidationError) as refused:
        _check(db, clock, ordered, "4", "150")  # a slipped decimal point
    message = str(refused.value)
    assert "you worked out 4.0 mg, the prepared dose is 40.0 mg" in message
    assert "pump rate" not in message  # the rate agreed
    assert _checks(db) == []
    [near_miss] = _mismatches(db)
    assert (near_miss.username, near_miss.row_id) == ("sam", ordered[1])
    assert "4" in (near_miss.new_value or "") and "40" in (near_miss.old_value or "")
    with pytest.raises(Exception, match=r"(?i)verif"):
        change_state(db, NURSE, ordered[0], SessionAction.START_INFUSION, clock=clock)


def test_a_different_pump_rate_is_refused_with_both_rates(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    with pytest.raises(ValidationError, match="you worked out 250 mL/h, the prepared rate is "
                                              "150 mL/h"):
        _check(db, clock, ordered, "40", "250")
    assert _checks(db) == []


def test_the_pump_rate_of_an_infusion_is_required(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    with pytest.raises(ValidationError, match=r"Your pump rate \(mL/h\) is missing; work the "
                                              r"rate out and type it"):
        _check(db, clock, ordered, "40", None)
    with pytest.raises(ValidationError, match=r"Your total dose \(mg\) is missing"):
        _check(db, clock, ordered, " ", "150")
    assert _checks(db) == [] and _mismatches(db) == []


def test_the_prepared_figures_are_never_shown_to_someone_who_cannot_verify(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    """The preparer, or a forged verifier, typing wrong figures learns nothing of the dose."""
    for who in ("nora", "admin"):  # the preparer; someone not allowed to verify
        with pytest.raises(PermissionDenied) as refused:
            _check(db, clock, ordered, "1", "1", who=who)
        assert "40" not in str(refused.value)
    sid, order_id = ordered
    with pytest.raises(PermissionDenied, match="password") as refused:
        verify_dose(db, NURSE, sid, dose_order_id=order_id, verifier_total_mg="1",
                    verifier_rate_ml_per_h="1", clock=clock)
    assert "40" not in str(refused.value)
    assert _mismatches(db) == []


def test_the_figures_are_signed_with_the_check(
        db: Session, engine: Engine, clock: FakeClock, ordered: tuple[int, int]) -> None:
    sid, _ = ordered
    _check(db, clock, ordered, "40", "150")
    clock.advance(1)
    change_state(db, NURSE, sid, SessionAction.START_INFUSION, clock=clock)
    discharge(db, sid, clock)
    sign(db, sid, clock)
    assert signature_status(db, sid).valid
    db.close()
    # someone rewrites the check's figures to match a different dose
    tamper(engine, "UPDATE dose_verifications SET verifier_total_mg = '41'")
    with Session(engine) as fresh:
        status = signature_status(fresh, sid)
        assert status.not_valid
        assert any(finding.startswith("the dose check by Sam Okafor, RN")
                   for finding in status.findings), status.findings


def test_a_near_miss_is_one_audit_row_and_the_retry_then_matches(
        db: Session, clock: FakeClock, ordered: tuple[int, int]) -> None:
    sid, order_id = ordered
    sams = prove(db, "sam", "verify_dose", clock)
    before = db.scalar(select(func.count()).select_from(AuditEntry)) or 0
    with pytest.raises(ValidationError):
        verify_dose(db, NURSE, sid, dose_order_id=order_id, verifier_total_mg="36",
                    verifier_rate_ml_per_h="150", clock=clock, verifier=sams)
    # the near miss, and nothing else
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
    _check(db, clock, ordered, "40", "150.0")
    assert len(_checks(db)) == 1
    assert db.execute(text("SELECT count(*) FROM dose_verifications")).scalar() == 1
