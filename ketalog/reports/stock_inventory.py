"""The initial or biennial inventory: every container a location holds, counted or measured.

21 CFR 1304.11 asks for the date, whether it was taken at the opening or the
close of business, and every container: a Schedule III substance in a sealed
container may be counted, an opened one is measured (here to 0.01 mL). The
inventory is signed by who took it.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph

from ketalog.domain.controlled_substances import format_ml
from ketalog.reports.base import data_table, stylesheet
from ketalog.reports.stock_inputs import (
    BUSINESS_TIME_LABELS,
    INVENTORY_KIND_LABELS,
    INVENTORY_TITLE,
    Inventory,
    InventoryLine,
    format_mg,
    total_mg,
    total_ml,
)
from ketalog.reports.stock_pages import (
    cell,
    facts_table,
    finish,
    ml_mg,
    opening,
    signature_block,
)

TITLE = INVENTORY_TITLE
NO_CONTAINERS = "No containers on hand: this location held no controlled substance."
_WIDTHS = [w * mm for w in (52, 26, 20, 32, 25, 25)]


def heading(inventory: Inventory) -> str:
    """"Biennial inventory, 2026-11-30, close of business"."""
    return (f"{INVENTORY_KIND_LABELS[inventory.kind]}, {inventory.taken_on.isoformat()}, "
            f"{BUSINESS_TIME_LABELS[inventory.taken_at]}")


def _container(line: InventoryLine) -> str:
    text = f"container {line.container_id}"
    if line.serial:
        text += f"\nserial {line.serial}"
    if line.expiry_date:
        text += f"\nexpires {line.expiry_date.isoformat()}"
    return text


def _found(line: InventoryLine) -> str:
    if line.sealed or line.measured_ml is None:
        return "sealed (counted)" if line.count_of_sealed else "sealed: NOT FOUND (counted 0)"
    return f"open, measured {format_ml(line.measured_ml)}"


def build_inventory(inventory: Inventory) -> bytes:
    """The inventory PDF; identical data gives identical bytes."""
    sheet = stylesheet()
    story: list[Flowable] = opening(inventory, TITLE, heading(inventory), inventory.taken_on)
    story.append(facts_table([
        ("Kind", INVENTORY_KIND_LABELS[inventory.kind]),
        ("Date", inventory.taken_on.isoformat()),
        ("Taken at", BUSINESS_TIME_LABELS[inventory.taken_at].capitalize()),
    ]))
    if not inventory.lines:
        story.append(Paragraph(NO_CONTAINERS, sheet["h2"]))
    else:
        rows = []
        for line in inventory.lines:
            found = _found(line)
            product = line.product_name + (f"\nNDC {line.ndc}" if line.ndc else "")
            rows.append([cell(product), cell(f"lot {line.lot_number}"),
                         cell(f"{line.strength_mg_per_ml} mg/mL\n{line.container_volume_ml} "
                              "mL size"),
                         cell(_container(line)), cell(found),
                         cell(ml_mg(line.volume_ml, line.mg))])
        story.append(Paragraph("Containers", sheet["h2"]))
        story.append(data_table(["Product", "Lot", "Strength, size", "Container", "Found",
                                 "Holds"], rows, _WIDTHS))
        sealed = sum(1 for line in inventory.lines if line.sealed)
        opened = len(inventory.lines) - sealed
        missing = sum(1 for line in inventory.lines if line.sealed and not line.count_of_sealed)
        story.append(Paragraph("Totals", sheet["h2"]))
        totals = [("Containers", f"{len(inventory.lines)} ({sealed} sealed, {opened} open)")]
        if missing:
            totals.append(("Sealed containers not found", str(missing)))
        for product in dict.fromkeys(line.product_name for line in inventory.lines):
            mine = [line for line in inventory.lines if line.product_name == product]
            amount = ml_mg(total_ml(mine), total_mg(mine)).replace("\n", " = ")
            totals.append((product, f"{len(mine)} containers, {amount}"))
        totals.append(("All substances (mg)", format_mg(total_mg(inventory.lines))))
        story.append(facts_table(totals))
    story.append(signature_block(inventory, "Taken by", inventory.taken_by))
    if inventory.second_counter is not None:
        story.append(signature_block(inventory, "Counted with", inventory.second_counter))
    return finish(story, inventory, TITLE, heading(inventory))
