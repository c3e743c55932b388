"""Test set-up shared by every test module.

Qt must be told to use the offscreen platform before anything imports it, so
this is the first thing the suite does.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
#: The screen's scaling, as the desktop sets it: "1.25" is Windows' 125 % (a logical
#: screen of 1093x614). Read when Qt starts, so a test at another scale runs pytest anew.
ENV_TEST_SCALE = "KETALOG_TEST_SCALE"
TEST_SCALE = float(os.environ.get(ENV_TEST_SCALE) or 1)
if os.environ["QT_QPA_PLATFORM"] == "offscreen":
    # the offscreen screen is 800x800 by default; the tests' screen is the clinic laptop's
    _screen = __import__("tempfile").mkstemp(prefix="ketalog-test-screen-", suffix=".json")[1]
    with open(_screen, "w", encoding="utf-8") as _file:
        # a desktop's scaling reaches Qt as the screen's logical DPI (96 at 100 %)
        _file.write('{"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, '
                    f'"height": 768, "logicalDpi": {96 * TEST_SCALE:g}, '
                    '"logicalBaseDpi": 96, "dpr": 1}]}')
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screen}"
# A developer's own workstation file (ketalog db use) must not steer the tests.
os.environ["KETALOG_CONFIG_DIR"] = __import__("tempfile").mkdtemp(prefix="ketalog-test-config-")
# Nor may its audit anchors (PostgreSQL anchors live in the user data folder).
os.environ["KETALOG_DATA_DIR"] = __import__("tempfile").mkdtemp(prefix="ketalog-test-data-")
# Nor may the tests write into the developer's own log folder.
os.environ["KETALOG_LOG_DIR"] = __import__("tempfile").mkdtemp(prefix="ketalog-test-logs-")

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

PG_URL = os.environ.get(
    "KETALOG_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("KETALOG_REQUIRE_POSTGRES") == "1"
_pg_state: dict[str, str | None] = {}


def postgres_problem() -> str | None:
    """None when the test server answers, else why not (checked once per run)."""
    if "problem" not in _pg_state:
        try:
            engine = create_engine(
                make_url(PG_URL).set(drivername="postgresql+psycopg"),
                connect_args={"connect_timeout": 3},
            )
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["problem"] = None
        except Exception as exc:  # any failure means "no server here"
            _pg_state["problem"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _pg_state["problem"]


def require_postgres() -> None:
    """Skip without a server; fail instead when KETALOG_REQUIRE_POSTGRES=1 (CI)."""
    problem = postgres_problem()
    if problem is None:
        return
    message = f"PostgreSQL test server {PG_URL} unavailable ({problem})"
    if REQUIRE_POSTGRES:
        pytest.fail(message + "; KETALOG_REQUIRE_POSTGRES=1 makes this a failure")
    pytest.skip(message)


def _admin_engine() -> Engine:
    return create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"),
                         isolation_level="AUTOCOMMIT")


@pytest.fixture(autouse=True)
def _app_start_up_undone() -> Iterator[None]:
    """What ``run_gui`` sets up for the app (translator, log hooks) goes with its test.

    The next test reads the untranslated source texts, and Qt's messages and
    uncaught exceptions reach pytest-qt again.
    """
    yield
    import sys

    for module_name, undo in (("ketalog.ui.translation", "remove_translator"),
                              ("ketalog.ui.logs", "uninstall_logging")):
        module = sys.modules.get(module_name)
        if module is not None:
            getattr(module, undo)()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).set(drivername="postgresql+psycopg").update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in the test's own folder."""
    return f"sqlite:///{tmp_path / 'ketalog.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the test once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a migrated, seeded database with the staff accounts of tests.staff."""
    from ketalog.services.database import open_database
    from tests.staff import seed_staff

    eng = open_database(database_url)
    seed_staff(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """One ORM session like the app opens per user action."""
    from ketalog.services.database import make_sessionmaker

    with make_sessionmaker(engine)() as session:
        yield session


class FakeClock:
    """A clock the test moves by hand: whole sessions play in simulated minutes."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> datetime:
        self.now += timedelta(minutes=minutes)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """Simulated time starting 2026-11-21 09:00 UTC."""
    return FakeClock()
