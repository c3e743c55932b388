"""The printed REMS monitoring form, read back from the PDF: every field, on one page."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from ketalog.domain.protocols import VitalThresholds
from ketalog.domain.rems import RemsInputs, RemsVitals, build_rems_form
from ketalog.reports.base import DRAFT_TEXT, Clinic
from ketalog.reports.rems_form import build_rems_form_pdf
from ketalog.services.pdf import record_document
from ketalog.services.rems import (
    RemsFormDocument,
    file_rems_form,
    rems_document_data,
    rems_pdf,
)
from ketalog.services.session.entries import flag_event, resolve_event
from ketalog.store.models import AuditEntry
from tests.reports.conftest import ClinicDb, pdf_pages
from tests.services.test_rems import (
    book_esketamine,
    dose_esketamine,
    monitor_to_discharge,
)
from tests.staff import NURSE, PHYSICIAN


def _text(pdf: bytes) -> str:
    pages = pdf_pages(pdf)
    assert len(pages) == 1
    return re.sub(r"\s+", " ", pages[0])


def _played(clinic: ClinicDb) -> int:
    """Zoë Ångström's 84 mg esketamine session with dissociation, discharged at 120 min."""
    c = clinic.clock
    with clinic.db() as db:
        session = book_esketamine(db, c, screening={"takes_benzodiazepine": True,
                                                    "takes_opioid": None}, approve=False)
        sid = session.session_id
        first = dose_esketamine(db, c, sid, devices=3)
        c.now = first + timedelta(minutes=20)
        flag = flag_event(db, NURSE, sid, "dissociation", clock=c)
        c.now = first + timedelta(minutes=55)
        resolve_event(db, NURSE, flag, clock=c)
        monitor_to_discharge(db, c, sid, first)
    return sid


def test_every_field_of_the_form_is_printed(clinic: ClinicDb) -> None:
    sid = _played(clinic)
    with clinic.db() as db:
        text = _text(rems_pdf(db, sid))
    # the page frame: clinic, title and whose form it is (09:03 UTC = 04:03 New York)
    assert "Riverside Ketamine Clinic" in text
    assert "Spravato REMS patient monitoring form" in text
    assert "Ångström, Zoë · MRN K0000001 · born 1975-01-02 · esketamine 2026-11-21" in text
    assert "Page 1 of 1" in text and DRAFT_TEXT not in text
    for line in (
        "Patient name Ångström, Zoë", "Date of birth 2 Jan 1975",
        "First treatment with Spravato ☒ Yes ☐ No",
        "Benzodiazepines ☒ Yes ☐ No", "Non-benzodiazepine sedative hypnotics ☐ Yes ☒ No",
        "Psychostimulants ☐ Yes ☒ No", "Monoamine oxidase inhibitors (MAOIs) ☐ Yes ☒ No",
        "Opioids not recorded",
        "Treatment date 21 Nov 2026", "Dose ☐ 56 mg ☒ 84 mg ☐ other (3 devices)",
        "Lot number ESK-2231", "First device given at 04:03 (21 Nov 2026)",
        "End of monitoring 06:03 (21 Nov 2026)",
        "Total minutes from first device to end of monitoring 120 min",
        "Patient would have been ready to leave at 06:03 (21 Nov 2026)",
        "Before dosing 128/82 mmHg 04:02 1 min before ☒ Yes ☐ No",
        "At about 40 minutes 146/92 mmHg 04:43 40 min",
        "Before completion of monitoring 130/84 mmHg 05:58 115 min ☒ Yes ☐ No",
        "Sedation ☐ Yes ☒ No", "Dissociation ☒ Yes ☐ No", "Respiratory depression ☐ Yes ☒ No",
        "Monitoring provider Nora Reyes, RN",
        "Healthcare setting Riverside Ketamine Clinic, 12 River Road, Springfield",
        "File within 7 days of treatment, by 28 Nov 2026", "Filed not filed yet",
        "Not recorded: Concomitant opioids. Complete the session record before filing",
    ):
        assert line in text, line


def test_a_filed_form_prints_who_filed_it_and_the_confirmation(clinic: ClinicDb) -> None:
    sid = _played(clinic)
    with clinic.db() as db:
        clinic.clock.advance(60 * 24 * 2)
        file_rems_form(db, PHYSICIAN, sid, confirmation="RX-20261123", clock=clinic.clock)
        text = _text(rems_pdf(db, sid))
    assert "Filed 23 Nov 2026 06:03 by Ada Lindqvist, MD" in text
    assert "REMS confirmation number RX-20261123" in text
    assert "before filing" not in text


def test_the_same_records_give_the_same_bytes_and_producing_is_audited(
        clinic: ClinicDb) -> None:
    from sqlalchemy import select

    sid = _played(clinic)
    with clinic.db() as db:
        first = rems_pdf(db, sid)
        clinic.clock.advance(60 * 24 * 3)  # no "today" on the page
        assert rems_pdf(db, sid) == first
        record_document(db, NURSE, "rems", sid, action="pdf_saved", detail="/tmp/x.pdf",
                        clock=clinic.clock)
        entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (entry.action, entry.field, entry.row_id, entry.new_value) == (
        "pdf_saved", "rems", sid, "/tmp/x.pdf")


def test_an_unusual_dose_and_a_form_with_gaps_from_plain_data() -> None:
    first = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    form = build_rems_form(RemsInputs(
        session_id=3, patient_name="O'Brien & <Sons>, Ann", mrn="K42", birth_date=date(1990, 1, 1),
        earlier_esketamine_treatments=4, takes_benzodiazepine=None, takes_other_sedative=None,
        takes_stimulant=None, takes_maoi=None, takes_opioid=None, first_device_at_utc=first,
        treatment_date=date(2026, 11, 21), discharged_at_utc=None, ready_to_leave_at_utc=None,
        dose_mg=Decimal(28), device_count=1, lot_number=None,
        readings=[RemsVitals(first - timedelta(minutes=5), 150, 95)],
        thresholds=VitalThresholds(), event_flag_kinds=[], monitoring_provider=None,
        setting=None,
    ))
    data = RemsFormDocument(Clinic("Clinic"), ZoneInfo("UTC"), form)
    text = _text(build_rems_form_pdf(data))
    assert "O'Brien & <Sons>, Ann" in text
    assert "First treatment with Spravato ☐ Yes ☒ No" in text
    assert "Dose ☐ 56 mg ☐ 84 mg ☒ other: 28 mg (1 device)" in text
    assert "Before dosing 150/95 mmHg 14:55 5 min before ☐ Yes ☒ No" in text
    assert "At about 40 minutes not recorded" in text
    assert "Not recorded: Concomitant benzodiazepines;" in text
    assert "Monitoring provider; Healthcare setting." in text
    # a long provider name wraps inside its cell and the form stays on one page
    longer = replace(data, form=replace(form, monitoring_provider="A" * 40 + " " + "B" * 60))
    assert len(pdf_pages(build_rems_form_pdf(longer))) == 1


def test_the_document_data_names_the_filer(clinic: ClinicDb) -> None:
    sid = _played(clinic)
    with clinic.db() as db:
        assert rems_document_data(db, sid).filed_by is None
        file_rems_form(db, NURSE, sid, confirmation=None, clock=clinic.clock)
        data = rems_document_data(db, sid)
    assert (data.filed_by, data.confirmation) == ("Nora Reyes, RN", None)
    assert data.tz == ZoneInfo("America/New_York")
