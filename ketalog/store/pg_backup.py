"""PostgreSQL backups with the server's own tools: ``pg_dump``, ``pg_restore`` and ``psql``.

A backup is ``pg_dump --format=custom`` of the schema ketalog's tables live in
(the first schema of the URL's ``search_path``, normally ``public``), written
beside the target and renamed once ``pg_restore --list`` has read it back.

A restore replays ``pg_restore --clean --if-exists --no-owner`` into ``psql``
inside one transaction that first drops the schema: tables a newer schema
revision added (which the backup does not hold) go too, so an older backup
upgrades cleanly at the next start. The transaction is committed only when
``pg_restore`` finished without error; otherwise nothing changes.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from ketalog.store.backup_files import (
    PARTIAL_PREFIX,
    PARTIAL_SUFFIX,
    PG_ARCHIVE_MAGIC,
    REQUIRED_TABLES,
    BackupInfo,
    RestoreInfo,
    check_backup_target,
    read_header,
    refuse_unknown_revision,
)
from ketalog.store.engine import (
    SQLITE_MAGIC,
    describe_url,
    explain_connection_error,
    make_engine,
)
from ketalog.store.errors import BackupError, DatabaseConfigError
from ketalog.store.migrate import SchemaState, schema_status

TOOLS_HINT = ("Install the PostgreSQL client tools of the server's version or newer "
              "(Debian/Ubuntu: 'apt install postgresql-client'; Windows and macOS: the "
              "command line tools of the PostgreSQL installer) and make sure they are on PATH")


@dataclass(frozen=True)
class LibpqTarget:
    """How the PostgreSQL tools reach the database: a libpq URL, the schema, the environment."""

    conninfo: str  # postgresql://user@host:port/db?sslmode=... without password or options
    env: dict[str, str]


@dataclass(frozen=True)
class ArchiveContents:
    """What a ``pg_dump`` archive holds, as far as a restore needs to know."""

    schema: str
    tables: frozenset[str]
    revision: str | None


def tool(name: str) -> str:
    """The path of a PostgreSQL client program, or a BackupError naming what to install."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found. {TOOLS_HINT}. Nothing was changed.")
    return found


def libpq_target(url: URL) -> LibpqTarget:
    """The URL as libpq reads it: no SQLAlchemy driver, the password in PGPASSWORD."""
    query = {k: v for k, v in url.query.items() if k != "options"}
    libpq = url.set(drivername="postgresql", password=None, query=query)
    env = dict(os.environ)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    env["PGAPPNAME"] = "ketalog-backup"
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return LibpqTarget(libpq.render_as_string(hide_password=False), env)


def search_path_schema(url: URL) -> str | None:
    """The first schema the URL's ``options=-csearch_path=...`` names, if any."""
    import shlex

    options = url.query.get("options")
    text_value = options if isinstance(options, str) else " ".join(options or ())
    try:
        words = shlex.split(text_value)
    except ValueError:
        return None
    settings = [w[2:] if w.startswith("-c") and len(w) > 2 else w
                for w in words if w != "-c" and not w.startswith("--")]
    for setting in settings:
        name, _, value = setting.partition("=")
        if name.strip().replace("-", "_") != "search_path":
            continue
        for part in value.split(","):
            schema = part.strip()
            if schema.startswith('"') and schema.endswith('"') and len(schema) > 1:
                return schema[1:-1]
            if schema and not schema.startswith("$"):
                return schema.lower()
    return None


def _where(url: URL) -> str:
    """The database as the user wrote it: no SQLAlchemy driver name, no password."""
    return describe_url(url.set(drivername="postgresql"))


def _engine(url: URL) -> Engine:
    try:
        return make_engine(url)
    except DatabaseConfigError as exc:
        raise BackupError(str(exc)) from exc


def _status_and_schema(url: URL) -> tuple[SchemaState, str | None, str | None]:
    """The schema state, revision and current schema of the database at ``url``."""
    engine = _engine(url)
    try:
        status = schema_status(engine)
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
    except DatabaseConfigError as exc:
        raise BackupError(str(exc)) from exc
    except DBAPIError as exc:
        raise BackupError(explain_connection_error(exc, url)) from exc
    finally:
        engine.dispose()
    return status.state, status.revision, None if schema is None else str(schema)


def _first_line(data: bytes | str) -> str:
    textual = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    lines = [ln.strip() for ln in textual.splitlines() if ln.strip()]
    for line in lines:
        if "error" in line.lower() or "fatal" in line.lower():
            return line
    return lines[0] if lines else "no message"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, env=env, capture_output=True, check=False)
    except OSError as exc:
        raise BackupError(f"Could not run {args[0]}: {exc.strerror}. {TOOLS_HINT}.") from exc


def _quoted_pattern(schema: str) -> str:
    """A ``--schema`` pattern that matches exactly this name (no wildcards, case kept)."""
    return '"' + schema.replace('"', '""') + '"'


def read_archive(path: Path) -> ArchiveContents:
    """Read a ``pg_dump`` archive's table of contents and its schema revision."""
    pg_restore = tool("pg_restore")
    listing = _run([pg_restore, "--list", str(path)], dict(os.environ))
    if listing.returncode != 0:
        raise BackupError(f"{path} is damaged or not a pg_dump archive: pg_restore says "
                          f"\"{_first_line(listing.stderr)}\". Choose another backup; nothing "
                          "was changed.")
    tables: dict[str, str] = {}
    for line in listing.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(";"):
            continue
        parts = line.split()
        # "215; 1259 93151 TABLE schema name owner"
        if len(parts) >= 6 and parts[3] == "TABLE" and parts[4] != "DATA":
            tables[parts[5]] = parts[4]
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise BackupError(f"{path} is a PostgreSQL backup but not of a ketalog database: it "
                          f"lacks ketalog's {', '.join(missing)} table"
                          f"{'s' if len(missing) > 1 else ''}. Nothing was changed.")
    data = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)],
                dict(os.environ))
    revisions: list[str] = []
    copying = False
    for line in data.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            copying = True
        elif copying and line == "\\.":
            break
        elif copying:
            revisions.append(line.split("\t")[0])
    if data.returncode != 0:
        raise BackupError(f"{path} is damaged: pg_restore cannot read its schema revision "
                          f"(\"{_first_line(data.stderr)}\"). Nothing was changed.")
    return ArchiveContents(tables["alembic_version"], frozenset(tables),
                           revisions[0] if len(revisions) == 1 else None)


def _dump(url: URL, schema: str, target: Path) -> None:
    """``pg_dump`` the schema to a temporary file beside ``target``, check it, rename it."""
    pg_dump = tool("pg_dump")
    where = _where(url)
    folder = check_backup_target(target, "ketalog-backup.dump")
    libpq = libpq_target(url)
    temp: Path | None = None
    try:
        handle, temp_name = tempfile.mkstemp(prefix=PARTIAL_PREFIX, suffix=PARTIAL_SUFFIX,
                                             dir=folder)
        os.close(handle)
        temp = Path(temp_name)
        done = _run([pg_dump, "--format=custom", "--no-password", f"--file={temp}",
                     f"--schema={_quoted_pattern(schema)}", f"--dbname={libpq.conninfo}"],
                    libpq.env)
        if done.returncode != 0:
            message = _first_line(done.stderr)
            hint = (TOOLS_HINT if "version mismatch" in message.lower()
                    else "Check the connection and the free disk space")
            raise BackupError(f"pg_dump could not back up {where}: {message}. {hint}; nothing "
                              "was written.")
        read_archive(temp)  # the archive reads back and holds ketalog's tables
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, target)
        temp = None
    except OSError as exc:
        raise BackupError(f"Could not write {target}: {exc.strerror or exc}. Check the free disk "
                          "space and the folder's permissions; nothing was written.") from exc
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def pg_backup(url: URL, target: Path) -> BackupInfo:
    """Write a ``pg_dump`` archive of the ketalog database at ``url`` to ``target``."""
    state, revision, schema = _status_and_schema(url)
    where = _where(url)
    if state is SchemaState.EMPTY or schema is None:
        raise BackupError(f"{where} holds no ketalog data yet; there is nothing to back up.")
    if state is SchemaState.FOREIGN:
        raise BackupError(f"{where} holds tables that are not ketalog's; check --database-url.")
    assert revision is not None
    _dump(url, schema, target)
    return BackupInfo(target, target.stat().st_size, revision, where)


def _safety_name(url: URL, source: Path, schema: str) -> Path:
    """A new file for the pre-restore dump: never an existing one (the source may be one)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    label = f"{url.database or 'ketalog'}" + ("" if schema == "public" else f"-{schema}")
    for n in itertools.count():
        suffix = f"-{n}" if n else ""
        candidate = source.parent / f"ketalog-{label}.before-restore-{stamp}{suffix}.dump"
        if not candidate.exists():
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def pg_restore_archive(url: URL, source: Path) -> RestoreInfo:
    """Replace the ketalog schema at ``url`` with the archive ``source`` in one transaction."""
    header = read_header(source)
    if header.startswith(SQLITE_MAGIC):
        raise BackupError(f"{source} is a SQLite backup; restore it into a SQLite database "
                          "(--database-url sqlite:///PATH). Nothing was changed.")
    if not header.startswith(PG_ARCHIVE_MAGIC):
        raise BackupError(f"{source} is not a ketalog backup: it is not a pg_dump archive "
                          "(custom format). Choose a file written by 'ketalog backup'. Nothing "
                          "was changed.")
    for name in ("pg_dump", "pg_restore", "psql"):
        tool(name)
    archive = read_archive(source)
    if archive.revision is None:
        raise BackupError(f"{source} is not a ketalog backup: it records no schema revision. "
                          "Nothing was changed.")
    refuse_unknown_revision(archive.revision, source)
    state, _revision, schema = _status_and_schema(url)
    where = _where(url)
    if state is SchemaState.FOREIGN:
        raise BackupError(f"{where} holds tables that are not ketalog's; ketalog will not "
                          "overwrite them. Restore into an empty database. Nothing was changed.")
    target_schema = schema or search_path_schema(url) or "public"
    if archive.schema != target_schema:
        raise BackupError(f"{source} holds the schema \"{archive.schema}\", but {where} uses "
                          f"\"{target_schema}\". Restore into a database URL whose search_path "
                          f"is {archive.schema} (add ?options=-csearch_path%3D{archive.schema}). "
                          "Nothing was changed.")
    previous: Path | None = None
    if state in (SchemaState.CURRENT, SchemaState.BEHIND, SchemaState.NEWER):
        previous = _safety_name(url, source, target_schema)
        try:
            _dump(url, target_schema, previous)
        except BackupError as exc:
            raise BackupError(f"The current database could not be kept before the restore: "
                              f"{exc} Copy the backup to a folder you can write to and try "
                              "again; nothing was changed.") from exc
    _replay(url, source, target_schema)
    _state, revision, _schema = _status_and_schema(url)
    if revision != archive.revision:
        raise BackupError(f"After the restore, {where} reports schema {revision} instead of "
                          f"{archive.revision}; check the server log. The database as it was "
                          f"before is kept in {previous}.")
    return RestoreInfo(source, source.stat().st_size, archive.revision, where, previous)


def _replay(url: URL, source: Path, schema: str) -> None:
    """Stream pg_restore's SQL into psql in one transaction; commit only if both succeeded."""
    libpq = libpq_target(url)
    quoted = '"' + schema.replace('"', '""') + '"'
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(
            [tool("psql"), "--no-psqlrc", "--quiet", "--no-password", "-v", "ON_ERROR_STOP=1",
             f"--dbname={libpq.conninfo}"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_err, env=libpq.env)
        restore = subprocess.Popen(
            [tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--file=-",
             str(source)],
            stdout=subprocess.PIPE, stderr=restore_err, env=libpq.env)
        assert psql.stdin is not None
        assert restore.stdout is not None
        fed = _feed(psql.stdin, restore.stdout,
                    f"BEGIN;\nSET LOCAL lock_timeout = '30s';\n"
                    f"DROP SCHEMA IF EXISTS {quoted} CASCADE;\n".encode())
        if not fed:
            restore.kill()
        restore_code = restore.wait()
        try:
            psql.stdin.write(b"COMMIT;\n" if fed and restore_code == 0 else b"ROLLBACK;\n")
            psql.stdin.close()
        except OSError:  # psql stopped at an error: its connection's transaction is gone
            pass
        psql_code = psql.wait()
        if restore_code != 0:
            restore_err.seek(0)
            raise BackupError(f"pg_restore could not read {source}: "
                              f"{_first_line(restore_err.read())}. Nothing was changed.")
        if psql_code != 0:
            psql_err.seek(0)
            message = _first_line(psql_err.read())
            hint = (" Close ketalog on every workstation, then try again."
                    if "lock timeout" in message.lower() else "")
            raise BackupError(f"The restore into {_where(url)} failed: {message}. "
                              f"Nothing was changed.{hint}")


def _feed(sink: IO[bytes], source: IO[bytes], preamble: bytes) -> bool:
    """Copy ``preamble`` then all of ``source`` to ``sink``; False when the reader went away."""
    try:
        sink.write(preamble)
        shutil.copyfileobj(source, sink)
        sink.flush()
    except OSError:
        return False
    finally:
        source.close()
    return True
