"""Least privilege on PostgreSQL: the workstations' login cannot switch the guards off.

Before ``db setup-roles`` the app's own login owned every table: it could
disable triggers, drop the guard functions, TRUNCATE and ``setval``. These
tests run the app as the app role and show each of those refused, while a
whole session, signature included, still works.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InternalError

from ketalog.cli import main
from ketalog.domain.session_state import SessionAction
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.session.state import change_state
from tests.conftest import PG_URL, FakeClock
from tests.play import book, discharge, sign, start_infusion
from tests.staff import NURSE, seed_staff

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class Roles:
    """The two roles made for one test, and the URLs that log in as them."""

    owner: str
    app: str
    owner_url: str
    app_url: str


def _as(url: str, user: str, password: str) -> str:
    return make_url(url).set(username=user, password=password).render_as_string(
        hide_password=False)


@pytest.fixture
def roles(postgres_url: str, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Iterator[Roles]:
    """A migrated database handed to fresh, uniquely named roles (roles are cluster-wide)."""
    suffix = uuid.uuid4().hex[:10]
    owner, app = f"ketalog_owner_{suffix}", f"ketalog_app_{suffix}"
    engine = open_database(postgres_url)
    seed_staff(engine)
    engine.dispose()
    monkeypatch.setattr("sys.stdin", io.StringIO("owner-pw\napp-pw\n"))
    try:
        code = main(["--database-url", postgres_url, "db", "setup-roles", "--owner", owner,
                     "--app", app, "--passwords-stdin"])
        out = capsys.readouterr().out
        assert code == 0, out
        assert f"ketalog db use postgresql://{app}@" in out
        yield Roles(owner, app, _as(postgres_url, owner, "owner-pw"),
                    _as(postgres_url, app, "app-pw"))
    finally:
        admin = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
        for attempt in range(5):  # another test run on the same server may be
            try:                  # changing the catalog: "tuple concurrently updated"
                with admin.connect() as conn:
                    for role in (owner, app):
                        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                        {"r": role}).first():
                            conn.execute(text(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER'))
                            conn.execute(text(f'DROP OWNED BY "{role}"'))
                            conn.execute(text(f'DROP ROLE "{role}"'))
                break
            except InternalError:
                if attempt == 4:
                    raise
                time.sleep(0.2)
        admin.dispose()


@pytest.mark.parametrize("attack", [
    "ALTER TABLE vital_signs DISABLE TRIGGER ketalog_guard_vital_signs",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "DROP TRIGGER ketalog_guard_notes ON notes",
    "DROP FUNCTION ketalog_refuse_change() CASCADE",
    "CREATE OR REPLACE FUNCTION ketalog_guard_signed() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$",
    "TRUNCATE vital_signs",
    "TRUNCATE client_writes",
    "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), 1)",
    "DELETE FROM vital_signs",
    "UPDATE audit_log SET new_value = 'x'",
    "UPDATE signatures SET signer_name = 'x'",
    "UPDATE alembic_version SET version_num = '0001'",
    "CREATE TABLE evil (id int)",
])
def test_the_app_role_is_refused_what_would_switch_protection_off(
        roles: Roles, attack: str) -> None:
    engine = create_engine(make_url(roles.app_url))
    try:
        with pytest.raises(DBAPIError, match=r"permission denied|must be owner"), \
                engine.begin() as conn:
            conn.execute(text(attack))
    finally:
        engine.dispose()


def test_a_whole_session_and_its_signature_work_as_the_app_role(roles: Roles) -> None:
    from ketalog.services.audit_references import check_references
    from ketalog.services.signing import verify_session

    engine = open_database(roles.app_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == roles.app
        clock = FakeClock()
        with make_sessionmaker(engine)() as db:
            sid = book(db, clock)
            change_state(db, NURSE, sid, SessionAction.CHECK_IN, clock=clock)
            start_infusion(db, sid, clock)
            discharge(db, sid, clock)
            sign(db, sid, clock)
            assert verify_session(db, sid).intact
            # the signature took its audit reference: a column grant, not UPDATE on the table
            assert db.execute(text("SELECT count(*) FROM signatures WHERE audit_id IS NULL")
                              ).scalar() == 0
            assert check_references(db).ok
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
            conn.execute(text("UPDATE signatures SET meaning = 'forged'"))
    finally:
        engine.dispose()
    # the workstation's own housekeeping (old presences and write ids) may still delete
    engine = create_engine(make_url(roles.app_url))
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM client_writes"))
        conn.execute(text("DELETE FROM session_presence"))
    engine.dispose()


def test_the_owner_login_repairs_guards_the_app_role_cannot(
        roles: Roles, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.staff import password_of

    owner = create_engine(make_url(roles.owner_url))
    with owner.begin() as conn:
        conn.execute(text("ALTER TABLE notes DISABLE TRIGGER ketalog_guard_notes"))
    owner.dispose()
    monkeypatch.setattr("sys.stdin", io.StringIO(password_of("admin") + "\n"))
    assert main(["--database-url", roles.app_url, "db", "repair-guards", "--user", "admin",
                 "--password-stdin"]) == 1
    assert "owner" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(password_of("admin") + "\n"))
    assert main(["--database-url", roles.owner_url, "db", "repair-guards", "--user", "admin",
                 "--password-stdin"]) == 0
    assert "ketalog_guard_notes on notes is disabled" in capsys.readouterr().out
    assert main(["--database-url", roles.app_url, "db", "check"]) == 0


def test_setup_roles_refuses_sqlite(tmp_path: object,
                                    capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n\n"))
    assert main(["--database-url", f"sqlite:///{tmp_path}/k.sqlite3", "db", "setup-roles",
                 "--passwords-stdin"]) == 1
    assert "only on PostgreSQL" in capsys.readouterr().err


def test_an_upgrade_as_the_app_role_is_refused_with_a_message_naming_the_owner(
        roles: Roles, postgres_url: str) -> None:
    from ketalog.store.engine import DatabaseConfigError

    admin = create_engine(make_url(postgres_url))
    with admin.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    admin.dispose()
    with pytest.raises(DatabaseConfigError, match="owner") as refused:
        open_database(roles.app_url)
    assert "db upgrade" in str(refused.value) and "Traceback" not in str(refused.value)


def test_audit_verify_as_the_app_role_anchors_in_the_file_the_owner_checks(
        roles: Roles, capsys: pytest.CaptureFixture[str]) -> None:
    from ketalog.store.anchors import anchor_file_path, read_anchors

    assert anchor_file_path(roles.app_url) == anchor_file_path(roles.owner_url)
    assert main(["--database-url", roles.app_url, "audit", "verify"]) == 0
    assert main(["--database-url", roles.owner_url, "audit", "verify"]) == 0
    assert "It holds its anchor." in capsys.readouterr().out
    path = anchor_file_path(roles.app_url)
    assert path is not None and len(read_anchors(path)) == 2
