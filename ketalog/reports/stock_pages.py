"""What the controlled-substance documents share: the registrant block, signatures, the foot.

Each stock document is of one registered location (its own DEA registration and
its own books), so every page's identity line names the location and its DEA
number, the first page states the registrant in full, and the last lines carry
the record-retention statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ketalog.domain.clinic_time import moment_text, zone_note
from ketalog.domain.controlled_substances import format_ml
from ketalog.reports.base import MARGIN, PAGE_SIZE, PageFrame, escape, render, stylesheet
from ketalog.reports.inputs import NOT_VALID_BANNER
from ketalog.reports.stock_inputs import StockDocumentBase, StockSignature, format_mg

BODY_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
NONE_TEXT = "\u2014"
SIGNATURE_LINE = "Signature: ______________________________"


def ml_mg(volume_ml: Any, mg: Any) -> str:
    """"0.8 mL / 40 mg": both figures of one amount, in one cell."""
    return f"{format_ml(volume_ml)}\n{format_mg(mg)}"


def identity(doc: StockDocumentBase, what: str) -> str:
    """The page header's identity line: the location, its DEA number and what the pages are."""
    return f"{doc.registrant.location_name} \u00b7 DEA {doc.registrant.dea_number} \u00b7 {what}"


def opening(doc: StockDocumentBase, title: str, subtitle: str, day: date) -> list[Flowable]:
    """The title, the registrant in full, and the zone the times are in."""
    sheet = stylesheet()
    reg = doc.registrant
    rows = [("Registrant", reg.clinic_name), ("Registered location", reg.location_name),
            ("DEA registration number", reg.dea_number), ("Address", reg.address)]
    table = Table([[Paragraph(escape(label), sheet["cell_bold"]),
                    Paragraph(escape(value), sheet["cell"])] for label, value in rows],
                  colWidths=[45 * mm, BODY_WIDTH - 45 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5)]))
    story: list[Flowable] = [Paragraph(escape(title), sheet["title"])]
    if doc.signature_problems:
        story.append(Paragraph(escape(doc.signature_warning + ". No signature marked not "
                                      "valid below may be taken as signed."),
                               sheet["warning"]))
    return story + [Paragraph(escape(subtitle), sheet["h3"]), table, Spacer(1, 2 * mm),
                    Paragraph(escape(f"All times are clinic time ({zone_note(day, doc.tz)})."),
                              sheet["small"]), Spacer(1, 2 * mm)]


def facts_table(rows: Sequence[tuple[str, str]]) -> Table:
    """Label and value, one fact a line (a form's boxes, as text)."""
    sheet = stylesheet()
    table = Table([[Paragraph(escape(label), sheet["cell_bold"]),
                    Paragraph(escape(value).replace("\n", "<br/>"), sheet["cell"])]
                   for label, value in rows], colWidths=[55 * mm, BODY_WIDTH - 55 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LINEBELOW", (0, 0), (-1, -1), 0.3, (0, 0, 0)),
                               ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return table


def signature_text(doc: StockDocumentBase, who: StockSignature | None) -> str:
    """"Sam Okafor, RN, signed 2026-11-21 09:00 with key 1a2b3c4d" (or not signed).

    A signature that does not hold reads "SIGNATURE NOT VALID: <reason>" instead of
    "signed", whatever else is known of it.
    """
    if who is None:
        return NONE_TEXT
    text = who.name
    if who.not_valid:
        return f"{text}: {NOT_VALID_BANNER}: " + "; ".join(who.not_valid)
    if who.signed_at_utc is not None:
        text += f", signed {moment_text(who.signed_at_utc, doc.tz)}"
        if who.key_fingerprint:
            text += f" with key {who.key_fingerprint[:16]}"
    elif who.recorded_at_utc is not None:
        text += (f", recorded {moment_text(who.recorded_at_utc, doc.tz)} while signed in "
                 "(not signed with their key)")
    else:
        text += " (not signed in ketalog)"
    return text


def signature_parts(doc: StockDocumentBase, role: str, who: StockSignature | None
                    ) -> list[Flowable]:
    """One signer: what ketalog recorded, and a line to sign the paper copy (to keep together).

    A signature that does not hold is printed in the warning style.
    """
    sheet = stylesheet()
    style = sheet["warning"] if who is not None and who.not_valid else sheet["body"]
    return [Paragraph(escape(role), sheet["h3"]),
            Paragraph(escape(signature_text(doc, who)), style),
            Spacer(1, 4 * mm), Paragraph(SIGNATURE_LINE, sheet["body"])]


def signature_block(doc: StockDocumentBase, role: str, who: StockSignature | None) -> Flowable:
    """One signer, kept on one page."""
    return KeepTogether(signature_parts(doc, role, who))


def finish(story: list[Flowable], doc: StockDocumentBase, title: str, what: str) -> bytes:
    """Add the retention statement at the foot and render the pages."""
    sheet = stylesheet()
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(escape(doc.retention), sheet["small"]))
    return render(story, PageFrame(doc.clinic, title, identity(doc, what),
                                   warning=doc.signature_warning))


def cell(text: str, bold: bool = False) -> Paragraph:
    """A table cell whose line breaks are kept."""
    style = stylesheet()["cell_bold" if bold else "cell"]
    return Paragraph(escape(text).replace("\n", "<br/>"), style)
