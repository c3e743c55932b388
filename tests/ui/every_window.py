"""Every dialog and page outside the session screen, opened as the role that uses it.

``WINDOWS`` names each one; :func:`open_window` shows it filling the test
screen (1366x768; 1093x614 at 125 %, see tests/conftest.py) over
the chair fixture's clinic (with a second, unscreened course so the
screening and series forms are blank). Tests over every window
(kit rules, the wheel) parametrize over ``sorted(WINDOWS)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from ketalog.domain.rems import filing_status
from ketalog.services.booking import open_course
from ketalog.services.context import Actor
from ketalog.services.errors import Conflict
from ketalog.services.patients import register_patient
from ketalog.services.protocols import protocol_id_by_code
from ketalog.services.rems import RemsRow
from ketalog.services.users import UserSummary
from ketalog.store.workstation import ENV_CONFIG_DIR
from ketalog.ui.core.context import Outcome
from tests.staff import ADMIN, NURSE, PHYSICIAN
from tests.ui.conftest import Chair

Opener = Callable[[Chair, int], QWidget]


def sample_pdf() -> bytes:
    """A one-page PDF, as the print preview and save dialogs receive."""
    from io import BytesIO

    from reportlab.pdfgen.canvas import Canvas

    out = BytesIO()
    canvas = Canvas(out)
    canvas.drawString(72, 720, "Session summary")
    canvas.save()
    return out.getvalue()


def _rems_row(chair: Chair) -> RemsRow:
    day = chair.clock.now.date()
    return RemsRow(chair.session_id, "Ñúñez, José", "K000001", day, "discharged", True,
                   filing_status(day, None, day), None, None, None)


def _main_window(chair: Chair, _course: int) -> QWidget:
    from ketalog.ui.main_window import MainWindow

    return MainWindow(chair.engine, "sqlite:///kit", clock=chair.clock,
                      user=UserSummary(1, "nora", "Nora Reyes", "RN", "nurse"))


def _course(chair: Chair, course_id: int) -> QWidget:
    """The course window with its action row, as the main window opens it."""
    from ketalog.ui.course.course_actions import add_course_actions
    from ketalog.ui.course.course_page import CourseDialog

    dialog = CourseDialog(chair.ctx, course_id)
    add_course_actions(dialog)
    return dialog


_course.module = "course.course_page"  # type: ignore[attr-defined]


def _opener(module: str, name: str, *args: object) -> Opener:
    """``module.name(ctx, *args)``, with "course" and "session" standing for the chair's ids."""

    def open_it(chair: Chair, course_id: int) -> QWidget:
        import importlib

        kind = getattr(importlib.import_module(f"ketalog.ui.{module}"), name)
        ids = {"course": course_id, "session": chair.session_id, "day": chair.clock.now.date()}
        return kind(chair.ctx, *(ids.get(a, a) if isinstance(a, str) else a for a in args))

    open_it.module = module  # type: ignore[attr-defined]
    return open_it


def _plain(module: str, name: str, *args: Callable[[Chair], object]) -> Opener:
    def open_it(chair: Chair, _course: int) -> QWidget:
        import importlib

        kind = getattr(importlib.import_module(f"ketalog.ui.{module}"), name)
        return kind(*(make(chair) for make in args))

    open_it.module = module  # type: ignore[attr-defined]
    return open_it


def _stock_tab(tab: str) -> Opener:
    """The Controlled substances window on ``tab``, over a safe holding three vials."""

    def open_it(chair: Chair, _course: int) -> QWidget:
        from ketalog.services.stock import (
            ReceivedContainer,
            Supplier,
            add_stock_location,
            add_stock_product,
            receive_stock,
        )
        from ketalog.ui.stock.stock_window import StockDialog

        with chair.db() as db:
            place = add_stock_location(db, ADMIN, name="Main clinic safe",
                                       dea_number="FB7654329", address="12 Elm St",
                                       clock=chair.clock)
            product = add_stock_product(db, ADMIN, name="Ketamine HCl 50 mg/mL, 10 mL vial",
                                        substance="ketamine", strength_mg_per_ml="50",
                                        container_volume_ml="10", clock=chair.clock)
            receive_stock(db, NURSE, location_id=place, product_id=product,
                          received_on=chair.clock.now.date(),
                          supplier=Supplier("Henry Schein", "135 Duryea Road, Melville, NY",
                                            "AB1234563"), order_reference="INV-1",
                          containers=[ReceivedContainer("KE24A07", date(2027, 10, 31),
                                                        f"S9F3K2Q7P{n}") for n in range(3)],
                          clock=chair.clock)
        dialog = StockDialog(chair.ctx)
        dialog.tabs.setCurrentWidget(getattr(dialog, tab))
        return dialog

    open_it.module = "stock.stock_window"  # type: ignore[attr-defined]
    return open_it


def _ok(_text: str) -> Outcome[object]:
    return Outcome(value=None)


WINDOWS: dict[str, tuple[Actor, Opener]] = {
    "settings": (ADMIN, _plain("admin.settings_dialog", "SettingsDialog",
                               lambda c: "sqlite:///kit.sqlite3", lambda c: True)),
    "audit": (ADMIN, _opener("admin.audit_page", "AuditDialog")),
    "clinic settings": (ADMIN, _opener("admin.clinic_settings_page", "ClinicSettingsDialog")),
    "accounts": (ADMIN, _opener("admin.accounts_page", "AccountsDialog")),
    "protocols": (ADMIN, _opener("admin.protocols_page", "ProtocolsDialog")),
    "change my password": (NURSE, _opener("admin.accounts_page", "ChangePasswordDialog")),
    "rems": (NURSE, _opener("course.rems_page", "RemsDialog")),
    "rems mark filed": (NURSE, _opener("course.rems_page", "MarkFiledDialog", None)),
    "course": (PHYSICIAN, _course),
    "screening": (NURSE, _opener("course.screening_dialog", "ScreeningDialog", "course")),
    "screening override": (PHYSICIAN, _plain("course.screening_dialog", "OverrideDialog",
                                             lambda c: ["psychosis history"], lambda c: _ok)),
    "controlled substances": (ADMIN, _opener("stock.stock_window", "StockDialog")),
    **{f"controlled substances: {tab}": (ADMIN, _stock_tab(tab)) for tab in (
        "on_hand", "receive", "count", "discrepancies", "inventory", "transfer", "destruction",
        "loss", "set_up_tab")},
    "outcomes": (PHYSICIAN, _opener("board.outcomes_page", "OutcomesDialog")),
    "schedule": (NURSE, _opener("board.schedule_dialog", "ScheduleDialog", "day")),
    "plan series": (NURSE, _opener("course.series_dialog", "PlanSeriesDialog", "course")),
    "reschedule": (NURSE, _opener("course.series_dialog", "RescheduleDialog", "session")),
    "stop course": (PHYSICIAN, _opener("course.series_dialog", "StopCourseDialog", "course")),
    "standing order": (PHYSICIAN, _opener("course.order_dialog", "StandingOrderDialog", "course")),
    "conflict": (NURSE, _plain("core.conflict", "ConflictDialog", lambda c: Conflict(
        "the escort's name", "Maria", "Mario", "Nora Reyes, RN", "09:10", 3))),
    "sign": (PHYSICIAN, _plain("session.signing_panel", "SignDialog", lambda c: "Dr Paul Okafor",
                               lambda c: "Ñúñez, José  K000001", lambda c: _ok)),
    "print preview": (NURSE, _plain("core.documents", "PdfPreview", lambda c: sample_pdf(),
                                    lambda c: "Session summary", lambda c: "s.pdf")),
    "shortcut help": (NURSE, _plain("main_window", "ShortcutHelp")),
    "error": (NURSE, _plain("core.logs", "ErrorDialog", lambda c: "ValueError",
                            lambda c: Path("/var/log/ketalog/ketalog.log"))),
    "log-in": (NURSE, _opener("start.login", "LoginPage", "ws-1")),
    "first administrator": (ADMIN, _opener("start.login", "FirstAdministratorPage", "ws-1")),
    "lock": (NURSE, _opener("start.idle_lock", "LockPage", "ws-1")),
    "board": (NURSE, _opener("board.board_page", "BoardPage")),
    "waiting for signature": (PHYSICIAN, _opener("board.waiting_page", "WaitingPage")),
    "main window": (NURSE, _main_window),
}


def screen_size() -> QSize:
    """The test screen's size in Qt's (logical) pixels: 1366x768, 1093x614 at 125 %."""
    from PySide6.QtWidgets import QApplication

    return QApplication.primaryScreen().availableGeometry().size()


@pytest.fixture(autouse=True)
def no_workstation_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the real workstation settings."""
    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path / "config"))


def open_window(chair: Chair, qtbot: QtBot, name: str, *, resize: bool = True) -> QWidget:
    """Show the window ``name`` of :data:`WINDOWS` as its role would see it.

    ``resize``: filling the screen (1366x768, or 1093x614 at 125 %); without it,
    at the size the window chooses itself.
    """
    role, opener = WINDOWS[name]
    chair.actor[0] = role
    with chair.db() as db:  # a second patient's course, not screened: the forms are blank
        patient = register_patient(db, NURSE, family_name="Okonkwo", given_name="Ada",
                                   birth_date=date(1975, 6, 1), clock=chair.clock)
        course_id = open_course(db, NURSE, patient_id=patient.id,
                                protocol_id=protocol_id_by_code(db, "iv-depression-0.5"),
                                indication="treatment-resistant depression", clock=chair.clock)
    if name == "rems mark filed":
        from ketalog.ui.course.rems_page import MarkFiledDialog

        widget: QWidget = MarkFiledDialog(chair.ctx, _rems_row(chair))
    else:
        widget = opener(chair, course_id)
    qtbot.addWidget(widget)
    if resize:
        widget.resize(screen_size())
    widget.show()
    qtbot.waitExposed(widget)
    return widget


