"""The perpetual balance: per product and lot, where the volume went, opening to closing.

Each line reads across: what the location held at the opening, what came in
(received, transferred in), what went out (transferred out, administered,
wasted, destroyed, lost), and the closing that leaves, in mL and in mg. A product
with more than one lot gets a total line, and the document a grand total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, TableStyle

from ketalog.domain.controlled_substances import format_ml
from ketalog.reports.base import data_table, escape, stylesheet
from ketalog.reports.stock_inputs import (
    BALANCE_COLUMNS,
    BALANCE_TITLE,
    BalanceLine,
    BalanceSheet,
)
from ketalog.reports.stock_pages import cell, finish, ml_mg, opening

TITLE = BALANCE_TITLE
NO_STOCK = "This location has no entries in its books up to this day."
#: the headings broken where a narrow column breaks them best
_HEADINGS = {"Transferred in": "Trans-\nferred in", "Transferred out": "Trans-\nferred out",
             "Administered": "Admin-\nistered", "Destroyed": "De-\nstroyed"}
_WIDTHS = [36 * mm] + [16 * mm] * len(BALANCE_COLUMNS)
_VOLUMES = [f.name for f in fields(BalanceLine)
            if f.name.endswith("_ml") and f.name != "strength_mg_per_ml"]


def period_text(sheet: BalanceSheet) -> str:
    """"from the first entry to close of 2026-11-30", or from a given day."""
    start = sheet.since.isoformat() if sheet.since else "the first entry"
    return f"{start} to the close of {sheet.on.isoformat()}"


def sum_lines(lines: Sequence[BalanceLine], product: str, lot: str) -> BalanceLine:
    """The lines added up column by column (a product's total, the grand total).

    The mg of a sum is only meaningful at one strength: a total over products of
    different strengths keeps the first one's, so the grand total prints mL only.
    """
    totals: dict[str, Any] = {name: sum((getattr(line, name) for line in lines), Decimal(0))
              for name in _VOLUMES}
    strength = lines[0].strength_mg_per_ml if lines else Decimal(0)
    return BalanceLine(product, strength, lot, **totals)


def _row(line: BalanceLine, label: str) -> list[object]:
    values: list[object] = [cell(label, bold=not line.lot_number)]
    for _heading, name in BALANCE_COLUMNS:
        volume = getattr(line, name)
        values.append(cell(ml_mg(volume, line.mg(volume))))
    return values


def build_balance(sheet: BalanceSheet) -> bytes:
    """The perpetual balance PDF; identical data gives identical bytes."""
    styles = stylesheet()
    story: list[Flowable] = opening(sheet, TITLE, f"Balance from {period_text(sheet)}",
                                    sheet.on)
    if not sheet.lines:
        story.append(Paragraph(NO_STOCK, styles["h2"]))
        return finish(story, sheet, TITLE, f"close of {sheet.on.isoformat()}")
    rows: list[list[object]] = []
    emphasised: list[int] = []
    products = list(dict.fromkeys(line.product_name for line in sheet.lines))
    for product in products:
        lots = [line for line in sheet.lines if line.product_name == product]
        for line in lots:
            rows.append(_row(line, f"{line.product_name}\nlot {line.lot_number}"))
        if len(lots) > 1:
            emphasised.append(len(rows))
            rows.append(_row(sum_lines(lots, product, ""), f"{product}\nall lots"))
    strengths = {line.strength_mg_per_ml for line in sheet.lines}
    if len(products) > 1 and len(strengths) == 1:
        # millilitres of different strengths do not add up to anything an inspector can
        # check, so a grand total is printed only where every product has one strength
        emphasised.append(len(rows))
        rows.append(_row(sum_lines(sheet.lines, "All products", ""), "All products"))
    header = [cell("Product, lot", bold=True)] + [cell(_HEADINGS.get(heading, heading), True)
                                                  for heading, _ in BALANCE_COLUMNS]
    table = data_table(header, rows, _WIDTHS, emphasised_rows=emphasised)
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 2),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 2)]))
    story.extend([table, Spacer(1, 2 * mm)])
    notes = ["Closing = opening + received + transferred in \u2212 transferred out \u2212 "
             "administered \u2212 wasted \u2212 destroyed \u2212 lost. A draw is not a column: "
             "what was drawn is administered, wasted or returned to its container. "
             "mg = mL \u00d7 the product's strength."]
    for line in sheet.lines:
        if line.drawn_open_ml:
            notes.append(f"{line.product_name}, lot {line.lot_number}: of the closing "
                         f"{format_ml(line.closing_ml)}, {format_ml(line.drawn_open_ml)} was "
                         "drawn for a patient and not yet accounted for; "
                         f"{format_ml(line.in_containers_ml)} is in the containers.")
    story.extend(Paragraph(escape(note), styles["small"]) for note in notes)
    return finish(story, sheet, TITLE, f"close of {sheet.on.isoformat()}")
