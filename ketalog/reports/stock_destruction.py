"""The destruction record: the facts DEA Form 41 asks, with two witnesses.

When and where the containers were destroyed, how (the manner, rendering them
non-retrievable), each container with its product, NDC, lot and the volume and
mg destroyed, who recorded it, and the two witnesses who saw it with their
signatures. One act (:func:`build_destruction`) or every act at a location in a
period, one after the other (:func:`build_destructions`).
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph

from ketalog.domain.clinic_time import moment_text
from ketalog.reports.base import data_table, stylesheet
from ketalog.reports.stock_inputs import (
    DESTRUCTION_TITLE,
    DestructionRecord,
    DestructionRecords,
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
REVERSED_TEXT = "REVERSED: entered in error, not in the totals"
NO_DESTRUCTION = "Nothing was destroyed at this location in this period."
_WIDTHS = [w * mm for w in (58, 28, 30, 32, 32)]


def containers_table(containers: tuple[DisposedContainer, ...], amount: str) -> Flowable:
    """Each container: product and NDC, lot, strength and size, container, amount."""
    rows = []
    for item in containers:
        size = f"\n{item.container_volume_ml} mL size" if item.container_volume_ml else ""
        ident = f"container {item.container_id}" + (f"\nserial {item.serial}"
                                                    if item.serial else "")
        volume = ml_mg(item.volume_ml, item.mg) + (f"\n{REVERSED_TEXT}" if item.reversed
                                                   else "")
        rows.append([cell(item.product_name + (f"\nNDC {item.ndc}" if item.ndc else "")),
                     cell(f"lot {item.lot_number}"),
                     cell(f"{item.strength_mg_per_ml} mg/mL{size}"), cell(ident),
                     cell(volume)])
    return data_table(["Product", "Lot", "Strength", "Container", amount], rows, _WIDTHS)


def _act(record: DestructionRecord) -> list[Flowable]:
    """One destruction: its facts, its containers, who recorded it and both witnesses."""
    sheet = stylesheet()
    story: list[Flowable] = [facts_table([
        ("Date and time of destruction", moment_text(record.destroyed_at_utc, record.tz)),
        ("Place of destruction", record.place or NONE_TEXT),
        ("Manner of destruction", record.manner or NONE_TEXT),
        ("Reason", record.reason or NONE_TEXT),
        ("Containers destroyed", str(len(record.containers))),
        ("Total destroyed", f"{ml_mg(total_ml(record.containers), total_mg(record.containers))}"
                            .replace("\n", " = ")),
    ])]
    story.append(Paragraph("Containers destroyed", sheet["h2"]))
    story.append(containers_table(record.containers, "Destroyed"))
    story.append(Paragraph(f"Total: {format_mg(total_mg(record.containers))}", sheet["h3"]))
    story.append(signature_block(record, "Recorded by", record.recorded_by))
    for number in range(2):
        who = record.witnesses[number] if number < len(record.witnesses) else None
        story.append(signature_block(record, f"Witness {number + 1}", who))
    return story


def build_destruction(record: DestructionRecord) -> bytes:
    """The destruction record PDF; identical data gives identical bytes."""
    day = record.destroyed_at_utc.astimezone(record.tz).date()
    story: list[Flowable] = opening(record, TITLE, "The facts of DEA Form 41", day)
    story += _act(record)
    return finish(story, record, TITLE, f"destruction {day.isoformat()}")


def period_text(records: DestructionRecords) -> str:
    """"2026-11-01 to 2026-11-30" (or the one day)."""
    if records.start == records.end:
        return records.start.isoformat()
    return f"{records.start.isoformat()} to {records.end.isoformat()}"


def build_destructions(records: DestructionRecords) -> bytes:
    """Every destruction of a location in a period, act by act; identical data, same bytes."""
    sheet = stylesheet()
    story: list[Flowable] = opening(records, TITLE,
                                    f"The facts of DEA Form 41, clinic days "
                                    f"{period_text(records)}", records.end)
    containers = tuple(c for act in records.acts for c in act.containers)
    story.append(facts_table([
        ("Period", period_text(records)),
        ("Destructions", str(len(records.acts))),
        ("Containers destroyed", str(sum(1 for c in containers if not c.reversed))),
        ("Total destroyed", ml_mg(total_ml(containers), total_mg(containers))
                            .replace("\n", " = ")),
    ]))
    if not records.acts:
        story.append(Paragraph(NO_DESTRUCTION, sheet["h2"]))
    for number, act in enumerate(records.acts, start=1):
        story.append(CondPageBreak(60 * mm))
        story.append(Paragraph(f"Destruction {number} of {len(records.acts)}: "
                               f"{moment_text(act.destroyed_at_utc, act.tz)}", sheet["h2"]))
        story += _act(act)
    return finish(story, records, TITLE, f"destructions {period_text(records)}")
