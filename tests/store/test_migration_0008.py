"""Schema 0008: the SQLite audit trail never hands out an id twice, its guards kept."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select, text

from ketalog.services.audit import append_audit
from ketalog.services.audit_trail import verify_chain
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.guards import check_guards
from ketalog.store.migrate import alembic_config
from ketalog.store.models import AuditEntry
from tests.staff import NURSE
from tests.tamper import tamper

FIXTURES = Path(__file__).parent / "fixtures"


def _audit_sql(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'"
        )).scalar_one())


def _ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def test_upgrade_from_0007_keeps_rows_and_guards_and_never_reuses_an_id(tmp_path: Path) -> None:
    copy = tmp_path / "ketalog.sqlite3"
    shutil.copy(FIXTURES / "schema_0007.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    assert "AUTOINCREMENT" in _audit_sql(engine)
    with engine.connect() as conn:
        assert check_guards(conn) == []
    ids = _ids(engine)
    assert len(ids) > 10
    with make_sessionmaker(engine)() as db:
        report = verify_chain(db)
        assert report.ok and report.rows_checked == len(ids)

    tamper(engine, "DELETE FROM audit_log WHERE id = :id", id=ids[-1])
    with make_sessionmaker(engine)() as db:
        entry = append_audit(db, NURSE, "view", at=datetime(2030, 1, 1, tzinfo=UTC))
        db.commit()
        assert entry.id == ids[-1] + 1
    engine.dispose()


def test_downgrade_to_0007_and_back(tmp_path: Path) -> None:
    from alembic import command

    engine = open_database(f"sqlite:///{tmp_path / 'ketalog.sqlite3'}")
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    assert "AUTOINCREMENT" not in _audit_sql(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert "AUTOINCREMENT" in _audit_sql(engine)
    with engine.connect() as conn:
        assert check_guards(conn) == []
    engine.dispose()
