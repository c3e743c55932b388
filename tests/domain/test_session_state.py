"""Session life cycle: every allowed and refused move, guards, editability, random walks."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketalog.domain.errors import DomainError, TransitionRefused, ValidationError
from ketalog.domain.session_state import (
    DOSE_STARTED_STATES,
    EDITABLE_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    SessionAction,
    SessionFacts,
    SessionState,
    allowed_actions,
    discharge_problems,
    dose_started,
    ensure_editable,
    is_terminal,
    next_state,
    parse_action,
    parse_state,
    start_problems,
)

S = SessionState
A = SessionAction

#: Facts under which every guard passes, so only the structure decides.
ALL_MET = SessionFacts(
    dose_verified=True,
    has_baseline_vitals=True,
    aldrete_total=10,
    escort_named=True,
    instructions_given=True,
    reason="patient request",
)

ALLOWED = {
    (S.SCHEDULED, A.CHECK_IN): S.CHECKED_IN,
    (S.SCHEDULED, A.CANCEL): S.CANCELLED,
    (S.CHECKED_IN, A.START_INFUSION): S.INFUSING,
    (S.CHECKED_IN, A.CANCEL): S.CANCELLED,
    (S.INFUSING, A.PAUSE): S.PAUSED,
    (S.INFUSING, A.STOP_INFUSION): S.RECOVERING,
    (S.INFUSING, A.STOP_EARLY): S.STOPPED_EARLY,
    (S.PAUSED, A.RESUME): S.INFUSING,
    (S.PAUSED, A.STOP_INFUSION): S.RECOVERING,
    (S.PAUSED, A.STOP_EARLY): S.STOPPED_EARLY,
    (S.STOPPED_EARLY, A.BEGIN_RECOVERY): S.RECOVERING,
    (S.STOPPED_EARLY, A.DISCHARGE): S.DISCHARGED,
    (S.RECOVERING, A.DISCHARGE): S.DISCHARGED,
    (S.DISCHARGED, A.SIGN): S.SIGNED,
}

#: The exact words a nurse sees for every structurally impossible move.
REFUSED = {
    (S.SCHEDULED, A.START_INFUSION): (
        "A scheduled session cannot have its infusion started; check the patient in first."
    ),
    (S.SCHEDULED, A.PAUSE): "A scheduled session cannot be paused; check the patient in first.",
    (S.SCHEDULED, A.RESUME): "A scheduled session cannot be resumed; check the patient in first.",
    (S.SCHEDULED, A.STOP_INFUSION): (
        "A scheduled session cannot have its infusion stopped; check the patient in first."
    ),
    (S.SCHEDULED, A.STOP_EARLY): (
        "A scheduled session cannot have its infusion stopped early; check the patient in first."
    ),
    (S.SCHEDULED, A.BEGIN_RECOVERY): (
        "A scheduled session cannot be moved to recovery; check the patient in first."
    ),
    (S.SCHEDULED, A.DISCHARGE): (
        "A scheduled session cannot be discharged; check the patient in first."
    ),
    (S.SCHEDULED, A.SIGN): "A scheduled session cannot be signed; check the patient in first.",
    (S.CHECKED_IN, A.CHECK_IN): (
        "A checked-in session cannot be checked in; the patient is already checked in, so start"
        " the infusion next."
    ),
    (S.CHECKED_IN, A.PAUSE): (
        "A checked-in session cannot be paused; start the infusion first (or cancel the "
        "session, with a reason)."
    ),
    (S.CHECKED_IN, A.RESUME): (
        "A checked-in session cannot be resumed; start the infusion first (or cancel the "
        "session, with a reason)."
    ),
    (S.CHECKED_IN, A.STOP_INFUSION): (
        "A checked-in session cannot have its infusion stopped; start the infusion first (or "
        "cancel the session, with a reason)."
    ),
    (S.CHECKED_IN, A.STOP_EARLY): (
        "A checked-in session cannot have its infusion stopped early; start the infusion first "
        "(or cancel the session, with a reason)."
    ),
    (S.CHECKED_IN, A.BEGIN_RECOVERY): (
        "A checked-in session cannot be moved to recovery; start the infusion first (or cancel "
        "the session, with a reason)."
    ),
    (S.CHECKED_IN, A.DISCHARGE): (
        "A checked-in session cannot be discharged; no dose was given, so cancel the session "
        "instead (with a reason)."
    ),
    (S.CHECKED_IN, A.SIGN): (
        "A checked-in session cannot be signed; no dose was given, so cancel the session "
        "instead (with a reason)."
    ),
    (S.INFUSING, A.CHECK_IN): (
        "A session with the infusion running cannot be checked in; the infusion is already running."
    ),
    (S.INFUSING, A.START_INFUSION): (
        "A session with the infusion running cannot have its infusion started; the infusion is "
        "already running."
    ),
    (S.INFUSING, A.RESUME): (
        "A session with the infusion running cannot be resumed; the infusion is already running."
    ),
    (S.INFUSING, A.BEGIN_RECOVERY): (
        "A session with the infusion running cannot be moved to recovery; stop the infusion "
        "first, and recovery then begins."
    ),
    (S.INFUSING, A.CANCEL): (
        "A session with the infusion running cannot be cancelled; a dose has been given, so "
        "stop the infusion early instead (with a reason)."
    ),
    (S.INFUSING, A.DISCHARGE): (
        "A session with the infusion running cannot be discharged; stop the infusion and let "
        "the patient recover first."
    ),
    (S.INFUSING, A.SIGN): (
        "A session with the infusion running cannot be signed; stop the infusion, recover and "
        "discharge the patient first."
    ),
    (S.PAUSED, A.CHECK_IN): (
        "A session with the infusion paused cannot be checked in; the infusion is paused, so "
        "resume or stop it."
    ),
    (S.PAUSED, A.START_INFUSION): (
        "A session with the infusion paused cannot have its infusion started; resume the "
        "infusion instead."
    ),
    (S.PAUSED, A.PAUSE): (
        "A session with the infusion paused cannot be paused; it is already paused, so resume "
        "or stop the infusion."
    ),
    (S.PAUSED, A.BEGIN_RECOVERY): (
        "A session with the infusion paused cannot be moved to recovery; resume or stop the "
        "infusion first."
    ),
    (S.PAUSED, A.CANCEL): (
        "A session with the infusion paused cannot be cancelled; a dose has been given, so stop"
        " the infusion early instead (with a reason)."
    ),
    (S.PAUSED, A.DISCHARGE): (
        "A session with the infusion paused cannot be discharged; stop the infusion and let the"
        " patient recover first."
    ),
    (S.PAUSED, A.SIGN): (
        "A session with the infusion paused cannot be signed; stop the infusion, recover and "
        "discharge the patient first."
    ),
    (S.RECOVERING, A.CHECK_IN): (
        "A session in recovery cannot be checked in; the infusion has ended, so discharge the "
        "patient once the checks are met."
    ),
    (S.RECOVERING, A.START_INFUSION): (
        "A session in recovery cannot have its infusion started; the infusion has ended, so "
        "discharge the patient once the checks are met."
    ),
    (S.RECOVERING, A.PAUSE): (
        "A session in recovery cannot be paused; the infusion has ended, so discharge the "
        "patient once the checks are met."
    ),
    (S.RECOVERING, A.RESUME): (
        "A session in recovery cannot be resumed; the infusion has ended, so discharge the "
        "patient once the checks are met."
    ),
    (S.RECOVERING, A.STOP_INFUSION): (
        "A session in recovery cannot have its infusion stopped; the infusion has ended, so "
        "discharge the patient once the checks are met."
    ),
    (S.RECOVERING, A.STOP_EARLY): (
        "A session in recovery cannot have its infusion stopped early; the infusion has ended, "
        "so discharge the patient once the checks are met."
    ),
    (S.RECOVERING, A.BEGIN_RECOVERY): (
        "A session in recovery cannot be moved to recovery; it is already in recovery."
    ),
    (S.RECOVERING, A.CANCEL): (
        "A session in recovery cannot be cancelled; a dose has been given, so discharge the "
        "patient once the checks are met."
    ),
    (S.RECOVERING, A.SIGN): (
        "A session in recovery cannot be signed; discharge the patient first."
    ),
    (S.DISCHARGED, A.CHECK_IN): (
        "A discharged session cannot be checked in; the patient has left, so a physician can "
        "now sign the session."
    ),
    (S.DISCHARGED, A.START_INFUSION): (
        "A discharged session cannot have its infusion started; the patient has left, so a "
        "physician can now sign the session."
    ),
    (S.DISCHARGED, A.PAUSE): (
        "A discharged session cannot be paused; the patient has left, so a physician can now "
        "sign the session."
    ),
    (S.DISCHARGED, A.RESUME): (
        "A discharged session cannot be resumed; the patient has left, so a physician can now "
        "sign the session."
    ),
    (S.DISCHARGED, A.STOP_INFUSION): (
        "A discharged session cannot have its infusion stopped; the patient has left, so a "
        "physician can now sign the session."
    ),
    (S.DISCHARGED, A.STOP_EARLY): (
        "A discharged session cannot have its infusion stopped early; the patient has left, so "
        "a physician can now sign the session."
    ),
    (S.DISCHARGED, A.BEGIN_RECOVERY): (
        "A discharged session cannot be moved to recovery; the patient has left, so a physician"
        " can now sign the session."
    ),
    (S.DISCHARGED, A.CANCEL): (
        "A discharged session cannot be cancelled; a dose has been given, so a physician signs "
        "it and adds an addendum if needed."
    ),
    (S.DISCHARGED, A.DISCHARGE): (
        "A discharged session cannot be discharged; the patient is already discharged, so a "
        "physician can sign it."
    ),
    (S.SIGNED, A.CHECK_IN): "A signed session cannot be checked in; write an addendum instead.",
    (S.SIGNED, A.START_INFUSION): (
        "A signed session cannot have its infusion started; write an addendum instead."
    ),
    (S.SIGNED, A.PAUSE): "A signed session cannot be paused; write an addendum instead.",
    (S.SIGNED, A.RESUME): "A signed session cannot be resumed; write an addendum instead.",
    (S.SIGNED, A.STOP_INFUSION): (
        "A signed session cannot have its infusion stopped; write an addendum instead."
    ),
    (S.SIGNED, A.STOP_EARLY): (
        "A signed session cannot have its infusion stopped early; write an addendum instead."
    ),
    (S.SIGNED, A.BEGIN_RECOVERY): (
        "A signed session cannot be moved to recovery; write an addendum instead."
    ),
    (S.SIGNED, A.CANCEL): "A signed session cannot be cancelled; write an addendum instead.",
    (S.SIGNED, A.DISCHARGE): "A signed session cannot be discharged; write an addendum instead.",
    (S.SIGNED, A.SIGN): (
        "A signed session cannot be signed; it is already signed, so write an addendum to add "
        "anything."
    ),
    (S.CANCELLED, A.CHECK_IN): (
        "A cancelled session cannot be checked in; schedule a new session if the patient is to "
        "be treated."
    ),
    (S.CANCELLED, A.START_INFUSION): (
        "A cancelled session cannot have its infusion started; schedule a new session if the "
        "patient is to be treated."
    ),
    (S.CANCELLED, A.PAUSE): (
        "A cancelled session cannot be paused; schedule a new session if the patient is to be "
        "treated."
    ),
    (S.CANCELLED, A.RESUME): (
        "A cancelled session cannot be resumed; schedule a new session if the patient is to be "
        "treated."
    ),
    (S.CANCELLED, A.STOP_INFUSION): (
        "A cancelled session cannot have its infusion stopped; schedule a new session if the "
        "patient is to be treated."
    ),
    (S.CANCELLED, A.STOP_EARLY): (
        "A cancelled session cannot have its infusion stopped early; schedule a new session if "
        "the patient is to be treated."
    ),
    (S.CANCELLED, A.BEGIN_RECOVERY): (
        "A cancelled session cannot be moved to recovery; schedule a new session if the patient"
        " is to be treated."
    ),
    (S.CANCELLED, A.CANCEL): "A cancelled session cannot be cancelled; it is already cancelled.",
    (S.CANCELLED, A.DISCHARGE): (
        "A cancelled session cannot be discharged; schedule a new session if the patient is to "
        "be treated."
    ),
    (S.CANCELLED, A.SIGN): (
        "A cancelled session cannot be signed; schedule a new session if the patient is to be "
        "treated."
    ),
    (S.STOPPED_EARLY, A.CHECK_IN): (
        "A session whose infusion was stopped early cannot be checked in; begin recovery, or "
        "discharge the patient once the checks are met."
    ),
    (S.STOPPED_EARLY, A.START_INFUSION): (
        "A session whose infusion was stopped early cannot have its infusion started; an "
        "infusion stopped early cannot restart, so begin recovery or discharge the patient."
    ),
    (S.STOPPED_EARLY, A.PAUSE): (
        "A session whose infusion was stopped early cannot be paused; begin recovery, or "
        "discharge the patient once the checks are met."
    ),
    (S.STOPPED_EARLY, A.RESUME): (
        "A session whose infusion was stopped early cannot be resumed; an infusion stopped "
        "early cannot restart, so begin recovery or discharge the patient."
    ),
    (S.STOPPED_EARLY, A.STOP_INFUSION): (
        "A session whose infusion was stopped early cannot have its infusion stopped; begin "
        "recovery, or discharge the patient once the checks are met."
    ),
    (S.STOPPED_EARLY, A.STOP_EARLY): (
        "A session whose infusion was stopped early cannot have its infusion stopped early; it "
        "was already stopped early, so begin recovery next."
    ),
    (S.STOPPED_EARLY, A.CANCEL): (
        "A session whose infusion was stopped early cannot be cancelled; a dose has been given,"
        " so begin recovery or discharge the patient."
    ),
    (S.STOPPED_EARLY, A.SIGN): (
        "A session whose infusion was stopped early cannot be signed; discharge the patient first."
    ),
}


def test_tables_cover_every_pair_exactly_once() -> None:
    pairs = {(s, a) for s in SessionState for a in SessionAction}
    assert set(ALLOWED) | set(REFUSED) == pairs
    assert not set(ALLOWED) & set(REFUSED)
    assert dict(TRANSITIONS) == ALLOWED


@pytest.mark.parametrize(("state", "action"), sorted(ALLOWED))
def test_every_allowed_transition(state: SessionState, action: SessionAction) -> None:
    assert next_state(state, action, ALL_MET) is ALLOWED[(state, action)]
    assert next_state(state.value, action.value, ALL_MET) is ALLOWED[(state, action)]


@pytest.mark.parametrize(("state", "action"), sorted(REFUSED))
def test_every_refused_transition_and_its_message(
    state: SessionState, action: SessionAction
) -> None:
    with pytest.raises(TransitionRefused) as info:
        next_state(state, action, ALL_MET)
    assert info.value.reasons == (REFUSED[(state, action)],)


def test_structural_refusal_is_not_mixed_with_fact_problems() -> None:
    with pytest.raises(TransitionRefused) as info:
        next_state(S.SCHEDULED, A.DISCHARGE)
    assert info.value.reasons == (
        "A scheduled session cannot be discharged; check the patient in first.",
    )


# --------------------------------------------------------------------------
# Guards
# --------------------------------------------------------------------------

NOT_VERIFIED = "The dose has not been independently verified; a second nurse must verify it."
NO_VITALS = "No baseline vitals recorded; record a full set before starting."
BP_ALERT = (
    "Baseline blood pressure is above the pre-dose threshold; "
    "a physician must acknowledge it before starting."
)


def test_start_lists_every_missing_precondition() -> None:
    with pytest.raises(TransitionRefused) as info:
        next_state(S.CHECKED_IN, A.START_INFUSION, SessionFacts(predose_bp_alert=True))
    assert info.value.reasons == (NOT_VERIFIED, NO_VITALS, BP_ALERT)


@pytest.mark.parametrize(
    ("facts", "reasons"),
    [
        (SessionFacts(has_baseline_vitals=True), [NOT_VERIFIED]),
        (SessionFacts(dose_verified=True), [NO_VITALS]),
        (
            SessionFacts(dose_verified=True, has_baseline_vitals=True, predose_bp_alert=True),
            [BP_ALERT],
        ),
        (
            SessionFacts(
                dose_verified=True,
                has_baseline_vitals=True,
                predose_bp_alert=True,
                predose_bp_acknowledged=True,
            ),
            [],
        ),
        (SessionFacts(dose_verified=True, has_baseline_vitals=True), []),
        # An acknowledgment without an alert changes nothing.
        (SessionFacts(predose_bp_acknowledged=True), [NOT_VERIFIED, NO_VITALS]),
    ],
)
def test_start_preconditions(facts: SessionFacts, reasons: list[str]) -> None:
    assert start_problems(facts) == reasons
    if reasons:
        with pytest.raises(TransitionRefused) as info:
            next_state(S.CHECKED_IN, A.START_INFUSION, facts)
        assert list(info.value.reasons) == reasons
    else:
        assert next_state(S.CHECKED_IN, A.START_INFUSION, facts) is S.INFUSING


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        (
            S.INFUSING,
            A.PAUSE,
            'Give a reason for pausing the infusion (e.g. "BP 186/112, physician notified").',
        ),
        (S.INFUSING, A.STOP_EARLY, "Give a reason for stopping the infusion early."),
        (S.PAUSED, A.STOP_EARLY, "Give a reason for stopping the infusion early."),
        (S.SCHEDULED, A.CANCEL, "Give a reason for cancelling the session."),
        (S.CHECKED_IN, A.CANCEL, "Give a reason for cancelling the session."),
    ],
)
@pytest.mark.parametrize("reason", [None, "", "   \n"])
def test_reason_required(
    state: SessionState, action: SessionAction, message: str, reason: str | None
) -> None:
    with pytest.raises(TransitionRefused) as info:
        next_state(state, action, SessionFacts(reason=reason))
    assert info.value.reasons == (message,)
    assert next_state(state, action, SessionFacts(reason="nausea")) is ALLOWED[(state, action)]


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.SCHEDULED, A.CHECK_IN),
        (S.PAUSED, A.RESUME),
        (S.INFUSING, A.STOP_INFUSION),
        (S.PAUSED, A.STOP_INFUSION),
        (S.STOPPED_EARLY, A.BEGIN_RECOVERY),
        (S.DISCHARGED, A.SIGN),
    ],
)
def test_moves_without_guards_need_no_facts(state: SessionState, action: SessionAction) -> None:
    assert next_state(state, action) is ALLOWED[(state, action)]


READY = SessionFacts(aldrete_total=9, escort_named=True, instructions_given=True)


@pytest.mark.parametrize("state", [S.RECOVERING, S.STOPPED_EARLY])
def test_discharge_when_every_rule_is_met(state: SessionState) -> None:
    assert discharge_problems(READY) == []
    assert next_state(state, A.DISCHARGE, READY) is S.DISCHARGED


def test_discharge_lists_every_unmet_rule() -> None:
    facts = SessionFacts(
        aldrete_total=7,
        unresolved_event_flags=("sedation", "respiratory_depression", "sedation", ""),
        min_monitoring_min=120,
        minutes_monitored=95,
    )
    expected = [
        "Discharge needs a modified Aldrete score of at least 9 (now 7).",
        "Sedation has not resolved; record its resolution time before discharge.",
        "Respiratory depression has not resolved; record its resolution time before discharge.",
        "Monitoring must last at least 120 minutes from the first dose (now 95, 25 more to go).",
        "No escort named; record the responsible adult taking the patient home.",
        "Discharge instructions not given; give them (no driving until the next day after "
        "sleep) and record it.",
    ]
    assert discharge_problems(facts) == expected
    with pytest.raises(TransitionRefused) as info:
        next_state(S.RECOVERING, A.DISCHARGE, facts)
    assert list(info.value.reasons) == expected


def _ready(**changes: object) -> SessionFacts:
    values: dict[str, object] = {
        "aldrete_total": 9,
        "escort_named": True,
        "instructions_given": True,
    }
    values.update(changes)
    return SessionFacts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("facts", "problems"),
    [
        (
            _ready(aldrete_total=None),
            ["No modified Aldrete score recorded; score it before discharge (at least 9 needed)."],
        ),
        (
            _ready(aldrete_total=8),
            ["Discharge needs a modified Aldrete score of at least 9 (now 8)."],
        ),
        (
            _ready(aldrete_total=9, aldrete_minimum=10),
            ["Discharge needs a modified Aldrete score of at least 10 (now 9)."],
        ),
        (_ready(aldrete_total=8, aldrete_minimum=8), []),
        (
            _ready(unresolved_event_flags=("dissociation",)),
            ["Dissociation has not resolved; record its resolution time before discharge."],
        ),
        (
            _ready(min_monitoring_min=120),
            ["Monitoring time is unknown; at least 120 minutes from the first dose are required."],
        ),
        (
            _ready(min_monitoring_min=120, minutes_monitored=119),
            [
                "Monitoring must last at least 120 minutes from the first dose "
                "(now 119, 1 more to go)."
            ],
        ),
        (_ready(min_monitoring_min=120, minutes_monitored=120), []),
        (_ready(min_monitoring_min=0, minutes_monitored=None), []),
        (_ready(minutes_monitored=5), []),
        (
            _ready(escort_named=False),
            ["No escort named; record the responsible adult taking the patient home."],
        ),
        (
            _ready(instructions_given=False),
            [
                "Discharge instructions not given; give them (no driving until the next day after "
                "sleep) and record it."
            ],
        ),
    ],
)
def test_each_discharge_rule(facts: SessionFacts, problems: list[str]) -> None:
    assert discharge_problems(facts) == problems


# --------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "actions"),
    [
        (S.SCHEDULED, {A.CHECK_IN, A.CANCEL}),
        (S.CHECKED_IN, {A.START_INFUSION, A.CANCEL}),
        (S.INFUSING, {A.PAUSE, A.STOP_INFUSION, A.STOP_EARLY}),
        (S.PAUSED, {A.RESUME, A.STOP_INFUSION, A.STOP_EARLY}),
        (S.RECOVERING, {A.DISCHARGE}),
        (S.STOPPED_EARLY, {A.BEGIN_RECOVERY, A.DISCHARGE}),
        (S.DISCHARGED, {A.SIGN}),
        (S.SIGNED, set()),
        (S.CANCELLED, set()),
    ],
)
def test_allowed_actions(state: SessionState, actions: set[SessionAction]) -> None:
    assert allowed_actions(state) == frozenset(actions)
    assert allowed_actions(state.value) == frozenset(actions)
    assert is_terminal(state) is (not actions)


def test_terminal_and_dose_started_states() -> None:
    assert {s for s in SessionState if is_terminal(s)} == {S.SIGNED, S.CANCELLED} == TERMINAL_STATES
    assert (
        {s for s in SessionState if dose_started(s)}
        == {
            S.INFUSING,
            S.PAUSED,
            S.RECOVERING,
            S.STOPPED_EARLY,
            S.DISCHARGED,
            S.SIGNED,
        }
        == DOSE_STARTED_STATES
    )
    assert dose_started("signed") and not dose_started("cancelled")


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("checked_in", S.CHECKED_IN),
        ("Checked in", S.CHECKED_IN),
        (" STOPPED-EARLY ", S.STOPPED_EARLY),
    ],
)
def test_state_names_are_read_leniently(text: str, state: SessionState) -> None:
    assert parse_state(text) is state
    assert parse_action("Start infusion") is A.START_INFUSION


# --------------------------------------------------------------------------
# Editability
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state", [S.CHECKED_IN, S.INFUSING, S.PAUSED, S.RECOVERING, S.STOPPED_EARLY, S.DISCHARGED]
)
def test_clinical_data_accepted_from_check_in_until_signature(state: SessionState) -> None:
    assert state in EDITABLE_STATES
    ensure_editable(state, "vitals")
    ensure_editable(state.value, "a note")


@pytest.mark.parametrize(
    ("state", "what", "message"),
    [
        (
            S.SIGNED,
            "vitals",
            "Vitals cannot be recorded on a signed session; write an addendum instead.",
        ),
        (
            S.SIGNED,
            "a note",
            "A note cannot be recorded on a signed session; write an addendum instead.",
        ),
        (
            S.CANCELLED,
            "a CADSS-6 score",
            "A CADSS-6 score cannot be recorded on a cancelled session; schedule a new session "
            "if the patient is to be treated.",
        ),
        (
            "scheduled",
            " vitals ",
            "Vitals cannot be recorded on a scheduled session; check the patient in first.",
        ),
    ],
)
def test_clinical_data_refused(state: SessionState | str, what: str, message: str) -> None:
    with pytest.raises(TransitionRefused) as info:
        ensure_editable(state, what)
    assert info.value.reasons == (message,)


def test_ensure_editable_refuses_bad_arguments_together() -> None:
    with pytest.raises(ValidationError) as info:
        ensure_editable("lunch", "  ")  # a blank "what" is a programming slip
    assert info.value.messages == [
        "Unknown session state 'lunch'; expected scheduled, checked_in, infusing, paused, "
        "recovering, discharged, signed, cancelled, stopped_early.",
        'Say what is being recorded (e.g. "vitals").',
    ]


# --------------------------------------------------------------------------
# Bad input: ValidationError only
# --------------------------------------------------------------------------


def test_unknown_state_and_action_are_both_reported() -> None:
    with pytest.raises(ValidationError) as info:
        next_state("floating", 3)  # type: ignore[arg-type]
    assert [p.field for p in info.value.problems] == ["state", "action"]
    assert info.value.messages[1] == (
        "Unknown session action 3; expected check_in, start_infusion, pause, resume, "
        "stop_infusion, stop_early, begin_recovery, cancel, discharge, sign."
    )


def test_facts_of_the_wrong_kind_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        next_state(S.CHECKED_IN, A.START_INFUSION, {"dose_verified": True})  # type: ignore[arg-type]
    assert info.value.messages == ["Session facts are missing or of the wrong kind."]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"dose_verified": "yes"}, ["dose_verified"]),
        ({"escort_named": 1, "instructions_given": None}, ["escort_named", "instructions_given"]),
        ({"aldrete_total": 11}, ["aldrete_total"]),
        ({"aldrete_total": True}, ["aldrete_total"]),
        ({"aldrete_total": 9.0}, ["aldrete_total"]),
        ({"aldrete_minimum": None}, ["aldrete_minimum"]),
        (
            {"minutes_monitored": -1, "min_monitoring_min": "120"},
            ["minutes_monitored", "min_monitoring_min"],
        ),
        ({"unresolved_event_flags": "sedation"}, ["unresolved_event_flags"]),
        ({"unresolved_event_flags": (1,)}, ["unresolved_event_flags"]),
        ({"reason": 5}, ["reason"]),
        ({"minutes_monitored": -(10**5000)}, ["minutes_monitored"]),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, list) else None,
)
def test_session_facts_refuse_values_rules_could_misread(
    changes: dict[str, object], fields: list[str]
) -> None:
    with pytest.raises(ValidationError) as info:
        SessionFacts(**changes)  # type: ignore[arg-type]
    assert [p.field for p in info.value.problems] == fields


def test_session_facts_messages_name_the_fact() -> None:
    with pytest.raises(ValidationError) as info:
        SessionFacts(dose_verified="no", aldrete_total=11, minutes_monitored=-(10**5000))  # type: ignore[arg-type]
    assert info.value.messages == [
        "Dose verified must be yes or no.",
        "Modified Aldrete total is 11; it must be 0-10.",
        "Minutes monitored is out of range; it must be 0 or more.",
    ]


def test_session_facts_accept_any_plain_collection_of_event_names() -> None:
    assert SessionFacts(unresolved_event_flags=["sedation"]).unresolved_event_flags == ("sedation",)  # type: ignore[arg-type]
    assert SessionFacts(
        unresolved_event_flags=frozenset({"sedation", "dissociation"})  # type: ignore[arg-type]
    ).unresolved_event_flags == ("dissociation", "sedation")


_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.text(max_size=3), max_size=3),
    st.sampled_from([*SessionState, *SessionAction]),
    st.sampled_from(
        [s.value.upper() for s in SessionState] + [a.value.title() for a in SessionAction]
    ),
)


@settings(max_examples=300)
@given(state=_junk, action=_junk, what=_junk)
def test_junk_only_ever_raises_domain_errors(state: object, action: object, what: object) -> None:
    for call in (
        lambda: next_state(state, action),  # type: ignore[arg-type]
        lambda: allowed_actions(state),  # type: ignore[arg-type]
        lambda: is_terminal(state),  # type: ignore[arg-type]
        lambda: dose_started(state),  # type: ignore[arg-type]
        lambda: ensure_editable(state, what),  # type: ignore[arg-type]
    ):
        try:
            call()
        except DomainError as error:
            assert str(error)


_fact_values = {
    "dose_verified": st.one_of(st.booleans(), _junk),
    "has_baseline_vitals": st.booleans(),
    "aldrete_total": st.one_of(st.none(), st.integers(-2, 12), _junk),
    "min_monitoring_min": st.one_of(st.integers(-1, 200), _junk),
    "unresolved_event_flags": st.one_of(
        st.lists(st.sampled_from(["sedation", "dissociation", ""]), max_size=3).map(tuple), _junk
    ),
    "reason": st.one_of(st.none(), st.text(max_size=5), _junk),
}


@given(st.fixed_dictionaries({}, optional=_fact_values))
def test_any_fact_values_construct_or_raise_validation_error(values: dict[str, object]) -> None:
    try:
        facts = SessionFacts(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        assert error.problems
    else:
        discharge_problems(facts)
        start_problems(facts)


# --------------------------------------------------------------------------
# Random walks through the life cycle
# --------------------------------------------------------------------------

_facts = st.builds(
    SessionFacts,
    dose_verified=st.booleans(),
    has_baseline_vitals=st.booleans(),
    predose_bp_alert=st.booleans(),
    predose_bp_acknowledged=st.booleans(),
    aldrete_total=st.one_of(st.none(), st.integers(0, 10)),
    aldrete_minimum=st.integers(7, 10),
    unresolved_event_flags=st.lists(st.sampled_from(["sedation", "dissociation"]), max_size=2).map(
        tuple
    ),
    escort_named=st.booleans(),
    instructions_given=st.booleans(),
    minutes_monitored=st.one_of(st.none(), st.integers(0, 240)),
    min_monitoring_min=st.sampled_from([0, 0, 120]),
    reason=st.sampled_from([None, "", "  ", "BP 190/115"]),
)


@settings(max_examples=300)
@given(data=st.data())
def test_random_walk_keeps_every_invariant(data: st.DataObject) -> None:
    # Half the steps pick a structurally allowed action with facts that meet
    # every rule, so walks reach recovery, discharge and signature often.
    steps: list[tuple[SessionAction, SessionFacts]] = []
    state = S.SCHEDULED
    for _ in range(data.draw(st.integers(0, 25), label="length")):
        allowed = sorted(allowed_actions(state))
        follow_rules = data.draw(st.booleans(), label="follow the rules")
        if allowed and follow_rules:
            action = data.draw(st.sampled_from(allowed), label="action")
            facts = data.draw(st.one_of(st.just(ALL_MET), _facts), label="facts")
        else:
            action = data.draw(st.sampled_from(list(SessionAction)), label="action")
            facts = data.draw(_facts, label="facts")
        steps.append((action, facts))
        with contextlib.suppress(TransitionRefused):
            state = next_state(state, action, facts)
    _replay(steps)


def _replay(steps: list[tuple[SessionAction, SessionFacts]]) -> None:
    state = S.SCHEDULED
    history = [state]
    for action, facts in steps:
        assert state in set(SessionState)
        try:
            new = next_state(state, action, facts)
        except TransitionRefused as refusal:
            assert refusal.reasons and all(r.endswith(".") for r in refusal.reasons)
            structurally = action in allowed_actions(state)
            if not structurally:
                assert refusal.reasons == (REFUSED[(state, action)],)
            continue
        # Only listed moves happen, and only when their rules are met.
        assert isinstance(new, SessionState)
        assert action in allowed_actions(state)
        assert not is_terminal(state)
        if action is A.START_INFUSION:
            assert facts.dose_verified and facts.has_baseline_vitals
            assert facts.predose_bp_acknowledged or not facts.predose_bp_alert
        if action is A.DISCHARGE:
            assert discharge_problems(facts) == []
            assert facts.aldrete_total is not None
            assert facts.aldrete_total >= facts.aldrete_minimum
            assert not facts.unresolved_event_flags
        if action in (A.PAUSE, A.STOP_EARLY, A.CANCEL):
            assert facts.reason is not None and facts.reason.strip()
        if action is A.CANCEL:
            assert not dose_started(state)
        # Once drug has run, the session never looks undosed again.
        assert dose_started(new) or not dose_started(state)
        state = new
        history.append(state)
    if S.SIGNED in history:
        assert history[-2:] == [S.DISCHARGED, S.SIGNED]
    if dose_started(state):
        assert S.INFUSING in history and S.CHECKED_IN in history
    if is_terminal(state):
        assert history.count(state) == 1
        for action in SessionAction:
            with pytest.raises(TransitionRefused):
                next_state(state, action, ALL_MET)


@pytest.mark.parametrize(
    ("path", "final"),
    [
        ([A.CHECK_IN, A.START_INFUSION, A.STOP_INFUSION, A.DISCHARGE, A.SIGN], S.SIGNED),
        (
            [A.CHECK_IN, A.START_INFUSION, A.PAUSE, A.RESUME, A.PAUSE, A.STOP_INFUSION],
            S.RECOVERING,
        ),
        (
            [A.CHECK_IN, A.START_INFUSION, A.STOP_EARLY, A.BEGIN_RECOVERY, A.DISCHARGE, A.SIGN],
            S.SIGNED,
        ),
        ([A.CHECK_IN, A.START_INFUSION, A.PAUSE, A.STOP_EARLY, A.DISCHARGE], S.DISCHARGED),
        ([A.CHECK_IN, A.CANCEL], S.CANCELLED),
        ([A.CANCEL], S.CANCELLED),
    ],
)
def test_whole_sessions(path: list[SessionAction], final: SessionState) -> None:
    state = S.SCHEDULED
    for action in path:
        state = next_state(state, action, ALL_MET)
    assert state is final
    _replay([(action, ALL_MET) for action in path])


def test_start_needs_the_pre_infusion_checklist() -> None:
    ready = SessionFacts(dose_verified=True, has_baseline_vitals=True)
    assert next_state("checked_in", "start_infusion", ready) is SessionState.INFUSING
    missing = SessionFacts(dose_verified=True, has_baseline_vitals=True,
                           checklist_missing=("consent on file", "escort named"))
    with pytest.raises(TransitionRefused) as refused:
        next_state("checked_in", "start_infusion", missing)
    assert refused.value.reasons == (
        "The pre-infusion checklist is not complete (consent on file, escort named); "
        "complete it before starting.",
    )
    with pytest.raises(ValidationError):
        SessionFacts(checklist_missing="consent")  # type: ignore[arg-type]
