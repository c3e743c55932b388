"""Schema 0011: the clinic's certificates, insert-only, on a database upgraded from 0010."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ketalog.services.clinic_certificate import current_certificates
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.guards import check_guards

FIXTURES = Path(__file__).parent / "fixtures"


def test_an_upgraded_0010_database_has_an_empty_guarded_certificate_table(
        tmp_path: Path) -> None:
    copy = tmp_path / "schema_0010.sqlite3"
    shutil.copy(FIXTURES / "schema_0010.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with make_sessionmaker(engine)() as db:
            assert current_certificates(db) == ()  # made before certificates: none yet
        with engine.connect() as conn:
            assert check_guards(conn) == []
            triggers = set(conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'clinic_certificates'")).scalars())
        assert triggers == {"ketalog_guard_clinic_certificates_no_update",
                            "ketalog_guard_clinic_certificates_no_delete"}
    finally:
        engine.dispose()


def test_the_stored_0011_certificates_stay_and_cannot_be_changed(tmp_path: Path) -> None:
    copy = tmp_path / "schema_0011.sqlite3"
    shutil.copy(FIXTURES / "schema_0011.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with make_sessionmaker(engine)() as db:
            chain = current_certificates(db)
        assert [c.kind for c in chain] == ["document", "ca"]
        assert chain[1].created_by == "Alex Admin"
        with pytest.raises(DBAPIError, match="never changed or deleted"), engine.begin() as conn:
            conn.execute(text("UPDATE clinic_certificates SET private_key = NULL"))
    finally:
        engine.dispose()
