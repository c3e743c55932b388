"""The dispensing log: every entry of one location's books in a period, in date order.

21 CFR 1304.22(c) asks for each dispensing the patient, the date, the amount and
who did it, and for every receipt and other disposal the date and quantity; one
line here is one ledger entry with all of that, and the totals per product and
lot (reversals subtracted from what they undo) close the log.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph

from ketalog.domain.controlled_substances import LedgerKind
from ketalog.reports.base import data_table, escape, local_time, stylesheet
from ketalog.reports.stock_inputs import (
    DISPENSING_LOG_TITLE,
    KIND_LABELS,
    DispensingLog,
    DispensingLogLine,
)
from ketalog.reports.stock_pages import NONE_TEXT, cell, finish, ml_mg, opening

TITLE = DISPENSING_LOG_TITLE
NO_ENTRIES = "No entries in the books of this location in this period."
_WIDTHS = [w * mm for w in (22, 9, 35, 34, 18, 32, 30)]


def period_text(log: DispensingLog) -> str:
    """"2026-11-01 to 2026-11-30" (one day: just the day)."""
    if log.start == log.end:
        return log.start.isoformat()
    return f"{log.start.isoformat()} to {log.end.isoformat()}"


def entry_text(line: DispensingLogLine) -> str:
    """The kind, and what the record adds (the entry a reversal undoes, manner, reason)."""
    text = KIND_LABELS[line.kind]
    if line.reverses_id is not None:
        undone = KIND_LABELS[line.reverses_kind] if line.reverses_kind else "entry"
        text += f" of #{line.reverses_id} ({undone.lower()})"
    if line.detail:
        text += f"\n{line.detail}"
    return text


def product_text(line: DispensingLogLine) -> str:
    """The product, its lot and the container (with its serial when it has one)."""
    container = f"container {line.container_id}"
    if line.container_serial:
        container += f", serial {line.container_serial}"
    return f"{line.product_name}\nlot {line.lot_number}\n{container}"


def patient_text(line: DispensingLogLine) -> str:
    """The patient (name and MRN) and the session, or a dash."""
    if line.patient_name is None and line.session_id is None:
        return NONE_TEXT
    parts = [line.patient_name or ""]
    if line.mrn:
        parts.append(f"MRN {line.mrn}")
    if line.session_id is not None:
        parts.append(f"session {line.session_id}")
    return "\n".join(p for p in parts if p)


def amount_text(line: DispensingLogLine) -> str:
    """The volume and its mg, a reversal's with a minus: it takes its entry back."""
    sign = "\u2212" if line.kind is LedgerKind.REVERSAL else ""
    return "\n".join(sign + part for part in ml_mg(line.volume_ml, line.mg).split("\n"))


def _lines_table(log: DispensingLog) -> Flowable:
    header = ["Date, time", "#", "Entry", "Product, lot, container", "mL, mg",
              "Patient, session", "Recorded by; witness"]
    rows = []
    for line in log.lines:
        people = line.recorded_by + (f";\nwitness {line.witness}" if line.witness else "")
        rows.append([cell(local_time(line.recorded_at_utc, log.tz, "%Y-%m-%d\n%H:%M")),
                     str(line.entry_id), cell(entry_text(line)), cell(product_text(line)),
                     cell(amount_text(line)), cell(patient_text(line)), cell(people)])
    return data_table(header, rows, _WIDTHS)


def _totals(log: DispensingLog) -> list[Flowable]:
    sheet = stylesheet()
    rows = [[total.product_name, total.lot_number, KIND_LABELS[total.kind], str(total.entries),
             cell(ml_mg(total.volume_ml, total.mg))] for total in log.totals()]
    table = data_table(["Product", "Lot", "Kind", "Entries", "Total mL, mg"], rows,
                       [w * mm for w in (62, 30, 40, 18, 30)])
    return [KeepTogether([Paragraph("Totals per product and lot", sheet["h2"]), table]),
            Paragraph(escape("Reversals are subtracted from the kind of entry they undo. "
                             "mg = mL \u00d7 the product's strength."), sheet["small"])]


def build_dispensing_log(log: DispensingLog) -> bytes:
    """The dispensing log PDF; identical data gives identical bytes."""
    sheet = stylesheet()
    story: list[Flowable] = opening(log, TITLE, f"Period: {period_text(log)}", log.start)
    if not log.lines:
        story.append(Paragraph(NO_ENTRIES, sheet["h2"]))
    else:
        story.append(_lines_table(log))
        story.extend(_totals(log))
    return finish(story, log, TITLE, period_text(log))
