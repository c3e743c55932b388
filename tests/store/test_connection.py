"""Connection settings, the workstation file, and a connection test that names the problem.

The PostgreSQL failures are produced for real: the shared test server (trust
auth, TLS off) gives unreachable, missing database, unknown user and "server
does not support SSL"; a private throw-away server started here with TLS on,
``hostnossl ... reject`` and SCRAM passwords gives wrong password, TLS
required, an encrypted link and the certificate problems of verify-ca and
verify-full. Only messages no local server can be made to say (an old
server's "SSL off", a libpq timeout text) are checked on the exact text.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from ketalog.store.connection import ConnectionSettings
from ketalog.store.connection import test_connection as check_connection
from ketalog.store.engine import (
    ENV_DATABASE_URL,
    DatabaseConfigError,
    explain_connection_error,
    make_engine,
    resolve_database_url,
)
from ketalog.store.workstation import (
    ENV_CONFIG_DIR,
    AlertSound,
    LockAttention,
    WorkstationConfig,
    load_workstation_config,
    save_workstation_config,
    workstation_config_path,
)
from tests.conftest import PG_URL, require_postgres

NASTY_PASSWORD = "p@ss:w/rd?#%& é+=\\'\""


# -- settings <-> URL -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        ConnectionSettings(kind="postgresql", host="db.clinic.example", port=5433,
                           database="ketalog", user="nurse", password=NASTY_PASSWORD,
                           sslmode="verify-full", sslrootcert="/etc/ketalog/clinic ca.crt"),
        ConnectionSettings(kind="postgresql", host="10.0.0.5", database="k", user="",
                           password="", sslmode="disable"),
        ConnectionSettings(kind="postgresql", host="::1", database="ketalog", user="u@clinic",
                           password="x", sslmode="require",
                           options={"options": "-csearch_path=s1", "application_name": "k"}),
        ConnectionSettings(kind="sqlite", sqlite_path="/srv/ketalog data/ketalog.sqlite3"),
    ],
)
def test_settings_round_trip_through_the_url(settings: ConnectionSettings) -> None:
    url = settings.to_url()
    assert ConnectionSettings.from_url(url) == settings
    assert ConnectionSettings.from_url(url).to_url() == url


def test_password_is_quoted_so_libpq_reads_the_same_url() -> None:
    settings = ConnectionSettings(kind="postgresql", host="db", database="ketalog", user="nurse",
                                  password=NASTY_PASSWORD, sslmode="verify-ca",
                                  sslrootcert="/certs/root ca.pem")
    url = settings.to_url()
    assert NASTY_PASSWORD not in url and "p%40ss%3Aw%2Frd%3F%23%25" in url
    libpq = psycopg.conninfo.conninfo_to_dict(url)  # libpq's own URL parser
    assert libpq["password"] == NASTY_PASSWORD
    assert libpq["sslmode"] == "verify-ca" and libpq["sslrootcert"] == "/certs/root ca.pem"
    assert libpq["host"] == "db" and libpq["dbname"] == "ketalog"


def test_a_url_without_sslmode_reads_as_libpq_default() -> None:
    settings = ConnectionSettings.from_url("postgres://nurse@db/ketalog")
    assert (settings.kind, settings.port, settings.sslmode) == ("postgresql", 5432, "prefer")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (ConnectionSettings(kind="postgresql", host="db", sslmode="verify_full"), "SSL mode"),
        (ConnectionSettings(kind="postgresql", host="", database="k"), "host"),
        (ConnectionSettings(kind="postgresql", host="db", database=""), "name of the database"),
        (ConnectionSettings(kind="sqlite", sqlite_path=" "), "SQLite database file"),
    ],
)
def test_incomplete_settings_say_what_is_missing(settings: ConnectionSettings,
                                                 expected: str) -> None:
    with pytest.raises(DatabaseConfigError, match=expected):
        settings.to_url()
    check = check_connection(settings)
    assert not check.ok and expected in check.message


def test_the_test_never_raises_on_nonsense() -> None:
    for url in ("not a url", "mysql://u@h/db", "postgresql://u@h/db?sslmode=sometimes"):
        check = check_connection(url)
        assert not check.ok and check.message and check.server_version is None


# -- the workstation file -------------------------------------------------------------------


def test_resolve_order_cli_env_file_default(tmp_path: Path) -> None:
    env = {ENV_CONFIG_DIR: str(tmp_path / "cfg")}
    default = resolve_database_url(None, env)
    assert default.startswith("sqlite:///") and default.endswith("ketalog.sqlite3")
    save_workstation_config(WorkstationConfig("postgresql://file@db/ketalog"), env)
    assert resolve_database_url(None, env) == "postgresql://file@db/ketalog"
    env[ENV_DATABASE_URL] = "postgresql://env@db/ketalog"
    assert resolve_database_url(None, env) == "postgresql://env@db/ketalog"
    assert resolve_database_url("sqlite:///cli.db", env) == "sqlite:///cli.db"
    save_workstation_config(WorkstationConfig(None), env)
    del env[ENV_DATABASE_URL]
    assert resolve_database_url(None, env) == default


def test_file_is_private_and_atomic_and_keeps_unknown_keys(tmp_path: Path) -> None:
    env = {ENV_CONFIG_DIR: str(tmp_path / "new" / "cfg")}
    path = workstation_config_path(env)
    path.parent.mkdir(parents=True)
    path.write_text('{"format": 9, "database_url": "sqlite:///a", "theme": "dark"}',
                    encoding="utf-8")
    path.chmod(0o644)
    loaded = load_workstation_config(env)
    assert loaded.database_url == "sqlite:///a" and loaded.extra == {"theme": "dark"}
    written = save_workstation_config(WorkstationConfig(f"postgresql://n:{NASTY_PASSWORD}@h/k",
                                                        loaded.extra), env)
    assert written == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_workstation_config(env) == WorkstationConfig(
        f"postgresql://n:{NASTY_PASSWORD}@h/k", {"theme": "dark"})
    assert [p.name for p in path.parent.iterdir()] == ["workstation.json"]  # no temp left
    fresh = {ENV_CONFIG_DIR: str(tmp_path / "made" / "here")}
    save_workstation_config(WorkstationConfig("sqlite:///b"), fresh)
    folder = workstation_config_path(fresh).parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(workstation_config_path(fresh).stat().st_mode) == 0o600


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"database_url": 5}', "\xff"])
def test_a_damaged_file_is_refused_not_ignored(tmp_path: Path, content: str) -> None:
    env = {ENV_CONFIG_DIR: str(tmp_path)}
    workstation_config_path(env).write_bytes(content.encode("latin-1"))
    with pytest.raises(DatabaseConfigError, match="workstation settings"):
        resolve_database_url(None, env)
    env[ENV_DATABASE_URL] = "sqlite:///x"  # an override never reads the file
    assert resolve_database_url(None, env) == "sqlite:///x"


# -- SQLite ---------------------------------------------------------------------------------


def test_sqlite_missing_file_will_be_created_and_nothing_is_made_now(tmp_path: Path) -> None:
    target = tmp_path / "not" / "yet" / "ketalog.sqlite3"
    check = check_connection(f"sqlite:///{target}")
    assert check.ok and "will create" in check.message and check.schema_state == "empty"
    assert not (tmp_path / "not").exists()


def test_sqlite_foreign_file_is_refused_untouched(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("shopping list\n", encoding="utf-8")
    check = check_connection(ConnectionSettings(kind="sqlite", sqlite_path=str(target)))
    assert not check.ok and "not a SQLite database" in check.message
    assert check.schema_state == "foreign"
    assert target.read_text(encoding="utf-8") == "shopping list\n"


def test_sqlite_with_other_tables_is_foreign_and_stays_out_of_wal(tmp_path: Path) -> None:
    target = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    check = check_connection(f"sqlite:///{target}")
    assert not check.ok and check.schema_state == "foreign", check.message
    assert "untouched" in check.message
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_sqlite_ketalog_file_is_current(tmp_path: Path) -> None:
    from ketalog.services.database import open_database

    target = tmp_path / "k k.sqlite3"
    open_database(f"sqlite:///{target}").dispose()
    check = check_connection(f"sqlite:///{target}")
    assert check.ok and check.schema_state == "current", check.message
    assert "up to date" in check.message and check.server_version.startswith("SQLite")


def test_sqlite_on_a_network_share_points_to_postgresql() -> None:
    check = check_connection("sqlite://///server/share/ketalog.sqlite3")
    assert not check.ok and "network" in check.message and "PostgreSQL" in check.message


# -- the shared PostgreSQL test server ------------------------------------------------------


def _server(**changes: object) -> ConnectionSettings:
    """The shared test server as settings, changed as given."""
    return replace(ConnectionSettings.from_url(PG_URL), **changes)  # type: ignore[arg-type]


@pytest.mark.postgres
def test_ok_connection_reports_version_and_schema_state(postgres_url: str) -> None:
    from ketalog.services.database import open_database

    check = check_connection(postgres_url)
    assert check.ok, check.message
    assert check.server_version and check.server_version.startswith("PostgreSQL")
    assert check.schema_state == "empty" and "no tables yet" in check.message
    assert check.encrypted is not None
    open_database(postgres_url).dispose()
    check = check_connection(postgres_url)
    assert check.ok and check.schema_state == "current" and "up to date" in check.message


@pytest.mark.postgres
def test_foreign_postgres_schema_is_not_usable(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id integer)"))
    engine.dispose()
    check = check_connection(postgres_url)
    assert not check.ok and check.schema_state == "foreign" and "not ketalog's" in check.message


@pytest.mark.postgres
def test_unreachable_port() -> None:
    require_postgres()
    check = check_connection(_server(host="127.0.0.1", port=1))
    assert not check.ok and "unreachable" in check.message and "127.0.0.1:1" in check.message
    assert "check that PostgreSQL is running" in check.message


def test_unknown_host_name_is_named() -> None:
    check = check_connection("postgresql://nurse@no-such-host.invalid/ketalog")
    assert not check.ok and "unreachable" in check.message
    assert "no-such-host.invalid is unknown" in check.message


def test_a_silent_server_times_out_as_unreachable() -> None:
    with socket.socket() as silent:  # accepts TCP (backlog) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        started = time.monotonic()
        check = check_connection(f"postgresql://nurse@127.0.0.1:{port}/ketalog", timeout_s=1)
    assert time.monotonic() - started < 10
    assert not check.ok and "unreachable" in check.message
    assert "did not answer in time" in check.message


@pytest.mark.postgres
def test_unknown_database_does_not_exist() -> None:
    require_postgres()
    name = f"ketalog_missing_{uuid.uuid4().hex[:8]}"
    check = check_connection(_server(database=name))
    assert not check.ok
    assert f'the database "{name}" does not exist' in check.message and "createdb" in check.message


@pytest.mark.postgres
def test_unknown_user_is_an_authentication_failure() -> None:
    require_postgres()
    check = check_connection(_server(user=f"ghost_{uuid.uuid4().hex[:8]}"))
    assert not check.ok and "authentication failed" in check.message
    assert "does not exist on the server" in check.message


@pytest.mark.postgres
def test_sslmode_require_against_the_shared_server() -> None:
    require_postgres()
    with psycopg.connect(PG_URL) as conn:
        ssl_on = conn.execute("SHOW ssl").fetchone() == ("on",)
    check = check_connection(_server(sslmode="require"))
    if ssl_on:
        assert check.ok and check.encrypted is True, check.message
    else:
        assert not check.ok and "TLS required" in check.message
        assert "does not offer it" in check.message


# -- messages no local server can be made to say --------------------------------------------


@pytest.mark.parametrize(
    ("libpq_text", "expected"),
    [
        ('connection to server at "10.1.1.1", port 5432 failed: FATAL:  no pg_hba.conf entry '
         'for host "10.1.1.9", user "nurse", database "ketalog", SSL off', "TLS required"),
        ('connection to server at "10.1.1.1", port 5432 failed: FATAL:  no pg_hba.conf entry '
         'for host "10.1.1.9", user "nurse", database "ketalog", no encryption', "TLS required"),
        ('connection to server at "10.1.1.1", port 5432 failed: timeout expired',
         "did not answer in time"),
        ('could not translate host name "db.clinc" to address: Name or service not known',
         "is unknown"),
        ('connection to server at "10.1.1.1", port 5432 failed: No route to host',
         "unreachable"),
        ('connection to server at "10.1.1.1", port 5432 failed: FATAL:  Ident authentication '
         'failed for user "nurse"', "authentication failed for user nurse"),
        ('connection to server at "10.1.1.1", port 5432 failed: FATAL:  no pg_hba.conf entry '
         'for host "10.1.1.9", user "nurse", database "ketalog", SSL encryption',
         "pg_hba.conf"),
        ('connection to server at "10.1.1.1", port 5432 failed: FATAL:  the database system '
         'is starting up', "try again"),
        ('connection to server at "10.1.1.1", port 5432 failed: SSL error: certificate has '
         'expired', "TLS certificate problem"),
    ],
)
def test_message_mapping_on_exact_libpq_text(libpq_text: str, expected: str) -> None:
    message = explain_connection_error(psycopg.OperationalError(libpq_text),
                                       "postgresql://nurse:s3cret@db.clinc/ketalog")
    assert expected in message and "s3cret" not in message


# -- a private PostgreSQL server with TLS and passwords -------------------------------------


@dataclass
class TlsServer:
    """A throw-away server: TLS on, plain TCP refused, SCRAM for ``nurse``."""

    port: int
    ca_cert: Path
    server_cert: Path

    def settings(self, **changes: object) -> ConnectionSettings:
        values: dict[str, object] = {"kind": "postgresql", "host": "localhost",
                                     "port": self.port, "database": "ketalog",
                                     "user": "nurse", "password": NASTY_PASSWORD,
                                     "sslmode": "require"}
        values.update(changes)
        return ConnectionSettings(**values)  # type: ignore[arg-type]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _run(args: list[str], as_user: list[str]) -> None:
    result = subprocess.run(as_user + args, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {result.stderr.strip() or result.stdout}")


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TlsServer]:
    """Start the private server once for this module; skip where it cannot run."""
    bindir = _pg_bin()
    if bindir is None or shutil.which("openssl") is None:
        pytest.skip("needs PostgreSQL server binaries (initdb) and openssl")
    as_user: list[str] = []
    owner: tuple[int, int] | None = None
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres account
        import pwd

        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres account for initdb")
        as_user = ["runuser", "-u", "postgres", "--"]
        owner = (account.pw_uid, account.pw_gid)
    root = Path(tempfile.mkdtemp(prefix="ketalog-tls-"))
    root.chmod(0o755)
    data = root / "data"
    sock = root / "sock"
    sock.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = False
    try:
        openssl = ["openssl"]
        _run(openssl + ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=ketalog test CA", "-keyout", str(root / "ca.key"),
                        "-out", str(root / "ca.crt")], [])
        _run(openssl + ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                        "-keyout", str(root / "server.key"), "-out", str(root / "server.csr")],
             [])
        (root / "ext.cnf").write_text("subjectAltName=DNS:localhost\n", encoding="ascii")
        _run(openssl + ["x509", "-req", "-in", str(root / "server.csr"), "-CA",
                        str(root / "ca.crt"), "-CAkey", str(root / "ca.key"),
                        "-CAcreateserial", "-days", "2", "-extfile", str(root / "ext.cnf"),
                        "-out", str(root / "server.crt")], [])
        (root / "server.key").chmod(0o600)
        if owner is not None:
            for path in (root, root / "server.key", root / "server.crt", sock):
                os.chown(path, *owner)
            data.mkdir()
            os.chown(data, *owner)
        _run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
              "--no-sync"], as_user)
        (data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "hostnossl all all 127.0.0.1/32 reject\n"
            "hostnossl all all ::1/128 reject\n"
            "hostssl all postgres 127.0.0.1/32 trust\n"
            "hostssl all postgres ::1/128 trust\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostssl all all ::1/128 scram-sha-256\n", encoding="ascii")
        options = (f"-p {port} -k {sock} -c listen_addresses=localhost -c ssl=on "
                   f"-c ssl_cert_file={root / 'server.crt'} "
                   f"-c ssl_key_file={root / 'server.key'} -c fsync=off")
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
              "-o", options, "start"], as_user)
        started = True
        admin = f"host=127.0.0.1 port={port} user=postgres dbname=postgres sslmode=require"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SET password_encryption = 'scram-sha-256'")
            conn.execute(psycopg.sql.SQL("CREATE ROLE nurse LOGIN PASSWORD {}").format(
                psycopg.sql.Literal(NASTY_PASSWORD)))
            conn.execute("CREATE DATABASE ketalog OWNER nurse")
        yield TlsServer(port, root / "ca.crt", root / "server.crt")
    except RuntimeError as exc:
        log = (root / "log").read_text(errors="replace")[-2000:] if (root / "log").exists() else ""
        pytest.fail(f"the private TLS server could not start: {exc}\n{log}")
    finally:
        if started:
            subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                      "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.postgres
def test_tls_password_login_is_encrypted(tls_server: TlsServer) -> None:
    check = check_connection(tls_server.settings())
    assert check.ok and check.encrypted is True, check.message
    assert "encrypted, but the server's identity was not checked" in check.message
    assert check.schema_state == "empty"


@pytest.mark.postgres
def test_wrong_password_is_authentication_failed(tls_server: TlsServer) -> None:
    check = check_connection(tls_server.settings(password=NASTY_PASSWORD + "x"))
    assert not check.ok and "authentication failed for user nurse" in check.message
    assert NASTY_PASSWORD not in check.message
    check = check_connection(tls_server.settings(password=""))
    assert not check.ok and "enter the password" in check.message


@pytest.mark.postgres
def test_unencrypted_login_is_told_tls_is_required(tls_server: TlsServer) -> None:
    check = check_connection(tls_server.settings(sslmode="disable"))
    assert not check.ok and "TLS required" in check.message and "verify-full" in check.message


@pytest.mark.postgres
def test_verify_full_without_the_root_certificate(tls_server: TlsServer, tmp_path: Path) -> None:
    missing = tmp_path / "clinic-ca.crt"
    check = check_connection(tls_server.settings(sslmode="verify-full",
                                                 sslrootcert=str(missing)))
    assert not check.ok and "TLS certificate problem" in check.message
    assert f"root certificate file {missing} does not exist" in check.message


@pytest.mark.postgres
def test_verify_full_checks_the_host_name(tls_server: TlsServer) -> None:
    check = check_connection(tls_server.settings(host="127.0.0.1", sslmode="verify-full",
                                                 sslrootcert=str(tls_server.ca_cert)))
    assert not check.ok
    assert "certificate is for localhost, not for the host name 127.0.0.1" in check.message
    check = check_connection(tls_server.settings(sslmode="verify-full",
                                                 sslrootcert=str(tls_server.ca_cert)))
    assert check.ok and check.encrypted is True, check.message
    assert "certificate and name were verified" in check.message


@pytest.mark.postgres
def test_verify_ca_with_the_wrong_root_certificate(tls_server: TlsServer) -> None:
    check = check_connection(tls_server.settings(sslmode="verify-ca",
                                                 sslrootcert=str(tls_server.server_cert)))
    assert not check.ok and "could not be verified" in check.message
    check = check_connection(tls_server.settings(sslmode="verify-ca",
                                                 sslrootcert=str(tls_server.ca_cert)))
    assert check.ok and "but not its name" in check.message


def test_the_lock_attention_setting_round_trips_and_defaults_to_flash(tmp_path: Path) -> None:
    env = {ENV_CONFIG_DIR: str(tmp_path / "cfg")}
    assert load_workstation_config(env).lock_attention is LockAttention.FLASH  # no file
    save_workstation_config(WorkstationConfig("sqlite:///a", {"theme": "dark"},
                                              LockAttention.NONE), env)
    loaded = load_workstation_config(env)
    assert (loaded.database_url, loaded.extra, loaded.lock_attention) == (
        "sqlite:///a", {"theme": "dark"}, LockAttention.NONE)
    assert '"lock_attention": "none"' in workstation_config_path(env).read_text("utf-8")
    for stored in ('"beeeep"', "3", "null"):  # unknown: the default, never silence
        workstation_config_path(env).write_text(
            f'{{"database_url": null, "lock_attention": {stored}}}', encoding="utf-8")
        assert load_workstation_config(env).lock_attention is LockAttention.FLASH
    assert [a.flashes for a in LockAttention] == [True, False]


def test_the_alert_sound_is_this_workstations_and_off_by_default(tmp_path: Path) -> None:
    here, there = ({ENV_CONFIG_DIR: str(tmp_path / name)} for name in ("here", "there"))
    assert load_workstation_config(here).alert_sound is AlertSound.OFF  # no file
    save_workstation_config(WorkstationConfig("sqlite:///a", alert_sound=AlertSound.BEEP), here)
    assert load_workstation_config(here).alert_sound is AlertSound.BEEP
    assert '"alert_sound": "beep"' in workstation_config_path(here).read_text("utf-8")
    assert load_workstation_config(there).alert_sound is AlertSound.OFF  # another workstation
    for stored in ('"siren"', "3"):  # unknown: the default
        workstation_config_path(here).write_text(
            f'{{"database_url": null, "alert_sound": {stored}}}', encoding="utf-8")
        assert load_workstation_config(here).alert_sound is AlertSound.OFF


@pytest.mark.parametrize(("stored", "attention", "sound"), [
    ("sound", LockAttention.NONE, AlertSound.BEEP),
    ("flash_and_sound", LockAttention.FLASH, AlertSound.BEEP),
    ("flash", LockAttention.FLASH, AlertSound.OFF),
])
def test_a_file_from_before_the_alert_sound_keeps_its_beep(
        tmp_path: Path, stored: str, attention: LockAttention, sound: AlertSound) -> None:
    """The lock page's "sound" choices became the workstation's alert sound."""
    env = {ENV_CONFIG_DIR: str(tmp_path / "cfg")}
    workstation_config_path(env).parent.mkdir(parents=True)
    workstation_config_path(env).write_text(
        f'{{"format": 1, "database_url": null, "lock_attention": "{stored}"}}', "utf-8")
    loaded = load_workstation_config(env)
    assert (loaded.lock_attention, loaded.alert_sound) == (attention, sound)
    save_workstation_config(loaded, env)  # saved again in today's words, meaning the same
    again = load_workstation_config(env)
    assert (again.lock_attention, again.alert_sound, again.extra) == (attention, sound, {})
