"""Migrated, seeded test databases by copying a template instead of migrating each one.

Migrating a fresh database (every Alembic revision, the default protocols) and
adding the test staff costs about 1 s on SQLite and 3 s on PostgreSQL, and most
tests only need such a database to start from. So a run builds one template per
backend, exactly as the ``engine`` fixture always built its database
(``open_database`` then ``seed_staff``), and each test gets a copy:

- SQLite: a copy of the template file (0.01 s). The template's engine is
  disposed first, so SQLite has checkpointed its write-ahead log and removed the
  ``-wal``/``-shm`` files: the copy is the whole database.
- PostgreSQL: ``CREATE DATABASE copy TEMPLATE template`` (0.1 s with the drop,
  measured on PostgreSQL 15). Cloning a schema instead has no server command:
  it means replaying the DDL, which is most of what migrating costs.

A copy must behave like a database migrated for the test alone. ketalog keeps
no identity of its own in a database (no id row; the settings hold only the
clinic time zone seed_staff sets), the audit anchors are keyed by where the
database is (SQLite: a file beside it; PostgreSQL: host, database and query of
the URL), so a copy starts without any, and building the template writes no
anchor and no workstation file: :func:`_build` checks that, so a future change
that does keep something outside the database fails here instead of leaking
between tests. Clinic keys and certificates are made by the tests that need them.

Two pytest runs may share one PostgreSQL server (worktrees on one machine):
every database a run makes is named after this machine, the run's process and
a random part; a run drops its own at the end, and the leftovers of runs whose
process is gone (killed, crashed) when it builds its template.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

#: The schema that holds ketalog's tables in every PostgreSQL copy (its search_path).
PG_SCHEMA = "ketalog"
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]
#: Every PostgreSQL database of this run starts with this ("kt_<host>_<pid>_<random>_").
_RUN_PREFIX = f"kt_{_HOST}_{os.getpid()}_{uuid.uuid4().hex[:6]}_"
_copies = itertools.count(1)
_state: dict[str, str] = {}


def _build(url: str) -> None:
    """Migrate and seed the database at ``url`` the way the engine fixture does.

    Raises:
        RuntimeError: building wrote a file in the data or config folder (an
            audit anchor, a workstation file): copies would share it.
    """
    from ketalog.services.database import open_database
    from tests.staff import seed_staff

    outside = [Path(os.environ[name]) for name in ("KETALOG_DATA_DIR", "KETALOG_CONFIG_DIR")
               if os.environ.get(name)]
    before = {folder: sorted(folder.rglob("*")) for folder in outside}
    engine = open_database(url)
    seed_staff(engine)
    engine.dispose()
    for folder in outside:
        if sorted(folder.rglob("*")) != before[folder]:
            raise RuntimeError(f"building the test template wrote into {folder}: a copy of "
                               "the template would share it; build such databases per test")


# --- SQLite -----------------------------------------------------------------------------

def _sqlite_file(name: str, build: Callable[[str], None]) -> Path:
    """The run's SQLite file ``name``, built by ``build(url)`` in a folder of its own on first use.

    Raises:
        RuntimeError: building left a file beside it (a write-ahead log, an anchor):
            a copy of the file alone would not be the whole database.
    """
    if name not in _state:
        folder = Path(tempfile.mkdtemp(prefix=f"ketalog-test-{name}-"))
        path = folder / f"{name}.sqlite3"
        build(f"sqlite:///{path}")
        beside = sorted(p.name for p in folder.iterdir() if p != path)
        if beside:
            raise RuntimeError(f"building the {name} database left {beside} beside it; a "
                               "file copy would not be the whole database")
        _state[name] = str(path)
    return Path(_state[name])


def sqlite_template() -> Path:
    """The run's migrated, seeded SQLite file (built on first use)."""
    return _sqlite_file("sqlite", _build)


def copy_sqlite_template(target: Path) -> str:
    """Copy the template to ``target`` (file mode too: ketalog makes it 0600); its URL."""
    shutil.copy(sqlite_template(), target)
    return f"sqlite:///{target}"


# --- PostgreSQL -------------------------------------------------------------------------

def _admin(server_url: str) -> Engine:
    return create_engine(make_url(server_url).set(drivername="postgresql+psycopg"),
                         isolation_level="AUTOCOMMIT")


def _url(server_url: str, database: str) -> URL:
    return make_url(server_url).set(drivername="postgresql+psycopg", database=database) \
        .update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"})


def _drop(conn: Connection, name: str) -> None:
    conn.execute(text(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false'))
    conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def _drop_leftovers(admin: Engine) -> None:
    """Drop the databases of this machine's earlier runs whose process is gone."""
    with admin.connect() as conn:
        names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": f"kt\\_{_HOST}\\_%"}).scalars().all()
        for name in names:
            pid = int(name.split("_")[2])
            try:
                os.kill(pid, 0)
                continue  # a run still going (this one or another worktree's)
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            _drop(conn, name)


def postgres_template(server_url: str) -> str:
    """The name of the run's template database on ``server_url`` (built on first use).

    It allows no connections once built: CREATE DATABASE ... TEMPLATE refuses a
    template anyone is connected to, autovacuum included.
    """
    if "postgres" not in _state:
        name = _RUN_PREFIX + "template"
        admin = _admin(server_url)
        try:
            _drop_leftovers(admin)
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            _state["postgres"] = name  # dropped at the end even when building fails
            inside = _admin(_url(server_url, name).render_as_string(hide_password=False))
            with inside.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
            inside.dispose()
            _build(_url(server_url, name).render_as_string(hide_password=False))
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true '
                                  "ALLOW_CONNECTIONS false"))
        finally:
            admin.dispose()
    return _state["postgres"]


def copy_postgres_template(server_url: str) -> tuple[str, str]:
    """A new database copied from the template: its name, and its URL (search_path set)."""
    template = postgres_template(server_url)
    name = f"{_RUN_PREFIX}{next(_copies)}"
    admin = _admin(server_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()
    return name, _url(server_url, name).render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, name: str) -> None:
    """Drop a copy (or the template), closing any connection a test left open."""
    admin = _admin(server_url)
    try:
        with admin.connect() as conn:
            _drop(conn, name)
    finally:
        admin.dispose()


def drop_templates(server_url: str) -> None:
    """At the end of the run: remove the SQLite template's folder and the PostgreSQL template."""
    if "sqlite" in _state:
        shutil.rmtree(Path(_state.pop("sqlite")).parent, ignore_errors=True)
    if "postgres" in _state:
        drop_postgres_database(server_url, _state.pop("postgres"))


# --- the demo clinic --------------------------------------------------------------------

def demo_template() -> Path:
    """The run's demo clinic as ``ketalog demo`` builds it (built on first use, ~20 s).

    Built at the real time of the run, as the command does; its SQLite file is
    all it writes (no anchor, no workstation file), so a copy is the whole clinic.
    """
    def build(url: str) -> None:
        from ketalog.cli import main

        if main(["--database-url", url, "demo"]) != 0:
            raise RuntimeError("ketalog demo failed building the tests' demo clinic")

    return _sqlite_file("demo", build)


def copy_demo_clinic(target: Path) -> str:
    """A fresh copy of the run's demo clinic at ``target``; its URL."""
    shutil.copy(demo_template(), target)
    return f"sqlite:///{target}"
