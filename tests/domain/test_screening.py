"""Eligibility screening rules: every classification, every unanswered item, every message."""

from __future__ import annotations

from datetime import date

import pytest

from ketalog.domain.errors import ValidationError
from ketalog.domain.screening import (
    YES_NO_QUESTIONS,
    LabResult,
    ScreeningFindings,
    approval_problems,
    check_lab,
    check_screening_field,
    medication_classes,
    review_screening,
)

TODAY = date(2026, 11, 21)

#: A complete, clean screening: nothing to flag, nothing unanswered.
CLEAN = ScreeningFindings(
    history_summary="TRD, three failed SSRIs.",
    medications="Sertraline 100 mg daily",
    allergies="none known",
    baseline_systolic_mmhg=124,
    baseline_diastolic_mmhg=78,
    labs=(LabResult("ALT", "22 U/L", date(2026, 11, 1)),),
    consent_signed_on=date(2026, 11, 20),
    **dict.fromkeys((q for q in YES_NO_QUESTIONS if q != "on_mood_stabiliser"), False),
)


def codes(findings: ScreeningFindings) -> tuple[list[str], list[str]]:
    review = review_screening(findings)
    return [f.code for f in review.contraindications], [f.code for f in review.cautions]


def field_message(name: str, value: object, findings: ScreeningFindings | None = None) -> str:
    with pytest.raises(ValidationError) as info:
        check_screening_field(name, value, today=TODAY, findings=findings)
    assert [p.field for p in info.value.problems] == [name]
    return info.value.messages[0]


def test_a_clean_screening_has_nothing_to_flag_and_can_be_approved() -> None:
    review = review_screening(CLEAN)
    assert review.contraindications == ()
    assert review.cautions == ()
    assert review.unanswered == ()
    assert review.mismatches == ()
    assert not review.blocks_scheduling
    assert approval_problems(review, override_reason=None) == []


# --- contraindications -----------------------------------------------------------------


@pytest.mark.parametrize(("field", "code", "text"), [
    ("pregnant_or_breastfeeding", "pregnancy", "pregnancy or breastfeeding"),
    ("psychosis_history", "psychosis", "psychosis history"),
    ("active_substance_use", "substance_use", "active substance use"),
    ("uncontrolled_cardiovascular", "cardiovascular",
     "uncontrolled hypertension or cardiovascular disease"),
    ("hepatic_impairment", "hepatic", "severe hepatic impairment"),
    ("raised_intracranial_or_intraocular_pressure", "raised_pressure",
     "raised intracranial or intraocular pressure"),
    ("takes_maoi", "maoi", "current MAOI (monoamine oxidase inhibitor)"),
])
def test_each_yes_answer_that_forbids_ketamine_is_a_contraindication(
        field: str, code: str, text: str) -> None:
    review = review_screening(CLEAN.with_value(field, True))
    assert [(f.code, f.kind, f.text) for f in review.contraindications] == [
        (code, "contraindication", text)]
    assert review.cautions == ()
    assert review.blocks_scheduling


@pytest.mark.parametrize("allergies", [
    "Ketamine (rash)", "penicillin; esketamine", "ESKETAMINE", "Ketalar", "Spravato - hives",
])
def test_ketamine_or_esketamine_in_the_allergies_is_a_contraindication(allergies: str) -> None:
    review = review_screening(CLEAN.with_value("allergies", allergies))
    assert [f.code for f in review.contraindications] == ["ketamine_allergy"]
    assert review.contraindications[0].text.startswith("allergy to ketamine or esketamine")


@pytest.mark.parametrize("allergies", ["none known", "penicillin (rash)", "latex", "NKDA"])
def test_other_allergies_are_not_flagged(allergies: str) -> None:
    assert codes(CLEAN.with_value("allergies", allergies)) == ([], [])


@pytest.mark.parametrize(("systolic", "diastolic", "expected"), [
    (180, 100, (["bp_uncontrolled"], [])),
    (170, 110, (["bp_uncontrolled"], [])),
    (200, 120, (["bp_uncontrolled"], [])),
    (179, 109, ([], ["bp_raised"])),
    (140, 80, ([], ["bp_raised"])),
    (130, 90, ([], ["bp_raised"])),
    (139, 89, ([], [])),
])
def test_baseline_bp_thresholds(systolic: int, diastolic: int,
                                expected: tuple[list[str], list[str]]) -> None:
    findings = CLEAN.with_value("baseline_systolic_mmhg", systolic).with_value(
        "baseline_diastolic_mmhg", diastolic)
    assert codes(findings) == expected


def test_bp_findings_name_the_reading() -> None:
    high = review_screening(CLEAN.with_value("baseline_systolic_mmhg", 186))
    assert high.contraindications[0].text == (
        "baseline BP 186/78 mmHg is uncontrolled hypertension (180/110 or above)")
    assert high.contraindications[0].short == "BP 186/78"
    raised = review_screening(CLEAN.with_value("baseline_systolic_mmhg", 150))
    assert raised.cautions[0].text == "baseline BP 150/78 mmHg is raised (140/90 or above)"


# --- cautions --------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "code", "short"), [
    ("takes_benzodiazepine", "benzodiazepine", "benzodiazepine"),
    ("takes_other_sedative", "other_sedative", "sedative"),
    ("takes_opioid", "opioid", "opioid"),
    ("takes_stimulant", "stimulant", "stimulant"),
    ("takes_lamotrigine", "lamotrigine", "lamotrigine"),
])
def test_interacting_drugs_are_cautions_not_blocks(field: str, code: str, short: str) -> None:
    review = review_screening(CLEAN.with_value(field, True))
    assert [(f.code, f.kind, f.short) for f in review.cautions] == [(code, "caution", short)]
    assert review.contraindications == ()
    assert not review.blocks_scheduling


def test_caution_texts_say_why() -> None:
    texts = {f.code: f.text for f in review_screening(ScreeningFindings(
        takes_benzodiazepine=True, takes_other_sedative=True, takes_opioid=True,
        takes_stimulant=True, takes_lamotrigine=True)).cautions}
    assert "blunt" in texts["benzodiazepine"]
    assert "respiratory depression" in texts["other_sedative"]
    assert "respiratory depression" in texts["opioid"]
    assert "blood pressure" in texts["stimulant"]
    assert "blunt" in texts["lamotrigine"]


def test_bipolar_without_a_mood_stabiliser_is_a_flag_not_a_block() -> None:
    bipolar = CLEAN.with_value("bipolar_disorder", True)
    without = review_screening(bipolar.with_value("on_mood_stabiliser", False))
    assert [f.code for f in without.cautions] == ["bipolar_no_stabiliser"]
    assert without.contraindications == ()
    with_it = review_screening(bipolar.with_value("on_mood_stabiliser", True)
                               .with_value("medications", "lithium 400 mg"))
    assert with_it.cautions == ()
    assert approval_problems(with_it, override_reason=None) == []


# --- unanswered ------------------------------------------------------------------------


def test_an_empty_screening_lists_everything_still_to_answer() -> None:
    review = review_screening(ScreeningFindings())
    assert review.unanswered == (
        "Baseline blood pressure",
        *[label for name, label in YES_NO_QUESTIONS.items() if name != "on_mood_stabiliser"],
        "Consent signed (date)",
    )
    problems = approval_problems(review, override_reason=None)
    assert "Not answered yet: History of psychosis." in problems
    assert len(problems) == len(review.unanswered)


@pytest.mark.parametrize("question", sorted(set(YES_NO_QUESTIONS) - {"on_mood_stabiliser"}))
def test_each_question_left_unasked_blocks_approval(question: str) -> None:
    review = review_screening(CLEAN.with_value(question, None))
    assert review.unanswered == (YES_NO_QUESTIONS[question],)
    assert approval_problems(review, override_reason="anything") == [
        f"Not answered yet: {YES_NO_QUESTIONS[question]}."]


def test_the_mood_stabiliser_question_is_asked_only_of_bipolar_patients() -> None:
    assert review_screening(CLEAN).unanswered == ()
    assert review_screening(CLEAN.with_value("bipolar_disorder", True)).unanswered == (
        "On a mood stabiliser",)


@pytest.mark.parametrize(("field", "label"), [
    ("baseline_systolic_mmhg", "Baseline blood pressure"),
    ("baseline_diastolic_mmhg", "Baseline blood pressure"),
    ("consent_signed_on", "Consent signed (date)"),
])
def test_missing_bp_and_consent_are_unanswered(field: str, label: str) -> None:
    assert review_screening(CLEAN.with_value(field, None)).unanswered == (label,)


@pytest.mark.parametrize("field", ["labs", "medications", "allergies", "history_summary"])
def test_labs_and_free_text_are_not_required(field: str) -> None:
    empty = () if field == "labs" else None
    assert review_screening(CLEAN.with_value(field, empty)).unanswered == ()


# --- medications -----------------------------------------------------------------------


def test_medication_classes_recognise_common_names_whatever_the_case() -> None:
    text = ("Lorazepam 1 mg at night\nSertraline 100 mg\nZOLPIDEM 10 mg\nTramadol 50 mg prn\n"
            "Lisdexamfetamine 30 mg\nPhenelzine 15 mg\nLamotrigine 200 mg\nValproic  acid 500 mg"
            "\nclonazepam; Xanax; lorazepam again")
    assert medication_classes(text) == {
        "benzodiazepine": ["lorazepam", "clonazepam", "xanax"],
        "other_sedative": ["zolpidem"],
        "opioid": ["tramadol"],
        "stimulant": ["lisdexamfetamine"],
        "maoi": ["phenelzine"],
        "lamotrigine": ["lamotrigine"],
        "mood_stabiliser": ["valproic acid"],
    }


@pytest.mark.parametrize(("name", "cls"), [
    ("alprazolam", "benzodiazepine"), ("diazepam", "benzodiazepine"),
    ("zopiclone", "other_sedative"), ("oxycodone", "opioid"), ("morphine", "opioid"),
    ("methylphenidate", "stimulant"), ("amphetamine", "stimulant"), ("modafinil", "stimulant"),
    ("tranylcypromine", "maoi"), ("selegiline", "maoi"), ("isocarboxazid", "maoi"),
    ("moclobemide", "maoi"), ("lithium", "mood_stabiliser"), ("valproate", "mood_stabiliser"),
])
def test_each_listed_drug_is_classed(name: str, cls: str) -> None:
    assert medication_classes(f"{name.title()} 10 mg") == {cls: [name]}


def test_names_inside_other_words_do_not_count() -> None:
    # "dextroamphetamine" is one stimulant, not also "amphetamine"; no class in "lithiumate"
    assert medication_classes("dextroamphetamine 5 mg") == {"stimulant": ["dextroamphetamine"]}
    assert medication_classes("lithiumate, sertraline, none") == {}
    assert medication_classes(None) == {}


def test_a_listed_drug_answered_no_is_a_mismatch_that_blocks_approval() -> None:
    findings = CLEAN.with_value("medications", "Lorazepam 1 mg at night")
    review = review_screening(findings)
    message = ("Medications list lorazepam (a benzodiazepine) but Benzodiazepines is answered "
               "No; correct the answer or the medication list.")
    assert review.mismatches == (message,)
    assert approval_problems(review, override_reason="justified") == [message]
    fixed = review_screening(findings.with_value("takes_benzodiazepine", True))
    assert fixed.mismatches == ()
    assert [f.code for f in fixed.cautions] == ["benzodiazepine"]


def test_a_mood_stabiliser_listed_but_answered_no_is_a_mismatch() -> None:
    findings = CLEAN.with_value("medications", "lithium").with_value(
        "bipolar_disorder", True).with_value("on_mood_stabiliser", False)
    assert review_screening(findings).mismatches == (
        "Medications list lithium (a mood stabiliser) but On a mood stabiliser is answered No; "
        "correct the answer or the medication list.",)


def test_an_unasked_question_with_a_listed_drug_is_unanswered_not_a_mismatch() -> None:
    review = review_screening(CLEAN.with_value("medications", "phenelzine").with_value(
        "takes_maoi", None))
    assert review.mismatches == ()
    assert review.unanswered == ("MAO inhibitors (MAOIs)",)
    assert dict(review.medications_found) == {"maoi": ("phenelzine",)}


# --- approval --------------------------------------------------------------------------


def test_contraindications_block_approval_until_overridden() -> None:
    review = review_screening(CLEAN.with_value("psychosis_history", True))
    assert approval_problems(review, override_reason=None) == [
        "Contraindication: psychosis history. A physician must record a justified override "
        "before approval."]
    assert approval_problems(review, override_reason="   ") != []
    assert approval_problems(review, override_reason="Remote single episode, 1998.") == []


# --- checking one value ----------------------------------------------------------------


def test_text_fields_are_trimmed_and_blank_is_not_entered() -> None:
    assert check_screening_field("medications", "  sertraline \n", today=TODAY) == "sertraline"
    assert check_screening_field("allergies", "   ", today=TODAY) is None
    assert check_screening_field("history_summary", None, today=TODAY) is None


@pytest.mark.parametrize(("field", "limit", "label"), [
    ("history_summary", 4000, "History summary"),
    ("medications", 2000, "Current medications"),
    ("allergies", 1000, "Allergies"),
])
def test_text_length_limits(field: str, limit: int, label: str) -> None:
    assert check_screening_field(field, "x" * limit, today=TODAY) == "x" * limit
    assert field_message(field, "x" * (limit + 1)) == (
        f"{label} is {limit + 1} characters long; shorten it to {limit} at most.")


def test_baseline_bp_values_are_whole_mmhg_within_the_hard_limits() -> None:
    assert check_screening_field("baseline_systolic_mmhg", " 132 ", today=TODAY) == 132
    assert check_screening_field("baseline_diastolic_mmhg", 84, today=TODAY) == 84
    assert check_screening_field("baseline_systolic_mmhg", "", today=TODAY) is None
    assert check_screening_field("baseline_systolic_mmhg", 50, today=TODAY) == 50
    assert check_screening_field("baseline_systolic_mmhg", 300, today=TODAY) == 300
    assert check_screening_field("baseline_diastolic_mmhg", 20, today=TODAY) == 20
    assert check_screening_field("baseline_diastolic_mmhg", 200, today=TODAY) == 200


@pytest.mark.parametrize(("field", "value", "message"), [
    ("baseline_systolic_mmhg", "49",
     "Baseline systolic 49 mmHg is outside 50-300 mmHg; check the reading."),
    ("baseline_systolic_mmhg", 301,
     "Baseline systolic 301 mmHg is outside 50-300 mmHg; check the reading."),
    ("baseline_diastolic_mmhg", "19",
     "Baseline diastolic 19 mmHg is outside 20-200 mmHg; check the reading."),
    ("baseline_diastolic_mmhg", 201,
     "Baseline diastolic 201 mmHg is outside 20-200 mmHg; check the reading."),
    ("baseline_systolic_mmhg", "13O",
     'Baseline systolic "13O" is not a whole number of mmHg; type e.g. 130.'),
    ("baseline_diastolic_mmhg", "8.5",
     'Baseline diastolic "8.5" is not a whole number of mmHg; type e.g. 80.'),
    ("baseline_systolic_mmhg", True, "Baseline systolic must be a whole number of mmHg."),
])
def test_impossible_baseline_bp_is_refused(field: str, value: object, message: str) -> None:
    assert field_message(field, value) == message


def test_diastolic_must_be_below_systolic_when_both_are_known() -> None:
    stored = ScreeningFindings(baseline_systolic_mmhg=120, baseline_diastolic_mmhg=80)
    assert field_message("baseline_diastolic_mmhg", 120, stored) == (
        "Baseline diastolic 120 mmHg must be below the systolic (120 mmHg); check the reading.")
    assert field_message("baseline_systolic_mmhg", "75", stored) == (
        "Baseline systolic 75 mmHg must be above the diastolic (80 mmHg); check the reading.")
    # with only one known there is nothing to compare
    alone = ScreeningFindings(baseline_systolic_mmhg=None, baseline_diastolic_mmhg=80)
    assert check_screening_field("baseline_systolic_mmhg", 75, today=TODAY,
                                 findings=ScreeningFindings()) == 75
    assert check_screening_field("baseline_diastolic_mmhg", 90, today=TODAY,
                                 findings=alone) == 90


@pytest.mark.parametrize(("value", "expected"), [
    (True, True), (False, False), (None, None), ("Yes", True), ("no", False),
    ("Not asked", None), ("", None),
])
def test_yes_no_answers(value: object, expected: bool | None) -> None:
    assert check_screening_field("psychosis_history", value, today=TODAY) is expected


def test_a_yes_no_answer_must_be_one_of_three() -> None:
    assert field_message("takes_opioid", "maybe") == "Opioids: answer Yes, No or Not asked."
    assert field_message("takes_opioid", 1) == "Opioids: answer Yes, No or Not asked."


def test_consent_date() -> None:
    assert check_screening_field("consent_signed_on", "2026-11-21", today=TODAY) == TODAY
    assert check_screening_field("consent_signed_on", date(2026, 1, 2), today=TODAY) == date(
        2026, 1, 2)
    assert check_screening_field("consent_signed_on", " ", today=TODAY) is None
    assert field_message("consent_signed_on", "2026-11-22") == (
        "Consent date 2026-11-22 is in the future; enter the date it happened "
        "(today is 2026-11-21).")
    assert field_message("consent_signed_on", "21/11/2026") == (
        'Consent date "21/11/2026" is not a date; type it as YYYY-MM-DD.')


def test_unknown_fields_are_refused() -> None:
    assert field_message("approved_at_utc", "now") == (
        "'approved_at_utc' is not a field of the screening form.")


# --- labs ------------------------------------------------------------------------------


def test_a_lab_entry_is_trimmed_and_dated() -> None:
    lab = check_lab(" ALT ", " 32 U/L ", "2026-11-21", today=TODAY)
    assert lab == LabResult("ALT", "32 U/L", TODAY)
    assert lab.to_dict() == {"test": "ALT", "result": "32 U/L", "taken_on": "2026-11-21"}


def test_a_lab_entry_needs_test_result_and_date_all_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        check_lab("", " ", "", today=TODAY)
    assert [(p.field, p.message) for p in info.value.problems] == [
        ("lab_test", 'Name the lab test (e.g. "ALT", "hCG").'),
        ("lab_result", 'Enter the result with its unit (e.g. "32 U/L").'),
        ("lab_taken_on", "Enter the date the sample was taken (YYYY-MM-DD)."),
    ]


@pytest.mark.parametrize(("test", "result", "taken_on", "field", "message"), [
    ("ALT", "32", "2026-11-22", "lab_taken_on",
     "Lab date 2026-11-22 is in the future; enter the date it happened (today is 2026-11-21)."),
    ("ALT", "32", "yesterday", "lab_taken_on",
     'Lab date "yesterday" is not a date; type it as YYYY-MM-DD.'),
    ("A" * 101, "32", "2026-11-01", "lab_test",
     "The test name is longer than 100 characters; shorten it."),
    ("ALT", "3" * 201, "2026-11-01", "lab_result",
     "The result is longer than 200 characters; shorten it."),
])
def test_bad_lab_entries(test: str, result: str, taken_on: str, field: str,
                         message: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_lab(test, result, taken_on, today=TODAY)
    assert [(p.field, p.message) for p in info.value.problems] == [(field, message)]


@pytest.mark.parametrize("typed", ["²", "¹²⁰"])
def test_a_digit_that_is_not_0_to_9_is_refused_not_a_crash(typed: str) -> None:
    # "²" is a key of its own on French keyboards; int() refuses it although isdigit() passes
    assert field_message("baseline_systolic_mmhg", typed).startswith(
        f'Baseline systolic "{typed}" is not a whole number of mmHg')
