"""Commands that read never create a database (issue 18, item 4).

``ketalog sessions --database-url sqlite:////nonexistent/dir/x.db`` made the
folder and an empty clinic database, and ``sessions`` pointed at any empty
PostgreSQL database created the whole schema there. Only ``db upgrade``,
``demo`` and the app's first start create one; every other command says in
one line that there is no database, exits non-zero and leaves no folder, no
file and no table behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ketalog.cli import main
from tests.conftest import PG_URL, require_postgres

NO_DATABASE = "There is no ketalog database at"

#: Every command that works on an existing clinic, with what it needs beyond the URL.
#: ``{out}`` is a file in a folder of its own, which must stay empty as well.
READING_COMMANDS: list[list[str]] = [
    ["sessions"],
    ["sessions", "--date", "2026-11-21", "--json"],
    ["pdf", "day", "2026-11-21", "-o", "{out}"],
    ["pdf", "session", "1", "-o", "{out}"],
    ["audit", "verify"],
    ["audit", "verify", "--read-only"],
    ["audit", "report", "--from", "2026-11-21", "--to", "2026-11-21"],
    ["audit", "report", "--from", "2026-11-21", "--to", "2026-11-21", "--read-only"],
    ["verify", "1"],
    ["verify", "1", "--read-only"],
    ["outcomes", "--from", "2026-01-01", "--to", "2026-11-21"],
    ["rems", "list"],
    ["settings", "list"],
    ["stock", "on-hand"],
    ["user", "list"],
    ["keys", "list"],
    ["certificate", "show"],
    ["db", "check"],
    ["backup", "{out}"],
]


def _ids(command: list[str]) -> str:
    return " ".join(part for part in command if part != "{out}")


def _run(url: str, command: list[str], out: Path,
         capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = [str(out) if part == "{out}" else part for part in command]
    code = main(["--database-url", url, *args])
    return code, capsys.readouterr().err.strip()


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def output_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("command", READING_COMMANDS, ids=_ids)
def test_a_missing_folder_is_named_and_not_made(
        command: list[str], tmp_path: Path, output_folder: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo" / "clinic" / "ketalog.sqlite3"
    code, err = _run(f"sqlite:///{path}", command, output_folder / "out.pdf", capsys)
    assert code != 0
    if command[0] == "backup":  # its own words, as before: there is nothing to back up
        assert err.startswith(f"ketalog: There is no database file at {path}, so there is "
                              "nothing to back up"), err
    else:
        assert err.startswith(f"ketalog: {NO_DATABASE} {path}"), err
        assert "ketalog db upgrade" in err
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert not (tmp_path / "typo").exists()
    assert _listing(output_folder) == []


@pytest.mark.parametrize("command", READING_COMMANDS, ids=_ids)
def test_a_missing_file_is_named_and_not_made(
        command: list[str], tmp_path: Path, output_folder: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    path = clinic / "ketalog.sqlite3"
    code, err = _run(f"sqlite:///{path}", command, output_folder / "out.pdf", capsys)
    assert code != 0
    if command[0] == "backup":
        assert "nothing to back up" in err and len(err.splitlines()) == 1, err
    else:
        assert err == (f"ketalog: {NO_DATABASE} {path}: create one with 'ketalog db upgrade' "
                       "(or start the app), or check --database-url. Nothing was created.")
    assert _listing(clinic) == [] and _listing(output_folder) == []


@pytest.mark.parametrize("command", [["sessions"], ["audit", "verify"], ["db", "check"],
                                     ["verify", "1", "--read-only"]], ids=_ids)
def test_an_empty_file_is_no_database_and_stays_empty(
        command: list[str], tmp_path: Path, output_folder: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A zero-length file (a first start killed before its first write) is not a clinic."""
    path = tmp_path / "ketalog.sqlite3"
    path.touch()
    code, err = _run(f"sqlite:///{path}", command, output_folder / "out.pdf", capsys)
    assert code != 0 and f"{NO_DATABASE} {path} (the file is empty)" in err, err
    assert path.stat().st_size == 0 and _listing(tmp_path) == ["documents", "ketalog.sqlite3"]


# one folder per example: hypothesis runs many examples in one test's tmp_path
_segment = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/\\\0",
                                          exclude_categories=("Cs", "Cc")),
                   min_size=1, max_size=20).filter(lambda s: s not in {".", ".."})


@given(segments=st.lists(_segment, min_size=1, max_size=4), file_name=_segment)
def test_no_mistyped_path_creates_anything(tmp_path_factory: pytest.TempPathFactory,
                                           segments: list[str], file_name: str) -> None:
    """Whatever the mistyped folders and file name, ``sessions`` creates none of them."""
    import contextlib
    import io

    root = tmp_path_factory.mktemp("typo")
    path = root.joinpath(*segments, file_name)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["--database-url", f"sqlite:///{path}", "sessions"])
    assert code != 0
    assert NO_DATABASE in err.getvalue() and len(err.getvalue().strip().splitlines()) == 1
    assert _listing(root) == []


@pytest.fixture
def empty_postgres_database() -> Iterator[str]:
    """A throwaway database on the test server with nothing in it; dropped afterwards."""
    require_postgres()
    name = f"ketalog_empty_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _user_objects(url: str) -> list[str]:
    """Every table, view and sequence outside the system schemas, and every extra schema."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            return list(conn.scalars(text(
                "SELECT n.nspname || '.' || c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
                "UNION ALL SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' "
                "AND nspname NOT IN ('public', 'information_schema')")))
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_an_empty_postgresql_database_gets_no_schema(
        empty_postgres_database: str, output_folder: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    shown = make_url(empty_postgres_database).render_as_string(hide_password=True)
    for command in READING_COMMANDS:
        code, err = _run(empty_postgres_database, command, output_folder / "out.pdf", capsys)
        assert code != 0, command
        if command[:2] == ["db", "check"]:  # these say so in their own words, as they did
            assert "is empty; run 'ketalog db upgrade'" in err, err
        elif command[0] == "backup":
            assert err == f"ketalog: {shown} holds no ketalog data yet; there is nothing to " \
                "back up.", err
        else:
            assert err == (f"ketalog: {NO_DATABASE} {shown} (the database is empty): create "
                           "one with 'ketalog db upgrade' (or start the app), or check "
                           "--database-url. Nothing was created."), (command, err)
        assert _user_objects(empty_postgres_database) == [], command
    assert _listing(output_folder) == []


def test_db_upgrade_and_demo_still_create(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The commands that create a clinic still do, folder included; then the others work."""
    path = tmp_path / "new" / "ketalog.sqlite3"
    assert main(["--database-url", f"sqlite:///{path}", "db", "upgrade"]) == 0
    assert path.stat().st_size > 0
    assert main(["--database-url", f"sqlite:///{path}", "sessions"]) == 0
    assert "No sessions" in capsys.readouterr().out
