"""The destruction record: the facts DEA Form 41 asks, with two witnesses.

When and where the containers were destroyed, how (the manner, rendering them
non-retrievable), each container with its product, NDC, lot and the volume and
mg destroyed, who recorded it, and the two witnesses who saw it with their
signatures.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph

from ketalog.domain.clinic_time import moment_text
from ketalog.reports.base import data_table, stylesheet
from ketalog.reports.stock_inputs import (
    DESTRUCTION_TITLE,
    DestructionRecord,
    DisposedContainer,
    format_mg,
    total_mg,
    total_ml,
)
from ketalog.reports.stock_pages import (
    NONE_TEXT,
    cell,
    facts_table,
    finish,
    ml_mg,
    opening,
    signature_block,
)

TITLE = DESTRUCTION_TITLE
_WIDTHS = [w * mm for w in (58, 28, 30, 32, 32)]


def containers_table(containers: tuple[DisposedContainer, ...], amount: str) -> Flowable:
    """Each container: product and NDC, lot, strength and size, container, amount."""
    rows = []
    for item in containers:
        size = f"\n{item.container_volume_ml} mL size" if item.container_volume_ml else ""
        ident = f"container {item.container_id}" + (f"\nserial {item.serial}"
                                                    if item.serial else "")
        rows.append([cell(item.product_name + (f"\nNDC {item.ndc}" if item.ndc else "")),
                     cell(f"lot {item.lot_number}"),
                     cell(f"{item.strength_mg_per_ml} mg/mL{size}"), cell(ident),
                     cell(ml_mg(item.volume_ml, item.mg))])
    return data_table(["Product", "Lot", "Strength", "Container", amount], rows, _WIDTHS)


def build_destruction(record: DestructionRecord) -> bytes:
    """The destruction record PDF; identical data gives identical bytes."""
    sheet = stylesheet()
    day = record.destroyed_at_utc.astimezone(record.tz).date()
    story: list[Flowable] = opening(record, TITLE, "The facts of DEA Form 41", day)
    story.append(facts_table([
        ("Date and time of destruction", moment_text(record.destroyed_at_utc, record.tz)),
        ("Place of destruction", record.place or NONE_TEXT),
        ("Manner of destruction", record.manner or NONE_TEXT),
        ("Reason", record.reason or NONE_TEXT),
        ("Containers destroyed", str(len(record.containers))),
        ("Total destroyed", f"{ml_mg(total_ml(record.containers), total_mg(record.containers))}"
                            .replace("\n", " = ")),
    ]))
    story.append(Paragraph("Containers destroyed", sheet["h2"]))
    story.append(containers_table(record.containers, "Destroyed"))
    story.append(Paragraph(f"Total: {format_mg(total_mg(record.containers))}", sheet["h3"]))
    story.append(signature_block(record, "Recorded by", record.recorded_by))
    for number in range(2):
        who = record.witnesses[number] if number < len(record.witnesses) else None
        story.append(signature_block(record, f"Witness {number + 1}", who))
    return finish(story, record, TITLE, f"destruction {day.isoformat()}")
