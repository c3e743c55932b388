"""Schema 0006 (alerts) goes up and down cleanly on SQLite and PostgreSQL, guards included."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from ketalog.services.database import open_database
from ketalog.store.migrate import alembic_config

ALERT_TABLES = {"scale_alerts", "alert_acknowledgments"}


def _migrate(engine: Engine, target: str, *, down: bool) -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        if down:
            command.downgrade(config, target)
        else:
            command.upgrade(config, target)


def _guards(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.execute(text(
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname IN ('scale_alerts', 'alert_acknowledgments') "
                "AND c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"))
        else:
            rows = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                "('scale_alerts', 'alert_acknowledgments')"))
        return {r[0] for r in rows}


def test_0006_upgrades_and_downgrades_with_its_guards(database_url: str) -> None:
    """Row guards are tested on real rows in tests/services/test_alerts.py."""
    engine = open_database(database_url)
    assert set(inspect(engine).get_table_names()) >= ALERT_TABLES
    assert len(_guards(engine)) == 6  # PostgreSQL: 4 row guards, and 0007's two TRUNCATE guards
    _migrate(engine, "0005", down=True)
    assert not ALERT_TABLES & set(inspect(engine).get_table_names())
    assert _guards(engine) == set()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0005"
    _migrate(engine, "head", down=False)
    assert set(inspect(engine).get_table_names()) >= ALERT_TABLES
    assert len(_guards(engine)) == 6  # PostgreSQL: 4 row guards, and 0007's two TRUNCATE guards
    engine.dispose()
