"""Every page of a demo clinic's document says DEMO, so none passes for a patient record."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import PageBreak, Paragraph

from ketalog.reports.base import DEMO_TEXT, Clinic, PageFrame, render


def _pages(clinic: Clinic) -> list[str]:
    style = getSampleStyleSheet()["Normal"]
    data = render([Paragraph("first", style), PageBreak(), Paragraph("second", style)],
                  PageFrame(clinic, "Session summary", "Ñúñez, José"))
    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def test_each_page_of_a_demo_document_says_demo() -> None:
    pages = _pages(Clinic("Riverside Ketamine Clinic", demo=True))
    assert len(pages) == 2 and all(DEMO_TEXT in text for text in pages)


def test_a_real_clinics_document_does_not() -> None:
    assert not any("DEMO" in text for text in _pages(Clinic("Riverside Ketamine Clinic")))


def test_the_clinics_footer_line_is_on_every_page_whole() -> None:
    footer = "W" * 100  # the widest line the setting accepts still prints whole
    pages = _pages(Clinic("Riverside Ketamine Clinic", footer=footer))
    assert len(pages) == 2 and all(footer in text for text in pages)
