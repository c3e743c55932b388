"""What every ketalog document shares: fonts, styles, the page frame, safe writing.

Every page carries the clinic, the document title and the patient's identity
(a loose page must still say whose it is), "Page x of y", the clinic's own
footer line when an administrator has set one, and, until a
physician signs, "DRAFT - not signed" across it. Documents take plain data
and return bytes; identical data gives identical bytes (reportlab invariant
mode), so a chart copy can be compared and hashed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)

from ketalog.domain.clinic_time import offset_changes_on
from ketalog.reports.inputs import Clinic as Clinic
from ketalog.store.files import FolderMissing, IsAFolder, NotAPlainFile, write_atomically

rl_config.invariant = 1  # same input, same bytes: no timestamps or random ids in the file

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"
PAGE_SIZE = A4
MARGIN = 15 * mm
HEADER_HEIGHT = 16 * mm
FOOTER_HEIGHT = 10 * mm
#: The clinic's footer line, when it has one, takes this much more of the page foot.
FOOTER_TEXT_HEIGHT = 3.5 * mm
FOOTER_TEXT_SIZE = 7.0
#: The footer text's type shrinks down to this for a line of wide letters, never cut.
FOOTER_TEXT_MIN_SIZE = 4.5
DRAFT_TEXT = "DRAFT - not signed"
DEMO_TEXT = "DEMO CLINIC - not a patient record"
_fonts_registered = False


class ReportError(Exception):
    """A document could not be produced or written; the message says why."""


def register_fonts() -> None:
    """Embed DejaVu Sans (shipped in resources/fonts) so every name renders."""
    global _fonts_registered
    if _fonts_registered:
        return
    folder = files("ketalog.resources") / "fonts"
    for name, filename in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf"),
                           (FONT_ITALIC, "DejaVuSans-Oblique.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(folder / filename)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC,
                                  boldItalic=FONT_BOLD)
    _fonts_registered = True


def stylesheet() -> StyleSheet1:
    """Paragraph styles for all documents (black on white, readable when photocopied)."""
    register_fonts()
    sheet = StyleSheet1()
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=11.5, alignment=TA_LEFT)
    sheet.add(base)
    sheet.add(ParagraphStyle("small", parent=base, fontSize=7.5, leading=9))
    sheet.add(ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=15, leading=18,
                             spaceAfter=4))
    sheet.add(ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=11, leading=14,
                             spaceBefore=8, spaceAfter=3))
    sheet.add(ParagraphStyle("h3", parent=base, fontName=FONT_BOLD, fontSize=9.5, leading=12,
                             spaceBefore=4, spaceAfter=2))
    sheet.add(ParagraphStyle("cell", parent=base, fontSize=8, leading=9.5))
    sheet.add(ParagraphStyle("cell_bold", parent=base, fontName=FONT_BOLD, fontSize=8,
                             leading=9.5))
    sheet.add(ParagraphStyle("mono", parent=base, fontSize=8.5, leading=10.5))
    sheet.add(ParagraphStyle("warning", parent=base, fontName=FONT_BOLD, fontSize=10,
                             leading=12.5, textColor=colors.HexColor("#b00000")))
    return sheet


def escape(text: object) -> str:
    """Make any value safe inside a Paragraph (which reads a little XML)."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


class StruckText(str):
    """Text printed struck through: an entry entered in error, kept legible in the record."""

    __slots__ = ()


def struck_markup(text: str) -> str:
    """Paragraph markup striking ``text`` through (escaped; line breaks kept)."""
    return "<strike>" + escape(text).replace("\n", "<br/>") + "</strike>"


def void_words(mark: object, tz: ZoneInfo, fmt: str = "%H:%M") -> str:
    """"ENTERED IN ERROR by Nora Reyes, RN at 09:20: typed into the wrong session"."""
    at = getattr(mark, "at_utc", None)
    by = getattr(mark, "by_name", "")
    reason = getattr(mark, "reason", "")
    text = "ENTERED IN ERROR" + (f" by {by}" if by else "")
    text += f" at {local_time(at, tz, fmt)}" if at is not None else ""
    text += f": {reason}" if reason else ""
    if getattr(mark, "replaced_by_id", None) is not None:
        text += " (corrected value recorded)"
    return text + " - not used"


def local_time(value: datetime | None, tz: ZoneInfo, fmt: str = "%H:%M") -> str:
    """An instant in the clinic's time zone; "" for None.

    A time of day on a day whose UTC offset changes (daylight saving) carries its
    zone ("01:20 EST"), so the repeated hour never prints twice the same.
    """
    if value is None:
        return ""
    local = value.astimezone(tz)
    text = local.strftime(fmt)
    if "%H" in fmt and "%Z" not in fmt and offset_changes_on(local.date(), tz):
        text += f" {local.tzname()}"
    return text


def data_table(header: Sequence[str], rows: Sequence[Sequence[Any]],
               col_widths: Sequence[float] | None = None, *,
               emphasised_rows: Sequence[int] = ()) -> Table:
    """A table whose header repeats on every page; emphasis is bold + shading, not colour."""
    sheet = stylesheet()
    cell, head = sheet["cell"], sheet["cell_bold"]

    def wrap(value: Any, style: ParagraphStyle) -> Any:
        return value if isinstance(value, Flowable) else Paragraph(escape(value), style)

    body = [[wrap(h, head) for h in header]]
    for index, row in enumerate(rows, start=1):
        style = head if index - 1 in emphasised_rows else cell
        body.append([wrap(v, style) for v in row])
    table = Table(body, colWidths=col_widths, repeatRows=1)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.85, 0.85, 0.85)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for index in emphasised_rows:
        commands.append(("BACKGROUND", (0, index + 1), (-1, index + 1),
                         colors.Color(0.9, 0.9, 0.9)))
    table.setStyle(TableStyle(commands))
    return table


@dataclass(frozen=True)
class PageFrame:
    """What every page of one document repeats."""

    clinic: Clinic
    title: str
    identity: str  # e.g. "Ñúñez, José · MRN K0000001 · born 1980-03-14 · session 2026-11-21"
    draft: bool = False
    #: safety facts under the identity on every page (allergies, cautions, risk): wrapped
    #: to as many lines as they need, never cut; the body starts below them
    safety: str = ""
    #: "SIGNATURE NOT VALID: <reason>" in red on every page, instead of any "signed"
    warning: str = ""


class _NumberedCanvas(Canvas):
    """Defers the footer until the page count is known ("Page x of y")."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 8)
            self.drawRightString(PAGE_SIZE[0] - MARGIN, MARGIN - 6 * mm,
                                 f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def _draw_logo(canvas: Canvas, logo: bytes, x: float, y: float, height: float) -> float:
    """Draw the clinic logo scaled to ``height``; return the width it took (0 if unreadable)."""
    from reportlab.lib.utils import ImageReader

    try:
        image = ImageReader(BytesIO(logo))
        width_px, height_px = image.getSize()
    except Exception:  # a broken logo file must not stop the chart copy
        return 0.0
    width = float(height * width_px / max(height_px, 1))
    canvas.drawImage(image, x, y, width=width, height=height, mask="auto")
    return width + float(3 * mm)


def _safety_paragraph(frame: PageFrame) -> tuple[Paragraph | None, float]:
    """The page header's safety block and its height (0 without one)."""
    if not frame.safety:
        return None, 0.0
    style = ParagraphStyle("page_safety", fontName=FONT_BOLD, fontSize=8, leading=9.8)
    block = Paragraph(escape(frame.safety), style)
    _width, height = block.wrap(PAGE_SIZE[0] - 2 * MARGIN, PAGE_SIZE[1])
    return block, float(height) + float(2 * mm)


def _fitted(text: str, width: float, font: str, size: float) -> str:
    """``text`` cut with an ellipsis so it fits on one line of ``width`` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _footer_size(text: str, width: float) -> float:
    """The type size at which the clinic's footer line fits ``width`` (smaller, never cut)."""
    size = FOOTER_TEXT_SIZE
    while size > FOOTER_TEXT_MIN_SIZE and pdfmetrics.stringWidth(text, FONT, size) > width:
        size -= 0.25
    return size


def _footer_lift(frame: PageFrame) -> float:
    """How far the clinic's footer line raises the body and the warning (0 without one)."""
    return float(FOOTER_TEXT_HEIGHT) if frame.clinic.footer else 0.0


def _decorate(frame: PageFrame) -> Any:
    safety, safety_height = _safety_paragraph(frame)

    def on_page(canvas: Canvas, _doc: BaseDocTemplate) -> None:
        width, height = PAGE_SIZE
        canvas.saveState()
        top = height - MARGIN
        left = MARGIN
        if frame.clinic.logo:
            left += _draw_logo(canvas, frame.clinic.logo, MARGIN, top - 10 * mm, 9 * mm)
        canvas.setFont(FONT_BOLD, 10)
        canvas.drawString(left, top - 4 * mm, frame.clinic.name)
        canvas.setFont(FONT, 8)
        canvas.drawRightString(width - MARGIN, top - 4 * mm, frame.title)
        canvas.setFont(FONT_BOLD, 9)
        canvas.drawString(left, top - 9 * mm, frame.identity)
        canvas.setLineWidth(0.6)
        if safety is not None:
            safety.drawOn(canvas, MARGIN, top - 11 * mm - safety_height + 0.5 * mm)
            rule = top - 11 * mm - safety_height
            canvas.line(MARGIN, rule, width - MARGIN, rule)
        canvas.line(MARGIN, top - 11 * mm, width - MARGIN, top - 11 * mm)
        canvas.setFont(FONT, 7)
        footer = " · ".join(p for p in (frame.clinic.address, frame.clinic.phone) if p)
        canvas.drawString(MARGIN, MARGIN - 6 * mm, footer)
        lift = _footer_lift(frame)
        if frame.clinic.footer:
            text = frame.clinic.footer
            canvas.setFont(FONT, _footer_size(text, width - 2 * MARGIN))
            canvas.drawString(MARGIN, MARGIN - 2.5 * mm, text)
        if frame.warning:
            canvas.setFont(FONT_BOLD, 8)
            canvas.setFillColorRGB(0.7, 0, 0)
            canvas.drawString(MARGIN, MARGIN - 2.5 * mm + lift,
                              _fitted(frame.warning, width - 2 * MARGIN, FONT_BOLD, 8))
            canvas.setFillColorRGB(0, 0, 0)
        if frame.clinic.demo:
            canvas.setFont(FONT_BOLD, 8)
            canvas.setFillColorRGB(0.7, 0, 0)
            # centred on the first line, between the clinic's name and the title: the
            # identity line below it may be as long as the page
            canvas.drawCentredString(width / 2, top - 4 * mm, DEMO_TEXT)
            canvas.setFillColorRGB(0, 0, 0)
        if frame.draft or frame.clinic.demo:
            canvas.setFont(FONT_BOLD, 46)
            canvas.setFillGray(0.82)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, 0, " · ".join(
                t for t, shown in ((DRAFT_TEXT, frame.draft), ("DEMO", frame.clinic.demo))
                if shown))
        canvas.restoreState()

    return on_page


def render(flowables: Sequence[Flowable], frame: PageFrame) -> bytes:
    """Lay the flowables out on framed pages and return the PDF bytes."""
    register_fonts()
    buffer = BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT + _safety_paragraph(frame)[1],
        bottomMargin=MARGIN + FOOTER_HEIGHT - 6 * mm + _footer_lift(frame),
        title=f"{frame.title} - {frame.identity}", author=frame.clinic.name,
        creator="ketalog", invariant=1,
    )
    body = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                 leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[body], onPage=_decorate(frame))])
    try:
        doc.build(list(flowables), canvasmaker=_NumberedCanvas)
    except Exception as exc:  # reportlab raises plain exceptions for layout failures
        raise ReportError(f"The document could not be laid out: {exc}") from exc
    return buffer.getvalue()


def write_pdf_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` completely or not at all (temp file, fsync, rename).

    Raises:
        ReportError: the folder is missing or not writable, or the disk is
            full; any partial temporary file is removed.
    """
    target = Path(path).expanduser()
    try:
        write_atomically(target, lambda out: out.write(data), temp_suffix=".pdf.tmp")
    except FolderMissing as exc:
        raise ReportError(f"{exc}; choose an existing folder.") from exc
    except IsAFolder as exc:
        raise ReportError(f"{exc}; give a file name ending in .pdf.") from exc
    except NotAPlainFile as exc:
        raise ReportError(f"{exc}; nothing was written. Give a new file name.") from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ReportError(f"Cannot write {target}: {reason}. Choose another location.") from exc
