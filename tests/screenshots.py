"""README's pictures, taken from the real app on the demo clinic (``make screenshots``).

The demo clinic is built at a fixed moment and the app runs on a clock stopped
at that moment, so the pictures change only when the app does. Each scene is
the main window as a nurse sees it, at the clinic laptop's 1366x768 (the
README's pictures, in ketalog/resources/screenshots) and at 1920x1080 (beside them,
for review). Runs on Qt's offscreen platform, or on a real X display when
QT_QPA_PLATFORM=xcb and DISPLAY are set.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KETALOG_CONFIG_DIR"] = tempfile.mkdtemp(prefix="ketalog-shots-config-")

from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from ketalog.services.accounts import authenticate
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.demo import build_demo_clinic
from ketalog.store.models import TreatmentSession
from ketalog.ui.main_window import MainWindow

#: The demo clinic's "now": a weekday afternoon with every chair busy.
MOMENT = datetime(2026, 11, 20, 19, 5, tzinfo=UTC)
SIZES = ((1366, 768), (1920, 1080))
OUT = Path(__file__).resolve().parent.parent / "ketalog" / "resources" / "screenshots"


def _settle(app: QApplication) -> None:
    for _ in range(30):
        app.processEvents()


def _session(engine: object, state: str) -> int:
    factory = make_sessionmaker(engine)  # type: ignore[arg-type]
    with factory() as db:
        found = db.scalars(select(TreatmentSession.id).where(
            TreatmentSession.state == state).order_by(TreatmentSession.scheduled_at_utc.desc())
        ).first()
    if found is None:
        raise SystemExit(f"the demo clinic has no {state} session today")
    return found


def _show_vial_box(window: MainWindow) -> None:
    """Scroll the Dose tab down to the vial box (the draw still open while the pump runs)."""
    from ketalog.ui.session.panels.vial_box import VialBox
    from ketalog.ui.widgets import ScrollingPage

    box = window.findChild(VialBox)
    page = box.parentWidget() if box is not None else None
    while page is not None and not isinstance(page, ScrollingPage):
        page = page.parentWidget()
    if box is not None and isinstance(page, ScrollingPage):
        page.ensureWidgetVisible(box.summary_label, 0, 0)
        page.ensureWidgetVisible(box.settle_area, 0, 0)


def main() -> int:
    """Build the demo clinic, take every scene at both sizes, write the PNG files."""
    folder = Path(tempfile.mkdtemp(prefix="ketalog-shots-"))
    engine = open_database(f"sqlite:///{folder / 'demo.sqlite3'}")
    with make_sessionmaker(engine)() as db:
        build_demo_clinic(db, now=MOMENT)
    with make_sessionmaker(engine)() as db:
        user = authenticate(db, "nurse", "nurse-demo-pass", workstation="screenshots",
                            purpose="login", clock=lambda: MOMENT)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    scenes: list[tuple[str, Callable[[MainWindow], None]]] = [
        ("day-board", lambda w: w.show_board()),
        ("session-in-progress", lambda w: (w.open_session(_session(engine, "infusing")),
                                           w._show_panel(3))),
        ("session-paused", lambda w: (w.open_session(_session(engine, "paused")),
                                      w._show_panel(3))),
        ("session-recovery", lambda w: (w.open_session(_session(engine, "recovering")),
                                        w._show_panel(6))),
        ("session-checked-in", lambda w: (w.open_session(_session(engine, "checked_in")),
                                          w._show_panel(2))),
        ("session-vial", lambda w: (w.open_session(_session(engine, "infusing")),
                                    w._show_panel(2), _show_vial_box(w))),
        ("session-discharged", lambda w: (w.open_session(_session(engine, "discharged")),
                                          w._show_panel(8))),
        ("lock-page", lambda w: w.lock()),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        for name, scene in scenes:
            window = MainWindow(engine, "sqlite:///demo.sqlite3", clock=lambda: MOMENT,
                                user=user)
            window.resize(width, height)
            window.show()
            _settle(app)
            scene(window)
            _settle(app)
            suffix = "" if (width, height) == SIZES[0] else f"-{width}x{height}"
            path = OUT / f"{name}{suffix}.png"
            window.grab().save(str(path))
            print(f"{path.relative_to(OUT.parents[2])}")
            window.close()
            window.deleteLater()
            _settle(app)
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
