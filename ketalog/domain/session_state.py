"""The session life cycle: which moves are possible, and why a move is refused.

``scheduled -> checked_in -> infusing <-> paused -> recovering -> discharged ->
signed``, plus ``cancelled`` (before any dose, with a reason) and
``stopped_early`` (infusion ended early, with a reason; then recovery or
discharge). Services ask :func:`next_state` before every change so that the
safety rules (verified dose and baseline vitals before starting, discharge
criteria before the patient leaves, nothing added after signing) hold no
matter which screen asked. Refusals list every unmet rule in words a nurse can
act on.

Role checks (who may sign, who may acknowledge an alert) live in services.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from ketalog.domain.errors import Problem, TransitionRefused, ValidationError
from ketalog.domain.safety import NO_SCREEN, SuicideRiskScreen, safety_start_problems


class SessionState(StrEnum):
    """Where a session is in its life cycle; stored as the string value."""

    SCHEDULED = "scheduled"
    CHECKED_IN = "checked_in"
    INFUSING = "infusing"
    PAUSED = "paused"
    RECOVERING = "recovering"
    DISCHARGED = "discharged"
    SIGNED = "signed"
    CANCELLED = "cancelled"
    STOPPED_EARLY = "stopped_early"


#: Session states in life-cycle order, as people say them on screen and paper.
STATE_LABELS: Final[Mapping[str, str]] = {
    "scheduled": "Scheduled", "checked_in": "Checked in", "infusing": "Infusing",
    "paused": "Paused", "recovering": "Recovering", "stopped_early": "Stopped early",
    "discharged": "Discharged", "signed": "Signed", "cancelled": "Cancelled",
}


class SessionAction(StrEnum):
    """Something a user does that moves a session to another state."""

    CHECK_IN = "check_in"
    START_INFUSION = "start_infusion"
    PAUSE = "pause"
    RESUME = "resume"
    STOP_INFUSION = "stop_infusion"
    STOP_EARLY = "stop_early"
    BEGIN_RECOVERY = "begin_recovery"
    CANCEL = "cancel"
    DISCHARGE = "discharge"
    SIGN = "sign"


_S = SessionState
_A = SessionAction

#: Every structurally possible move. Anything not listed is refused.
TRANSITIONS: Final[Mapping[tuple[SessionState, SessionAction], SessionState]] = MappingProxyType(
    {
        (_S.SCHEDULED, _A.CHECK_IN): _S.CHECKED_IN,
        (_S.SCHEDULED, _A.CANCEL): _S.CANCELLED,
        (_S.CHECKED_IN, _A.START_INFUSION): _S.INFUSING,
        (_S.CHECKED_IN, _A.CANCEL): _S.CANCELLED,
        (_S.INFUSING, _A.PAUSE): _S.PAUSED,
        (_S.INFUSING, _A.STOP_INFUSION): _S.RECOVERING,
        (_S.INFUSING, _A.STOP_EARLY): _S.STOPPED_EARLY,
        (_S.PAUSED, _A.RESUME): _S.INFUSING,
        (_S.PAUSED, _A.STOP_INFUSION): _S.RECOVERING,
        (_S.PAUSED, _A.STOP_EARLY): _S.STOPPED_EARLY,
        (_S.STOPPED_EARLY, _A.BEGIN_RECOVERY): _S.RECOVERING,
        (_S.STOPPED_EARLY, _A.DISCHARGE): _S.DISCHARGED,
        (_S.RECOVERING, _A.DISCHARGE): _S.DISCHARGED,
        (_S.DISCHARGED, _A.SIGN): _S.SIGNED,
    }
)

#: States nothing leaves: a signed record changes only by addendum.
TERMINAL_STATES: Final = frozenset({_S.SIGNED, _S.CANCELLED})

#: States in which drug has been (or is being) given.
DOSE_STARTED_STATES: Final = frozenset(
    {_S.INFUSING, _S.PAUSED, _S.RECOVERING, _S.STOPPED_EARLY, _S.DISCHARGED, _S.SIGNED}
)

#: States that accept new clinical data (vitals, scores, events, notes).
#: Not ``scheduled``: the patient has not arrived, so check in first (one
#: keystroke) and every reading carries a real arrival context. ``discharged``
#: stays open because nurses often finish charting after the patient leaves,
#: until a physician signs. ``signed`` and ``cancelled`` are closed.
EDITABLE_STATES: Final = frozenset(
    {_S.CHECKED_IN, _S.INFUSING, _S.PAUSED, _S.RECOVERING, _S.STOPPED_EARLY, _S.DISCHARGED}
)

#: Actions that must carry a reason, and the words used to ask for it.
_REASON_NEEDED: Final[dict[SessionAction, str]] = {
    _A.PAUSE: 'Give a reason for pausing the infusion (e.g. "BP 186/112, physician notified").',
    _A.STOP_EARLY: "Give a reason for stopping the infusion early.",
    _A.CANCEL: "Give a reason for cancelling the session.",
}


# --------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------

#: Field -> words used when a fact itself is malformed (a service or storage slip).
_FACT_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "dose_verified": "Dose verified",
        "has_baseline_vitals": "Baseline vitals recorded",
        "predose_bp_alert": "Pre-dose BP alert",
        "predose_bp_acknowledged": "Pre-dose BP acknowledged",
        "escort_named": "Escort named",
        "instructions_given": "Instructions given",
        "aldrete_total": "Modified Aldrete total",
        "aldrete_minimum": "Aldrete discharge minimum",
        "minutes_monitored": "Minutes monitored",
        "min_monitoring_min": "Minimum monitoring time",
        "minutes_since_dose_end": "Minutes since the dose ended",
        "min_recovery_min": "Minimum recovery time",
        "reading_before_discharge_required": "Vitals before discharge required",
        "minutes_since_last_reading": "Minutes since the last vitals reading",
        "discharge_reading_within_min": "Age allowed for the last vitals reading",
    }
)

_BOOL_FIELDS: Final = (
    "dose_verified",
    "has_baseline_vitals",
    "predose_bp_alert",
    "predose_bp_acknowledged",
    "escort_named",
    "instructions_given",
    "reading_before_discharge_required",
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class SessionFacts:
    """What the service knows about a session when it asks for a move.

    Construction checks the types and ranges, so a bad value from storage or
    a form is refused here with a :class:`ValidationError` instead of being
    read as "truthy" by a rule (``"no"`` is truthy).
    """

    dose_verified: bool = False
    has_baseline_vitals: bool = False
    predose_bp_alert: bool = False
    predose_bp_acknowledged: bool = False
    aldrete_total: int | None = None
    aldrete_minimum: int = 9
    unresolved_event_flags: tuple[str, ...] = ()
    escort_named: bool = False
    instructions_given: bool = False
    minutes_monitored: int | None = None
    min_monitoring_min: int = 0
    reason: str | None = None
    #: pre-infusion checklist items not yet done, in words ("consent on file")
    checklist_missing: tuple[str, ...] = ()
    #: what the course's eligibility screening still lacks, in words (schema 0004)
    course_problems: tuple[str, ...] = ()
    #: PHQ-9 item 9, the C-SSRS screen after it and the physician's review
    suicide_risk: SuicideRiskScreen = NO_SCREEN
    #: minutes since the infusion or injection ended (None: not ended)
    minutes_since_dose_end: int | None = None
    #: the protocol's minimum recovery after the dose ends (30 min for IV ketamine)
    min_recovery_min: int = 0
    #: the protocol wants a reading before discharge (``schedule.before_discharge_required``)
    reading_before_discharge_required: bool = False
    #: minutes since the newest live vitals reading (None: none taken)
    minutes_since_last_reading: int | None = None
    #: how old that reading may be at discharge
    discharge_reading_within_min: int = 15
    #: open alerts, each in words ("Systolic high: BP 185/100")
    open_alerts: tuple[str, ...] = ()
    #: controlled substance drawn for the session and not yet accounted for, each in
    #: words ("0.1 mL of lot KX2291"): given, wasted before a witness or returned
    unreconciled_draws: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse values the rules could misread, listing every one."""
        problems: list[Problem] = []
        for name in _BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                problems.append(Problem(name, f"{_FACT_LABELS[name]} must be yes or no."))
        for name, high, optional in (
            ("aldrete_total", 10, True),
            ("aldrete_minimum", 10, False),
            ("minutes_monitored", None, True),
            ("min_monitoring_min", None, False),
            ("minutes_since_dose_end", None, True),
            ("min_recovery_min", None, False),
            ("minutes_since_last_reading", None, True),
            ("discharge_reading_within_min", None, False),
        ):
            value = getattr(self, name)
            if value is None and optional:
                continue
            label = _FACT_LABELS[name]
            limit = f"0-{high}" if high is not None else "0 or more"
            if not _is_int(value):
                problems.append(Problem(name, f"{label} must be a whole number {limit}."))
            elif value < 0 or (high is not None and value > high):
                shown = f"is {value}" if abs(value) <= 10**9 else "is out of range"
                problems.append(Problem(name, f"{label} {shown}; it must be {limit}."))
        flags = self.unresolved_event_flags
        if isinstance(flags, list | frozenset | set):
            # Accept any plain collection of names; keep a stable order.
            flags = tuple(sorted(flags, key=str)) if not isinstance(flags, list) else tuple(flags)
            object.__setattr__(self, "unresolved_event_flags", flags)
        if not isinstance(flags, tuple) or not all(isinstance(f, str) for f in flags):
            problems.append(
                Problem(
                    "unresolved_event_flags",
                    "Unresolved events must be a list of event names such as "
                    '("sedation",), not a single string or other value.',
                )
            )
        if self.reason is not None and not isinstance(self.reason, str):
            problems.append(Problem("reason", "The reason must be text."))
        for name, what in (("checklist_missing", "Missing checklist items"),
                           ("course_problems", "Course problems"),
                           ("open_alerts", "Open alerts"),
                           ("unreconciled_draws", "Unreconciled draws")):
            missing = getattr(self, name)
            if not isinstance(missing, tuple) or not all(isinstance(m, str) for m in missing):
                problems.append(Problem(name, f"{what} must be a tuple of names."))
        if not isinstance(self.suicide_risk, SuicideRiskScreen):
            problems.append(Problem("suicide_risk", "The suicide-risk screen must be a "
                                                    "SuicideRiskScreen."))
        if problems:
            raise ValidationError(problems)


_NO_FACTS: Final = SessionFacts()


# --------------------------------------------------------------------------
# Parsing states and actions
# --------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def _state_problem(state: object) -> tuple[SessionState | None, Problem | None]:
    if isinstance(state, str):
        try:
            return SessionState(_normalise(state)), None
        except ValueError:
            pass
    known = ", ".join(s.value for s in SessionState)
    return None, Problem("state", f"Unknown session state {_describe(state)}; expected {known}.")


def _action_problem(action: object) -> tuple[SessionAction | None, Problem | None]:
    if isinstance(action, str):
        try:
            return SessionAction(_normalise(action)), None
        except ValueError:
            pass
    known = ", ".join(a.value for a in SessionAction)
    return None, Problem("action", f"Unknown session action {_describe(action)}; expected {known}.")


def _describe(value: object) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not turn bad input into a crash
        text = f"a {type(value).__name__}"
    return text if len(text) <= 30 else text[:27] + "..."


def parse_state(state: SessionState | str) -> SessionState:
    """Read a stored or typed state ("checked_in", "Checked in"), or refuse it."""
    parsed, problem = _state_problem(state)
    if problem is not None or parsed is None:
        raise ValidationError([problem or Problem("state", "Unknown session state.")])
    return parsed


def parse_action(action: SessionAction | str) -> SessionAction:
    """Read an action name ("start_infusion", "Start infusion"), or refuse it."""
    parsed, problem = _action_problem(action)
    if problem is not None or parsed is None:
        raise ValidationError([problem or Problem("action", "Unknown session action.")])
    return parsed


# --------------------------------------------------------------------------
# Refusal wording
# --------------------------------------------------------------------------

_STATE_NOUN: Final[dict[SessionState, str]] = {
    _S.SCHEDULED: "A scheduled session",
    _S.CHECKED_IN: "A checked-in session",
    _S.INFUSING: "A session with the infusion running",
    _S.PAUSED: "A session with the infusion paused",
    _S.RECOVERING: "A session in recovery",
    _S.STOPPED_EARLY: "A session whose infusion was stopped early",
    _S.DISCHARGED: "A discharged session",
    _S.SIGNED: "A signed session",
    _S.CANCELLED: "A cancelled session",
}

_ACTION_PASSIVE: Final[dict[SessionAction, str]] = {
    _A.CHECK_IN: "be checked in",
    _A.START_INFUSION: "have its infusion started",
    _A.PAUSE: "be paused",
    _A.RESUME: "be resumed",
    _A.STOP_INFUSION: "have its infusion stopped",
    _A.STOP_EARLY: "have its infusion stopped early",
    _A.BEGIN_RECOVERY: "be moved to recovery",
    _A.CANCEL: "be cancelled",
    _A.DISCHARGE: "be discharged",
    _A.SIGN: "be signed",
}

#: What to do instead, by state; overridden for particular actions below.
_STATE_HINT: Final[dict[SessionState, str]] = {
    _S.SCHEDULED: "check the patient in first",
    _S.CHECKED_IN: "start the infusion first (or cancel the session, with a reason)",
    _S.INFUSING: "stop the infusion first",
    _S.PAUSED: "resume or stop the infusion first",
    _S.RECOVERING: "the infusion has ended, so discharge the patient once the checks are met",
    _S.STOPPED_EARLY: "begin recovery, or discharge the patient once the checks are met",
    _S.DISCHARGED: "the patient has left, so a physician can now sign the session",
    _S.SIGNED: "write an addendum instead",
    _S.CANCELLED: "schedule a new session if the patient is to be treated",
}

_DOSED = "a dose has been given, so"

_HINT: Final[dict[tuple[SessionState, SessionAction], str]] = {
    (_S.CHECKED_IN, _A.CHECK_IN): "the patient is already checked in, so start the infusion next",
    (_S.CHECKED_IN, _A.DISCHARGE): (
        "no dose was given, so cancel the session instead (with a reason)"
    ),
    (_S.CHECKED_IN, _A.SIGN): "no dose was given, so cancel the session instead (with a reason)",
    (_S.INFUSING, _A.CHECK_IN): "the infusion is already running",
    (_S.INFUSING, _A.START_INFUSION): "the infusion is already running",
    (_S.INFUSING, _A.RESUME): "the infusion is already running",
    (_S.INFUSING, _A.CANCEL): f"{_DOSED} stop the infusion early instead (with a reason)",
    (_S.INFUSING, _A.BEGIN_RECOVERY): "stop the infusion first, and recovery then begins",
    (_S.INFUSING, _A.DISCHARGE): "stop the infusion and let the patient recover first",
    (_S.INFUSING, _A.SIGN): "stop the infusion, recover and discharge the patient first",
    (_S.PAUSED, _A.CHECK_IN): "the infusion is paused, so resume or stop it",
    (_S.PAUSED, _A.START_INFUSION): "resume the infusion instead",
    (_S.PAUSED, _A.PAUSE): "it is already paused, so resume or stop the infusion",
    (_S.PAUSED, _A.CANCEL): f"{_DOSED} stop the infusion early instead (with a reason)",
    (_S.PAUSED, _A.DISCHARGE): "stop the infusion and let the patient recover first",
    (_S.PAUSED, _A.SIGN): "stop the infusion, recover and discharge the patient first",
    (_S.RECOVERING, _A.BEGIN_RECOVERY): "it is already in recovery",
    (_S.RECOVERING, _A.CANCEL): f"{_DOSED} discharge the patient once the checks are met",
    (_S.RECOVERING, _A.SIGN): "discharge the patient first",
    (_S.STOPPED_EARLY, _A.RESUME): (
        "an infusion stopped early cannot restart, so begin recovery or discharge the patient"
    ),
    (_S.STOPPED_EARLY, _A.START_INFUSION): (
        "an infusion stopped early cannot restart, so begin recovery or discharge the patient"
    ),
    (_S.STOPPED_EARLY, _A.STOP_EARLY): "it was already stopped early, so begin recovery next",
    (_S.STOPPED_EARLY, _A.CANCEL): f"{_DOSED} begin recovery or discharge the patient",
    (_S.STOPPED_EARLY, _A.SIGN): "discharge the patient first",
    (_S.DISCHARGED, _A.DISCHARGE): "the patient is already discharged, so a physician can sign it",
    (_S.DISCHARGED, _A.CANCEL): f"{_DOSED} a physician signs it and adds an addendum if needed",
    (_S.SIGNED, _A.SIGN): "it is already signed, so write an addendum to add anything",
    (_S.CANCELLED, _A.CANCEL): "it is already cancelled",
}


def _refusal(state: SessionState, action: SessionAction) -> str:
    hint = _HINT.get((state, action), _STATE_HINT[state])
    return f"{_STATE_NOUN[state]} cannot {_ACTION_PASSIVE[action]}; {hint}."


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------


def _has_reason(facts: SessionFacts) -> bool:
    return isinstance(facts.reason, str) and bool(facts.reason.strip())


def start_problems(facts: SessionFacts) -> list[str]:
    """Every unmet rule for starting the infusion, for the pre-infusion checklist.

    ISMP lists IV ketamine as high-alert (independent double check), DESIGN.md
    requires pre-dose vitals, and a pre-dose BP alert needs a physician's
    acknowledgment before any drug runs.
    """
    problems: list[str] = list(facts.course_problems)
    problems.extend(safety_start_problems(facts.suicide_risk))
    if facts.checklist_missing:
        problems.append(
            "The pre-infusion checklist is not complete ("
            + ", ".join(facts.checklist_missing) + "); complete it before starting."
        )
    if not facts.dose_verified:
        problems.append(
            "The dose has not been independently verified; a second nurse must verify it."
        )
    if not facts.has_baseline_vitals:
        problems.append("No baseline vitals recorded; record a full set before starting.")
    if facts.predose_bp_alert and not facts.predose_bp_acknowledged:
        problems.append(
            "Baseline blood pressure is above the pre-dose threshold; "
            "a physician must acknowledge it before starting."
        )
    return problems


def _event_name(flag: str) -> str:
    words = flag.strip().replace("_", " ")
    return words[:1].upper() + words[1:]


def discharge_problems(facts: SessionFacts) -> list[str]:  # noqa: C901 - one branch a rule
    """Every unmet discharge rule, in plain words, so the nurse sees them all at once.

    Rules (DESIGN.md "Recovery and discharge"): modified Aldrete at or above
    the clinic minimum, every event flag resolved, an escort named,
    instructions given, (when the protocol sets one, e.g. esketamine REMS
    120 min) the minimum monitoring time reached, the protocol's minimum
    recovery after the dose ended (30 min for IV ketamine), a vitals reading
    recent enough when the protocol wants one before discharge, and no alert
    left open (a physician acknowledges it, or a reading is back in range).
    """
    problems: list[str] = []
    if facts.aldrete_total is None:
        problems.append(
            "No modified Aldrete score recorded; score it before discharge "
            f"(at least {facts.aldrete_minimum} needed)."
        )
    elif facts.aldrete_total < facts.aldrete_minimum:
        problems.append(
            f"Discharge needs a modified Aldrete score of at least {facts.aldrete_minimum} "
            f"(now {facts.aldrete_total})."
        )
    seen: set[str] = set()
    for flag in facts.unresolved_event_flags:
        name = _event_name(flag)
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        problems.append(f"{name} has not resolved; record its resolution time before discharge.")
    if facts.min_monitoring_min > 0:
        if facts.minutes_monitored is None:
            problems.append(
                f"Monitoring time is unknown; at least {facts.min_monitoring_min} minutes "
                "from the first dose are required."
            )
        elif facts.minutes_monitored < facts.min_monitoring_min:
            left = facts.min_monitoring_min - facts.minutes_monitored
            problems.append(
                f"Monitoring must last at least {facts.min_monitoring_min} minutes from the "
                f"first dose (now {facts.minutes_monitored}, {left} more to go)."
            )
    if facts.min_recovery_min > 0:
        since = facts.minutes_since_dose_end
        if since is None:
            problems.append(
                f"The dose has not ended; recovery of at least {facts.min_recovery_min} minutes "
                "after it ends is required."
            )
        elif since < facts.min_recovery_min:
            problems.append(
                f"Recovery must last at least {facts.min_recovery_min} minutes after the dose "
                f"ended (now {since}, {facts.min_recovery_min - since} more to go)."
            )
    if facts.reading_before_discharge_required:
        within = facts.discharge_reading_within_min
        age = facts.minutes_since_last_reading
        if age is None:
            problems.append(
                f"No vitals recorded; take a reading within {within} minutes before discharge."
            )
        elif age > within:
            problems.append(
                f"The last vitals reading is {age} minutes old; take a new one (discharge needs "
                f"one within the last {within} minutes)."
            )
    for alert in facts.open_alerts:
        problems.append(
            f"Alert not followed up ({alert}); a physician must acknowledge it, or a new "
            "reading must be back in range."
        )
    for draw in facts.unreconciled_draws:
        problems.append(
            f"Drawn and not accounted for: {draw}; record what the patient received, and "
            "waste the rest before a witness or return it to its vial."
        )
    if not facts.escort_named:
        problems.append("No escort named; record the responsible adult taking the patient home.")
    if not facts.instructions_given:
        problems.append(
            "Discharge instructions not given; give them (no driving until the next day "
            "after sleep) and record it."
        )
    return problems


def _guard_problems(state: SessionState, action: SessionAction, facts: SessionFacts) -> list[str]:
    if action is _A.START_INFUSION:
        return start_problems(facts)
    if action is _A.DISCHARGE:
        return discharge_problems(facts)
    problems = []
    if action in _REASON_NEEDED and not _has_reason(facts):
        problems.append(_REASON_NEEDED[action])
    if action is _A.CANCEL:
        # a cancelled session's draws can no longer be settled: the dose is put back first
        problems.extend(
            f"Drawn and not accounted for: {draw}; return it to its vial or waste it before "
            "a witness before cancelling." for draw in facts.unreconciled_draws)
    return problems


def next_state(
    state: SessionState | str,
    action: SessionAction | str,
    facts: SessionFacts = _NO_FACTS,
) -> SessionState:
    """Decide where a session goes when a user acts, or refuse with every reason.

    Raises:
        ValidationError: the state or action is not a known name, or ``facts``
            is not a :class:`SessionFacts`.
        TransitionRefused: the move is impossible from this state, or its
            rules are not met; ``reasons`` lists every unmet rule.
    """
    parsed_state, p1 = _state_problem(state)
    parsed_action, p2 = _action_problem(action)
    problems = [p for p in (p1, p2) if p is not None]
    if not isinstance(facts, SessionFacts):
        problems.append(Problem("facts", "Session facts are missing or of the wrong kind."))
    if problems or parsed_state is None or parsed_action is None:
        raise ValidationError(problems or [Problem("state", "Unknown session state.")])
    target = TRANSITIONS.get((parsed_state, parsed_action))
    if target is None:
        raise TransitionRefused([_refusal(parsed_state, parsed_action)])
    reasons = _guard_problems(parsed_state, parsed_action, facts)
    if reasons:
        raise TransitionRefused(reasons)
    return target


def allowed_actions(state: SessionState | str) -> frozenset[SessionAction]:
    """Actions possible from ``state`` ignoring facts, so the UI enables only those buttons."""
    current = parse_state(state)
    return frozenset(action for (src, action) in TRANSITIONS if src is current)


def is_terminal(state: SessionState | str) -> bool:
    """Say whether nothing can follow: signed or cancelled sessions are closed."""
    return parse_state(state) in TERMINAL_STATES


def dose_started(state: SessionState | str) -> bool:
    """Say whether drug has been given, which rules out cancelling (stop early instead)."""
    return parse_state(state) in DOSE_STARTED_STATES


def ensure_editable(state: SessionState | str, what: str) -> None:
    """Refuse adding clinical data (``what``: "vitals", "a note", ...) where it cannot go.

    Accepted from check-in until signature (see :data:`EDITABLE_STATES`),
    including after discharge so late charting is possible before the physician
    signs. A scheduled session must be checked in first; a signed one takes
    only addenda; a cancelled one takes nothing.
    """
    current, problem = _state_problem(state)
    problems = [problem] if problem is not None else []
    if not isinstance(what, str) or not what.strip():
        problems.append(Problem("what", 'Say what is being recorded (e.g. "vitals").'))
    if problems or current is None:
        raise ValidationError(problems or [Problem("state", "Unknown session state.")])
    if current in EDITABLE_STATES:
        return
    subject = what.strip()
    subject = subject[:1].upper() + subject[1:]
    if current is _S.SIGNED:
        hint = "write an addendum instead"
    elif current is _S.CANCELLED:
        hint = "schedule a new session if the patient is to be treated"
    else:
        hint = "check the patient in first"
    raise TransitionRefused(
        [f"{subject} cannot be recorded on {_STATE_NOUN[current].lower()}; {hint}."]
    )


def ensure_observed_before_discharge(
    taken_at: datetime, discharged_at: datetime | None, what: str, tz: tzinfo | None = None
) -> None:
    """Refuse an observation timed after the patient left the chair.

    Late charting stays possible (a score written up now but taken while the
    patient was there); a score "taken" after discharge describes nothing
    anybody observed.
    """
    if discharged_at is None or taken_at <= discharged_at:
        return
    left = discharged_at.astimezone(tz) if tz is not None else discharged_at
    raise ValidationError.single(
        "taken_at",
        f"The patient was discharged at {left:%H:%M}; {what} cannot be taken after that. "
        "Give the time it was actually taken.",
    )

