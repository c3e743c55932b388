"""The translation pipeline: the committed catalogue is current, placeholders match, it loads."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QApplication

from ketalog.services.outcomes import OUTCOME_COLUMNS
from ketalog.ui.board.outcomes_page import OUTCOME_TITLES
from ketalog.ui.core import translation

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "ketalog" / "ui"
LUPDATE = Path(sys.executable).with_name("pyside6-lupdate")

#: (context, source text, numerus) of one message
Key = tuple[str, str, bool]


def _catalogues() -> list[Path]:
    return sorted(translation.translations_folder().glob("ketalog_*.ts"))


def _messages(ts: Path) -> dict[Key, list[str]]:
    """Every message of a .ts file with its translations (the numerus forms, or one text)."""
    found: dict[Key, list[str]] = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            numerus = message.get("numerus") == "yes"
            node = message.find("translation")
            if node is None:
                texts: list[str] = []
            elif numerus:
                texts = [form.text or "" for form in node.iter("numerusform")]
            else:
                texts = [node.text or ""]
            found[(name, message.findtext("source") or "", numerus)] = texts
    return found


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The test application, with no catalogue left installed afterwards."""
    yield qapp
    translation.remove_translator(qapp)


def test_there_is_a_catalogue_and_the_package_carries_it() -> None:
    folder = translation.translations_folder()
    assert [p.name for p in _catalogues()] == ["ketalog_en.ts"]
    # each .ts compiled; pyproject's "ketalog.resources" = ["**/*"] puts them in the wheel
    for ts in _catalogues():
        assert ts.with_suffix(".qm").is_file(), f"run `make translations` for {ts.name}"
    assert folder == ROOT / "ketalog" / "resources" / "translations" or folder.resolve() == (
        ROOT / "ketalog" / "resources" / "translations").resolve()


@pytest.mark.skipif(not LUPDATE.exists(), reason="pyside6-lupdate not in this environment")
def test_the_committed_catalogue_is_current(tmp_path: Path) -> None:
    """lupdate over the UI now finds exactly the messages of the committed .ts."""
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in UI.rglob("*.py"))
    subprocess.run([str(LUPDATE), *sources, "-no-obsolete", "-locations", "none",
                    "-ts", str(fresh)], check=True, capture_output=True)
    now = set(_messages(fresh))
    for ts in _catalogues():
        committed = set(_messages(ts))
        assert not now - committed, f"new texts missing from {ts.name}: run `make translations`"
        assert not committed - now, f"{ts.name} has texts the UI no longer uses: " \
            "run `make translations`"


@pytest.mark.skipif(not LUPDATE.exists(), reason="pyside6-lupdate not in this environment")
def test_every_text_is_filed_under_a_class_or_a_named_context(tmp_path: Path) -> None:
    """``window.tr`` from a module function would file the text under "window"."""
    contexts = {context for context, _source, _n in _messages(_catalogues()[0])}
    assert all(re.fullmatch(r"[A-Z]\w*", c) for c in contexts), sorted(contexts)
    assert {"CourseActions", "Column", "BoardTableModel", "Questions"} <= contexts


def test_placeholders_match_between_source_and_translation() -> None:
    for ts in _catalogues():
        for (context, source, numerus), texts in _messages(ts).items():
            wanted = sorted(set(re.findall(r"%\d", source)))
            assert ("%n" in source) == numerus, (context, source)  # %n only with a count
            for text in filter(None, texts):
                assert sorted(set(re.findall(r"%\d", text))) == wanted, (ts.name, source, text)
                if numerus:
                    assert "%n" in text, (ts.name, source, text)


def test_english_plurals_come_from_the_catalogue(app: QApplication) -> None:
    translate = QCoreApplication.translate
    # without a catalogue the source text shows, as before
    assert translate("AuditDialog", "%n rows", None, 1) == "1 rows"
    assert translation.install_translator(app, QLocale("en_US")) is not None
    assert translate("AuditDialog", "%n rows", None, 1) == "1 row"
    assert translate("AuditDialog", "%n rows", None, 4) == "4 rows"
    assert translate("BoardPage", "%1: %n sessions", None, 1).replace("%1", "Today") == (
        "Today: 1 session")
    assert translate("PdfPreview", "%n pages", None, 0) == "0 pages"


def test_a_language_without_a_catalogue_falls_back_to_english(app: QApplication) -> None:
    assert translation.install_translator(app, QLocale("de_CH")) is not None
    assert QCoreApplication.translate("AuditDialog", "%n rows", None, 1) == "1 row"


def test_no_catalogue_at_all_is_a_no_op(app: QApplication, tmp_path: Path) -> None:
    assert translation.install_translator(app, QLocale("fr_FR"), folder=tmp_path) is None
    assert QCoreApplication.translate("AuditDialog", "%n rows", None, 1) == "1 rows"


def test_a_second_language_is_picked_by_the_locale(app: QApplication, tmp_path: Path) -> None:
    """A ketalog_de.qm beside the English one is chosen for a German workstation."""
    lrelease = Path(sys.executable).with_name("pyside6-lrelease")
    if not lrelease.exists():
        pytest.skip("pyside6-lrelease not in this environment")
    for qm in translation.translations_folder().glob("*.qm"):
        shutil.copy(qm, tmp_path)
    (tmp_path / "ketalog_de.ts").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
        '<TS version="2.1" language="de" sourcelanguage="en"><context><name>Column</name>'
        "<message><source>Patient</source><translation>Patientin/Patient</translation>"
        "</message></context></TS>\n", encoding="utf-8")
    subprocess.run([str(lrelease), str(tmp_path / "ketalog_de.ts")], check=True,
                   capture_output=True)
    assert translation.install_translator(app, QLocale("de_DE"), folder=tmp_path) is not None
    assert QCoreApplication.translate("Column", "Patient") == "Patientin/Patient"
    translation.install_translator(app, QLocale("en_GB"), folder=tmp_path)  # replaces it
    assert QCoreApplication.translate("Column", "Patient") == "Patient"


def test_the_outcome_titles_marked_in_the_ui_are_the_services_columns() -> None:
    assert OUTCOME_TITLES == OUTCOME_COLUMNS


def test_every_document_title_shown_is_marked_and_is_the_printed_one() -> None:
    from ketalog.domain.documents import DocumentKind
    from ketalog.services.document_kinds import document_type
    from ketalog.ui.core.documents import DOCUMENT_TITLES

    assert set(DOCUMENT_TITLES) == set(DocumentKind)
    assert {kind: document_type(kind).title for kind in DocumentKind} == DOCUMENT_TITLES
