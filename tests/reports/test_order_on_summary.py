"""The chart summary names the physician's order the dose followed, as true at printing."""

from __future__ import annotations

from sqlalchemy import text

from ketalog.domain.session_state import SessionAction
from ketalog.reports.session_summary import build_session_summary
from ketalog.services.orders import cosign_verbal_order
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import record_vitals
from ketalog.services.session.state import change_state
from tests.dose_check import right_figures
from tests.play import verbal_order
from tests.reports.conftest import BASELINE, ClinicDb, body_text, pdf_pages
from tests.staff import NURSE, PHYSICIAN, password_of, prove

IV = {"dose_mg_per_kg": "0.6", "concentration_mg_per_ml": "10", "bag_volume_ml": "100",
      "duration_min": 40}


def _summary_text(clinic: ClinicDb, sid: int) -> str:
    return body_text(pdf_pages(build_session_summary(clinic.summary(sid))))


def test_the_standing_order_signed_by_the_physician(clinic: ClinicDb, played: int) -> None:
    flat = _summary_text(clinic, played)
    assert ("Physician's order standing order by Ada Lindqvist, MD, 2026-11-21 04:00 EST: "
            "0.5 mg/kg over 40 min; signed with the physician's key") in flat


def _verbal_dose(clinic: ClinicDb) -> tuple[int, int]:
    sid = clinic.book()
    c = clinic.clock
    with clinic.factory() as db:
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=c)
        record_vitals(db, NURSE, sid, BASELINE, clock=c)
        c.advance(3)
        order = verbal_order(db, sid, c, "0.6")
        dose = order_dose(db, NURSE, sid, inputs=IV, lot_number="KT1", clock=c)
        verify_dose(db, NURSE, sid, dose_order_id=dose.dose_order_id, clock=c,
                    **right_figures(db, dose.dose_order_id),
                    verifier=prove(db, "sam", "verify_dose", c))
    return sid, order


def test_a_verbal_order_awaiting_then_with_its_co_signature(clinic: ClinicDb) -> None:
    sid, order = _verbal_dose(clinic)
    flat = _summary_text(clinic, sid)
    assert ("Physician's order verbal order by Ada Lindqvist, MD, 2026-11-21 04:03 EST: "
            "0.6 mg/kg over 40 min; received and read back by Nora Reyes, RN; "
            "AWAITING CO-SIGNATURE") in flat
    clinic.clock.advance(120)
    with clinic.factory() as db:
        cosign_verbal_order(db, PHYSICIAN, order, password=password_of("ada"),
                            clock=clinic.clock)
    flat = _summary_text(clinic, sid)
    assert "AWAITING" not in flat
    assert "co-signed by Ada Lindqvist, MD 2026-11-21 06:03 EST" in flat


def test_a_forged_order_is_printed_as_not_valid(clinic: ClinicDb, played: int) -> None:
    # signed standing orders cannot be edited; one inserted by SQL carries no key,
    # and a dose re-pointed at it by SQL prints as not valid
    with clinic.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO physician_orders (course_id, patient_id, kind, protocol_id, "
            "protocol_code, dosing_mode, dose_mg_per_kg, duration_min, weight_basis, "
            "physician_id, physician_name, ordered_at_utc, created_at_utc) "
            "SELECT course_id, patient_id, 'standing', protocol_id, 'iv-depression-0.5', "
            "'weight', '0.5', 40, 'actual', 3, 'Ada Lindqvist, MD', "
            "'2026-11-21 09:30:00.000000', '2026-11-21 09:30:00.000000' "
            f"FROM treatment_sessions WHERE id = {played}"))
        conn.execute(text("UPDATE dose_orders SET physician_order_id = "
                          "(SELECT max(id) FROM physician_orders)"))
    flat = _summary_text(clinic, played)
    assert "signed with the physician's key" not in flat
    assert ("SIGNATURE NOT VALID: the standing order by Ada Lindqvist, MD at 2026-11-21 "
            "09:30 UTC was not made with Ada Lindqvist, MD's key") in flat
