"""Engine factory: URLs, SQLite safety settings, and refusals with clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ketalog.store.engine import (
    DatabaseConfigError,
    explain_connection_error,
    make_engine,
    network_filesystem,
    normalise_url,
    resolve_database_url,
)


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize("url", ["nonsense", "://", "mysql://u@h/db", "oracle://h/x"])
def test_bad_urls_are_refused_with_a_hint(url: str) -> None:
    with pytest.raises(DatabaseConfigError, match="sqlite:///"):
        make_engine(url)


def test_url_precedence(tmp_path: Path) -> None:
    env = {"KETALOG_DATABASE_URL": "postgresql://env@h/db"}
    assert resolve_database_url("sqlite:///cli.db", env) == "sqlite:///cli.db"
    assert resolve_database_url(None, env) == "postgresql://env@h/db"
    default = resolve_database_url(None, {})
    assert default.startswith("sqlite:///") and default.endswith("ketalog.sqlite3")


def test_sqlite_pragmas_are_set_on_every_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


MOUNTS = [("/", "ext4"), ("/mnt/clinic", "nfs4"), ("/mnt/clinic/local", "ext4"),
          ("/media/share", "cifs"), ("/home/nurse/sshfs", "fuse.sshfs")]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/home/nurse/ketalog.sqlite3", None),
        ("/mnt/clinic/ketalog.sqlite3", "nfs4"),
        ("/mnt/clinic/local/ketalog.sqlite3", None),  # the longest mount point wins
        ("/media/share/db/ketalog.sqlite3", "cifs"),
        ("/home/nurse/sshfs/k.sqlite3", "fuse.sshfs"),
        ("/mnt/clinical/k.sqlite3", None),  # a prefix of a name is not a parent folder
        ("//server/share/ketalog.sqlite3", "a Windows network share"),
        ("\\\\server\\share\\ketalog.sqlite3", "a Windows network share"),
    ],
)
def test_network_filesystems_are_recognised(path: str, expected: str | None) -> None:
    assert network_filesystem(Path(path), MOUNTS) == expected


def test_network_share_is_refused_pointing_to_postgresql() -> None:
    with pytest.raises(DatabaseConfigError) as refused:
        make_engine("sqlite:////server/share/ketalog.sqlite3".replace("////", "/////"))
    assert "PostgreSQL" in str(refused.value)


def test_a_foreign_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("shopping list\n", encoding="utf-8")
    with pytest.raises(DatabaseConfigError, match="not a SQLite database"):
        make_engine(f"sqlite:///{target}")
    assert target.read_text(encoding="utf-8") == "shopping list\n"


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseConfigError, match="folder"):
        make_engine(f"sqlite:///{tmp_path}")


def test_unwritable_folder_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(DatabaseConfigError, match="Cannot create the folder"):
        make_engine(f"sqlite:///{blocker}/sub/ketalog.sqlite3")


def test_unreachable_server_is_explained() -> None:
    from ketalog.services.database import open_database

    with pytest.raises(DatabaseConfigError) as refused:
        open_database("postgresql://postgres@127.0.0.1:1/none")
    message = str(refused.value)
    assert "unreachable" in message and "127.0.0.1:1" in message


def test_passwords_are_hidden_in_messages() -> None:
    message = explain_connection_error(RuntimeError("connection refused"),
                                       "postgresql://nurse:s3cret@db.clinic/ketalog")
    assert "s3cret" not in message and "***" in message
