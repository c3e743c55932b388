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
# Nor its key store: the tests have none, so new clinics are plain (as the suite's many
# SQLite fixtures expect); the encryption tests give a test a keyring file of its own.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import ProgrammingError  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

# Hypothesis judges its own speed by the wall clock: on a CI machine shared with other
# jobs, generating examples or running one can take several times the idle figure. The
# properties are what the tests check; how fast they run is checked by the timing tests.
settings.register_profile(
    "ketalog", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ketalog")

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

    for module_name, undo in (("ketalog.ui.core.translation", "remove_translator"),
                              ("ketalog.ui.core.logs", "uninstall_logging")):
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
    """Run the test once on SQLite and once on PostgreSQL.

    Empty, like ``sqlite_url``/``postgres_url`` (migration and start-up tests
    need that), unless the test uses ``engine`` or ``seeded_database``: then a
    copy of the run's template database, already migrated and seeded as
    ``engine`` would have done (tests/helpers/databases.py says why nothing can
    tell them apart).

    Migrating and seeding per test cost most of the suite's time. Measured on
    the 2-core machine while other runs loaded it (load 10-13), on
    tests/reports/test_visit_report.py, tests/services/test_keys.py and
    tests/ui/test_checkin_panel.py (46 tests, both databases): pytest's own CPU
    106 s before, 72 s with the template, 47 s with cheap Argon2 as well (wall
    26.7, 18.6 and 12.4 min); one
    database's set-up: SQLite 0.7 s CPU migrating, 0.035 s copying; PostgreSQL
    16-29 s wall migrating in a schema, 2.5-3.3 s copying (under that load).

    SQLite: the copy is ``sqlite_url``'s file, so a test that uses both sees one
    database. PostgreSQL: a database of its own, dropped after the test; a test
    that also asks for ``postgres_url`` gets that schema (migrated the slow way
    by ``engine``), so the two stay one database.
    """
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    wants_copy = "engine" in request.fixturenames or "seeded_database" in request.fixturenames
    if not wants_copy or (name == "postgres_url" and "postgres_url" in request.fixturenames):
        return str(request.getfixturevalue(name))
    from tests.helpers import databases

    if name == "sqlite_url":
        url = str(request.getfixturevalue("sqlite_url"))
        databases.copy_sqlite_template(Path(make_url(url).database or ""))
        return url
    require_postgres()
    try:
        copy, url = databases.copy_postgres_template(PG_URL)
    except ProgrammingError:  # a test login without CREATEDB: migrate in a schema, as before
        return str(request.getfixturevalue("postgres_url"))
    request.addfinalizer(  # noqa: PT021 - it returns early (no copy) above, so no yield
        lambda: databases.drop_postgres_database(PG_URL, copy))
    return url


@pytest.fixture
def seeded_database() -> None:
    """Asked for beside ``database_url``: it then starts migrated and seeded, as for ``engine``.

    For a module's own set-up that opens ``database_url`` and seeds the staff
    itself (its open_database and seed_staff then find nothing to do).
    """


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop the run's templates (the PostgreSQL one would outlive the run otherwise)."""
    from tests.helpers import databases

    databases.drop_templates(PG_URL)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a migrated, seeded database with the staff accounts of tests.staff.

    ``database_url`` is already a migrated copy here; ``open_database`` still
    runs (a quick check of a current schema) so the engine is the app's.
    """
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


#: Argon2id at its smallest cost, for every test but tests/services/test_password_cost.py.
CHEAP_TIME_COST, CHEAP_MEMORY_KIB = 1, 8
_production_argon2: dict[str, object] = {}


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Hash passwords and wrap signing keys at Argon2id's smallest cost.

    Production's cost (OWASP: m=19 MiB, t=2) is a tenth of a second per call on
    the 2-core machine, and a signing test makes a dozen calls (log-in, second
    person's proof, key unlock): 429 calls, 17.9 s CPU of 106 s in the set
    measured at database_url. Hashes and keys record their parameters, so
    they verify and unlock as before; tests/services/test_password_cost.py runs
    with production's parameters and checks them.
    """
    from argon2 import PasswordHasher

    from ketalog.services import clinic_certificate, keys, passwords

    _production_argon2.update(hasher=passwords._HASHER, keys_kdf=keys.KDF,
                              certificate_kdf=clinic_certificate.KDF)
    cheap_kdf = f"argon2id;t={CHEAP_TIME_COST};m={CHEAP_MEMORY_KIB};p=1"
    patch = pytest.MonkeyPatch()
    patch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=CHEAP_TIME_COST,
                                                           memory_cost=CHEAP_MEMORY_KIB,
                                                           parallelism=1))
    patch.setattr(keys, "KDF", cheap_kdf)
    patch.setattr(clinic_certificate, "KDF", cheap_kdf)
    yield
    patch.undo()


@pytest.fixture
def production_password_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production's Argon2id parameters back for one test."""
    from ketalog.services import clinic_certificate, keys, passwords

    monkeypatch.setattr(passwords, "_HASHER", _production_argon2["hasher"])
    monkeypatch.setattr(keys, "KDF", _production_argon2["keys_kdf"])
    monkeypatch.setattr(clinic_certificate, "KDF", _production_argon2["certificate_kdf"])


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
