"""Write tests/store/fixtures/schema_<HEAD>.sqlite3: a small database of this schema version.

Run once per released schema version (``python -m tests.store.make_schema_fixture``)
and commit the file; test_schema_versions.py opens every stored version with the
current code, so an upgrade path that loses or breaks data fails a test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from ketalog.domain.session_state import SessionAction
from ketalog.services.booking import open_course, schedule_session
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.patients import record_weight, register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.session.common import load_session
from ketalog.services.session.dose import order_dose, verify_dose
from ketalog.services.session.entries import record_scale, record_vitals, update_discharge_details
from ketalog.services.session.state import change_state
from ketalog.store.migrate import HEAD_REVISION
from tests.conftest import FakeClock
from tests.dose_check import right_figures
from tests.play import screen_course
from tests.staff import NURSE, password_of, prove, seed_staff

FIXTURES = Path(__file__).parent / "fixtures"


def main() -> None:
    """Create the fixture for the current head revision."""
    target = FIXTURES / f"schema_{HEAD_REVISION}.sqlite3"
    target.unlink(missing_ok=True)
    engine = open_database(f"sqlite:///{target}")
    seed_staff(engine)
    at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def clock() -> datetime:
        return at

    with make_sessionmaker(engine)() as db:
        patient = register_patient(db, NURSE, family_name="Ñúñez", given_name="José",
                                   birth_date=date(1980, 3, 14), clock=clock)
        record_weight(db, NURSE, patient.id, "80.5", clock=clock)
        course = open_course(db, NURSE, patient_id=patient.id,
                             protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                             indication="PTSD", clock=clock)
        screen_course(db, course, clock)
        sid = schedule_session(db, NURSE, course_id=course, chair="Chair 1",
                               scheduled_at=at, clock=clock)
        change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
        record_vitals(db, NURSE, sid, {"systolic_mmhg": 124, "diastolic_mmhg": 78,
                                       "heart_rate_bpm": 72, "spo2_percent": 98,
                                       "temperature_c": "36.6"}, clock=clock)
        order = order_dose(db, NURSE, sid, inputs={}, lot_number="KT1", clock=clock)
        verify_dose(db, NURSE, sid, dose_order_id=order.dose_order_id,
                    **right_figures(db, order.dose_order_id), clock=clock,
                    verifier=prove(db, "sam", "verify_dose", clock))
        if HEAD_REVISION >= "0017":  # a reading and a weight entered in error, corrected
            from ketalog.services.corrections import correct_reading, correct_weight
            from ketalog.services.patients import latest_weight

            wrong = record_vitals(db, NURSE, sid, {"systolic_mmhg": 196,
                                                   "diastolic_mmhg": 104}, clock=clock)
            correct_reading(db, NURSE, wrong.vital_id, {"systolic_mmhg": 126,
                                                        "diastolic_mmhg": 80},
                            "typed 196 for 126", clock=clock)
            weighed = latest_weight(db, patient.id, at.date())
            assert weighed is not None
            correct_weight(db, NURSE, weighed.id, "80.5", "re-weighed: same", clock=clock)
        if HEAD_REVISION >= "0003":
            # a second session played to signature, with an addendum
            from ketalog.services.signing import add_addendum
            from tests.play import sign, start_infusion

            tick = FakeClock(at)
            other = schedule_session(db, NURSE, course_id=course, chair="Chair 2",
                                     scheduled_at=at, clock=tick)
            change_state(db, NURSE, other, SessionAction.CHECK_IN, clock=tick)
            start_infusion(db, other, tick)
            tick.advance(40)
            if HEAD_REVISION >= "0006":  # a sedation alert, acknowledged by the physician
                from ketalog.services.alerts import acknowledge_alert
                from tests.staff import PHYSICIAN

                score = record_scale(db, NURSE, other, "moaas", [3], clock=tick)
                acknowledge_alert(db, PHYSICIAN, other, source="scale_scores", source_id=score,
                                  code="moaas_low", comment="seen, airway fine", clock=tick,
                                  physician=prove(db, "ada", "acknowledge_alert", tick))
            change_state(db, NURSE, other, SessionAction.STOP_INFUSION, clock=tick)
            tick.advance(30)
            if HEAD_REVISION >= "0006":  # discharge needs a recent reading from 0006 on
                record_vitals(db, NURSE, other, {"systolic_mmhg": 122, "diastolic_mmhg": 76},
                              clock=tick)
            record_scale(db, NURSE, other, "aldrete", [2, 2, 2, 2, 2], clock=tick)
            update_discharge_details(db, NURSE, other,
                                     expected_version=load_session(db, other).version,
                                     instructions_given=True, clock=tick)
            change_state(db, NURSE, other, SessionAction.DISCHARGE, clock=tick)
            sign(db, other, tick)
            add_addendum(db, NURSE, other,
                         password=password_of(NURSE.username), reason="late entry",
                         text="Patient phoned: home safely.", clock=tick)
        if HEAD_REVISION >= "0016":  # a verbal order at the first session, co-signed later
            from ketalog.services.orders import cosign_verbal_order
            from tests.play import verbal_order
            from tests.staff import PHYSICIAN

            verbal = verbal_order(db, sid, clock, "0.6")
            cosign_verbal_order(db, PHYSICIAN, verbal, password=password_of("ada"), clock=clock)
        if HEAD_REVISION >= "0018":  # the controlled-substance books, a draw at the first session
            from tests.store.stock_books import write_books

            books = write_books(db, at, sid)
            if HEAD_REVISION >= "0019":  # counts, an inventory, a loss and a destruction
                from tests.store.stock_books import write_records

                write_records(db, at, books)
        if HEAD_REVISION >= "0011":  # the clinic's CA and document certificate
            from ketalog.services.clinic_certificate import create_certificate
            from tests.staff import ADMIN

            create_certificate(db, ADMIN, password_of("admin"), clock=clock)
    engine.dispose()
    # fold the WAL into the file so one file is the whole database
    import sqlite3

    with sqlite3.connect(target) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
