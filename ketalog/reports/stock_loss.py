"""The loss or theft record: the facts DEA Form 106 asks, for the registrant to file.

The registrant, the date the loss was discovered, whether it was a loss, a
theft or a loss in transit, what happened, whether the police were told (and
their reference), and every container with its product, strength, NDC, lot, and
the volume and mg lost.
"""

from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph

from ketalog.reports.base import stylesheet
from ketalog.reports.stock_destruction import containers_table
from ketalog.reports.stock_inputs import (
    LOSS_KIND_LABELS,
    LOSS_TITLE,
    LossRecord,
    format_mg,
    total_mg,
    total_ml,
)
from ketalog.reports.stock_pages import (
    NONE_TEXT,
    facts_table,
    finish,
    ml_mg,
    opening,
    signature_block,
)

TITLE = LOSS_TITLE


def police_text(record: LossRecord) -> str:
    """"Yes, report 2026-11-4471" or "No"."""
    if not record.police_notified:
        return "No"
    return "Yes" + (f", reference {record.police_reference}" if record.police_reference else "")


def build_loss(record: LossRecord) -> bytes:
    """The loss or theft record PDF; identical data gives identical bytes."""
    sheet = stylesheet()
    story: list[Flowable] = opening(record, TITLE, "The facts of DEA Form 106",
                                    record.discovered_on)
    story.append(facts_table([
        ("Date of discovery", record.discovered_on.isoformat()),
        ("Kind", LOSS_KIND_LABELS[record.kind]),
        ("Circumstances", record.circumstances or NONE_TEXT),
        ("Police notified", police_text(record)),
        ("Reported to the DEA", record.reported_to_dea_on.isoformat()
         if record.reported_to_dea_on else "Not yet recorded"),
        ("Measures taken", record.measures_taken or NONE_TEXT),
        ("Containers", str(sum(1 for c in record.containers if not c.reversed))),
        ("Total lost", ml_mg(total_ml(record.containers), total_mg(record.containers))
                       .replace("\n", " = ")),
    ]))
    story.append(Paragraph("Containers", sheet["h2"]))
    story.append(containers_table(record.containers, "Lost"))
    story.append(Paragraph(f"Total: {format_mg(total_mg(record.containers))}", sheet["h3"]))
    story.append(Paragraph("DEA Form 106 is filed with the DEA within 45 days of the "
                           "discovery; the DEA field office is told in writing within one "
                           "business day (21 CFR 1301.76(b)).", sheet["small"]))
    story.append(signature_block(record, "Recorded by", record.recorded_by))
    return finish(story, record, TITLE,
                  f"{LOSS_KIND_LABELS[record.kind].lower()} discovered "
                  f"{record.discovered_on.isoformat()}")
