"""The Spravato REMS patient monitoring form of one esketamine session, on one page.

Laid out in the order of the REMS form so whoever files it (online or by fax)
reads it top to bottom. Every answer is printed in words; an answer not
recorded says "not recorded" and is listed again at the foot, so a gap is seen
before the form is filed, never filed as a silent "no".

No "today" on the page: it names the deadline date, not "due in n days", so
the same records always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.rems import (
    FILING_DEADLINE_DAYS,
    NOT_RECORDED,
    BloodPressureAt,
    DoseChoice,
    RemsForm,
    missing_fields,
)
from ketalog.reports.base import (
    MARGIN,
    PAGE_SIZE,
    PageFrame,
    data_table,
    escape,
    render,
    stylesheet,
)
from ketalog.reports.inputs import REMS_FORM_TITLE, RemsFormDocument

TITLE = REMS_FORM_TITLE
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
QUESTION_WIDTH = 100 * mm
CHECKED, UNCHECKED = "☒", "☐"


def _day(value: date | None) -> str:
    return NOT_RECORDED if value is None else f"{value.day} {value:%b %Y}"


def _time(value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return NOT_RECORDED
    local = value.astimezone(tz)
    return f"{clock_text(value, tz)} ({local.day} {local:%b %Y})"


def _text(value: str | None) -> str:
    return value if value else NOT_RECORDED


def identity(form: RemsForm) -> str:
    """Whose form this is, printed on the page header."""
    treated = form.treatment_date.isoformat() if form.treatment_date else "not dosed"
    return (f"{form.patient_name} · MRN {form.mrn} · born {form.birth_date.isoformat()} · "
            f"esketamine {treated}")


def _section(title: str, rows: Sequence[tuple[str, str]]) -> Table:
    """A titled block of question and answer lines."""
    table = data_table([title, ""], [list(r) for r in rows],
                       [QUESTION_WIDTH, FRAME_WIDTH - QUESTION_WIDTH])
    table.setStyle(TableStyle([("SPAN", (0, 0), (-1, 0))]))
    return table


def _dose(form: RemsForm) -> str:
    choice = form.dose_choice
    if choice is None or form.dose_mg is None:
        return NOT_RECORDED
    boxes = []
    for option in DoseChoice:
        mark = CHECKED if option is choice else UNCHECKED
        label = option.value
        if option is DoseChoice.OTHER and choice is DoseChoice.OTHER:
            label = f"other: {format(form.dose_mg.normalize(), 'f')} mg"
        boxes.append(f"{mark} {label}")
    devices = ""
    if form.device_count is not None:
        devices = f" ({form.device_count} device{'s' if form.device_count != 1 else ''})"
    return "   ".join(boxes) + devices


def _yes_no_boxes(value: bool | None) -> str:
    if value is None:
        return NOT_RECORDED
    return (f"{CHECKED if value else UNCHECKED} Yes   "
            f"{UNCHECKED if value else CHECKED} No")


def _vitals_table(form: RemsForm, tz: ZoneInfo) -> Table:
    def line(label: str, bp: BloodPressureAt | None, acceptable: str) -> list[str]:
        if bp is None:
            return [label, NOT_RECORDED, "", "", acceptable]
        after = bp.minutes_after_first_device
        minutes = "" if after is None else (
            f"{after} min" if after >= 0 else f"{-after} min before")
        return [label, f"{bp.text} mmHg", clock_text(bp.taken_at_utc, tz),
                minutes, acceptable]

    rows = [
        line("Before dosing", form.bp_before_dosing,
             _yes_no_boxes(form.vitals_acceptable_before_dosing)),
        line("At about 40 minutes", form.bp_at_40_min, "—"),
        line("Before completion of monitoring", form.bp_before_completion,
             _yes_no_boxes(form.vitals_acceptable_before_completion)),
    ]
    widths = [50 * mm, 30 * mm, 16 * mm, 30 * mm]
    widths.append(FRAME_WIDTH - sum(widths))
    return data_table(["Vital signs", "Blood pressure", "Time", "After first device",
                       "Vital signs in acceptable range"], rows, widths)


def _filing(data: RemsFormDocument) -> list[tuple[str, str]]:
    form = data.form
    due = form.due_on
    rows = [(f"File within {FILING_DEADLINE_DAYS} days of treatment, by", _day(due))]
    if data.filed_at_utc is not None:
        local = data.filed_at_utc.astimezone(data.tz)
        rows.append(("Filed", f"{_day(local.date())} {local:%H:%M} by {data.filed_by or ''}"))
        rows.append(("REMS confirmation number", _text(data.confirmation)))
    else:
        rows.append(("Filed", "not filed yet"))
    return rows


def flowables(data: RemsFormDocument) -> list[Flowable]:
    """The form's blocks in the REMS form's order."""
    form, tz = data.form, data.tz
    sheet = stylesheet()
    gap = Spacer(1, 2.5 * mm)
    out: list[Flowable] = [
        Paragraph(escape(TITLE), sheet["title"]),
        Paragraph(escape(f"Intranasal esketamine, session {form.session_id}. Filled from the "
                         "session record; answers not recorded are marked so."), sheet["body"]),
        gap,
        _section("Patient", [
            ("Patient name", form.patient_name),
            ("Date of birth", _day(form.birth_date)),
            ("First treatment with Spravato", _yes_no_boxes(form.first_treatment)),
        ]),
        gap,
        _section("Concomitant medications (from the eligibility screening)", [
            ("Benzodiazepines", _yes_no_boxes(form.takes_benzodiazepine)),
            ("Non-benzodiazepine sedative hypnotics", _yes_no_boxes(form.takes_sedative_hypnotic)),
            ("Psychostimulants", _yes_no_boxes(form.takes_psychostimulant)),
            ("Monoamine oxidase inhibitors (MAOIs)", _yes_no_boxes(form.takes_maoi)),
            ("Opioids", _yes_no_boxes(form.takes_opioid)),
        ]),
        gap,
        _section("Treatment", [
            ("Treatment date", _day(form.treatment_date)),
            ("Dose", _dose(form)),
            ("Lot number", _text(form.lot_number)),
            ("First device given at", _time(form.first_device_at_utc, tz)),
            ("End of monitoring", _time(form.monitoring_ended_at_utc, tz)),
            ("Total minutes from first device to end of monitoring",
             NOT_RECORDED if form.monitoring_minutes is None
             else f"{form.monitoring_minutes} min"),
            ("Patient would have been ready to leave at", _time(form.ready_to_leave_at_utc, tz)),
        ]),
        gap,
        _vitals_table(form, tz),
        gap,
        _section("Observed during monitoring", [
            ("Sedation", _yes_no_boxes(form.sedation_observed)),
            ("Dissociation", _yes_no_boxes(form.dissociation_observed)),
            ("Respiratory depression", _yes_no_boxes(form.respiratory_depression_observed)),
        ]),
        gap,
        _section("Monitoring", [
            ("Monitoring provider", _text(form.monitoring_provider)),
            ("Healthcare setting", _text(form.setting)),
        ]),
        gap,
        _section("Filing with the REMS", _filing(data)),
    ]
    missing = missing_fields(form)
    if missing:
        out.append(gap)
        out.append(_missing_box(missing, filed=data.filed_at_utc is not None))
    return out


def _missing_box(missing: Sequence[str], *, filed: bool) -> Flowable:
    """The gaps, boxed, so nobody files the form without seeing them."""
    sheet = stylesheet()
    advice = ("" if filed else
              " Complete the session record before filing, or explain on the REMS form.")
    text = "<b>Not recorded:</b> " + escape("; ".join(missing) + "." + advice)
    box = Table([[Paragraph(text, sheet["cell"])]], colWidths=[FRAME_WIDTH])
    commands: list[tuple[Any, ...]] = [
        ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
        ("BACKGROUND", (0, 0), (-1, -1), colors.Color(0.92, 0.92, 0.92)),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    box.setStyle(TableStyle(commands))
    return box


def build_rems_form_pdf(data: RemsFormDocument) -> bytes:
    """The monitoring form as PDF bytes (one page).

    Raises:
        ReportError: the document could not be laid out.
    """
    frame = PageFrame(data.clinic, TITLE, identity(data.form), draft=False)
    return render(flowables(data), frame)
