"""Schedule a session from the board: find or register the patient, pick course, chair and time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, QTimeZone
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ketalog.services.booking import CHAIR_TAKEN_ENDING, INDICATIONS, book_session
from ketalog.services.patients import (
    PatientSummary,
    parse_birth_date,
    patient_courses,
    register_patient,
    search_patients,
)
from ketalog.services.protocols import list_protocols
from ketalog.services.settings import clinic_chairs
from ketalog.ui.core.context import Outcome, UiContext
from ketalog.ui.core.style import MessageLabel
from ketalog.ui.widgets import ActionButton, Button, ComboBox, DateTimeField, button_row
from ketalog.ui.widgets.questions import ask, instant_on_screen

NEW_COURSE = -1


class ScheduleDialog(QDialog):
    """Book a session; ``session_id`` holds the new session once accepted."""

    def __init__(self, ctx: UiContext, day: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session_id: int | None = None
        #: the instant booked (as chosen, on a night the clocks go back), once accepted
        self.booked_at: datetime | None = None
        self.patient: PatientSummary | None = None
        self.setWindowTitle(self.tr("Schedule a session"))
        self.setMinimumWidth(640)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Name, MRN or birth date (YYYY-MM-DD)"))
        self.results = QListWidget()
        self.results.setMaximumHeight(160)
        self.search.textChanged.connect(self._search)
        self.search.returnPressed.connect(self._choose_first)
        self.results.itemActivated.connect(self._choose)
        self.results.currentItemChanged.connect(lambda cur, _prev: self._choose(cur))

        self.family = QLineEdit()
        self.given = QLineEdit()
        self.birth = QLineEdit()
        self.birth.setPlaceholderText("YYYY-MM-DD")
        self.different_person = QCheckBox(self.tr("I checked: this is a different person"))
        self.different_person.hide()
        # registering and booking store a record: a click, their key, or Enter in the
        # last field of their form; never a stray Space
        self.register_button = ActionButton(self.tr("Register new patient"), shortcut="Alt+R")
        self.register_button.clicked.connect(self._register)
        new_box = QGroupBox(self.tr("New patient"))
        new_form = QFormLayout(new_box)
        new_form.addRow(self.tr("Family name"), self.family)
        new_form.addRow(self.tr("Given name"), self.given)
        new_form.addRow(self.tr("Birth date"), self.birth)
        new_form.addRow(self.different_person)
        new_form.addRow(self.register_button)

        self.chosen = QLabel(self.tr("No patient chosen"))
        self.course = ComboBox()
        self.course.currentIndexChanged.connect(self._course_changed)
        self.protocol = ComboBox()
        self.indication = ComboBox()
        self.indication.addItems(list(INDICATIONS))
        self.chair = ComboBox()
        self.when = DateTimeField()
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        booking = QGroupBox(self.tr("Booking"))
        form = QFormLayout(booking)
        form.addRow(self.tr("Patient"), self.chosen)
        form.addRow(self.tr("Course"), self.course)
        form.addRow(self.tr("Protocol (new course)"), self.protocol)
        form.addRow(self.tr("Indication (new course)"), self.indication)
        form.addRow(self.tr("Chair"), self.chair)
        form.addRow(self.tr("Date and time"), self.when)

        self.message = MessageLabel()
        self.schedule_button = ActionButton(self.tr("Schedule"), shortcut="Ctrl+Return")
        self.schedule_button.clicked.connect(self._schedule)
        self.register_button.bind_enter(self.birth)
        self.schedule_button.bind_enter(self.when)
        cancel = Button(self.tr("Close"), on_click=self.reject)
        buttons = button_row(cancel, self.schedule_button)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Find the patient")))
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        layout.addWidget(new_box)
        layout.addWidget(booking)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._load_choices(day)
        self._update_enabled()
        self.search.setFocus()

    # --- set-up ---------------------------------------------------------------------

    def _load_choices(self, day: date) -> None:
        outcome = self.ctx.run(lambda db: (list_protocols(db), clinic_chairs(db)))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            return
        protocols, chairs = outcome.value
        for choice in protocols:
            self.protocol.addItem(choice.name, choice.id)
        self.chair.addItems(chairs)
        now_local = self.ctx.clock().astimezone(self.ctx.tz)
        if day == now_local.date():
            start = (now_local + timedelta(minutes=15)).replace(second=0, microsecond=0)
            start = start.replace(minute=start.minute - start.minute % 15)
        else:
            start = datetime.combine(day, time(9, 0), tzinfo=self.ctx.tz)
        zone = QTimeZone(self.ctx.tz.key.encode())
        self.when.setDateTime(QDateTime(QDate(start.year, start.month, start.day),
                                        QTime(start.hour, start.minute), zone))

    # --- finding and registering ----------------------------------------------------------

    def _search(self, text: str) -> None:
        outcome = self.ctx.read(lambda db: search_patients(db, text))
        self.results.clear()
        for patient in outcome.value or []:
            item = QListWidgetItem(
                f"{patient.display_name}   born {patient.birth_date.isoformat()}   {patient.mrn}"
            )
            item.setData(Qt.ItemDataRole.UserRole, patient)
            self.results.addItem(item)
        if outcome.error:
            self.message.show_error(outcome.error)

    def _choose_first(self) -> None:
        if self.results.count():
            self.results.setCurrentRow(0)
            self._choose(self.results.item(0))
            self.course.setFocus()

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        patient = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(patient, PatientSummary):
            self._set_patient(patient)

    def _set_patient(self, patient: PatientSummary) -> None:
        self.patient = patient
        self.chosen.setText(f"{patient.display_name} ({patient.mrn}), born {patient.birth_date}")
        outcome = self.ctx.run(lambda db: patient_courses(db, patient.id))
        self.course.clear()
        for course in outcome.value or []:
            if course.status == "active":
                self.course.addItem(course.label, course.id)
        self.course.addItem(self.tr("New course..."), NEW_COURSE)
        self.message.clear_message()
        self._update_enabled()

    def _register(self) -> None:
        birth = parse_birth_date(self.birth.text())
        if birth is None:
            self.message.show_error(self.tr("Enter the birth date as YYYY-MM-DD."))
            self.birth.setFocus()
            return
        confirmed = self.different_person.isChecked()
        outcome = self.ctx.run(lambda db: register_patient(
            db, self.ctx.actor(), family_name=self.family.text(), given_name=self.given.text(),
            birth_date=birth, allow_duplicate=confirmed, clock=self.ctx.clock,
        ))
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            if "already registered" in (outcome.error or ""):
                self.different_person.show()
                self.search.setText(f"{self.family.text()} {self.given.text()}")
            return
        self.different_person.setChecked(False)
        self.different_person.hide()
        self._set_patient(outcome.value)
        self.message.show_info(self.tr("Registered %1.").replace("%1", outcome.value.mrn))

    # --- booking -----------------------------------------------------------------------

    def _course_changed(self) -> None:
        new = self.course.currentData() == NEW_COURSE
        self.protocol.setEnabled(new)
        self.indication.setEnabled(new)

    def _update_enabled(self) -> None:
        self.schedule_button.setEnabled(self.patient is not None)
        self.schedule_button.setToolTip(
            "" if self.patient else self.tr("Find or register the patient first.")
        )

    def scheduled_at(self) -> datetime | None:
        """The chosen date and time as an aware UTC instant.

        On the night the clocks go back a repeated time is asked about; a time
        that does not exist gives None, with the reason shown.
        """
        return instant_on_screen(self, self.when.dateTime(), self.ctx.tz,
                                 self.message.show_error)

    def _schedule(self) -> None:
        if self.patient is None:
            return
        patient = self.patient
        course_id = self.course.currentData()
        when = self.scheduled_at()
        if when is None:
            return

        new_course = course_id in (None, NEW_COURSE)

        def book(confirm: bool) -> Outcome[int]:
            return self.ctx.run(lambda db: book_session(
                db, self.ctx.actor(), patient_id=patient.id,
                course_id=None if new_course else course_id, chair=self.chair.currentText(),
                scheduled_at=when,
                protocol_id=self.protocol.currentData() if new_course else None,
                indication=self.indication.currentText() if new_course else None,
                confirm_chair_overlap=confirm, clock=self.ctx.clock,
            ))

        outcome = book(False)
        if (outcome.value is None and (outcome.error or "").endswith(CHAIR_TAKEN_ENDING)
                and ask(self, self.tr("Chair already booked"), outcome.error or "",
                        [self.tr("Book anyway")], self.tr("Cancel")) == 0):
            outcome = book(True)
        if outcome.value is None:
            self.message.show_error(outcome.error or "")
            return
        self.session_id, self.booked_at = outcome.value, when
        self.accept()
