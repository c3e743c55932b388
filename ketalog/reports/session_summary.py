"""The session summary: the chart copy of one infusion session, for a physician to sign.

It must be complete and exact on paper in black and white: every recorded
vital value (readings entered in error stay visible, marked as such), the dose
working verbatim, every timed event, and alerts marked with text and bold
shaded rows rather than colour. Until a physician signs, every page carries
"DRAFT - not signed".

Big tables use plain strings (one reportlab string cell is far cheaper than a
Paragraph) and only cells that need wrapping become Paragraphs. Table rows
cannot split across pages, so a free text too long for a cell is printed in
full under its table and the cell refers to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ketalog.domain.clinic_time import moment_text, zone_note
from ketalog.domain.errors import ValidationError
from ketalog.domain.infusion import InfusionProgress, PumpEvent, delivered_as_of, duration_text
from ketalog.domain.scales import ScaleDefinition, get_scale
from ketalog.domain.session_state import SessionState
from ketalog.domain.values import format_decimal, printed_name
from ketalog.reports.base import (
    FONT,
    FONT_BOLD,
    FONT_ITALIC,
    MARGIN,
    PAGE_SIZE,
    PageFrame,
    escape,
    local_time,
    render,
    struck_markup,
    stylesheet,
    void_words,
)
from ketalog.reports.charts import ALERT_MARK, infusion_intervals, vitals_trend_chart
from ketalog.reports.inputs import (
    SESSION_SUMMARY_TITLE,
    AddendumBlock,
    DoseOrderView,
    ScoreRow,
    SessionDetail,
    SessionSummaryData,
    SignatureBlock,
    VitalRow,
)

TITLE = SESSION_SUMMARY_TITLE
FRAME_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
#: A free text longer than this is printed under its table instead of in the cell.
LONG_CELL_CHARS = 360
TABLE_FONT_SIZE = 7.5
SHADE = colors.Color(0.9, 0.9, 0.9)
HEADER_SHADE = colors.Color(0.85, 0.85, 0.85)

ALERT_LABELS = {
    "predose_bp_high": "pre-dose BP high",
    "sbp_high": "SBP high",
    "dbp_high": "DBP high",
    "hr_low": "HR low",
    "hr_high": "HR high",
    "spo2_low": "SpO2 low",
    "rr_low": "RR low",
}
STATE_LABELS = {
    "scheduled": "scheduled", "checked_in": "checked in", "infusing": "infusing",
    "paused": "infusion paused", "recovering": "recovering",
    "discharged": "discharged, awaiting physician signature", "signed": "signed",
    "cancelled": "cancelled", "stopped_early": "infusion stopped early",
}
EVENT_LABELS = {
    "start": "Infusion started", "pause": "Paused", "resume": "Resumed",
    "rate_change": "Rate changed", "stop": "Stopped (complete)",
    "stop_early": "STOPPED EARLY",
}
FLAG_LABELS = {
    "sedation": "Sedation", "dissociation": "Dissociation",
    "respiratory_depression": "Respiratory depression",
}
NOTE_LABELS = {"recovery": "Recovery note", "nursing": "Nursing note",
               "observation": "Observation note"}
LIMIT_LABELS = {
    "within": "within protocol limits",
    "below_warning": "below the protocol's warning range (confirmed when ordered)",
    "above_warning": "above the protocol's warning range (confirmed when ordered)",
    "above_maximum": "ABOVE THE PROTOCOL MAXIMUM (physician override)",
    # the weight, the total or the duration was unusual (issue 16): what, in the audit trail
    "outside_warning": "unusual weight, total or duration (confirmed when ordered)",
    "beyond_hard_limit": "BEYOND A PROTOCOL LIMIT: total or duration (physician override)",
}
_VITAL_FIXED = [11 * mm, 15 * mm, 16 * mm, 10 * mm, 10 * mm, 10 * mm, 10 * mm, 12 * mm, 10 * mm]
VITAL_WIDTHS = [*_VITAL_FIXED, FRAME_WIDTH - sum(_VITAL_FIXED)]
MODE_LABELS = {"weight": "weight-based infusion", "rate": "rate-based infusion",
               "im_weight": "weight-based IM injection", "device": "nasal spray devices"}


# --- shared helpers (the visit report uses them too) -------------------------------------


def plain_decimal(value: Decimal | None, unit: str = "") -> str:
    """A stored decimal exactly as stored, without exponent or trailing zeros ("3.17 mL")."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return f"{text} {unit}".strip()


def exact_decimal(value: Decimal, places: int = 6) -> str:
    """A stored value in full, or its first ``places`` decimals and "..." when it repeats."""
    text = format(value.normalize(), "f")
    whole, _dot, fraction = text.partition(".")
    if len(fraction) <= places:
        return text
    return f"{whole}.{fraction[:places]}..."


def mg_text(value: Decimal) -> str:
    """Milligrams to 0.1 mg, "40 mg" rather than "40.0 mg"."""
    text = format_decimal(value, 1)
    return (text[:-2] if text.endswith(".0") else text) + " mg"


def identity_line(detail: SessionDetail, tz: ZoneInfo, label: str = "session",
                  at: datetime | None = None) -> str:
    """Whose document this is, printed on every page (``at``: the day to print, if not booked)."""
    day = (at or detail.scheduled_at_utc).astimezone(tz).strftime("%Y-%m-%d")
    return (f"{detail.patient_name} · MRN {detail.mrn} · born "
            f"{detail.birth_date.isoformat()} · {label} {day}")


def infusion_stopped(detail: SessionDetail, as_of: datetime | None = None) -> bool:
    """The pump log (up to ``as_of``, when given) ends with a stop (complete or early)."""
    events = sorted((e for e in detail.infusion_events if as_of is None or e.at_utc <= as_of),
                    key=lambda e: e.at_utc)
    return bool(events) and events[-1].kind in ("stop", "stop_early")


def delivered(detail: SessionDetail, as_of: datetime) -> InfusionProgress | None:
    """The drug the pump log had delivered by ``as_of`` (the printing moment).

    Only events that had happened by then count, and a running infusion is
    integrated up to that moment: never to a planned or scheduled end.
    """
    if detail.dose is None:
        return None
    return delivered_as_of([PumpEvent(e.kind, e.at_utc, e.rate_ml_per_h)
                            for e in detail.infusion_events],
                           total_mg=detail.dose.total_mg,
                           bag_volume_ml=detail.dose.bag_volume_ml,
                           planned_rate_ml_per_h=detail.dose.rate_ml_per_h, as_of=as_of)


def in_progress_text(detail: SessionDetail, as_of: datetime, tz: ZoneInfo) -> str | None:
    """"Infusion in progress at 09:13: 10 mg of 40 mg delivered so far" (None once stopped).

    Printed wherever a document is produced before the stop, so no page can be
    read as the full dose having been given.
    """
    dose = detail.dose
    progress = delivered(detail, as_of)
    if (progress is None or dose is None or infusion_stopped(detail, as_of)
            or dose.bag_volume_ml is None or dose.bag_volume_ml <= 0):
        return None
    day = detail.scheduled_at_utc.astimezone(tz).date()
    when = moment_text(as_of, tz, day=day)
    return (f"Infusion in progress at {when}: {mg_text(progress.delivered_mg)} of "
            f"{mg_text(dose.total_mg)} delivered so far")


#: A tab in written text moves to the next multiple of this many characters.
TAB_STOP_CHARS = 4
_SPACE_RUN = re.compile(r"(^ +)|(?<= ) +", re.MULTILINE)


def as_written(text: str) -> str:
    """Written text with its tabs as spaces to the next tab stop, and one kind of line break.

    A Paragraph would fold a tab or a run of spaces into one space, so the layout a
    nurse typed ("BP<tab>150/90") would not be what is printed.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.expandtabs(TAB_STOP_CHARS) for line in lines)


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of plain text printed as written: tabs, runs of spaces, line breaks kept.

    The spaces after the first of a run, and any at a line's start, are
    non-breaking, so they print; a line still wraps at a run's first space.
    """
    kept = _SPACE_RUN.sub(lambda m: "\u00a0" * len(m.group(0)), as_written(text))
    return Paragraph(escape(kept).replace("\n", "<br/>"), style)


def fits(text: str, width: float, font: str = FONT, size: float = 8) -> bool:
    """The text fits on one line of a cell ``width`` wide (padding allowed for)."""
    return "\n" not in text and stringWidth(text, font, size) <= width - 6


def wrapped(text: str, width: float, style: ParagraphStyle) -> Any:
    """A plain string when it fits the cell (much cheaper), else a wrapping Paragraph."""
    text = as_written(text)
    return text if fits(text, width, style.fontName, style.fontSize) else para(text, style)


class _SparseTable(Table):
    """A Table that skips drawing empty cells (a third of a vitals grid is blank).

    If a reportlab release renames the hook, this falls back to drawing every
    cell: slower, never wrong.
    """

    def _drawCell(self, cellval: Any, cellstyle: Any, pos: Any, size: Any) -> None:
        if isinstance(cellval, str) and not cellval:
            return
        super()._drawCell(cellval, cellstyle, pos, size)


def fast_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    col_widths: Sequence[float],
    *,
    emphasised_rows: Sequence[int] = (),
    muted_rows: Sequence[int] = (),
    font_size: float = TABLE_FONT_SIZE,
) -> Table:
    """A grid of plain strings (Flowables allowed) whose header repeats on every page.

    Strings are not wrapped (a line break starts a new line), so pass a Paragraph
    for free text. Emphasis is bold + shading, muted rows are italic: both read
    without colour.
    """
    leading = font_size + 1.6
    table = _SparseTable([list(header), *(list(r) for r in rows)],
                         colWidths=list(col_widths), repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, font_size, leading),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, font_size, leading),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_SHADE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
    ]
    for index in emphasised_rows:
        commands += [("FONT", (0, index + 1), (-1, index + 1), FONT_BOLD, font_size, leading),
                     ("BACKGROUND", (0, index + 1), (-1, index + 1), SHADE)]
    for index in muted_rows:
        commands.append(("FONT", (0, index + 1), (-1, index + 1), FONT_ITALIC, font_size,
                         leading))
    table.setStyle(TableStyle(commands))
    return table


def facts_table(rows: Sequence[tuple[str, Any]], sheet: StyleSheet1,
                label_width: float = 42 * mm) -> Table:
    """Label / value pairs; values wrap."""
    value_width = FRAME_WIDTH - label_width
    body = [[label, value if isinstance(value, Flowable)
             else wrapped(str(value), value_width, sheet["cell"])]
            for label, value in rows]
    table = Table(body, colWidths=[label_width, FRAME_WIDTH - label_width])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 8, 9.5),
        ("FONT", (0, 0), (0, -1), FONT_BOLD, 8, 9.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.Color(0.6, 0.6, 0.6)),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.8),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def scale_or_none(code: str) -> ScaleDefinition | None:
    """The scale definition, or None for a code this version does not know."""
    try:
        return get_scale(code)
    except ValidationError:
        return None


# --- the document ------------------------------------------------------------------------


class _SessionSummary:
    """Builds the flowables of one session summary from its plain data."""

    def __init__(self, data: SessionSummaryData) -> None:
        self.data = data
        self.d: SessionDetail = data.detail
        self.tz = data.tz
        self.sheet = stylesheet()
        self.tcell = ParagraphStyle("tcell", parent=self.sheet["cell"], fontSize=TABLE_FONT_SIZE,
                                    leading=TABLE_FONT_SIZE + 1.6)
        self.tcell_bold = ParagraphStyle("tcell_bold", parent=self.tcell, fontName=FONT_BOLD)
        self.tcell_italic = ParagraphStyle("tcell_italic", parent=self.tcell,
                                           fontName=FONT_ITALIC)
        self.day = self.d.scheduled_at_utc.astimezone(self.tz).date()
        self.as_of = data.as_of_utc
        self.intervals = infusion_intervals(self.d.infusion_events, self.as_of)
        self._refs: list[tuple[str, str]] = []  # long cell texts printed under their table
        self._ref_count = 0

    # time formats ----------------------------------------------------------------------

    def t(self, value: datetime | None) -> str:
        """A time in a row: "09:05", with the date when it is not the session's day."""
        if value is None:
            return ""
        return moment_text(value, self.tz, day=self.day)

    def tc(self, value: datetime | None) -> str:
        """A time in a narrow table cell: the date, when needed, goes on a line above."""
        if value is None:
            return ""
        text = moment_text(value, self.tz, day=self.day, date_format="%d %b\n")
        # a zone mark (daylight-saving day) goes on its own line, as the date does
        time_part, _, zone = text.rpartition(" ")
        return f"{time_part}\n{zone}" if time_part and zone.isalpha() else text

    def stamp(self, value: datetime | None) -> str:
        """A time standing alone: date, time and zone abbreviation."""
        return local_time(value, self.tz, "%Y-%m-%d %H:%M %Z")

    # small building blocks --------------------------------------------------------------

    def p(self, text: str, style: str = "body") -> Paragraph:
        return para(text, self.sheet[style])

    def h2(self, text: str) -> Paragraph:
        style = self.sheet["h2"]
        heading = Paragraph(escape(text), style)
        heading.keepWithNext = True
        return heading

    def h3(self, text: str) -> Paragraph:
        heading = Paragraph(escape(text), self.sheet["h3"])
        heading.keepWithNext = True
        return heading

    def cell(self, text: str, width: float, *, bold: bool = False, italic: bool = False,
             ref_label: str = "") -> Any:
        """Free text for a table cell ``width`` wide; very long text moves under the table."""
        if not text:
            return ""
        if len(text) > LONG_CELL_CHARS:
            self._ref_count += 1
            ref = f"[{self._ref_count}]"
            self._refs.append((f"{ref} {ref_label}".strip(), text))
            text = f"{text[:120].rstrip()}… (continued in full as {ref} below the table)"
        style = self.tcell_bold if bold else self.tcell_italic if italic else self.tcell
        return wrapped(text, width, style)

    def struck(self, text: str, *, small: bool = True) -> Any:
        """A value entered in error: struck through, still legible ("" stays empty)."""
        if not text:
            return ""
        return Paragraph(struck_markup(text), self.tcell if small else self.sheet["body"])

    def struck_row(self, cells: Sequence[Any]) -> list[Any]:
        """A table row of an entry entered in error: every plain text cell struck through."""
        return [self.struck(c) if isinstance(c, str) else c for c in cells]

    def void_cell(self, mark: Any, text: str, width: float, ref_label: str = "") -> Any:
        """The last cell of a row entered in error: who marked it, when, why; then the text."""
        words = void_words(mark, self.tz) + (f". Was: {text}" if text else "")
        return self.cell(words, width, italic=True, ref_label=ref_label)

    def flush_refs(self, out: list[Flowable]) -> None:
        for label, text in self._refs:
            out.append(self.p(label, "h3"))
            out.append(self.p(text))
        self._refs = []

    # the sections ----------------------------------------------------------------------

    def flowables(self) -> list[Flowable]:
        out: list[Flowable] = []
        for section in (self.header, self.dose, self.infusion, self.vitals, self.trend,
                        self.scales, self.events, self.discharge, self.notes, self.signatures,
                        self.addenda):
            section(out)
        return out

    def header(self, out: list[Flowable]) -> None:
        d = self.d
        out.append(self.p(f"{TITLE}: {d.patient_name}", "title"))
        out.append(self.p(f"All times are clinic time ({zone_note(self.day, self.tz)}).",
                          "small"))
        out.append(Spacer(1, 2 * mm))
        number = (f"infusion {d.sequence_number} of {d.planned_infusions}"
                  if d.sequence_number is not None
                  else f"{d.planned_infusions} infusions planned (number not assigned)")
        state = STATE_LABELS.get(d.state, d.state)
        if self.data.signature_warning:  # never "signed" when the signature does not hold
            state = self.data.signature_warning
        if d.state_reason:
            state += f" - reason: {d.state_reason}"
        running = in_progress_text(d, self.as_of, self.tz)
        if running:
            state += f". {running}."
        checklist = "; ".join(
            f"{label}: {'yes' if done else 'NO'}" for label, done in (
                ("identity confirmed", d.identity_confirmed),
                ("consent on file", d.consent_on_file), ("fasting (NPO)", d.npo_confirmed))
        )
        rows: list[tuple[str, Any]] = [
            ("Patient", f"{d.patient_name}, MRN {d.mrn}, born {d.birth_date.isoformat()}"),
            ("Indication", d.indication),
            ("Course", number),
            ("Protocol", f"{d.protocol_name} ({d.protocol_code})"),
            ("Session", f"{self.day.isoformat()} at {d.chair}; scheduled "
                        f"{self.t(d.scheduled_at_utc)}"
                        + (f"; checked in {self.t(d.checked_in_at_utc)}"
                           if d.checked_in_at_utc else "; not checked in")),
            ("Status", state),
            ("Pre-infusion checklist", checklist),
        ]
        if d.predose_bp_ack_at_utc is not None:
            rows.append(("Pre-dose BP", "high pre-dose blood pressure acknowledged by the "
                                        f"physician at {self.t(d.predose_bp_ack_at_utc)}"))
        out.append(facts_table(rows, self.sheet))

    def _double_check(self, dose: Any) -> str:
        """Who checked the dose, and whether blind: their own figures, matched (0015)."""
        if not dose.verified_by_name:
            return "NOT VERIFIED"
        text = f"{dose.verified_by_name} at {self.t(dose.verified_at_utc)}"
        if dose.verifier_total_mg is None:
            return text + " (checked against the figures on screen, before blind checks)"
        figures = plain_decimal(dose.verifier_total_mg, "mg")
        if dose.verifier_rate_ml_per_h is not None:
            figures += ", " + plain_decimal(dose.verifier_rate_ml_per_h, "mL/h")
        return text + f"; independent double check: own figures ({figures}) matched"

    def dose(self, out: list[Flowable]) -> None:
        out.append(self.h2("Dose"))
        dose = self.d.dose
        if dose is None:
            out.append(self.p("No dose was ordered."))
            return
        rows: list[tuple[str, Any]] = [
            ("Drug and route", f"{dose.drug}, {dose.route.upper()} "
                               f"({MODE_LABELS.get(dose.dosing_mode, dose.dosing_mode)})"),
        ]
        if dose.weight_kg is not None:
            measured = (f", measured {dose.weight_measured_on.isoformat()}"
                        if dose.weight_measured_on else ", date of weighing not recorded")
            rows.append(("Weight used", f"{plain_decimal(dose.weight_kg, 'kg')} "
                                        f"({dose.weight_basis or 'actual'} body weight{measured})"))
        amounts, exact_notes = self._dose_amounts(dose)
        rows += amounts
        rows.append(("Limit check", LIMIT_LABELS.get(dose.limit_level, dose.limit_level)))
        if dose.override_reason:
            rows.append(("Override reason", para(dose.override_reason, self.sheet["cell_bold"])))
        rows.append(("Lot number", dose.lot_number or "not recorded"))
        order = self.order_text()
        if order:
            rows.append(("Physician's order", para(order, self.sheet["cell"])))
        rows.append(("Prepared by", dose.prepared_by_name))
        rows.append(("Verified by", self._double_check(dose)))
        out.append(facts_table(rows, self.sheet))
        out.extend(self.p(note, "small") for note in exact_notes)
        out.append(self.h3("Dose working (as calculated and recorded)"))
        if dose.working:
            out.extend(self.p(line, "mono") for line in dose.working)
        else:
            out.append(self.p("No working recorded."))

    def order_text(self) -> str:
        """The physician's order the dose followed, as true at printing (0016)."""
        followed = self.data.physician_order
        if followed is None:
            return ""
        if followed.override_by_name is not None:
            return (f"above the protocol maximum: ordered by the override of "
                    f"{followed.override_by_name} (reason above)")
        view = followed.view
        if view is None:
            if followed.problems:
                return "NOT VALID: " + "; ".join(followed.problems)
            return "none (a course opened before physicians' orders were recorded)"
        when = self.stamp(view.ordered_at_utc)
        if view.kind == "standing":
            text = f"standing order by {view.physician_name}, {when}: {view.order.describe()}"
            if not followed.problems:
                text += "; signed with the physician's key"
        else:
            text = (f"verbal order by {view.physician_name}, {when}: {view.order.describe()}; "
                    f"received and read back by {view.received_by_name}; ")
            text += (f"co-signed by {view.physician_name} {self.stamp(view.cosigned_at_utc)}"
                     if view.cosigned_at_utc is not None else "AWAITING CO-SIGNATURE")
        if followed.problems:
            text += ". SIGNATURE NOT VALID: " + "; ".join(followed.problems)
        return text

    def _dose_amounts(self, dose: DoseOrderView) -> tuple[list[tuple[str, Any]], list[str]]:
        """The dose's figures and the footnotes giving exact values.

        Computed figures are printed rounded as the working beside them rounds
        them (0.1 mg, 0.1 mL, 1 mL/h), so the table never says 62.5 mL/h
        where the working says 63; where the stored value differs, a numbered
        footnote gives it exactly. Entered values print as entered.
        """
        rows: list[tuple[str, Any]] = []
        notes: list[str] = []

        def computed(label: str, value: Decimal, places: int, unit: str) -> None:
            shown = format_decimal(value, places)
            if Decimal(shown) == value:
                rows.append((label, f"{shown} {unit}"))
                return
            mark = f"[{len(notes) + 1}]"
            rows.append((label, f"{shown} {unit} {mark}"))
            notes.append(f"{mark} {label} exactly {exact_decimal(value)} {unit}; printed "
                         f"rounded to {format_decimal(Decimal(1).scaleb(-places), places)} "
                         f"{unit}, as in the working.")

        if dose.dose_mg_per_kg is not None:
            rows.append(("Dose", plain_decimal(dose.dose_mg_per_kg, "mg/kg")))
        if dose.rate_mg_per_kg_per_h is not None:
            rows.append(("Dose rate", plain_decimal(dose.rate_mg_per_kg_per_h, "mg/kg/h")))
        if dose.device_count is not None:
            rows.append(("Devices", str(dose.device_count)))
        computed("Total dose", dose.total_mg, 1, "mg")
        if dose.concentration_mg_per_ml is not None:
            rows.append(("Concentration", plain_decimal(dose.concentration_mg_per_ml, "mg/mL")))
        if dose.drug_volume_ml is not None:
            computed("Drug volume", dose.drug_volume_ml, 1, "mL")
        if dose.bag_volume_ml is not None:
            rows.append(("Bag volume", plain_decimal(dose.bag_volume_ml, "mL")))
        if dose.rate_ml_per_h is not None:
            computed("Pump rate", dose.rate_ml_per_h, 0, "mL/h")
        if dose.duration_min is not None:
            rows.append(("Duration", f"{dose.duration_min} min"))
        return rows, notes

    def infusion(self, out: list[Flowable]) -> None:
        d = self.d
        out.append(self.h2("Infusion"))
        if not d.infusion_events:
            out.append(self.p("The dose was not started."
                              + (f" Reason: {d.state_reason}" if d.state == SessionState.CANCELLED
                                 and d.state_reason else "")))
            return
        rows = []
        emphasised = []
        widths = [24 * mm, 34 * mm, 20 * mm, FRAME_WIDTH - 78 * mm]
        for index, e in enumerate(d.infusion_events):
            if e.kind == "stop_early":
                emphasised.append(index)
            rows.append([self.tc(e.at_utc), EVENT_LABELS.get(e.kind, e.kind),
                         plain_decimal(e.rate_ml_per_h),
                         self.cell(e.detail, widths[3], bold=e.kind == "stop_early",
                                   ref_label=f"reason, {self.t(e.at_utc)}")])
        out.append(fast_table(["Time", "Event", "Rate mL/h", "Reason"], rows, widths,
                              emphasised_rows=emphasised))
        self.flush_refs(out)
        progress = delivered(d, self.as_of)
        if progress is None or d.dose is None:
            return
        ordered = d.dose.total_mg
        if d.dose.bag_volume_ml is None or d.dose.bag_volume_ml <= 0:
            text = (f"Single dose given at {self.t(d.dose_started_at_utc)}: "
                    f"{mg_text(progress.delivered_mg)} of {plain_decimal(ordered, 'mg')} ordered.")
        else:
            running = in_progress_text(d, self.as_of, self.tz)
            share = (progress.delivered_mg / ordered * 100) if ordered else Decimal(0)
            paused_min = sum(((s.end or s.start) - s.start).total_seconds() / 60
                             for s in self.intervals.paused)
            text = (f"{running}. " if running else "") + (
                f"Running time {progress.elapsed_display}"
                + (f" (planned {d.dose.duration_min} min)" if d.dose.duration_min else "")
                + f"; paused {duration_text(Decimal(str(paused_min)))} in total. "
                f"Delivered by the pump log: {progress.delivered_mg_display} "
                f"({plain_decimal(progress.delivered_ml.quantize(Decimal('0.1')), 'mL')}) "
                f"of {plain_decimal(ordered, 'mg')} ordered "
                f"({format_decimal(share, 0)} %)" + (" so far." if running else "."))
        out.append(Spacer(1, 1.5 * mm))
        out.append(self.p(text, "cell_bold"))

    def vitals(self, out: list[Flowable]) -> None:
        d = self.d
        out.append(self.h2("Vital signs"))
        if not d.vitals:
            out.append(self.p("No vital signs were recorded."))
            return
        rows: list[list[Any]] = []
        emphasised: list[int] = []
        muted: list[int] = []
        started = d.dose_started_at_utc
        for index, v in enumerate(d.vitals):
            row = self._vital_row(v, self.intervals.phase_at(v.taken_at_utc, started))
            rows.append(self.struck_row(row[:-1]) + row[-1:] if v.voided else row)
            if v.voided:
                muted.append(index)
            elif v.alert_codes:
                emphasised.append(index)
        header = ["Time", "Phase", "BP\nmmHg", "HR\n/min", "SpO2\n%", "RR\n/min", "Temp\n°C",
                  "EtCO2\nmmHg", "Pain\n0-10", "Alerts and action taken"]
        alerts = len(emphasised)
        summary = (f"{len(d.vitals) - len(muted)} readings"
                   + (f" ({len(muted)} more entered in error, struck through)" if muted else "")
                   + (f"; {alerts} with an alert ({ALERT_MARK} ALERT, bold shaded rows)."
                      if alerts else "; no alerts."))
        out.append(self.p(summary, "small"))
        out.append(Spacer(1, 1 * mm))
        out.append(fast_table(header, rows, VITAL_WIDTHS, emphasised_rows=emphasised,
                              muted_rows=muted))
        self.flush_refs(out)

    def _vital_row(self, v: VitalRow, phase: str) -> list[Any]:
        def show(value: object) -> str:
            return "" if value is None else str(value)

        bp = ""
        if v.systolic_mmhg is not None or v.diastolic_mmhg is not None:
            bp = f"{show(v.systolic_mmhg) or '-'}/{show(v.diastolic_mmhg) or '-'}"
        temp = "" if v.temperature_c is None else format_decimal(v.temperature_c, 1)
        labels = ", ".join(ALERT_LABELS.get(c, c) for c in v.alert_codes)
        when = self.t(v.taken_at_utc)
        cell_time = self.tc(v.taken_at_utc)
        width = VITAL_WIDTHS[-1]
        if v.voided:
            text = (void_words(v.void, self.tz) if v.void is not None
                    else "ENTERED IN ERROR - not used") + (
                f" (alert was: {labels})" if labels else "")
            if v.action_note:
                text += f". Note: {v.action_note}"
            note: Any = self.cell(text, width, italic=True, ref_label=f"reading {when}")
        elif v.alert_codes:
            action = v.action_note or "NOT RECORDED"
            note = self.cell(f"{ALERT_MARK} ALERT: {labels}. Action: {action}", width,
                             bold=True, ref_label=f"reading {when}")
        else:
            note = self.cell(v.action_note or "", width, ref_label=f"reading {when}")
        return [cell_time, phase, bp, show(v.heart_rate_bpm), show(v.spo2_percent),
                show(v.resp_rate_per_min), temp, show(v.etco2_mmhg), show(v.pain_score), note]

    def _bagged(self) -> bool:
        dose = self.d.dose
        return dose is None or (dose.bag_volume_ml is not None and dose.bag_volume_ml > 0)

    def trend(self, out: list[Flowable]) -> None:
        d = self.d
        chart = vitals_trend_chart(d.vitals, d.scores, d.infusion_events, self.tz,
                                   width=FRAME_WIDTH, dose_started_at_utc=d.dose_started_at_utc,
                                   dose_ended_at_utc=d.dose_ended_at_utc,
                                   band_label="infusion" if self._bagged() else "dosing",
                                   as_of_utc=self.as_of)
        if chart is None:
            return
        out.append(KeepTogether([self.h3("Trend"), chart]))

    def scales(self, out: list[Flowable]) -> None:
        out.append(self.h2("Rating scales"))
        scores = [s for s in self.d.scores if s.scale != "aldrete"]
        if not scores:
            out.append(self.p("No rating scales were scored."))
            return
        single = [s for s in scores if len(s.item_scores) == 1]
        if single:
            rows = []
            for s in single:
                scale = scale_or_none(s.scale)
                name = scale.name if scale else s.scale
                meaning = ""
                if scale is not None:
                    meaning = scale.items[0].anchors.get(s.total, "") or (s.band or "")
                    value = f"{s.total} / {scale.max_total}"
                else:
                    value = str(s.total)
                widths = [24 * mm, 28 * mm, 18 * mm, FRAME_WIDTH - 70 * mm]
                row = [self.tc(s.taken_at_utc), name, value, meaning or (s.band or "")]
                if s.void is not None:
                    row = self.struck_row(row[:-1]) + [
                        self.void_cell(s.void, str(row[-1]), widths[-1])]
                rows.append(row)
            widths = [24 * mm, 28 * mm, 18 * mm, FRAME_WIDTH - 70 * mm]
            out.append(fast_table(["Time", "Scale", "Score", "Meaning"], rows, widths))
        groups: dict[str, list[ScoreRow]] = {}
        for s in scores:
            if len(s.item_scores) > 1:
                groups.setdefault(s.scale, []).append(s)
        for code, rows_of_scale in groups.items():
            for start in range(0, len(rows_of_scale), 8):
                self._scale_table(out, code, rows_of_scale[start:start + 8])

    def _scale_table(self, out: list[Flowable], code: str, taken: Sequence[ScoreRow]) -> None:
        scale = scale_or_none(code)
        name = scale.name if scale else code
        out.append(self.h3(name))
        count = max(len(s.item_scores) for s in taken)
        items = scale.items if scale and len(scale.items) == count else None
        col = 17 * mm
        widths = [FRAME_WIDTH - col * len(taken)] + [col] * len(taken)
        header = ["Item"] + [self.tc(s.taken_at_utc) for s in taken]
        rows: list[list[Any]] = []
        emphasised: list[int] = []
        warnings: list[str] = []
        for i in range(count):
            label = f"{items[i].number}. {items[i].text}" if items else f"Item {i + 1}"
            row: list[Any] = [wrapped(label, widths[0], self.tcell)]
            for s in taken:
                value = s.item_scores[i] if i < len(s.item_scores) else None
                text = "" if value is None else str(value)
                if code == "phq9" and items and items[i].number == 9 and value:
                    text = f"{ALERT_MARK} {value}"
                    warnings.append(f"{ALERT_MARK} PHQ-9 item 9 (thoughts of death or "
                                    f"self-harm) scored {value} at {self.t(s.taken_at_utc)}.")
                    if i not in emphasised:
                        emphasised.append(i)
                row.append(text)
            rows.append(row)
        maximum = f" / {scale.max_total}" if scale else ""
        rows.append(["Total"] + [f"{s.total}{maximum}" for s in taken])
        emphasised.append(len(rows) - 1)
        if any(s.band for s in taken):
            rows.append(["Severity"] + [s.band or "" for s in taken])
        in_error: list[Flowable] = []
        self._strike_columns(header, rows, taken, name, in_error)
        out.append(fast_table(header, rows, widths, emphasised_rows=emphasised))
        out.extend(in_error)
        for warning in warnings:
            out.append(self.p(warning, "cell_bold"))

    def _strike_columns(self, header: list[Any], rows: list[list[Any]],
                        taken: Sequence[ScoreRow], name: str, notes: list[Flowable]) -> None:
        """Columns of scores entered in error struck through, with who, when, why below."""
        for column, s in enumerate(taken, start=1):
            if s.void is None:
                continue
            header[column] = f"{header[column]}\n(in error)"
            for row in rows:
                if column < len(row) and isinstance(row[column], str):
                    row[column] = self.struck(row[column])
            notes.append(self.p(f"{name} of {self.t(s.taken_at_utc)}: "
                                f"{void_words(s.void, self.tz)}.", "cell"))

    def events(self, out: list[Flowable]) -> None:
        d = self.d
        out.append(self.h2("Events, interventions and adverse events"))
        out.append(self.h3("Event flags"))
        if d.event_flags:
            rows = []
            widths = [34 * mm, 22 * mm, 24 * mm, 16 * mm]
            widths.append(FRAME_WIDTH - sum(widths))
            for f in d.event_flags:
                resolved = self.tc(f.until_utc) if f.until_utc else "NOT RESOLVED"
                length = (duration_text(Decimal(str((f.until_utc - f.at_utc).total_seconds()))
                                        / 60) if f.until_utc else "")
                cells = [FLAG_LABELS.get(f.kind, f.kind), self.tc(f.at_utc), resolved, length]
                if f.void is not None:
                    rows.append(self.struck_row(cells) + [self.void_cell(
                        f.void, f.detail, widths[4], ref_label=f"event flag {self.t(f.at_utc)}")])
                    continue
                rows.append(cells + [self.cell(f.detail, widths[4],
                                               ref_label=f"event flag {self.t(f.at_utc)}")])
            out.append(fast_table(["Event", "Onset", "Resolved", "Lasted", "Note"], rows,
                                  widths))
            self.flush_refs(out)
        else:
            out.append(self.p("None recorded."))
        out.append(self.h3("Interventions"))
        if d.interventions:
            rows = []
            widths = [14 * mm, 30 * mm, 18 * mm, 12 * mm, 30 * mm]
            rest = (FRAME_WIDTH - sum(widths)) / 2
            widths += [rest, rest]
            for i in d.interventions:
                dose = f"{plain_decimal(i.dose)} {i.dose_unit or ''}".strip() if i.dose else ""
                if i.void is not None:
                    rows.append(self.struck_row([self.tc(i.given_at_utc), i.drug, dose,
                                                 i.route or "", i.given_by_name,
                                                 i.indication or ""])
                                + [self.void_cell(i.void, i.outcome or "", rest,
                                                  ref_label="outcome")])
                    continue
                rows.append([self.tc(i.given_at_utc), self.cell(i.drug, widths[1]), dose,
                             i.route or "", self.cell(i.given_by_name, widths[4]),
                             self.cell(i.indication or "", rest, ref_label="indication"),
                             self.cell(i.outcome or "", rest, ref_label="outcome")])
            out.append(fast_table(["Time", "Drug or action", "Dose", "Route", "Given by",
                                   "Indication", "Outcome"], rows, widths))
            self.flush_refs(out)
        else:
            out.append(self.p("None recorded."))
        out.append(self.h3("Adverse events"))
        if d.adverse_events:
            rows = []
            widths = [32 * mm, 16 * mm, 14 * mm, 20 * mm]
            rest = (FRAME_WIDTH - sum(widths)) / 2
            widths += [rest, rest]
            for a in d.adverse_events:
                if a.void is not None:
                    rows.append(self.struck_row([
                        a.kind, a.severity, self.tc(a.onset_at_utc),
                        self.tc(a.resolved_at_utc) if a.resolved_at_utc else "",
                        a.description or ""]) + [self.void_cell(
                            a.void, a.action_taken or "", rest, ref_label="action taken")])
                    continue
                rows.append([self.cell(a.kind, widths[0]), a.severity, self.tc(a.onset_at_utc),
                             self.tc(a.resolved_at_utc) if a.resolved_at_utc else "NOT RESOLVED",
                             self.cell(a.description or "", rest, ref_label="description"),
                             self.cell(a.action_taken or "", rest, ref_label="action taken")])
            out.append(fast_table(["Event", "Severity", "Onset", "Resolved", "Description",
                                   "Action taken"], rows, widths))
            self.flush_refs(out)
        else:
            out.append(self.p("None recorded."))

    def discharge(self, out: list[Flowable]) -> None:
        d = self.d
        out.append(self.h2("Recovery and discharge"))
        aldrete = [s for s in d.scores if s.scale == "aldrete"]
        if aldrete:
            scale = scale_or_none("aldrete")
            names = ([item.text for item in scale.items] if scale
                     else [f"Item {i + 1}" for i in range(5)])
            header = ["Modified Aldrete"] + [self.tc(s.taken_at_utc) for s in aldrete]
            rows: list[list[Any]] = []
            for i, label in enumerate(names):
                rows.append([label] + [str(s.item_scores[i]) if i < len(s.item_scores) else ""
                                       for s in aldrete])
            maximum = f" / {scale.max_total}" if scale else ""
            rows.append(["Total"] + [f"{s.total}{maximum}" for s in aldrete])
            col = 17 * mm
            widths = [FRAME_WIDTH - col * len(aldrete)] + [col] * len(aldrete)
            notes: list[Flowable] = []
            self._strike_columns(header, rows, aldrete, "Modified Aldrete", notes)
            out.append(fast_table(header, rows, widths, emphasised_rows=[len(rows) - 1]))
            out.extend(notes)
            out.append(Spacer(1, 1.5 * mm))
        else:
            out.append(self.p("Modified Aldrete: not scored."))
        rows2: list[tuple[str, Any]] = [
            ("Ready to leave", self.t(d.ready_to_leave_at_utc) or "not recorded"),
            ("Discharged", self.t(d.discharged_at_utc) or "not discharged"),
            ("Escort", d.escort_name or "none recorded"),
            ("Aftercare instructions",
             "given" if d.instructions_given else "NOT RECORDED AS GIVEN"),
        ]
        out.append(facts_table(rows2, self.sheet))

    def notes(self, out: list[Flowable]) -> None:
        out.append(self.h2("Notes"))
        if not self.d.notes:
            out.append(self.p("No notes were written."))
            return
        for note in self.d.notes:
            label = NOTE_LABELS.get(note.kind, f"{note.kind} note")
            heading = (f"{label}, {self.t(note.at_utc)}"
                       + (f" - {note.author_name}" if note.author_name else ""))
            if note.void is not None:
                out.append(self.h3(f"{heading} - {void_words(note.void, self.tz)}"))
                out.append(self.struck(note.text, small=False))
                continue
            out.append(self.h3(heading))
            out.append(self.p(note.text))

    def signatures(self, out: list[Flowable]) -> None:
        out.append(self.h2("Signatures"))
        if not self.data.signatures and self.d.state == SessionState.CANCELLED:
            reason = f" ({self.d.state_reason})" if self.d.state_reason else ""
            out.append(self.p(f"Cancelled before any dose{reason}: there is nothing for a "
                              "physician to sign.", "cell_bold"))
            return
        if not self.data.signatures:
            out.append(self.p("Not signed. This summary is a draft until a physician signs "
                              "the session.", "cell_bold"))
            return
        warning = self.data.signature_warning
        if warning:
            out.append(self.p(warning, "warning"))
            status = self.data.signature
            for line in status.findings if status is not None else ():
                out.append(self.p(f"- {line}", "cell"))
            out.append(Spacer(1, 2 * mm))
        for sig in self.data.signatures:
            out.append(KeepTogether([self._signature_block(sig), Spacer(1, 2 * mm)]))

    def _signature_block(self, sig: SignatureBlock) -> Table:
        name = printed_name(sig.signer_name, sig.credentials)
        kind = sig.kind.replace("_", " ")
        rows = [
            ("Signed by", name),
            ("Meaning", sig.meaning),
            ("Date and time", self.stamp(sig.signed_at_utc)),
            ("Signature", f"{kind} (electronic)"),
            ("Content SHA-256", sig.content_sha256),
        ]
        if self.data.signature_warning and sig.kind == "physician_signature":
            # the hash that was signed, never presented as if it still held
            rows[-1] = ("Signed SHA-256", f"{sig.content_sha256} (does NOT match the record "
                                          "as printed)")
        elif sig.kind == "physician_signature" and self.data.signature_notes:
            # valid, with what its reader should know: not keyed, or a key after a reset
            rows.append(("Note", "; ".join(self.data.signature_notes)))
        table = facts_table(rows, self.sheet, 32 * mm)
        table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black)]))
        return table

    def addenda(self, out: list[Flowable]) -> None:
        for addendum in self.data.addenda:
            out.extend(self._addendum(addendum))

    def _addendum(self, a: AddendumBlock) -> list[Flowable]:
        return [self.h2(f"Addendum {a.number}"),
                self.p(f"Written {self.stamp(a.written_at_utc)} by {a.author_name}.", "cell_bold"),
                self.p(f"Reason: {a.reason}", "cell"),
                Spacer(1, 1 * mm),
                self.p(a.text)]


def build_session_summary(data: SessionSummaryData) -> bytes:
    """The chart copy of one session as PDF bytes; a draft until a physician has signed.

    Raises:
        ReportError: the document could not be laid out.
    """
    flowables = _SessionSummary(data).flowables()
    frame = PageFrame(data.clinic, TITLE, identity_line(data.detail, data.tz),
                      # a cancelled session is closed with nothing to sign: no draft mark
                      draft=not data.signed and not data.signature_warning
                      and data.detail.state != SessionState.CANCELLED,
                      safety=data.safety.text, warning=data.signature_warning)
    return render(flowables, frame)
