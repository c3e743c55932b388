"""The course window's buttons: screening, order, plan the series, maintenance, complete, stop.

Each opens its own dialog or calls one service through the UI context; the
course window reloads afterwards so what it shows is what is stored. Buttons a
role may not use stay visible but disabled, with the reason as the tooltip.
The two that change the course at once (maintenance, complete) are kit
action buttons with their own keys; the others open a dialog and may have
the focus.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QPushButton

from ketalog.services.access import Permission, may
from ketalog.services.booking import complete_course, start_maintenance
from ketalog.ui.course.course_page import CourseDialog
from ketalog.ui.course.order_dialog import StandingOrderDialog
from ketalog.ui.course.screening_dialog import ScreeningDialog
from ketalog.ui.course.series_dialog import PlanSeriesDialog, StopCourseDialog
from ketalog.ui.widgets import ActionButton, Button

#: Module functions have no ``self.tr``: their strings are filed under "CourseActions"
#: (lupdate and the running app must agree on the context, and ``window.tr`` would
#: look them up under the window's class).
translate = QCoreApplication.translate


def add_course_actions(window: CourseDialog) -> dict[str, QPushButton]:
    """Fill the course window's action row; returns the buttons by name (tests use them)."""
    ctx, course_id = window.ctx, window.course_id
    role = ctx.actor().role
    buttons: dict[str, QPushButton] = {}

    def button(name: str, text: str, tip: str, action: Callable[[], None],
               permission: Permission, shortcut: str | None = None) -> None:
        widget: QPushButton = (ActionButton(text, shortcut=shortcut) if shortcut
                               else Button(text))
        widget.setObjectName(name)
        allowed = may(role, permission)
        widget.setEnabled(allowed)
        who = (translate("CourseActions", "physician")
               if permission in (Permission.MANAGE_COURSE, Permission.ORDER_DOSE)
               else translate("CourseActions", "clinician"))
        widget.setToolTip(tip if allowed else translate(
            "CourseActions", "Only a %1 can do this.").replace("%1", who))
        widget.clicked.connect(action)
        window.actions.addWidget(widget)
        buttons[name] = widget

    def after(dialog_run: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            dialog_run()
            window.refresh()
        return run

    def screening() -> None:
        ScreeningDialog(ctx, course_id, window).exec()

    def standing_order() -> None:
        StandingOrderDialog(ctx, course_id, window).exec()

    def plan() -> None:
        PlanSeriesDialog(ctx, course_id, window).exec()

    def stop() -> None:
        StopCourseDialog(ctx, course_id, window).exec()

    def service(call: Callable[..., None], done: str) -> Callable[[], None]:
        def run() -> None:
            actor, clock = ctx.actor(), ctx.clock
            outcome = ctx.run(lambda db: call(db, actor, course_id, clock=clock))
            if outcome.error:
                QMessageBox.warning(window, translate("CourseActions", "Not done"),
                                    outcome.error)
            else:
                window.message.show_info(done)
            window.refresh()
        return run

    button("screening", translate("CourseActions", "Screening…"),
           translate("CourseActions",
                     "The eligibility screening: findings, cautions, the physician's approval"),
           after(screening), Permission.SCREEN)
    button("standing_order", translate("CourseActions", "Physician's order…"),
           translate("CourseActions", "Enter and sign the course's standing order (dose, "
                     "duration, weight basis, titration)"),
           after(standing_order), Permission.ORDER_DOSE)
    button("plan_series", translate("CourseActions", "Plan series…"),
           translate("CourseActions",
                     "Book the induction series (e.g. Mon/Wed/Fri) around closed days"),
           after(plan), Permission.SCHEDULE)
    button("start_maintenance", translate("CourseActions", "Start maintenance"),
           translate("CourseActions", "Induction done: boosters continue the numbering"),
           service(start_maintenance,
                   translate("CourseActions", "The course is in maintenance now.")),
           Permission.MANAGE_COURSE, "Alt+M")
    button("complete_course", translate("CourseActions", "Complete course"),
           translate("CourseActions", "Mark the course completed (nothing may still be booked)"),
           service(complete_course, translate("CourseActions", "The course is completed.")),
           Permission.MANAGE_COURSE, "Alt+C")
    button("stop_course", translate("CourseActions", "Stop course…"),
           translate("CourseActions",
                     "Stop the course with a reason; sessions still booked are cancelled"),
           after(stop), Permission.MANAGE_COURSE)
    window.actions.addStretch(1)
    return buttons
