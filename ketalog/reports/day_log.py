"""The day log: every session of one clinic day across chairs, on paper.

One row per session with what a charge nurse or physician checks at the end
of the day (who, which protocol, how much, when it ran, alerts, discharge,
signature), then totals. The page is A4 portrait (the shared page frame), so
the columns are compact and long names wrap inside their cell rather than
being cut short. Cells are plain strings wrapped here with the font's own
metrics instead of one Paragraph per cell: a 40-session day stays far below
the 250 ms target.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ketalog.domain.clinic_time import moment_text, zone_note
from ketalog.domain.session_state import DOSE_STARTED_STATES, STATE_LABELS, SessionState
from ketalog.reports.base import (
    FONT,
    FONT_BOLD,
    MARGIN,
    PAGE_SIZE,
    PageFrame,
    escape,
    local_time,
    register_fonts,
    render,
    stylesheet,
)
from ketalog.reports.inputs import DAY_LOG_TITLE, DayLogData, DayLogRow

TITLE = DAY_LOG_TITLE
NO_SESSIONS = "No sessions on this day."
SIGNED_TEXT = "\u2713 signed"
NOT_SIGNED_TEXT = "not signed"
CANCELLED_TEXT = "cancelled"  # in the signature column: nothing was given, nothing to sign
SO_FAR_TEXT = "so far"
NOT_VALID_TEXT = "\u26a0 NOT VALID"
ALERT_MARK = "\u26a0"
NONE_TEXT = "\u2014"  # em dash: nothing recorded

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

FONT_SIZE = 7.5
LEADING = 9.0
TOTALS_SIZE = 8.5
PAD = 1.1 * mm
BODY_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
HEADER_GREY = colors.Color(0.85, 0.85, 0.85)
# (header, width of the text inside the cell in mm, measured on the widest usual
# value at 7.5 pt); the protocol column takes what is left of the A4 portrait body.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("Chair", 10.4), ("Time", 7.9), ("Patient\nMRN", 27.0), ("Protocol", 0.0),
    ("Given\n(mg)", 10.2), ("Infusion\nstart\u2013stop", 16.7), ("Alerts", 9.0),
    ("Dis-\ncharged", 12.2), ("State", 15.0), ("Signed", 15.9),
)
PROTOCOL, DOSE, ALERTS, SIGNED = 3, 4, 6, 9


def _column_widths() -> list[float]:
    widths = [inner * mm + 2 * PAD for _, inner in COLUMNS]
    widths[PROTOCOL] = BODY_WIDTH - (sum(widths) - widths[PROTOCOL])
    return widths


def state_label(state: str) -> str:
    """A stored session state as people say it ("stopped_early" -> "Stopped early")."""
    return STATE_LABELS.get(state, state.replace("_", " ").capitalize())


def long_date(day: date) -> str:
    """"Saturday 21 November 2026", in English whatever the process locale."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def format_mg(value: Decimal | None) -> str:
    """A dose in mg rounded for display to 0.1 mg (the stored value stays exact)."""
    if value is None:
        return NONE_TEXT
    return str(value.quantize(Decimal("0.1"), ROUND_HALF_UP))


def given_text(row: DayLogRow) -> str:
    """What the pump log had delivered by the printing moment, as the "Given" cell shows it.

    "12.0 / of 30.0 / so far" while the infusion runs or is paused; "8.8 / of 35.0"
    for one stopped before the whole order ran; "—" when no dose was started.
    """
    if row.delivered_mg is None:
        return NONE_TEXT
    given = format_mg(row.delivered_mg)
    lines = [given]
    if row.total_mg is not None and (row.infusion_open or format_mg(row.total_mg) != given):
        lines.append(f"of {format_mg(row.total_mg)}")
    if row.infusion_open:
        lines.append(SO_FAR_TEXT)
    return "\n".join(lines)


def state_text(row: DayLogRow) -> str:
    """The state cell: "Cancelled: patient unwell" where a reason was recorded."""
    label = state_label(row.state)
    if row.state == SessionState.CANCELLED and row.state_reason:
        return f"{label}: {row.state_reason}"
    return label


def signed_text(row: DayLogRow) -> str:
    """The signature cell: a cancelled session has nothing to sign and says so."""
    if row.signature_warning:
        return NOT_VALID_TEXT
    if row.signed:
        return SIGNED_TEXT
    return CANCELLED_TEXT if row.state == SessionState.CANCELLED else NOT_SIGNED_TEXT


def wrap_text(text: str, width: float, font: str = FONT, size: float = FONT_SIZE) -> str:
    """Break ``text`` into lines no wider than ``width`` points, joined by newlines.

    Lines break at spaces, else after a hyphen ("Smith-" / "Wolcott"); a
    piece still wider than the cell (a long MRN) is broken between characters
    rather than running into the next column.
    """
    register_fonts()

    def fits(candidate: str) -> bool:
        return bool(stringWidth(candidate, font, size) <= width)

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            pieces = [p + "-" for p in word.split("-")]
            pieces[-1] = pieces[-1][:-1]
            for number, piece in enumerate(pieces):
                candidate = line + (" " if line and number == 0 else "") + piece
                if fits(candidate):
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                line = ""
                for char in piece:
                    if line and not fits(line + char):
                        lines.append(line)
                        line = ""
                    line += char
        lines.append(line)
    return "\n".join(lines)


def _identity(data: DayLogData) -> str:
    count = len(data.rows)
    noun = "session" if count == 1 else "sessions"
    return f"{TITLE} \u00b7 {long_date(data.day)} \u00b7 {count} {noun}"


def _dose_started(row: DayLogRow) -> bool:
    return row.dose_started_at_utc is not None or row.state in DOSE_STARTED_STATES


#: The pump is on (or paused): the infusion cell reads "09:10– running".
_RUNNING = (SessionState.INFUSING, SessionState.PAUSED)


def _awaiting_signature(row: DayLogRow) -> bool:
    return row.state == SessionState.DISCHARGED and not row.signed


def _cells(row: DayLogRow, data: DayLogData, widths: Sequence[float]) -> list[str]:
    start = local_time(row.dose_started_at_utc, data.tz)
    stop = local_time(row.dose_ended_at_utc, data.tz)
    if start and stop:
        infusion = f"{start}\u2013{stop}"
    elif start:
        infusion = f"{start}\u2013 running" if row.state in _RUNNING else start
    else:
        infusion = NONE_TEXT
    values = [
        row.chair, local_time(row.scheduled_at_utc, data.tz), f"{row.patient_name}\n{row.mrn}",
        row.protocol_name, given_text(row), infusion,
        f"{ALERT_MARK} {row.alert_count}" if row.alert_count > 0 else "0",
        local_time(row.discharged_at_utc, data.tz) or NONE_TEXT, state_text(row),
        signed_text(row),
    ]
    bold = {ALERTS} if row.alert_count > 0 else set()
    if _awaiting_signature(row) or row.signature_warning:
        bold.add(SIGNED)
    return [wrap_text(value, width - 2 * PAD, FONT_BOLD if column in bold else FONT)
            for column, (value, width) in enumerate(zip(values, widths, strict=True))]


def _sessions_table(data: DayLogData) -> Table:
    widths = _column_widths()
    header = [wrap_text(title, width - 2 * PAD, FONT_BOLD)
              for (title, _), width in zip(COLUMNS, widths, strict=True)]
    body: list[list[Any]] = [header]
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, FONT_SIZE, LEADING),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, FONT_SIZE, LEADING),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_GREY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("ALIGN", (DOSE, 1), (DOSE, -1), "RIGHT"),  # digits line up
        ("ALIGN", (ALERTS, 1), (ALERTS, -1), "RIGHT"),
    ]
    previous_chair: str | None = None
    for index, row in enumerate(data.rows, start=1):
        body.append(_cells(row, data, widths))
        if row.alert_count > 0:
            commands.append(("FONT", (ALERTS, index), (ALERTS, index), FONT_BOLD, FONT_SIZE,
                             LEADING))
        if _awaiting_signature(row):
            commands.append(("FONT", (SIGNED, index), (SIGNED, index), FONT_BOLD, FONT_SIZE,
                             LEADING))
        if previous_chair is not None and row.chair != previous_chair:
            # a heavier rule where the next chair starts, so each chair's day reads as a block
            commands.append(("LINEABOVE", (0, index), (-1, index), 1.4, colors.black))
        previous_chair = row.chair
    table = Table(body, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table


def _totals(data: DayLogData) -> list[Flowable]:
    sheet = stylesheet()
    rows = data.rows
    by_state = Counter(row.state for row in rows)
    order = list(STATE_LABELS) + sorted(set(by_state) - set(STATE_LABELS))
    state_text = ", ".join(f"{state_label(s)} {by_state[s]}" for s in order if by_state[s])
    # what the pump log had delivered by the printing moment, never what was ordered: a
    # running or paused infusion counts what has run so far, one never started nothing
    dosed = [row for row in rows if row.delivered_mg is not None]
    dosed_mg = sum((row.delivered_mg for row in dosed if row.delivered_mg is not None),
                   Decimal(0))
    running = [row for row in dosed if row.infusion_open]
    running_mg = sum((row.delivered_mg for row in running if row.delivered_mg is not None),
                     Decimal(0))
    awaiting = [row for row in rows if _awaiting_signature(row)]
    signed = sum(1 for row in rows if row.signed)
    not_valid = [row for row in rows if row.signature_warning]
    alerted = [row for row in rows if row.alert_count > 0]
    alert_total = sum(row.alert_count for row in alerted)

    def plural(count: int, noun: str) -> str:
        return f"{count} {noun}" + ("" if count == 1 else "s")

    lines = [
        ("Sessions", f"{len(rows)} ({state_text})"),
        ("Ketamine given", f"{format_mg(dosed_mg)} mg in {plural(len(dosed), 'session')} "
                           "whose dosing started" + (
                               f", {format_mg(running_mg)} mg of it {SO_FAR_TEXT} in "
                               f"{plural(len(running), 'infusion')} still running or paused"
                               if running else "")),
        ("Awaiting physician signature", f"{plural(len(awaiting), 'session')} (discharged, "
                                         "not signed)"),
        ("Signed", plural(signed, "session")),
        *([("SIGNATURE NOT VALID", plural(len(not_valid), "session") + ": " + "; ".join(
            f"{row.patient_name} ({row.chair}): "
            + row.signature_warning.removeprefix("SIGNATURE NOT VALID: ")
            for row in not_valid))] if not_valid else []),
        ("Vital-sign alerts", f"{plural(alert_total, 'alert')} in "
                              f"{plural(len(alerted), 'session')}"),
    ]
    label_width, value_width = 48 * mm, BODY_WIDTH - 48 * mm
    body = [[wrap_text(label, label_width - 2 * PAD, FONT_BOLD, TOTALS_SIZE),
             wrap_text(value, value_width - 2 * PAD, FONT, TOTALS_SIZE)]
            for label, value in lines]
    table = Table(body, colWidths=[label_width, value_width])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, TOTALS_SIZE, TOTALS_SIZE + 2),
        ("FONT", (0, 0), (0, -1), FONT_BOLD, TOTALS_SIZE, TOTALS_SIZE + 2),
        ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
        ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]))
    out: list[Flowable] = [KeepTogether([Paragraph("Totals", sheet["h2"]), table])]
    notes = [
        "Given: the mg the pump log had delivered by the printing moment, with the ordered mg "
        "(\u201cof\u201d) where that differs and \u201cso far\u201d while an infusion runs or is "
        "paused. Ketamine given adds these up: an infusion stopped early counts what ran, one "
        "still running what has run so far, a dose ordered but never started nothing.",
        "Times are the clinic's local time.",
    ]
    if running and data.as_of_utc is not None:
        notes.insert(1, f"{plural(len(running), 'infusion')} still in progress at "
                        f"{local_time(data.as_of_utc, data.tz)}: counted up to that moment.")
    if any(_dose_started(row) and row.total_mg is None and row.delivered_mg is None
           for row in rows):
        notes.append("Sessions dosed without a current dose order are not counted in the "
                     "total.")
    out.append(Spacer(1, 2 * mm))
    out.extend(Paragraph(escape(note), sheet["small"]) for note in notes)
    return out


def anchor_line(data: DayLogData) -> str:
    """The audit anchor as printed: ``Audit anchor: row N, hash abcd1234..., HH:MM``.

    On paper the anchor is out of reach of anyone who edits the database or
    the anchor file: a trail later cut short or recomputed no longer matches
    the printed row and hash. The date is added when the anchor is not of the
    logged day.
    """
    anchor = data.audit_anchor
    if anchor is None:
        return "Audit anchor: none taken yet (run 'ketalog audit verify')."
    when = moment_text(anchor.anchored_at_utc, data.tz, day=data.day)
    if anchor.last_row_id is None:
        return f"Audit anchor: empty trail, {when} ({anchor.reason})."
    return (f"Audit anchor: row {anchor.last_row_id}, hash {anchor.short_hash}..., {when} "
            f"({anchor.row_count} rows, {anchor.reason}).")


def build_day_log(data: DayLogData) -> bytes:
    """The day log PDF: a table of the day's sessions across chairs, then totals.

    Args:
        data: the day's sessions (from ``services.documents.day_log_data``).

    Returns:
        The PDF bytes; identical data gives identical bytes.
    """
    sheet = stylesheet()
    story: list[Flowable] = [
        Paragraph(escape(f"{TITLE} \u2013 {long_date(data.day)}"), sheet["title"]),
        Paragraph(escape(f"All times are clinic time ({zone_note(data.day, data.tz)})."),
                  sheet["small"]),
    ]
    if not data.rows:
        story.append(Spacer(1, 6 * mm))
        story.append(Paragraph(NO_SESSIONS, sheet["h2"]))
        story.append(Paragraph(
            "No session was booked at any chair for this date, so there is nothing to log.",
            sheet["body"]))
    else:
        story.append(_sessions_table(data))
        story.extend(_totals(data))
    story.append(Spacer(1, 2 * mm))
    story.append(Paragraph(escape(anchor_line(data)), sheet["small"]))
    return render(story, PageFrame(data.clinic, TITLE, _identity(data)))

