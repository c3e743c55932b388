"""Migrations, schema versions and what the database itself guarantees, on both backends."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.engine import DatabaseConfigError, make_engine
from ketalog.store.migrate import (
    HEAD_REVISION,
    KNOWN_REVISIONS,
    SchemaState,
    alembic_config,
    backup_sqlite,
    ensure_schema,
    schema_status,
)
from ketalog.store.models import Base, Patient, PatientWeight, VitalSign


def test_head_constant_matches_the_migration_scripts() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_current_head() == HEAD_REVISION
    chain = [rev.revision for rev in script.walk_revisions()]
    assert tuple(reversed(chain)) == KNOWN_REVISIONS


def test_migrations_and_models_agree(engine: Engine) -> None:
    """The equivalent of ``alembic check`` on this backend."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_start_up_is_idempotent(database_url: str) -> None:
    first = open_database(database_url)
    first.dispose()
    second = open_database(database_url)
    assert schema_status(second).state is SchemaState.CURRENT
    with second.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM protocols")).scalar()
    assert count is not None and count >= 4  # seeded once, not twice
    second.dispose()


def test_newer_database_is_refused_untouched(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseConfigError, match="newer version of ketalog"):
        ensure_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999"


def test_foreign_database_is_refused_untouched(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)"))
    with pytest.raises(DatabaseConfigError, match="not ketalog's"):
        ensure_schema(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM invoices")).scalar() == 0
    engine.dispose()


def test_sqlite_backup_is_a_complete_copy(sqlite_url: str) -> None:
    engine = open_database(sqlite_url)
    copy = backup_sqlite(engine, "test")
    engine.dispose()
    assert copy is not None and copy.exists()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            HEAD_REVISION,)
        assert conn.execute("SELECT count(*) FROM protocols").fetchone()[0] >= 4


def _patient(db: Session, mrn: str = "K1") -> Patient:
    patient = Patient(mrn=mrn, family_name="Ñúñez", given_name="José",
                      birth_date=date(1980, 1, 2), search_family="nunez jose",
                      search_given="jose nunez")
    db.add(patient)
    db.commit()
    return patient


def test_decimals_round_trip_exactly(db: Session) -> None:
    patient = _patient(db)
    for value in ("80.15", "0.1", "150", "62.5"):
        db.add(PatientWeight(patient_id=patient.id, weight_kg=Decimal(value),
                             measured_on=date(2026, 11, 1)))
    db.commit()
    db.expunge_all()
    stored = db.scalars(
        text("SELECT weight_kg FROM patient_weights ORDER BY id").columns(
            PatientWeight.weight_kg)
    ).all()
    assert [format(v, "f") for v in stored] == ["80.15", "0.1", "150", "62.5"]


def test_naive_datetimes_are_refused(db: Session) -> None:
    _patient(db)
    db.add(VitalSign(session_id=1, taken_at_utc=datetime(2026, 11, 21, 9, 0),
                     heart_rate_bpm=70))
    with pytest.raises(StatementError, match="naive datetime"):
        db.flush()
    db.rollback()


def test_foreign_keys_are_enforced(db: Session) -> None:
    db.add(VitalSign(session_id=424242, taken_at_utc=datetime.now(UTC), heart_rate_bpm=70))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_stale_edit_is_refused_not_overwritten(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    with factory() as first:
        patient_id = _patient(first).id
    with factory() as workstation_a, factory() as workstation_b:
        # each workstation loads the record into its form (a short read)...
        a = workstation_a.get(Patient, patient_id)
        workstation_a.commit()
        b = workstation_b.get(Patient, patient_id)
        workstation_b.commit()
        assert a is not None and b is not None
        # ...then both save an edit; the second save is refused
        a.phone = "555-0100"
        workstation_a.commit()
        b.phone = "555-0199"
        with pytest.raises(StaleDataError):
            workstation_b.commit()
    with factory() as check:
        stored = check.get(Patient, patient_id)
        assert stored is not None
        assert (stored.phone, stored.version) == ("555-0100", 2)


def test_session_must_match_its_course_patient(db: Session, engine: Engine) -> None:
    """The composite key stops a session pointing at another patient's course."""
    from ketalog.services.booking import open_course
    from ketalog.services.protocols import protocol_id_by_code
    from ketalog.store.models import TreatmentSession
    from tests.staff import NURSE

    one, two = _patient(db, "K1"), _patient(db, "K2")
    course = open_course(db, NURSE, patient_id=one.id, indication="PTSD",
                         protocol_id=protocol_id_by_code(db, "iv-depression-0.5"))
    db.add(TreatmentSession(patient_id=two.id, course_id=course, protocol_id=1, chair="C1",
                            scheduled_at_utc=datetime.now(UTC)))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def test_default_sqlite_location_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("KETALOG_DATABASE_URL", raising=False)
    engine = open_database()
    engine.dispose()
    files = list((tmp_path / "data").rglob("ketalog.sqlite3"))
    assert len(files) == 1
