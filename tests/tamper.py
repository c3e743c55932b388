"""What an attacker with direct database access can do: switch off ketalog's guards.

Tamper tests use this to show that `ketalog verify` and `ketalog audit verify`
still find a change made behind the guards' back (raw SQL after dropping the
SQLite triggers, or with the PostgreSQL triggers disabled).
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from ketalog.store.guards import STOCK_BOOKS, STOCK_RECORDS

GUARDED_TABLES = (
    "dose_orders", "infusion_events", "vital_signs", "scale_scores", "event_flags",
    "interventions", "adverse_events", "notes", "dose_verifications", "treatment_sessions",
    "signatures", "addenda", "audit_log", *STOCK_BOOKS, *STOCK_RECORDS,
)


def disable_guards(engine: Engine) -> None:
    """Remove every ketalog guard trigger (SQLite) or disable them (PostgreSQL)."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            names = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'ketalog_guard_%'"
            )).scalars().all()
            for name in names:
                conn.execute(text(f"DROP TRIGGER {name}"))
        else:
            for table in GUARDED_TABLES:  # a database of an older schema lacks the newer ones
                if conn.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar():
                    conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


def tamper(engine: Engine, sql: str, **params: object) -> None:
    """Run raw SQL with the guards off, as someone editing the file directly would."""
    disable_guards(engine)
    with engine.begin() as conn:
        conn.execute(text(sql), params)
