"""Every released schema version opens with the current code, its data intact."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.patients import search_patients
from ketalog.services.session_detail import open_session
from ketalog.services.signing import verify_session
from ketalog.store.engine import make_engine
from ketalog.store.migrate import HEAD_REVISION, KNOWN_REVISIONS, SchemaState, schema_status

FIXTURES = Path(__file__).parent / "fixtures"


def test_every_known_revision_has_a_stored_database() -> None:
    stored = {p.stem.removeprefix("schema_") for p in FIXTURES.glob("schema_*.sqlite3")}
    assert stored == set(KNOWN_REVISIONS)


@pytest.mark.parametrize("revision", KNOWN_REVISIONS)
def test_stored_database_upgrades_with_data_intact(revision: str, tmp_path: Path) -> None:
    copy = tmp_path / f"schema_{revision}.sqlite3"
    shutil.copy(FIXTURES / f"schema_{revision}.sqlite3", copy)
    before = make_engine(f"sqlite:///{copy}")
    expected = SchemaState.CURRENT if revision == HEAD_REVISION else SchemaState.BEHIND
    assert schema_status(before).state is expected
    before.dispose()
    engine = open_database(f"sqlite:///{copy}")
    assert schema_status(engine).state is SchemaState.CURRENT
    if revision != HEAD_REVISION:
        assert list(tmp_path.glob(f"schema_{revision}.before-upgrade-from-{revision}-*"))
    with make_sessionmaker(engine)() as db:
        [patient] = search_patients(db, "nunez")
        assert (patient.given_name, str(patient.birth_date)) == ("José", "1980-03-14")
        detail = open_session(db, 1)
        assert detail.state == "checked_in"
        assert detail.vitals[0].temperature_c == Decimal("36.6")
        assert detail.dose is not None and detail.dose.weight_kg == Decimal("80.5")
        assert detail.dose.verified_by_name == "Sam Okafor, RN"
        if revision >= "0003":
            verification = verify_session(db, 2)
            assert verification.signed and verification.intact, verification.changes
            # signed before keyed signatures: still valid, but said to be unbound
            assert verification.legacy is (revision < "0009")
    with engine.connect() as conn:
        guards = conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                                   "AND name LIKE 'ketalog_guard_%'")).scalar_one()
        assert guards > 30  # an upgraded database is guarded like a new one
        with pytest.raises(DBAPIError, match="never changed or deleted"):
            conn.execute(text("DELETE FROM audit_log"))
    engine.dispose()
