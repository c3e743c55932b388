"""In-session scales at the chair: MOAA/S, CADSS-6 (or -23), nausea, anxiety, pain.

One click records a quick score; the keyboard puts a cursor on a value first
and records it with Enter, so a stray key press never stores a score. Each
item is one stop in the Tab order (:class:`~ketalog.ui.widgets.ChoiceRow`).
The CADSS form takes one digit per item, moves to the next item by itself and
records with Enter; once recorded it shows the result, its time and author
until "Record another". In-session scores close when the patient leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.scales import SCALES, get_scale
from ketalog.domain.session_state import SessionState
from ketalog.services.session.entries import record_scale
from ketalog.services.session_detail import ScoreRow
from ketalog.services.session_view import SessionView
from ketalog.ui.core.context import DraftStore, SessionController
from ketalog.ui.core.style import OK_MARK, big_font
from ketalog.ui.core.translation import QT_TRANSLATE_NOOP
from ketalog.ui.widgets import (
    ChoiceRow,
    Column,
    CorrectionSource,
    ItemsForm,
    RowsModel,
    SessionPanel,
    choice_values,
    hint,
    make_table,
    with_void,
)

#: Sessions in these states take no more in-session scores: the patient has left.
SCORES_CLOSED = frozenset({SessionState.DISCHARGED, SessionState.SIGNED,
                           SessionState.CANCELLED})


def local_hhmm(at_utc: datetime | None, tz: ZoneInfo) -> str:
    """A stored UTC instant as the clinic's wall-clock time ("14:05"); "" for none."""
    return "" if at_utc is None else clock_text(at_utc, tz)


def recorded_line(row: ScoreRow, tz: ZoneInfo) -> str:
    """A recorded score in words: "CADSS-6 7 / 24 recorded at 10:05 by Nora Reyes, RN"."""
    scale = SCALES.get(row.scale)
    name = scale.name if scale else row.scale
    total = f"{row.total} / {scale.max_total}" if scale else str(row.total)
    band = f" ({row.band})" if row.band else ""
    by = f" by {row.recorded_by_name}" if row.recorded_by_name else ""
    return f"{name} {total}{band} recorded at {local_hhmm(row.taken_at_utc, tz)}{by}"


def scores_closed_text(view: SessionView, tz: ZoneInfo) -> str | None:
    """Why in-session scores are closed (the patient has left), or None while open."""
    detail = view.detail
    if detail.state not in SCORES_CLOSED or detail.discharged_at_utc is None:
        return None
    return (f"The patient was discharged at {local_hhmm(detail.discharged_at_utc, tz)}: "
            "in-session scores are closed.")


# --- scales panel ---------------------------------------------------------------------


def _items_text(row: ScoreRow) -> str:
    scale = SCALES.get(row.scale)
    if scale is None or len(scale.items) == 1:
        return ""
    return "  ".join(f"{item.number}:{value}"
                     for item, value in zip(scale.items, row.item_scores, strict=False))


def _scale_name(row: ScoreRow) -> str:
    scale = SCALES.get(row.scale)
    return scale.name if scale else row.scale


def _total_text(row: ScoreRow) -> str:
    scale = SCALES.get(row.scale)
    return f"{row.total} / {scale.max_total}" if scale else str(row.total)


class ScoresTableModel(RowsModel[ScoreRow]):
    """Scores recorded in the session, newest first: time, scale, total, band, items, by."""

    TIME, SCALE, TOTAL, BAND, ITEMS, BY = range(6)

    def __init__(self, tz: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__((
            Column(QT_TRANSLATE_NOOP("Column", "Time"), lambda r: local_hhmm(r.taken_at_utc, tz)),
            Column(QT_TRANSLATE_NOOP("Column", "Scale"), _scale_name),
            Column(QT_TRANSLATE_NOOP("Column", "Total"), _total_text),
            Column(QT_TRANSLATE_NOOP("Column", "Band"), lambda r: r.band or ""),
            Column(QT_TRANSLATE_NOOP("Column", "Items"),
                   lambda r: with_void(_items_text(r), r, tz)),
            Column(QT_TRANSLATE_NOOP("Column", "By"), lambda r: r.recorded_by_name),
        ), parent)


#: The 0-10 ratings offered as quick entry, in screen order.
QUICK_RATINGS = ("nausea", "anxiety", "pain")


class ScalesPanel(SessionPanel):
    """Sedation, dissociation and symptom scores for the open session.

    Attributes used by tests and the main window: ``moaas`` (ChoiceRow),
    ``ratings`` (code -> ChoiceRow), ``cadss_form`` (ItemsForm), ``full_cadss``
    (QCheckBox), ``scores_model``, ``message``, ``entry_message``, ``entry_area``.
    """

    DRAFT_FORM = "scales.cadss"

    def __init__(self, controller: SessionController, drafts: DraftStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(controller, drafts, parent)
        tz = controller.ctx.tz
        #: "Record another" was asked for the CADSS of this session
        self._another_cadss = False
        entry = QVBoxLayout(self.entry_area)
        entry.setContentsMargins(0, 0, 0, 0)

        moaas = get_scale("moaas")
        sedation = QGroupBox(self.tr("Sedation (MOAA/S)"))
        self.moaas = ChoiceRow(choice_values(moaas, moaas.items[0].anchors),
                               moaas.items[0].anchors, checkable=False, points=14,
                               vertical=True)
        self.moaas.setAccessibleName(self.tr("Sedation, MOAA/S"))
        self.moaas.chosen.connect(lambda v: self._record_quick("moaas", v))
        self.moaas_last = QLabel()
        box = QVBoxLayout(sedation)
        box.addWidget(hint(self.tr("Click records at once; or type the score (or use the "
                                   "arrows), then Enter.")))
        box.addWidget(self.moaas)
        box.addWidget(self.moaas_last)
        entry.addWidget(sedation)

        ratings = QGroupBox(self.tr("Nausea, anxiety, pain (0-10)"))
        grid = QGridLayout(ratings)
        grid.addWidget(hint(self.tr("Click records at once; or type the number (1 then 0 "
                                    "for 10), then Enter.")), 0, 0)
        self.ratings: dict[str, ChoiceRow] = {}
        self.rating_last: dict[str, QLabel] = {}
        for line, code in enumerate(QUICK_RATINGS):
            scale = get_scale(code)
            anchors = scale.items[0].anchors
            row = ChoiceRow(choice_values(scale, anchors), {}, checkable=False, points=13)
            row.setAccessibleName(scale.name)
            for value, anchor in anchors.items():
                row.buttons[value].setToolTip(f"{value}: {anchor}")
            row.chosen.connect(lambda v, c=code: self._record_quick(c, v))
            name = QLabel(f"{scale.name}")
            big_font(name, 13)
            name.setBuddy(row)
            name.setToolTip("; ".join(f"{v} = {a}" for v, a in anchors.items()))
            last = QLabel()
            title = QHBoxLayout()
            title.addWidget(name)
            title.addWidget(last, 1)
            grid.addLayout(title, 2 * line + 1, 0)
            grid.addWidget(row, 2 * line + 2, 0)
            self.ratings[code] = row
            self.rating_last[code] = last
        entry.addWidget(ratings)

        dissociation = QGroupBox(self.tr("Dissociation (CADSS)"))
        self.full_cadss = QCheckBox(self.tr("Full CADSS-23 (all 23 items, 0-92)"))
        self.full_cadss.toggled.connect(self._switch_cadss)
        self.cadss_form = ItemsForm(get_scale("cadss6"), repeatable=True)
        self.cadss_form.changed.connect(self._keep_draft)
        self.cadss_form.submitted.connect(self._record_cadss)
        self.cadss_form.another_button.clicked.connect(self._cadss_again)
        box = QVBoxLayout(dissociation)
        box.addWidget(hint(self.tr("Score at the peak (end of infusion). One digit per item "
                                   "moves to the next; Enter records.")))
        box.addWidget(self.full_cadss)
        box.addWidget(self.cadss_form)
        entry.addWidget(dissociation)
        # the checkbox, then the CADSS items in order
        QWidget.setTabOrder(self.ratings[QUICK_RATINGS[-1]], self.full_cadss)
        QWidget.setTabOrder(self.full_cadss, self.cadss_form.first_row())

        self.scores_model = ScoresTableModel(tz, self)
        self.scores_table = make_table(self.scores_model, ScoresTableModel.ITEMS)
        self.scores_table.setMinimumHeight(160)
        layout = QVBoxLayout()
        layout.addWidget(self.entry_area)
        layout.addWidget(self.message)
        layout.addWidget(QLabel(self.tr("Scores recorded (newest first)")))
        layout.addWidget(self.scores_table, 1)
        self.correction = self.correction_action([CorrectionSource(
            self.scores_table,
            lambda r: self.tr("the %1 %2 at %3").replace("%1", _scale_name(r))
            .replace("%2", _total_text(r)).replace("%3", local_hhmm(r.taken_at_utc, tz)),
            lambda row_id, reason: self.mark_entry("scale_scores", row_id, reason))])
        layout.addWidget(self.correction)
        self.set_content(layout)
        self.entry_area.setEnabled(False)
        self.follow_session()

    # -- view -------------------------------------------------------------------------

    def session_changed(self, view: SessionView) -> None:
        """Another session: its CADSS draft, and no "Record another" carried over."""
        self._another_cadss = False
        self._restore_draft()

    def show_view(self, view: SessionView) -> None:
        """Show the session as stored now; keep what is being typed."""
        tz = self.ctx.tz
        closed = scores_closed_text(view, tz)
        if closed is not None and view.entry_refusal is None:
            self.entry_area.setEnabled(False)
            self.entry_message.show_error(closed)
        scores = view.detail.scores
        self.scores_model.set_rows(sorted(scores, key=lambda s: (s.taken_at_utc, s.id),
                                          reverse=True))
        for code, label in [("moaas", self.moaas_last), *self.rating_last.items()]:
            latest = [s for s in view.detail.live_scores if s.scale == code]
            label.setText("" if not latest else self.tr("Last: %1 at %2").replace(
                "%1", str(latest[-1].total)).replace("%2", local_hhmm(latest[-1].taken_at_utc, tz))
                + (f" ({latest[-1].recorded_by_name})" if latest[-1].recorded_by_name else ""))
        self._show_cadss(view)

    def next_field(self, view: SessionView) -> QWidget | None:
        """Alt+4 lands on the sedation score."""
        return self.moaas

    def _show_cadss(self, view: SessionView) -> None:
        """The last CADSS of the session as recorded, unless another is being scored."""
        form = self.cadss_form
        latest = [s for s in view.detail.live_scores if s.scale in ("cadss6", "cadss23")]
        typing = any(v is not None for v in form.values()) and not form.showing_recorded
        if latest and not self._another_cadss and not typing:
            row = latest[-1]
            if form.scale.code != row.scale:
                self.full_cadss.blockSignals(True)
                self.full_cadss.setChecked(row.scale == "cadss23")
                self.full_cadss.blockSignals(False)
                form.set_scale(get_scale(row.scale))
            form.show_recorded(recorded_line(row, self.ctx.tz), row.item_scores)
            self.full_cadss.setEnabled(False)
        elif form.showing_recorded:
            form.new_entry(focus=False)
            self.full_cadss.setEnabled(True)

    # -- actions ----------------------------------------------------------------------

    def _record(self, code: str, items: list[int | None],
                retry: Callable[[], object] | None = None) -> str | None:
        """Record one score; return None when stored, else the refusal."""
        clock = self.ctx.clock
        outcome = self.act(lambda db, actor, sid: record_scale(
            db, actor, sid, code, items, clock=clock), retry=retry)
        return outcome.error

    def _confirmation(self, code: str) -> str:
        latest = [s for s in (self.view.detail.live_scores if self.view else ())
                  if s.scale == code]
        return f"{recorded_line(latest[-1], self.ctx.tz)}." if latest else ""

    def _record_quick(self, code: str, value: int) -> None:
        error = self._record(code, [value])
        if error:
            self.message.show_error(error)
        else:
            self.message.show_info(f"{OK_MARK} {self._confirmation(code)}")

    def _record_cadss(self) -> None:
        form = self.cadss_form
        code = form.scale.code
        error = self._record(code, form.values(), retry=self._record_cadss)
        if error:
            form.message.show_error(error)
            form.focus_first()
            return
        self._another_cadss = False
        if self.session_id is not None:
            self.drafts.clear(self.session_id, self.DRAFT_FORM)
        form.clear()
        form.message.clear_message()
        if self.view is not None:
            self._show_cadss(self.view)

    def _cadss_again(self) -> None:
        self._another_cadss = True
        self.full_cadss.setEnabled(True)

    def _switch_cadss(self, full: bool) -> None:
        kept = self.cadss_form.draft()
        self.cadss_form.set_scale(get_scale("cadss23" if full else "cadss6"))
        # Items common to both forms keep their values.
        self.cadss_form.restore(kept)
        QWidget.setTabOrder(self.full_cadss, self.cadss_form.first_row())
        self._keep_draft()

    # -- drafts -----------------------------------------------------------------------

    def _keep_draft(self) -> None:
        if self.session_id is None or self.cadss_form.showing_recorded:
            return
        values = self.cadss_form.draft()
        if any(values.values()):
            values["form"] = self.cadss_form.scale.code
        self.drafts.put(self.session_id, self.DRAFT_FORM, values)

    def _restore_draft(self) -> None:
        assert self.session_id is not None
        draft = self.drafts.get(self.session_id, self.DRAFT_FORM)
        full = draft.get("form") == "cadss23"
        self.full_cadss.blockSignals(True)
        self.full_cadss.setChecked(full)
        self.full_cadss.blockSignals(False)
        self.full_cadss.setEnabled(True)
        if self.cadss_form.showing_recorded:
            self.cadss_form.new_entry(focus=False)
        if self.cadss_form.scale.code != ("cadss23" if full else "cadss6"):
            self.cadss_form.set_scale(get_scale("cadss23" if full else "cadss6"))
        self.cadss_form.clear()
        self.cadss_form.restore(draft)
        self.cadss_form.message.clear_message()
        if any(v is not None for v in self.cadss_form.values()):
            self._another_cadss = True  # a draft in progress is "another"
