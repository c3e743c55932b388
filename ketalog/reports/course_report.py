"""The course report: a patient's outcome scores across a treatment course.

For the physician following the course: who and what (indication, protocol,
phase, how far through the plan), the outcome on each scale recorded
(baseline, latest, change, response, remission), the indication's primary
scale first and marked, with the "no response after 3 infusions" flag spelled
out in words, a chart per scale with the baseline and the 50 % response line,
and every session's dose given and scores.

Response and remission are judged by ``ketalog.domain.outcomes`` (the
services hand the verdicts in); this module only words and draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from types import SimpleNamespace

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from ketalog.domain.errors import ValidationError
from ketalog.domain.outcomes import NO_RESPONSE_AFTER, REMISSION_BELOW, CourseOutcome
from ketalog.domain.scales import ScaleDefinition, get_scale
from ketalog.domain.session_state import SessionState
from ketalog.reports.base import (
    MARGIN,
    PAGE_SIZE,
    PageFrame,
    data_table,
    escape,
    local_time,
    render,
    struck_markup,
    stylesheet,
    void_words,
)
from ketalog.reports.course_chart import ChartPoint, ScaleSpec, number_text, score_chart
from ketalog.reports.day_log import NONE_TEXT, format_mg, state_label
from ketalog.reports.inputs import COURSE_REPORT_TITLE, CourseReportData, CourseSessionRow

TITLE = COURSE_REPORT_TITLE
NO_SCORES = "No outcome scores have been recorded in this course."
NO_RESPONSE_FLAG = f"No response after {NO_RESPONSE_AFTER} infusions"
WARNING_MARK = "\u26a0"
BODY_WIDTH = PAGE_SIZE[0] - 2 * MARGIN
_MARKERS = ("circle", "square", "triangle", "diamond")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def scale_name(code: str) -> str:
    """The printed name of a scale ("phq9" -> "PHQ-9"); the code itself if unknown."""
    definition = _definition(code)
    return code if definition is None else definition.name


def _definition(code: str) -> ScaleDefinition | None:
    try:
        return get_scale(code)
    except ValidationError:
        return None


def identity_line(data: CourseReportData) -> str:
    """Whose course, on every page: name, MRN, birth date and course number."""
    c = data.course
    return (f"{c.patient_name} \u00b7 MRN {c.mrn} \u00b7 born "
            f"{c.birth_date.isoformat()} \u00b7 course {c.course_id}")


def _scales_recorded(data: CourseReportData) -> list[str]:
    """Scales with at least one score: the primary scale first, then the usual order."""
    return list(data.course.scales)


def _with_band(code: str, total: int) -> str:
    definition = _definition(code)
    band = None if definition is None else definition.band_for(total)
    return f"{total} ({band})" if band else str(total)


def _signed(value: Decimal | int) -> str:
    text = number_text(value)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def change_text(outcome: CourseOutcome) -> str:
    """"-12 (-54.5 %)": the change from baseline, negative is improvement."""
    if outcome.baseline == 0:
        return f"{_signed(outcome.change)} (no % from a baseline of 0)"
    return f"{_signed(outcome.change)} ({_signed(outcome.percent_change)} %)"


def remission_text(outcome: CourseOutcome) -> str:
    """"yes", "no" or "no rule", with the threshold so the verdict can be checked."""
    threshold = REMISSION_BELOW.get(outcome.scale)
    if outcome.remission is None or threshold is None:
        return "no rule"
    return f"{'yes' if outcome.remission else 'no'} (< {threshold})"


def response_text(outcome: CourseOutcome) -> str:
    """"yes (<= 11)" / "no (<= 11)": the verdict and the score that would count."""
    if outcome.baseline <= 0:
        return "no (baseline 0)"
    half = number_text(Decimal(outcome.baseline) / 2)
    return f"{'yes' if outcome.response else 'no'} (\u2264 {half})"


def flag_text(outcome: CourseOutcome) -> str:
    """The physician's flag in words: infusions given, and what the scores show."""
    half = number_text(outcome.response_threshold)
    infusions = (f"{outcome.infusions_since_baseline} infusions have been given since the "
                 f"baseline of {outcome.baseline}")
    if outcome.follow_ups == 0:
        scores = "no score has been recorded since, so none shows a response"
    else:
        scores = (f"none of the {outcome.follow_ups} score"
                  f"{'' if outcome.follow_ups == 1 else 's'} since has fallen to {half} or below "
                  f"(a 50 % reduction); the latest is {outcome.latest}")
    return (f"{WARNING_MARK} {scale_name(outcome.scale)}: {NO_RESPONSE_FLAG.lower()}. "
            f"{infusions} and {scores}. For the physician to review the treatment plan.")


def status_text(data: CourseReportData) -> str:
    """"Active", "Completed on 2026-12-01", "Stopped on ...: reason"."""
    c = data.course
    text = c.status.replace("_", " ").capitalize()
    if c.ended_on is not None:
        text += f" on {c.ended_on.isoformat()}"
    if c.status_reason:
        text += f": {c.status_reason}"
    return text


def _facts(data: CourseReportData) -> Table:
    sheet = stylesheet()
    c = data.course
    booked = c.booked
    rows = [
        ("Patient", identity_line(data)),
        ("Indication", f"{c.indication} (judged on {scale_name(c.primary_scale)})"),
        ("Protocol", c.protocol_name),
        ("Phase", c.phase.capitalize()),
        ("Planned infusions", str(c.planned_infusions)),
        ("Infusions given", f"{c.infusions_given} of {c.planned_infusions} planned"
                            + (f"; {booked} more booked" if booked else "")),
        ("Course status", status_text(data)),
    ]
    table = Table([[Paragraph(escape(k), sheet["cell_bold"]), Paragraph(escape(v), sheet["cell"])]
                   for k, v in rows], colWidths=[34 * mm, BODY_WIDTH - 34 * mm])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
        ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _outcome_section(data: CourseReportData, scales: Sequence[str]) -> list[Flowable]:
    sheet = stylesheet()
    story: list[Flowable] = [Paragraph("Outcome", sheet["h2"])]
    outcomes = data.course.outcomes
    judged = [c for c in scales if c in outcomes]
    if not judged:
        story.append(Paragraph(escape(NO_SCORES), sheet["body"]))
        return story
    header = ["Scale", "Scores", "Baseline", "Latest", "Change", "Response\n(\u2265 50 % fall)",
              "Remission"]
    rows = []
    for code in judged:
        outcome = outcomes[code]
        name = scale_name(code)
        if code == data.course.primary_scale:
            name += " (primary)"
        rows.append([name, str(outcome.follow_ups + 1), _with_band(code, outcome.baseline),
                     _with_band(code, outcome.latest), change_text(outcome),
                     response_text(outcome), remission_text(outcome)])
    flagged = [i for i, c in enumerate(judged) if outcomes[c].no_response_flag]
    widths = [20 * mm, 16 * mm, 30 * mm, 30 * mm, 27 * mm, 27 * mm, 30 * mm]
    story.append(data_table([h.replace("\n", " ") for h in header], rows, widths,
                            emphasised_rows=flagged))
    for code in judged:
        outcome = outcomes[code]
        if outcome.no_response_flag:
            story.append(Spacer(1, 1.5 * mm))
            story.append(_flag_box(flag_text(outcome)))
    rules = ", ".join(f"{scale_name(c)} below {v}" for c, v in REMISSION_BELOW.items())
    story.append(Spacer(1, 1.5 * mm))
    story.append(Paragraph(escape(
        "Baseline is the course's first score. Response: a fall of at least 50 % from the "
        f"baseline, judged on the latest score. Remission: {rules}; other scales have no "
        "remission rule. The primary scale is the one the indication is judged on. The flag "
        f"\u201c{NO_RESPONSE_FLAG.lower()}\u201d is raised when {NO_RESPONSE_AFTER} or more "
        "infusions have been given since the baseline and no score since shows a response."),
        sheet["small"]))
    return story


def _flag_box(text: str) -> Table:
    sheet = stylesheet()
    box = Table([[Paragraph(escape(text), sheet["cell_bold"])]], colWidths=[BODY_WIDTH])
    box.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1.6, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return box


def _chart_points(data: CourseReportData, code: str) -> list[ChartPoint]:
    points = []
    for line in data.course.sessions:
        if line.state == SessionState.CANCELLED and code not in line.scores:
            continue
        day = line.scheduled_at_utc.astimezone(data.tz)
        points.append(ChartPoint("\u2013" if line.number is None else str(line.number),
                                 f"{day.day} {_MONTHS[day.month - 1]}", line.scores.get(code)))
    return points


def _charts(data: CourseReportData, scales: Sequence[str]) -> list[Flowable]:
    sheet = stylesheet()
    story: list[Flowable] = []
    for index, code in enumerate(scales):
        definition = _definition(code)
        spec = ScaleSpec(
            scale_name(code),
            0 if definition is None else definition.min_total,
            max([s.scores.get(code, 0) for s in data.course.sessions] + [1])
            if definition is None
            else definition.max_total,
            REMISSION_BELOW.get(code),
        )
        chart = score_chart(spec, _chart_points(data, code), width=BODY_WIDTH,
                            marker=_MARKERS[index % len(_MARKERS)])
        if index == 0:
            key = Paragraph(escape(
                "Each point is one session's score, printed above its marker; the x axis is "
                "the infusion number and date. Dotted line: baseline (first score). Dashed: "
                "50 % response (half the baseline). Dash-dot: remission threshold."),
                sheet["small"])
            story.append(KeepTogether([Paragraph("Scores across the course", sheet["h2"]), key,
                                       Spacer(1, 2 * mm), chart]))
        else:
            story.append(Spacer(1, 2 * mm))
            story.append(chart)
    return story


def _session_rows(data: CourseReportData, scales: Sequence[str]) -> list[list[str]]:
    rows = []
    for line in data.course.sessions:
        rows.append([
            NONE_TEXT if line.number is None else str(line.number),
            local_time(line.scheduled_at_utc, data.tz, "%Y-%m-%d"),
            state_label(line.state),
            format_mg(line.given_mg),
            NONE_TEXT if line.given_mg is None or line.dose_mg_per_kg is None
            else number_text(line.dose_mg_per_kg),
            *(_score_cell(line, code) for code in scales),
        ])
    return rows


def _score_cell(line: CourseSessionRow, code: str) -> str:
    return str(line.scores[code]) if code in line.scores else NONE_TEXT


def _sessions_section(data: CourseReportData, scales: Sequence[str]) -> list[Flowable]:
    sheet = stylesheet()
    heading = Paragraph("Sessions", sheet["h2"])
    if not data.course.sessions:
        return [heading, Paragraph("No sessions have been booked in this course yet.",
                                   sheet["body"])]
    header = ["No.", "Date", "State", "Given (mg)", "mg/kg", *(scale_name(c) for c in scales)]
    widths = [12 * mm, 24 * mm, 26 * mm, 20 * mm, 16 * mm]
    if scales:
        widths += [min(22 * mm, (BODY_WIDTH - sum(widths)) / len(scales))] * len(scales)
    table = data_table(header, _session_rows(data, scales), widths)
    table.hAlign = "LEFT"
    note = ("Given is the computed total of the dose order of each infusion started (for "
            "an infusion stopped early, more than ran in).")
    if scales:
        note = ("Scores are each session's first recorded total; \u2014 where none was "
                "recorded. " + note)
    # heading and note stay with the table's first rows (a long table still splits)
    return [KeepTogether([heading, Paragraph(escape(note), sheet["small"]), Spacer(1, 1 * mm),
                          table])]


def _in_error_section(data: CourseReportData) -> list[Flowable]:
    """Outcome scores entered in error: struck through, with who, when and why (not counted)."""
    wrong = data.course.scores_in_error
    if not wrong:
        return []
    sheet = stylesheet()
    out: list[Flowable] = [Paragraph("Scores entered in error (not counted)", sheet["h2"])]
    for s in wrong:
        number = f"infusion {s.session_number}, " if s.session_number is not None else ""
        score = (f"{scale_name(s.scale)} {s.total} ({number}"
                 f"{local_time(s.taken_at_utc, data.tz, '%Y-%m-%d %H:%M')})")
        out.append(Paragraph(struck_markup(score) + " " + escape(
            void_words(SimpleNamespace(at_utc=s.voided_at_utc, by_name=s.voided_by_name,
                                       reason=s.reason), data.tz, "%Y-%m-%d %H:%M")),
            sheet["body"]))
    return out


def build_course_report(data: CourseReportData) -> bytes:
    """The course report PDF: course facts, outcome verdicts, charts and sessions.

    Args:
        data: the course (from ``services.documents.course_report_data``).

    Returns:
        The PDF bytes; identical data gives identical bytes.
    """
    sheet = stylesheet()
    scales = _scales_recorded(data)
    story: list[Flowable] = [Paragraph(TITLE, sheet["title"]), _facts(data)]
    story.extend(_outcome_section(data, scales))
    if scales:
        story.extend(_charts(data, scales))
    story.extend(_sessions_section(data, scales))
    story.extend(_in_error_section(data))
    return render(story, PageFrame(data.clinic, TITLE, identity_line(data)))
