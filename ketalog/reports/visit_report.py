"""The patient's take-home visit report: what was given, how it went, aftercare, what next.

Written for the patient, in plain words and a larger type, from the same
recorded data as the chart copy (the dose actually delivered comes from the
pump log, not the order).

No "DRAFT" mark: the nurse prints this at discharge, usually before the
physician signs the session, and a draft stamp on a patient's own copy would
alarm without telling them anything. It states only recorded facts (the drug
given, times, readings) and fixed aftercare advice, none of which the
physician's signature changes; the chart copy (the session summary) is the
document that carries the signature status.

Facts come from events (pauses counted from pause events, times as recorded,
the visit dated by its check-in and discharge). The nurse's free text (an
intervention's indication and outcome, a stop or cancel reason) is written for
the chart and never printed here: an intervention reads through the
formulary's patient wording, and an escort's phone number is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, ListFlowable, ListItem, Paragraph, Spacer

from ketalog.domain.clinic_time import clock_text
from ketalog.domain.infusion import PumpEvent, pause_count
from ketalog.domain.session_state import SessionState
from ketalog.reports.base import (
    FONT_BOLD,
    PageFrame,
    StruckText,
    escape,
    render,
    struck_markup,
    stylesheet,
)
from ketalog.reports.charts import infusion_intervals
from ketalog.reports.inputs import (
    VISIT_REPORT_TITLE,
    CourseSessionLine,
    SessionDetail,
    VisitReportData,
    VitalRow,
)
from ketalog.reports.session_summary import (
    FRAME_WIDTH,
    delivered,
    fast_table,
    identity_line,
    in_progress_text,
    mg_text,
    plain_decimal,
)

TITLE = VISIT_REPORT_TITLE
COURSE_STATUS = {
    "scheduled": "booked", "checked_in": "in progress", "infusing": "in progress",
    "paused": "in progress", "recovering": "in progress", "discharged": "done",
    "signed": "done", "cancelled": "cancelled", "stopped_early": "stopped early",
}
#: Alert codes by what a patient would call them.
_BP = ("predose_bp_high", "sbp_high", "dbp_high")
FLAG_WORDS = {
    "sedation": "you were very sleepy for a while",
    "dissociation": "you felt detached or dreamlike for a while (dissociation)",
    "respiratory_depression": "your breathing became slow or shallow for a while",
}


#: A run of 6+ digits, allowing spaces, dots, dashes, brackets and a leading +: a phone number.
_PHONE = re.compile(r"\+?\(?\d[\d\s().\-/]{4,}\d")


def without_phone_numbers(text: str) -> str:
    """The escort as the patient's copy prints it: a phone number typed with the name goes.

    The take-home report may be read by anyone who finds it; the escort's number
    is the clinic's business, not the page's.
    """
    cleaned = _PHONE.sub("", text)
    cleaned = re.sub(r"\(\s*\)|\[\s*\]", "", cleaned)  # brackets left empty
    cleaned = re.sub(r"\b(tel|phone|ph|mobile|cell)\b\.?:?", "", cleaned, flags=re.IGNORECASE)
    return re.sub(r"\s{2,}", " ", cleaned).strip(" ,;:-")


def visit_day(detail: SessionDetail) -> datetime:
    """When the visit really happened: check-in, else the first pump event, else the booking."""
    if detail.checked_in_at_utc is not None:
        return detail.checked_in_at_utc
    if detail.infusion_events:
        return min(e.at_utc for e in detail.infusion_events)
    return detail.scheduled_at_utc


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


class _VisitReport:
    """Builds the flowables of one visit report."""

    def __init__(self, data: VisitReportData) -> None:
        self.data = data
        self.d: SessionDetail = data.detail
        self.tz = data.tz
        sheet = stylesheet()
        self.body = ParagraphStyle("patient", parent=sheet["body"], fontSize=10.5, leading=14,
                                   spaceAfter=3)
        self.bold = ParagraphStyle("patient_bold", parent=self.body, fontName=FONT_BOLD)
        self.h2 = ParagraphStyle("patient_h2", parent=sheet["h2"], fontSize=12.5, leading=16,
                                 spaceBefore=10, keepWithNext=True)
        self.title = sheet["title"]
        self.as_of = data.as_of_utc

    def t(self, value: datetime | None) -> str:
        return "" if value is None else clock_text(value, self.tz)

    def day(self, value: datetime) -> str:
        local = value.astimezone(self.tz)
        return f"{local:%A} {local.day} {local:%B %Y}"

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        if isinstance(text, StruckText):  # an entry entered in error: legible, struck through
            return Paragraph(struck_markup(text), style or self.body)
        return Paragraph(escape(text).replace("\n", "<br/>"), style or self.body)

    def _in_error(self, line: str, row: object) -> list[str]:
        """A line about an entry entered in error: struck through, then who marked it when.

        The reason stays on the chart copy: it may name another patient.
        """
        mark = getattr(row, "void", None)
        if mark is None:
            return [line]
        by = f" by {mark.by_name}" if mark.by_name else ""
        return [StruckText(line), f"The line above was recorded in error{by} at "
                                  f"{self.t(mark.at_utc)}; it does not apply to you."]

    def bullets(self, lines: Sequence[str]) -> Flowable:
        return ListFlowable([ListItem(self.p(line), leftIndent=12, value="•") for line in lines],
                            bulletType="bullet", start="•", leftIndent=12)

    def heading(self, text: str) -> Paragraph:
        return Paragraph(escape(text), self.h2)

    # sections ----------------------------------------------------------------------------

    def flowables(self) -> list[Flowable]:
        d = self.d
        arrived = visit_day(d)
        when = f"Your visit on {self.day(arrived)}"
        if d.checked_in_at_utc is not None:
            when += f", {self.t(d.checked_in_at_utc)}"
            if d.discharged_at_utc is not None:
                when += f" to {self.t(d.discharged_at_utc)}"
        out: list[Flowable] = [
            self.p(when, self.title),
            self.p(f"{self.data.clinic.name}. Please keep this report; it tells you what you "
                   "were given today and what to do next."),
        ]
        out += [self.heading("What you were given"), *self.given()]
        out += [self.heading("How you did"), self.bullets(self.how_you_did())]
        out += [self.heading("Looking after yourself"), self.bullets(self.aftercare())]
        out += [self.heading("Who to call"), *self.who_to_call()]
        out += [self.heading("Your next appointment"), self.p(self.next_appointment())]
        out += [self.heading("Your treatment course"), *self.course()]
        return out

    def given(self) -> list[Flowable]:
        d, dose = self.d, self.d.dose
        events = [e for e in d.infusion_events if e.at_utc <= self.as_of]
        if dose is None or not any(e.kind == "start" for e in events):
            text = "You did not receive a treatment at this visit."
            if d.state == SessionState.CANCELLED:
                text += " The visit was cancelled; the clinic will talk with you about why."
            return [self.p(text)]
        drug = dose.drug.split(" (")[0]
        progress = delivered(d, self.as_of)
        amount = mg_text(progress.delivered_mg if progress else dose.total_mg)
        start = self.t(min(e.at_utc for e in events if e.kind == "start"))
        stops = [e for e in events if e.kind in ("stop", "stop_early")]
        end = self.t(stops[-1].at_utc) if stops else ""
        lines: list[str] = []
        bagged = dose.bag_volume_ml is not None and dose.bag_volume_ml > 0
        if dose.dosing_mode == "device":
            count = dose.device_count or 0
            lines.append(f"You received {plain_decimal(dose.total_mg, 'mg')} of {drug} as a "
                         f"nasal spray ({count} device{'s' if count != 1 else ''}), "
                         f"starting at {start}.")
        elif not bagged:
            lines.append(f"You received {plain_decimal(dose.total_mg, 'mg')} of {drug} by "
                         f"injection into a muscle at {start}.")
        else:
            running = in_progress_text(d, self.as_of, self.tz)
            if running:
                lines.append(f"{running}. You are receiving {drug} by IV infusion, "
                             f"which started at {start}.")
            else:
                lines.append(f"You received {amount} of {drug} by IV infusion from {start} "
                             f"to {end}.")
            pauses = pause_count([PumpEvent(e.kind, e.at_utc) for e in events])
            if pauses:
                spans = infusion_intervals(events, self.as_of).paused
                minutes = sum(((p.end or p.start) - p.start).total_seconds() for p in spans) / 60
                lines.append(f"The infusion was paused {_times(pauses)} (about "
                             f"{round(minutes)} minutes in total).")
        early = [e for e in stops if e.kind == "stop_early"]
        if early:
            what = "infusion" if bagged else "treatment"
            lines.append(f"The {what} was stopped early at {self.t(early[-1].at_utc)}; "
                         "your nurse will have talked with you about why.")
            if bagged:
                lines.append(f"You received {amount} of the planned "
                             f"{plain_decimal(dose.total_mg, 'mg')}.")
        if dose.weight_kg is not None:
            per = (f"{plain_decimal(dose.dose_mg_per_kg)} mg for each kg"
                   if dose.dose_mg_per_kg is not None
                   else f"{plain_decimal(dose.rate_mg_per_kg_per_h)} mg for each kg per hour")
            lines.append(f"Your dose was worked out from your weight of "
                         f"{plain_decimal(dose.weight_kg, 'kg')} ({per}).")
        return [self.p(line) for line in lines]

    def how_you_did(self) -> list[str]:
        d = self.d
        live = sorted((v for v in d.vitals if not v.voided), key=lambda v: v.taken_at_utc)
        lines: list[str] = []
        if live:
            lines += self._vitals_lines(live)
        else:
            lines.append("No blood pressure or other readings were recorded.")
        for flag in d.event_flags:
            words = FLAG_WORDS.get(flag.kind, flag.kind.replace("_", " "))
            passed = f"; this had passed by {self.t(flag.until_utc)}" if flag.until_utc else ""
            lines += self._in_error(f"From {self.t(flag.at_utc)} {words}{passed}.", flag)
        for event in d.adverse_events:
            text = f"Side effect noted at {self.t(event.onset_at_utc)}: {event.kind}"
            text += f" ({event.severity})"
            if event.resolved_at_utc:
                text += f"; it had settled by {self.t(event.resolved_at_utc)}"
            lines += self._in_error(text + ".", event)
        told = self.data.intervention_words
        for index, given in enumerate(d.interventions):
            # the patient's wording from the formulary; the nurse's note never prints here
            what = told[index] if index < len(told) else "a medicine given by your care team"
            lines += self._in_error(f"At {self.t(given.given_at_utc)} you were also given "
                                    f"{what}.", given)
        if d.discharged_at_utc:
            escort = without_phone_numbers(d.escort_name or "")
            with_whom = f" with {escort}" if escort else ""
            ready = (f"You were ready to go home at {self.t(d.ready_to_leave_at_utc)} and left "
                     if d.ready_to_leave_at_utc else "You left ")
            lines.append(f"{ready}at {self.t(d.discharged_at_utc)}{with_whom}.")
        return lines

    def _vitals_lines(self, live: Sequence[VitalRow]) -> list[str]:
        last = live[-1]
        lines: list[str] = []

        def alerting(codes: Sequence[str]) -> list[VitalRow]:
            return [v for v in live if any(c in codes for c in v.alert_codes)]

        def settled(codes: Sequence[str], now: str) -> str:
            if any(c in codes for c in last.alert_codes):
                return f"; at your last check ({self.t(last.taken_at_utc)}) it was {now}"
            return f" and settled before you left (last check {now})"

        bp = alerting(_BP)
        if bp:
            top = max(bp, key=lambda v: (v.systolic_mmhg or 0, v.diastolic_mmhg or 0))
            lines.append(f"Your blood pressure rose (highest {self._bp(top)})"
                         + settled(_BP, self._bp(last)) + ".")
        for code, rising, attr, unit in (
            ("hr_high", "Your heart rate went up", "heart_rate_bpm", "beats a minute"),
            ("hr_low", "Your heart rate was slow at times", "heart_rate_bpm", "beats a minute"),
            ("spo2_low", "Your oxygen level dipped", "spo2_percent", "%"),
            ("rr_low", "Your breathing slowed", "resp_rate_per_min", "breaths a minute"),
        ):
            rows = alerting((code,))
            if not rows:
                continue
            values = [int(getattr(v, attr)) for v in rows if getattr(v, attr) is not None]
            if not values:
                continue
            extreme = max(values) if code == "hr_high" else min(values)
            word = "highest" if code == "hr_high" else "lowest"
            now_value = getattr(last, attr)
            now = f"{now_value} {unit}" if now_value is not None else "not measured"
            lines.append(f"{rising} ({word} {extreme} {unit})" + settled((code,), now) + ".")
        if not lines:
            lines.append(f"Your blood pressure, heart rate and oxygen level were checked "
                         f"{_times(len(live)) if len(live) < 3 else f'{len(live)} times'} "
                         "and stayed in the expected range.")
        return lines

    @staticmethod
    def _bp(v: VitalRow) -> str:
        if v.systolic_mmhg is None and v.diastolic_mmhg is None:
            return "not measured"
        return f"{v.systolic_mmhg or '-'}/{v.diastolic_mmhg or '-'}"

    def aftercare(self) -> list[str]:
        return [
            "Do not drive, ride a bike or use machinery until the next day, after a night's "
            "sleep.",
            "A responsible adult should take you home and stay with you for the rest of "
            "today.",
            "Do not drink alcohol for the rest of today.",
            "Feeling a little dizzy, sick or unreal for a few hours is common. Rest, drink "
            "water and eat something light.",
            "Do not make important decisions or sign anything important until tomorrow.",
        ]

    def who_to_call(self) -> list[Flowable]:
        clinic = self.data.clinic
        phone = f" on {clinic.phone}" if clinic.phone else ""
        return [
            self.p(f"If you have questions or feel unwell after this visit, call "
                   f"{clinic.name}{phone}."),
            self.p("If you have chest pain, trouble breathing, fainting, or thoughts of "
                   "harming yourself, call your local emergency number now.", self.bold),
        ]

    def next_appointment(self) -> str:
        when = self.data.next_appointment_utc
        if when is None:
            return "No next appointment is booked yet. The clinic will arrange it with you."
        return f"{self.day(when)} at {self.t(when)}."

    def course(self) -> list[Flowable]:
        d = self.d
        out: list[Flowable] = []
        done = sum(1 for line in self.data.course
                   if COURSE_STATUS.get(line.state) == "done"
                   or (line.session_id == d.id and d.dose_started_at_utc is not None))
        if d.sequence_number is not None:
            out.append(self.p(f"This was infusion {d.sequence_number} of "
                              f"{d.planned_infusions} planned in your course. "
                              f"Treatments given so far: {done}."))
        else:
            out.append(self.p(f"Your course plans {d.planned_infusions} treatments. "
                              f"Treatments given so far: {done}."))
        if self.data.course:
            out.append(Spacer(1, 1.5 * mm))
            out.append(self._course_table(self.data.course))
        return out

    def _course_table(self, lines: Sequence[CourseSessionLine]) -> Any:
        rows = []
        current = 0
        for index, line in enumerate(lines):
            this = line.session_id == self.d.id
            if this:
                current = index
            status = COURSE_STATUS.get(line.state, line.state.replace("_", " "))
            if this:
                status = f"{status} (this visit)" if status != "done" else "this visit"
            at = visit_day(self.d) if this else line.scheduled_at_utc  # this visit: when it was
            when = f"{self.day(at)}, {self.t(at)}"
            dose = plain_decimal(line.total_mg, "mg") if line.total_mg is not None else ""
            if line.state in (SessionState.SCHEDULED, SessionState.CANCELLED):
                dose = ""
            rows.append([str(line.number) if line.number is not None else "", when, status,
                         dose])
        widths = [12 * mm, 80 * mm, 45 * mm]
        widths.append(FRAME_WIDTH - sum(widths))
        return fast_table(["No.", "Date", "Status", "Dose ordered"], rows, widths,
                          emphasised_rows=[current], font_size=9)


def build_visit_report(data: VisitReportData) -> bytes:
    """The patient's take-home report as PDF bytes (never marked as a draft; see module doc).

    Raises:
        ReportError: the document could not be laid out.
    """
    frame = PageFrame(data.clinic, TITLE,
                      identity_line(data.detail, data.tz, "visit", at=visit_day(data.detail)),
                      draft=False)
    return render(_VisitReport(data).flowables(), frame)

