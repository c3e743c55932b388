"""Eligibility screening: which findings forbid ketamine, which only call for care.

The consultation before a course's first infusion records the patient's
history, medications, allergies, baseline blood pressure, labs and consent,
and answers one yes/no question per known risk (DESIGN.md section 2). This
module judges those findings; it never stores them.

Classification (decided here, shown to the nurse and physician word for word):

* **Contraindications** block booking sessions until a physician records a
  justified override: pregnancy or breastfeeding; psychosis history; active
  substance use; uncontrolled hypertension or cardiovascular disease; severe
  hepatic impairment; raised intracranial or intraocular pressure; a current
  MAOI; ketamine or esketamine named in the allergies; a baseline BP of 180
  systolic or 110 diastolic or more (uncontrolled hypertension).
* **Cautions** are shown on the board and the session header but block
  nothing: benzodiazepines (may blunt the antidepressant response); other
  sedatives and opioids (added sedation and respiratory depression);
  stimulants (raise blood pressure further); lamotrigine (may blunt the
  response); bipolar disorder without a mood stabiliser (risk of switching to
  mania: a flag, not a block); a baseline BP of 140 systolic or 90 diastolic
  or more.

Unanswered is never read as "no": a yes/no question still ``None``, a
missing consent date or baseline BP all block approval. The medication and
allergy lists are free text and not required (the yes/no drug questions are
what is asked). "On a mood stabiliser" is asked only of a
patient with bipolar disorder. Labs are recorded when taken but not required,
since clinics order different ones. A medication list naming a drug whose
class question is answered "No" (lorazepam, but "Benzodiazepines: No") also
blocks approval until one of the two is corrected.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from types import MappingProxyType
from typing import Final, Literal

from ketalog.domain.errors import Problem, ValidationError

#: The board's caution label for a course whose contraindication a physician overrode.
OVERRIDDEN_LABEL = "contraindication overridden"

FindingKind = Literal["contraindication", "caution"]

#: The yes/no questions of the form, in the order it asks them, with their labels.
YES_NO_QUESTIONS: Final[Mapping[str, str]] = MappingProxyType({
    "takes_benzodiazepine": "Benzodiazepines",
    "takes_other_sedative": "Other sedatives (e.g. zolpidem)",
    "takes_opioid": "Opioids",
    "takes_stimulant": "Stimulants",
    "takes_maoi": "MAO inhibitors (MAOIs)",
    "takes_lamotrigine": "Lamotrigine",
    "pregnant_or_breastfeeding": "Pregnant or breastfeeding",
    "psychosis_history": "History of psychosis",
    "active_substance_use": "Active substance use",
    "uncontrolled_cardiovascular": "Uncontrolled hypertension or cardiovascular disease",
    "hepatic_impairment": "Severe hepatic impairment",
    "raised_intracranial_or_intraocular_pressure": "Raised intracranial or intraocular pressure",
    "bipolar_disorder": "Bipolar disorder",
    "on_mood_stabiliser": "On a mood stabiliser",
})

#: Free-text fields and the most characters each may hold.
TEXT_LIMITS: Final[Mapping[str, int]] = MappingProxyType({
    "history_summary": 4000,
    "medications": 2000,
    "allergies": 1000,
})
TEXT_LABELS: Final[Mapping[str, str]] = MappingProxyType({
    "history_summary": "History summary",
    "medications": "Current medications",
    "allergies": "Allergies",
})

#: Baseline BP fields: label and physically possible range (the vital-sign hard limits).
BP_LIMITS: Final[Mapping[str, tuple[str, int, int]]] = MappingProxyType({
    "baseline_systolic_mmhg": ("Baseline systolic", 50, 300),
    "baseline_diastolic_mmhg": ("Baseline diastolic", 20, 200),
})

#: Every field one call of :func:`check_screening_field` may change.
EDITABLE_FIELDS: Final[tuple[str, ...]] = (
    *TEXT_LIMITS, *BP_LIMITS, *YES_NO_QUESTIONS, "consent_signed_on",
)

LAB_TEST_MAX = 100
LAB_RESULT_MAX = 200
#: Baseline BP at or above either figure is uncontrolled hypertension (a contraindication).
BP_UNCONTROLLED_MMHG: Final = (180, 110)
#: Baseline BP at or above either figure is raised (a caution).
BP_RAISED_MMHG: Final = (140, 90)

#: Words in the allergy list that mean the patient reacted to the drug itself.
_KETAMINE_ALLERGY = re.compile(r"(?<![a-z])(es)?ketamine|ketalar|spravato", re.IGNORECASE)


@dataclass(frozen=True)
class LabResult:
    """One lab value as the referral or the clinic's own draw gave it."""

    test: str
    result: str
    taken_on: date

    def to_dict(self) -> dict[str, str]:
        """The stored JSON form ({"test", "result", "taken_on": "YYYY-MM-DD"})."""
        return {"test": self.test, "result": self.result, "taken_on": self.taken_on.isoformat()}


@dataclass(frozen=True)
class ScreeningFindings:
    """What the consultation found; ``None`` means "not asked yet" (never "no")."""

    history_summary: str | None = None
    medications: str | None = None
    allergies: str | None = None
    baseline_systolic_mmhg: int | None = None
    baseline_diastolic_mmhg: int | None = None
    labs: tuple[LabResult, ...] = ()
    takes_benzodiazepine: bool | None = None
    takes_other_sedative: bool | None = None
    takes_opioid: bool | None = None
    takes_stimulant: bool | None = None
    takes_maoi: bool | None = None
    takes_lamotrigine: bool | None = None
    pregnant_or_breastfeeding: bool | None = None
    psychosis_history: bool | None = None
    active_substance_use: bool | None = None
    uncontrolled_cardiovascular: bool | None = None
    hepatic_impairment: bool | None = None
    raised_intracranial_or_intraocular_pressure: bool | None = None
    bipolar_disorder: bool | None = None
    on_mood_stabiliser: bool | None = None
    consent_signed_on: date | None = None

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Every field, in declaration order (the store copies these)."""
        return tuple(f.name for f in fields(cls))

    def with_value(self, name: str, value: object) -> ScreeningFindings:
        """A copy with one field changed (``value`` already checked)."""
        return replace(self, **{name: value})  # type: ignore[arg-type]

    @property
    def blood_pressure(self) -> str | None:
        """Baseline BP as written ("150/95"), or None when either figure is missing."""
        if self.baseline_systolic_mmhg is None or self.baseline_diastolic_mmhg is None:
            return None
        return f"{self.baseline_systolic_mmhg}/{self.baseline_diastolic_mmhg}"


@dataclass(frozen=True)
class Finding:
    """One classified finding: ``text`` for sentences, ``short`` for the board."""

    code: str
    kind: FindingKind
    text: str
    short: str = ""


@dataclass(frozen=True)
class ScreeningReview:
    """The domain's reading of a screening, for the form, the board and the gates."""

    contraindications: tuple[Finding, ...]
    cautions: tuple[Finding, ...]
    #: Labels of what is still to be answered or entered.
    unanswered: tuple[str, ...]
    #: Medication list disagreeing with a "No" answer, one sentence each.
    mismatches: tuple[str, ...] = ()
    #: Drug classes the medication list names: class -> names found.
    medications_found: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def blocks_scheduling(self) -> bool:
        """A contraindication is present (an override may still allow booking)."""
        return bool(self.contraindications)


# --- medications ------------------------------------------------------------------

#: Drug classes the form asks about: class -> (question field, "a benzodiazepine").
MEDICATION_CLASS_QUESTIONS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType({
    "benzodiazepine": ("takes_benzodiazepine", "a benzodiazepine"),
    "other_sedative": ("takes_other_sedative", "a sedative"),
    "opioid": ("takes_opioid", "an opioid"),
    "stimulant": ("takes_stimulant", "a stimulant"),
    "maoi": ("takes_maoi", "an MAOI"),
    "lamotrigine": ("takes_lamotrigine", "lamotrigine"),
    "mood_stabiliser": ("on_mood_stabiliser", "a mood stabiliser"),
})

#: Generic and common brand names recognised in the medication list, by class.
MEDICATION_NAMES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType({
    "benzodiazepine": (
        "alprazolam", "lorazepam", "clonazepam", "diazepam", "temazepam", "oxazepam",
        "chlordiazepoxide", "clobazam", "clorazepate", "midazolam", "triazolam",
        "nitrazepam", "bromazepam", "lormetazepam", "estazolam", "flurazepam",
        "xanax", "ativan", "klonopin", "rivotril", "valium", "restoril", "librium",
    ),
    "other_sedative": (
        "zolpidem", "zopiclone", "eszopiclone", "zaleplon", "ambien", "stilnox", "lunesta",
        "phenobarbital", "butalbital", "chloral hydrate", "suvorexant", "lemborexant",
    ),
    "opioid": (
        "oxycodone", "hydrocodone", "morphine", "codeine", "dihydrocodeine", "tramadol",
        "tapentadol", "fentanyl", "hydromorphone", "oxymorphone", "methadone",
        "buprenorphine", "pethidine", "meperidine", "oxycontin", "percocet", "vicodin",
        "norco", "suboxone", "subutex",
    ),
    "stimulant": (
        "methylphenidate", "dexmethylphenidate", "amphetamine", "dextroamphetamine",
        "dexamfetamine", "lisdexamfetamine", "methamphetamine", "modafinil", "armodafinil",
        "adderall", "ritalin", "concerta", "focalin", "vyvanse", "elvanse", "provigil",
        "nuvigil",
    ),
    "maoi": (
        "phenelzine", "tranylcypromine", "selegiline", "isocarboxazid", "moclobemide",
        "nardil", "parnate", "emsam", "marplan",
    ),
    "lamotrigine": ("lamotrigine", "lamictal"),
    "mood_stabiliser": (
        "lithium", "valproate", "valproic acid", "divalproex", "depakote", "carbamazepine",
        "tegretol",
    ),
})

_NAME_CLASS: Final[dict[str, str]] = {
    name: cls for cls, names in MEDICATION_NAMES.items() for name in names
}
_NAME_PATTERN: Final = re.compile(
    r"(?<![a-z])("
    + "|".join(re.escape(n).replace(r"\ ", r"\s+")
               for n in sorted(_NAME_CLASS, key=len, reverse=True))
    + r")(?![a-z])"
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def medication_classes(medications_text: str | None) -> dict[str, list[str]]:
    """The drug classes a free-text medication list names, with the names found.

    Matches whole words, ignoring case and accents ("Lorazepam 1 mg" finds
    lorazepam). Classes are keys of :data:`MEDICATION_NAMES`; names appear
    once each, in the order of the list; classes with no match are absent.
    """
    found: dict[str, list[str]] = {}
    for match in _NAME_PATTERN.finditer(_fold(medications_text or "")):
        name = " ".join(match.group(1).split())
        names = found.setdefault(_NAME_CLASS[name], [])
        if name not in names:
            names.append(name)
    return found


def _mismatches(findings: ScreeningFindings, found: Mapping[str, list[str]]) -> list[str]:
    problems = []
    for cls, names in found.items():
        question, what = MEDICATION_CLASS_QUESTIONS[cls]
        if getattr(findings, question) is False:
            listed = ", ".join(names)
            problems.append(
                f"Medications list {listed} ({what}) but {YES_NO_QUESTIONS[question]} is "
                "answered No; correct the answer or the medication list."
            )
    return problems


# --- classification ---------------------------------------------------------------

#: Yes answers that are contraindications: field -> (code, text, short).
_CONTRAINDICATIONS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("pregnant_or_breastfeeding", "pregnancy", "pregnancy or breastfeeding", "pregnancy"),
    ("psychosis_history", "psychosis", "psychosis history", "psychosis history"),
    ("active_substance_use", "substance_use", "active substance use", "substance use"),
    ("uncontrolled_cardiovascular", "cardiovascular",
     "uncontrolled hypertension or cardiovascular disease", "cardiovascular"),
    ("hepatic_impairment", "hepatic", "severe hepatic impairment", "hepatic impairment"),
    ("raised_intracranial_or_intraocular_pressure", "raised_pressure",
     "raised intracranial or intraocular pressure", "raised ICP/IOP"),
    ("takes_maoi", "maoi", "current MAOI (monoamine oxidase inhibitor)", "MAOI"),
)

#: Yes answers that are cautions: field -> (code, text, short).
_CAUTIONS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("takes_benzodiazepine", "benzodiazepine",
     "benzodiazepine: may blunt the response to ketamine", "benzodiazepine"),
    ("takes_other_sedative", "other_sedative",
     "other sedative: added sedation and respiratory depression", "sedative"),
    ("takes_opioid", "opioid", "opioid: added sedation and respiratory depression", "opioid"),
    ("takes_stimulant", "stimulant", "stimulant: may raise blood pressure further",
     "stimulant"),
    ("takes_lamotrigine", "lamotrigine", "lamotrigine: may blunt the response to ketamine",
     "lamotrigine"),
)


def _needs_mood_stabiliser_answer(findings: ScreeningFindings) -> bool:
    return findings.bipolar_disorder is True


def review_screening(findings: ScreeningFindings) -> ScreeningReview:
    """Classify every finding and list what is still to be answered (see module doc)."""
    contraindications: list[Finding] = []
    cautions: list[Finding] = []
    for name, code, text, short in _CONTRAINDICATIONS:
        if getattr(findings, name) is True:
            contraindications.append(Finding(code, "contraindication", text, short))
    allergy = _KETAMINE_ALLERGY.search(findings.allergies or "")
    if allergy:
        contraindications.append(Finding(
            "ketamine_allergy", "contraindication",
            f"allergy to ketamine or esketamine (allergies list \"{allergy.group(0)}\")",
            "ketamine allergy"))
    systolic, diastolic = findings.baseline_systolic_mmhg, findings.baseline_diastolic_mmhg
    bp = f"{systolic if systolic is not None else '-'}/" \
         f"{diastolic if diastolic is not None else '-'}"
    if _at_or_above(systolic, diastolic, BP_UNCONTROLLED_MMHG):
        contraindications.append(Finding(
            "bp_uncontrolled", "contraindication",
            f"baseline BP {bp} mmHg is uncontrolled hypertension (180/110 or above)",
            f"BP {bp}"))
    elif _at_or_above(systolic, diastolic, BP_RAISED_MMHG):
        cautions.append(Finding(
            "bp_raised", "caution", f"baseline BP {bp} mmHg is raised (140/90 or above)",
            f"BP {bp}"))
    for name, code, text, short in _CAUTIONS:
        if getattr(findings, name) is True:
            cautions.append(Finding(code, "caution", text, short))
    if findings.bipolar_disorder is True and findings.on_mood_stabiliser is False:
        cautions.append(Finding(
            "bipolar_no_stabiliser", "caution",
            "bipolar disorder without a mood stabiliser: watch for a switch to mania",
            "bipolar, no mood stabiliser"))

    unanswered: list[str] = []
    if systolic is None or diastolic is None:
        unanswered.append("Baseline blood pressure")
    for name, label in YES_NO_QUESTIONS.items():
        if name == "on_mood_stabiliser" and not _needs_mood_stabiliser_answer(findings):
            continue
        if getattr(findings, name) is None:
            unanswered.append(label)
    if findings.consent_signed_on is None:
        unanswered.append("Consent signed (date)")

    found = medication_classes(findings.medications)
    return ScreeningReview(
        contraindications=tuple(contraindications),
        cautions=tuple(cautions),
        unanswered=tuple(unanswered),
        mismatches=tuple(_mismatches(findings, found)),
        medications_found=MappingProxyType({k: tuple(v) for k, v in found.items()}),
    )


def _at_or_above(systolic: int | None, diastolic: int | None, limit: tuple[int, int]) -> bool:
    return (systolic is not None and systolic >= limit[0]) or (
        diastolic is not None and diastolic >= limit[1])


def approval_problems(review: ScreeningReview, *, override_reason: str | None) -> list[str]:
    """Everything that stops a physician approving the screening, each as a fix-it sentence.

    Unanswered items and medication mismatches always block; contraindications
    block unless a physician has recorded an override with a reason.
    """
    problems = [f"Not answered yet: {label}." for label in review.unanswered]
    problems += list(review.mismatches)
    if not (override_reason or "").strip():
        problems += [
            f"Contraindication: {finding.text}. A physician must record a justified override "
            "before approval."
            for finding in review.contraindications
        ]
    return problems


# --- checking one value -----------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_text(name: str, value: object) -> str | None:
    label, limit = TEXT_LABELS[name], TEXT_LIMITS[name]
    if _blank(value):
        return None
    if not isinstance(value, str):
        raise ValidationError.single(name, f"{label} must be text.")
    text = value.strip()
    if len(text) > limit:
        raise ValidationError.single(
            name, f"{label} is {len(text)} characters long; shorten it to {limit} at most.")
    return text


def _check_bp(name: str, value: object, findings: ScreeningFindings | None) -> int | None:
    label, low, high = BP_LIMITS[name]
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValidationError.single(name, f"{label} must be a whole number of mmHg.")
    if isinstance(value, str):
        text = value.strip().removesuffix("mmHg").strip()
        if not (text.isascii() and text.isdigit()):  # "²" passes isdigit(), not int()
            raise ValidationError.single(
                name, f"{label} \"{value.strip()}\" is not a whole number of mmHg; "
                f"type e.g. {'130' if 'systolic' in name else '80'}.")
        number = int(text)
    elif isinstance(value, int):
        number = value
    else:
        raise ValidationError.single(name, f"{label} must be a whole number of mmHg.")
    if not low <= number <= high:
        raise ValidationError.single(
            name, f"{label} {number} mmHg is outside {low}-{high} mmHg; check the reading.")
    if findings is not None:
        if name == "baseline_systolic_mmhg":
            other = findings.baseline_diastolic_mmhg
            if other is not None and number <= other:
                raise ValidationError.single(
                    name, f"Baseline systolic {number} mmHg must be above the diastolic "
                    f"({other} mmHg); check the reading.")
        else:
            other = findings.baseline_systolic_mmhg
            if other is not None and number >= other:
                raise ValidationError.single(
                    name, f"Baseline diastolic {number} mmHg must be below the systolic "
                    f"({other} mmHg); check the reading.")
    return number


_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})
_NOT_ASKED = frozenset({"", "not asked", "none"})


def _check_yes_no(name: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in _YES:
            return True
        if word in _NO:
            return False
        if word in _NOT_ASKED:
            return None
    raise ValidationError.single(
        name, f"{YES_NO_QUESTIONS[name]}: answer Yes, No or Not asked.")


def parse_date(value: object, field_name: str, label: str) -> date | None:
    """A date from a ``date`` or "YYYY-MM-DD" text; blank is None."""
    if _blank(value):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError.single(
        field_name, f"{label} \"{value}\" is not a date; type it as YYYY-MM-DD.")


def _check_not_future(day: date | None, field_name: str, label: str, today: date) -> None:
    if day is not None and day > today:
        raise ValidationError.single(
            field_name, f"{label} {day.isoformat()} is in the future; "
            f"enter the date it happened (today is {today.isoformat()}).")


def check_screening_field(
    name: str, value: object, *, today: date, findings: ScreeningFindings | None = None,
) -> object:
    """One value as typed, normalised for storage, or a ValidationError saying why not.

    ``findings`` are the other stored values, for rules across fields (the
    diastolic must be below the systolic). Blank text means "not entered"
    (None). Labs are checked by :func:`check_lab`.
    """
    if name in TEXT_LIMITS:
        return _check_text(name, value)
    if name in BP_LIMITS:
        return _check_bp(name, value, findings)
    if name in YES_NO_QUESTIONS:
        return _check_yes_no(name, value)
    if name == "consent_signed_on":
        day = parse_date(value, name, "Consent date")
        _check_not_future(day, name, "Consent date", today)
        return day
    raise ValidationError.single(name, f"'{name}' is not a field of the screening form.")


def check_lab(test: object, result: object, taken_on: object, *, today: date) -> LabResult:
    """A lab entry: test, result and date all required; the date not in the future."""
    problems: list[Problem] = []
    test_text = test.strip() if isinstance(test, str) else ""
    result_text = result.strip() if isinstance(result, str) else ""
    if not test_text:
        problems.append(Problem("lab_test", "Name the lab test (e.g. \"ALT\", \"hCG\")."))
    elif len(test_text) > LAB_TEST_MAX:
        problems.append(Problem(
            "lab_test", f"The test name is longer than {LAB_TEST_MAX} characters; shorten it."))
    if not result_text:
        problems.append(Problem("lab_result", "Enter the result with its unit (e.g. \"32 U/L\")."))
    elif len(result_text) > LAB_RESULT_MAX:
        problems.append(Problem(
            "lab_result", f"The result is longer than {LAB_RESULT_MAX} characters; shorten it."))
    day: date | None = None
    if _blank(taken_on):
        problems.append(Problem("lab_taken_on",
                                "Enter the date the sample was taken (YYYY-MM-DD)."))
    else:
        try:
            day = parse_date(taken_on, "lab_taken_on", "Lab date")
            _check_not_future(day, "lab_taken_on", "Lab date", today)
        except ValidationError as exc:
            problems += exc.problems
    if problems or day is None:
        raise ValidationError(problems)
    return LabResult(test_text, result_text, day)


def lab_from_dict(entry: Mapping[str, object]) -> LabResult:
    """A stored lab entry back as a :class:`LabResult` (trusting what was checked on entry)."""
    return LabResult(str(entry.get("test", "")), str(entry.get("result", "")),
                     date.fromisoformat(str(entry.get("taken_on"))))
