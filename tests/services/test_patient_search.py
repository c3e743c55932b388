"""Finding a patient by any part of the name, and one MRN per patient, on SQLite and PostgreSQL.

The register at the front desk holds hyphenated and multi-word family names
(Ångström-Łukasiewicz, van der Berg) and given names (Anna Maria); whichever
part a nurse types, in whatever case and with or without its accents, finds
the patient. An MRN typed with stray spaces or in lower case is the same MRN.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.services.errors import DuplicatePatient
from ketalog.services.patients import register_patient, search_patients
from ketalog.store.models import Patient
from tests.conftest import FakeClock
from tests.staff import NURSE

BORN = date(1980, 3, 14)


def register(db: Session, clock: FakeClock, family: str, given: str, *,
             mrn: str | None = None, birth: date = BORN) -> int:
    return register_patient(db, NURSE, family_name=family, given_name=given, birth_date=birth,
                            mrn=mrn, clock=clock).id


def found(db: Session, text: str) -> list[str]:
    return [p.display_name for p in search_patients(db, text)]


@pytest.fixture
def register_of_names(db: Session, clock: FakeClock) -> Session:
    for family, given in (("Ångström-Łukasiewicz", "Maria"), ("Łukasiewicz", "Jan"),
                          ("van der Berg", "Jan Willem"), ("Smith", "Anna Maria"),
                          ("Ñúñez", "José"), ("Nunn", "Alice"), ("Bergström", "Ola"),
                          ("Søndergaard", "Mette"), ("Under_score", "Percy%")):
        register(db, clock, family, given)
    return db


@pytest.mark.parametrize("typed", ["Łukasiewicz", "łukasiewicz", "ŁUKASIEWICZ", "Lukasiewicz",
                                   "lukasiew", "  Łukasiewicz  "])
def test_any_part_of_a_hyphenated_family_name_finds_the_patient(
        register_of_names: Session, typed: str) -> None:
    # the family name that starts with the part comes first, then the one holding it later
    assert found(register_of_names, typed) == ["Łukasiewicz, Jan",
                                               "Ångström-Łukasiewicz, Maria"]


@pytest.mark.parametrize(("typed", "expected"), [
    ("angstrom", ["Ångström-Łukasiewicz, Maria"]),
    ("Ångström-Łuk", ["Ångström-Łukasiewicz, Maria"]),
    ("lukasiewicz maria", ["Ångström-Łukasiewicz, Maria"]),
    ("maria lukasiewicz", ["Ångström-Łukasiewicz, Maria"]),
    ("Łukasiewicz, Maria", ["Ångström-Łukasiewicz, Maria"]),
    ("berg", ["Bergström, Ola", "van der Berg, Jan Willem"]),
    ("der berg", ["van der Berg, Jan Willem"]),
    ("Willem", ["van der Berg, Jan Willem"]),
    ("willem van", ["van der Berg, Jan Willem"]),
    # names that start with what was typed first, then those holding it as a later part
    ("maria", ["Ångström-Łukasiewicz, Maria", "Smith, Anna Maria"]),
    ("anna maria", ["Smith, Anna Maria"]),
    ("maria smith", ["Smith, Anna Maria"]),
    ("sondergaard", ["Søndergaard, Mette"]),
    ("Søndergaard", ["Søndergaard, Mette"]),
    ("nunez jo", ["Ñúñez, José"]),
    ("jose nu", ["Ñúñez, José"]),
    ("nun", ["Ñúñez, José", "Nunn, Alice"]),
    ("strom", []),  # inside a word, not the start of a part
    ("percy%", ["Under_score, Percy%"]),
    ("%", []),
    ("_", []),
    ("r_s", []),
])
def test_parts_in_any_order_case_and_accents_ignored(
        register_of_names: Session, typed: str, expected: list[str]) -> None:
    assert found(register_of_names, typed) == expected


def test_a_name_registered_before_letters_with_a_stroke_were_folded_is_still_found(
        db: Session, clock: FakeClock) -> None:
    """Older records keep the search key they were stored with ("łukasiewicz"): typing the
    name as written still finds them."""
    pid = register(db, clock, "Ångström-Łukasiewicz", "Maria")
    db.execute(update(Patient).where(Patient.id == pid).values(
        search_family="angstrom-łukasiewicz maria", search_given="maria angstrom-łukasiewicz"))
    db.commit()
    assert found(db, "Łukasiewicz") == ["Ångström-Łukasiewicz, Maria"]
    assert found(db, "Maria Ångström-Ł") == ["Ångström-Łukasiewicz, Maria"]


def test_prefix_matches_come_first_and_the_limit_holds(db: Session, clock: FakeClock) -> None:
    for n in range(30):
        register(db, clock, f"Berg{n:02d}", "Ola")
    register(db, clock, "Ångström-Berg", "Maria")
    results = search_patients(db, "berg", limit=25)
    assert [p.family_name for p in results] == [f"Berg{n:02d}" for n in range(25)]
    assert [p.family_name for p in search_patients(db, "berg", limit=40)][-1] == "Ångström-Berg"


# --------------------------------------------------------------------------------------- MRN


def test_an_mrn_with_spaces_or_in_lower_case_is_the_same_mrn(
        db: Session, clock: FakeClock) -> None:
    first = register(db, clock, "Ñúñez", "José", mrn="K0000001")
    for typed in (" K0000001 ", "k0000001", "K 000 0001", "\tK0000001\n"):
        with pytest.raises(DuplicatePatient) as refused:
            register(db, clock, "Lee", "Ann", mrn=typed, birth=date(1990, 1, 2))
        message = str(refused.value)
        assert "K0000001" in message and "Ñúñez, José" in message and "1980-03-14" in message
        assert refused.value.existing_ids == (first,)
    assert db.query(Patient).count() == 1


def test_an_mrn_is_stored_trimmed_and_in_capitals(db: Session, clock: FakeClock) -> None:
    pid = register(db, clock, "Lee", "Ann", mrn="  ab-77 ")
    patient = db.get(Patient, pid)
    assert patient is not None and patient.mrn == "AB-77"
    with pytest.raises(DuplicatePatient, match="AB-77 is already registered to Lee, Ann"):
        register(db, clock, "Okoye", "Chidi", mrn="Ab-77")


def test_an_mrn_stored_with_spaces_before_this_rule_still_counts(
        db: Session, clock: FakeClock) -> None:
    pid = register(db, clock, "Ñúñez", "José", mrn="K0000009")
    db.execute(update(Patient).where(Patient.id == pid).values(mrn=" k0000009 "))
    db.commit()
    with pytest.raises(DuplicatePatient, match="Ñúñez, José"):
        register(db, clock, "Lee", "Ann", mrn="K0000009")
    assert [p.id for p in search_patients(db, "K0000009")] == [pid]


def test_a_blank_mrn_is_assigned_and_a_too_long_one_refused(
        db: Session, clock: FakeClock) -> None:
    pid = register(db, clock, "Lee", "Ann", mrn="   ")
    patient = db.get(Patient, pid)
    assert patient is not None and patient.mrn == f"K{pid:07d}"
    with pytest.raises(ValidationError, match="MRN"):
        register(db, clock, "Okoye", "Chidi", mrn="X" * 41)


@pytest.mark.parametrize("typed", ["K0000002", " K0000002 ", "k0000002", "K 0000002", "0000002"])
def test_searching_an_mrn_ignores_case_and_spaces(db: Session, clock: FakeClock,
                                                  typed: str) -> None:
    register(db, clock, "Ñúñez", "José")
    second = register(db, clock, "Lee", "Ann")
    assert [p.id for p in search_patients(db, typed)] == [second]


def test_searching_an_mrn_of_another_system(db: Session, clock: FakeClock) -> None:
    pid = register(db, clock, "Lee", "Ann", mrn="AB-77")
    assert [p.id for p in search_patients(db, " ab-77 ")] == [pid]
