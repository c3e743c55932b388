"""Encryption at rest (issue 18, item 5): SQLCipher files, keys only in the key store.

Every test that has a key store gets a keyring file of its own (keyrings.alt's
plain-text backend in ``tmp_path``); switching to another file is moving to
another workstation. The suite's default is no key store (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from ketalog.cli import main
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store import encryption
from ketalog.store.backup import backup_database, daily_backup, restore_database
from ketalog.store.changes import SqliteChangeFeed
from ketalog.store.encryption import SQLITE_MAGIC, DatabaseKey
from ketalog.store.engine import make_engine
from ketalog.store.errors import BackupError, DatabaseConfigError
from ketalog.store.migrate import backup_sqlite
from ketalog.store.models import AuditEntry, Patient, TreatmentSession
from tests.conftest import FakeClock
from tests.helpers.backups import add_session
from tests.helpers.databases import copy_demo_clinic
from tests.play import book
from tests.staff import seed_staff

Workstation = Callable[[str], None]


@pytest.fixture
def key_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workstation]:
    """A key store for this test; calling it with a name moves to that workstation's."""
    import keyring
    from keyring.backends import fail
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.setenv(encryption.ENV_KEYRING_BACKEND, "keyrings.alt.file.PlaintextKeyring")

    def use(name: str) -> None:
        ring = PlaintextKeyring()
        ring.file_path = str(tmp_path / f"keyring-{name}" / "keyring_pass.cfg")
        keyring.set_keyring(ring)
        encryption.forget_cached_keys()

    use("front-desk")
    yield use
    keyring.set_keyring(fail.Keyring())
    encryption.forget_cached_keys()


def _without_key_store(make: Callable[[], str]) -> str:
    """Make a clinic as a workstation without a key store would: plain."""
    import keyring
    from keyring.backends import fail

    kept = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    encryption.forget_cached_keys()
    try:
        return make()
    finally:
        keyring.set_keyring(kept)
        encryption.forget_cached_keys()


def _clinic(path: Path) -> str:
    """A new clinic at ``path`` with staff and one booked session; its URL."""
    url = f"sqlite:///{path}"
    engine = open_database(url)
    try:
        seed_staff(engine)
        with make_sessionmaker(engine)() as db:
            book(db, FakeClock())
    finally:
        engine.dispose()
    return url


def _sessions(url: str) -> int:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            return int(db.scalar(select(func.count()).select_from(TreatmentSession)) or 0)
    finally:
        engine.dispose()


def _bytes_on_disk(path: Path) -> bytes:
    """The file and its WAL, as ``strings`` or a stolen laptop's disk would show them."""
    return b"".join(Path(f"{path}{s}").read_bytes() for s in ("", "-wal", "-shm")
                    if Path(f"{path}{s}").exists())


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_new_clinic_is_encrypted_when_the_workstation_has_a_key_store(
        key_store: Workstation, tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    url = _clinic(path)
    header = path.read_bytes()[:16]
    assert header != SQLITE_MAGIC and encryption.is_encrypted_file(path)
    assert b"ketalog" not in _bytes_on_disk(path) and "Ñúñez".encode() not in _bytes_on_disk(path)
    assert _sessions(url) == 1  # opened again with the key from the key store


def test_a_new_clinic_is_plain_without_a_key_store(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    open_database(f"sqlite:///{path}").dispose()
    assert path.read_bytes()[:16] == SQLITE_MAGIC


def test_the_plain_text_keyring_is_no_key_store_unless_chosen(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail
    from keyrings.alt.file import PlaintextKeyring

    monkeypatch.delenv(encryption.ENV_KEYRING_BACKEND, raising=False)
    keyring.set_keyring(PlaintextKeyring())
    try:
        assert "the file keyring of keyrings.alt" in (encryption.key_store_problem() or "")
        assert encryption.new_clinic_key() is None
    finally:
        keyring.set_keyring(fail.Keyring())


def test_db_upgrade_says_whether_the_new_clinic_is_encrypted(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    assert "Encrypted at rest" in capsys.readouterr().out


def test_without_the_key_the_database_is_refused_in_one_line(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.sqlite3"
    url = _clinic(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    key_store("reception")  # another workstation: no key for this clinic
    with pytest.raises(DatabaseConfigError, match="this database is encrypted and this "
                       "workstation has no key for it: import the recovery key"):
        make_engine(url)
    for command in (["db", "check"], ["sessions"], ["backup", str(tmp_path / "b.sqlite3")]):
        assert main(["--database-url", url, *command]) != 0
        assert "ketalog db key import FILE" in _one_line_error(capsys)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "b.sqlite3").exists()


def test_a_wrong_key_is_refused_with_a_clear_message(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import keyring

    path = tmp_path / "clinic.sqlite3"
    url = _clinic(path)
    clinic = encryption.clinic_id_of(path.read_bytes())
    wrong = DatabaseKey(os.urandom(32), bytes.fromhex(clinic))
    keyring.set_password(encryption.KEY_SERVICE, encryption.KEY_ENTRY_PREFIX + clinic,
                         f"{wrong.secret.hex()}{wrong.salt.hex()}")
    encryption.forget_cached_keys()
    with pytest.raises(DatabaseConfigError, match="does not open it"):
        make_engine(url)
    assert main(["--database-url", url, "db", "check"]) != 0
    assert "the key this workstation holds for this database does not open it" in \
        _one_line_error(capsys)


def test_the_demo_clinic_encrypted_shows_no_mrn_to_strings(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "demo.sqlite3"
    # the run's demo template is shared: it must be built plain, as every other test expects
    url = _without_key_store(lambda: copy_demo_clinic(path))
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        mrns = list(db.scalars(select(Patient.mrn)))
        # long enough that 1.5 MB of ciphertext cannot hold one by chance ("Lee" did)
        names = [n for n in db.scalars(select(Patient.family_name))
                 if n.isascii() and len(n) >= 6]
    engine.dispose()
    assert len(mrns) == 30 and all(m.encode() in _bytes_on_disk(path) for m in mrns)

    assert main(["--database-url", url, "db", "encrypt"]) == 0
    out = capsys.readouterr().out
    assert "the plain file is gone" in out and "db key export" in out
    on_disk = _bytes_on_disk(path)
    assert not path.read_bytes().startswith(SQLITE_MAGIC)
    assert [m for m in mrns if m.encode() in on_disk] == []
    assert [n for n in names if n.encode() in on_disk] == []
    # no plain copy of the clinic is left: the backup taken first is deleted once checked
    plain = [p for p in tmp_path.rglob("*") if p.is_file() and p.read_bytes()[:16] == SQLITE_MAGIC]
    assert plain == []
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        assert sorted(db.scalars(select(Patient.mrn))) == sorted(mrns)
    engine.dispose()
    assert main(["--database-url", url, "db", "check"]) == 0


def test_db_encrypt_changes_nothing_without_a_key_store(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.sqlite3"
    url = _clinic(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(["--database-url", url, "db", "encrypt"]) != 0
    assert "no key store" in _one_line_error(capsys)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_db_encrypt_refuses_while_the_clinic_is_open(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.sqlite3"
    url = _without_key_store(lambda: _clinic(path))
    # another workstation's app, still running: another process (SQLite's locks are per process)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('SELECT count(*) FROM patients').fetchall(); print('open', flush=True); "
         "sys.stdin.readline()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert main(["--database-url", url, "db", "encrypt"]) != 0
        assert "still open" in _one_line_error(capsys)
    finally:
        holder.communicate("\n", timeout=30)
    assert path.read_bytes()[:16] == SQLITE_MAGIC
    assert [p.name for p in tmp_path.rglob("*before-encryption*")] == []
    assert main(["--database-url", url, "db", "encrypt"]) == 0
    assert _sessions(url) == 1


def test_backup_and_restore_round_trip_encrypted(
        key_store: Workstation, tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite3"
    url = _clinic(path)
    target = tmp_path / "copy.bin"
    backup_database(url, target)
    header = target.read_bytes()[:16]
    assert header == path.read_bytes()[:16]  # the same clinic's key: the same salt
    assert b"ketalog" not in target.read_bytes()

    engine = make_engine(url)
    add_session(engine)
    engine.dispose()
    assert _sessions(url) == 2
    info = restore_database(url, target)
    assert _sessions(url) == 1
    assert info.previous_copy is not None and encryption.is_encrypted_file(info.previous_copy)

    elsewhere = tmp_path / "elsewhere" / "restored.sqlite3"
    restore_database(f"sqlite:///{elsewhere}", target)
    assert encryption.is_encrypted_file(elsewhere) and _sessions(f"sqlite:///{elsewhere}") == 1

    daily = daily_backup(path, today=date(2026, 12, 4))
    assert daily.taken is not None and encryption.is_encrypted_file(daily.taken.path)

    engine = make_engine(url)
    try:
        before_upgrade = backup_sqlite(engine, "test")
    finally:
        engine.dispose()
    assert before_upgrade is not None and encryption.is_encrypted_file(before_upgrade)


def test_a_backup_of_another_encryption_is_not_restored_over_the_clinic(
        key_store: Workstation, tmp_path: Path) -> None:
    encrypted = _clinic(tmp_path / "encrypted.sqlite3")
    plain_path = tmp_path / "plain.sqlite3"
    _without_key_store(lambda: _clinic(plain_path))
    before = hashlib.sha256((tmp_path / "encrypted.sqlite3").read_bytes()).hexdigest()
    with pytest.raises(BackupError, match="is not encrypted, unlike the database"):
        restore_database(encrypted, plain_path)
    assert hashlib.sha256((tmp_path / "encrypted.sqlite3").read_bytes()).hexdigest() == before
    assert [p.name for p in tmp_path.glob("encrypted.before-restore-*")] == []
    backup = tmp_path / "encrypted-backup.sqlite3"
    backup_database(encrypted, backup)
    plain_before = hashlib.sha256(plain_path.read_bytes()).hexdigest()
    with pytest.raises(BackupError, match="is encrypted, unlike the database"):
        restore_database(f"sqlite:///{plain_path}", backup)
    assert hashlib.sha256(plain_path.read_bytes()).hexdigest() == plain_before


def test_restore_on_another_workstation_needs_the_key(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _clinic(tmp_path / "clinic.sqlite3")
    backup = tmp_path / "clinic-backup.sqlite3"
    recovery = tmp_path / "recovery.txt"
    assert main(["--database-url", url, "backup", str(backup)]) == 0
    assert main(["--database-url", url, "db", "key", "export", str(recovery)]) == 0
    out = capsys.readouterr().out
    assert "Keep it locked away" in out and out.count(str(recovery)) >= 1
    assert stat.S_IMODE(recovery.stat().st_mode) == 0o600
    assert DatabaseKey.from_recovery_text(recovery.read_text()) == encryption.key_for_file(
        tmp_path / "clinic.sqlite3")

    key_store("new-laptop")
    new = f"sqlite:///{tmp_path / 'laptop' / 'clinic.sqlite3'}"
    assert main(["--database-url", new, "restore", "--yes", str(backup)]) != 0
    assert "has no key for it" in _one_line_error(capsys)
    assert main(["--database-url", new, "db", "key", "import", str(recovery)]) == 0
    assert "no database here uses it yet" in capsys.readouterr().out
    assert main(["--database-url", new, "restore", "--yes", str(backup)]) == 0
    assert _sessions(new) == 1


def test_key_export_and_import_between_two_workstations(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.sqlite3"
    url = _clinic(path)
    recovery = tmp_path / "recovery.txt"
    assert main(["--database-url", url, "db", "key", "export", str(recovery)]) == 0
    text_ = recovery.read_text()
    assert re.fullmatch(r"ketalog database recovery key\nclinic: [0-9a-f]{32}\nkey: [0-9a-f]{96}\n",
                        text_)
    capsys.readouterr()
    # written once: an existing file is never replaced
    assert main(["--database-url", url, "db", "key", "export", str(recovery)]) != 0
    assert "already exists" in _one_line_error(capsys)
    assert recovery.read_text() == text_

    key_store("chair-2")
    assert main(["--database-url", url, "db", "check"]) != 0
    assert "has no key for it" in _one_line_error(capsys)
    assert main(["--database-url", url, "db", "key", "import", str(recovery)]) == 0
    assert "the database here opens with it" in capsys.readouterr().out
    assert main(["--database-url", url, "db", "check"]) == 0
    assert _sessions(url) == 1
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            rows = [(e.action, e.new_value or "") for e in db.scalars(select(AuditEntry))]
    finally:
        engine.dispose()
    actions = [action for action, _ in rows]
    assert "recovery_key_exported" in actions and "recovery_key_imported" in actions
    secret = text_.split("key: ")[1].strip()[:64]
    assert not any(secret in value for _, value in rows)  # the trail names the clinic only


def test_a_recovery_file_of_another_clinic_or_altered_is_refused(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = _clinic(tmp_path / "clinic.sqlite3")
    other = tmp_path / "other.txt"
    other.write_text(DatabaseKey.generate().recovery_text())
    assert main(["--database-url", url, "db", "key", "import", str(other)]) != 0
    assert "the key of another database" in _one_line_error(capsys)
    altered = tmp_path / "altered.txt"
    lines = DatabaseKey.generate().recovery_text().splitlines()
    altered.write_text("\n".join([lines[0], "clinic: " + "0" * 32, lines[2]]) + "\n")
    assert main(["--database-url", url, "db", "key", "import", str(altered)]) != 0
    assert "altered" in _one_line_error(capsys)
    assert main(["--database-url", url, "db", "key", "import", str(tmp_path / "none")]) != 0
    assert "no file" in _one_line_error(capsys)


def test_the_change_feed_reads_an_encrypted_clinic(key_store: Workstation,
                                                    tmp_path: Path) -> None:
    url = _clinic(tmp_path / "clinic.sqlite3")
    feed = SqliteChangeFeed(url, poll_s=0.01)
    try:
        engine = make_engine(url)
        add_session(engine)
        engine.dispose()
        assert feed.wait(2.0)
    finally:
        feed.close()


def test_a_raw_key_opens_a_file_without_key_derivation(key_store: Workstation,
                                                       tmp_path: Path) -> None:
    """Opening costs about a millisecond, not a passphrase's 256,000 PBKDF2 rounds."""
    import time

    path = tmp_path / "clinic.sqlite3"
    _clinic(path)
    key = encryption.key_for_file(path)
    assert key is not None
    started = time.perf_counter()
    for _ in range(10):
        assert encryption.key_opens(path, key)
    assert (time.perf_counter() - started) / 10 < 0.05  # PBKDF2 alone takes ~0.27 s here


@given(st.binary(min_size=0, max_size=8192))
def test_text_and_sqlite_files_never_look_encrypted(data: bytes) -> None:
    printable = bytes(32 + b % 95 for b in data)
    assert not encryption.looks_encrypted(printable[:100], len(printable))
    assert not encryption.looks_encrypted(SQLITE_MAGIC + data[:84], 4096 * 4)
    assert not encryption.looks_encrypted(data[:100], len(data)) or len(data) % 4096 == 0


def test_db_test_reads_an_encrypted_clinic(key_store: Workstation, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    url = _clinic(tmp_path / "clinic.sqlite3")
    assert main(["--database-url", url, "db", "test"]) == 0
    assert "encrypted at rest" in capsys.readouterr().out
    key_store("reception")
    assert main(["--database-url", url, "db", "test"]) != 0
    assert "has no key for it" in capsys.readouterr().out


def test_a_damaged_page_of_an_encrypted_clinic_is_reported_and_restored_over(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clinic.sqlite3"
    url = _clinic(path)
    good = tmp_path / "good.sqlite3"
    backup_database(url, good)
    make_engine(url).dispose()  # the last connection folds the WAL into the file
    data = bytearray(path.read_bytes())
    pages = len(data) // 4096
    assert pages > 4
    middle = (pages // 2) * 4096 + 100
    data[middle:middle + 64] = bytes(64)  # the page's authentication code no longer fits
    path.write_bytes(bytes(data))
    target = tmp_path / "backup.sqlite3"
    assert main(["--database-url", url, "backup", str(target)]) != 0
    err = _one_line_error(capsys)
    assert f"is damaged (HMAC verification failed for page {pages // 2 + 1})" in err, err
    assert "ketalog restore FILE" in err and not target.exists()
    # restoring is the cure: the damaged file is moved aside, not refused as unreadable
    assert main(["--database-url", url, "restore", "--yes", str(good)]) == 0
    assert "the previous database is kept as" in capsys.readouterr().out
    assert _sessions(url) == 1


def test_a_damaged_page_read_by_the_app_is_said_to_be_damage(
        key_store: Workstation, tmp_path: Path) -> None:
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import DBAPIError

    from ketalog.store.faults import DAMAGED, describe_database_error

    path = tmp_path / "clinic.sqlite3"
    url = _clinic(path)
    make_engine(url).dispose()
    data = bytearray(path.read_bytes())
    middle = (len(data) // 4096 // 2) * 4096 + 100
    data[middle:middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
        failures = []
        # the damaged page may hold a table, an index or free space: every page is read
        for sql in [f'SELECT * FROM "{t}"' for t in tables] + ["PRAGMA integrity_check"]:
            try:
                with engine.connect() as conn:
                    conn.execute(text(sql)).all()
            except DBAPIError as exc:
                failures.append(describe_database_error(exc))
        assert failures and set(failures) == {DAMAGED}
        with engine.connect() as conn:  # the poisoned connection was dropped, not pooled
            assert conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
    finally:
        engine.dispose()


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=16, max_size=16))
def test_a_recovery_file_gives_back_its_key_and_never_shows_it_in_a_repr(
        secret: bytes, salt: bytes) -> None:
    key = DatabaseKey(secret, salt)
    assert DatabaseKey.from_recovery_text(key.recovery_text()) == key
    assert secret.hex() not in repr(key) and key.clinic_id in repr(key)


@given(st.text(max_size=300))
def test_any_other_text_is_refused_as_a_recovery_file(text_: str) -> None:
    with pytest.raises(ValueError, match=r"recovery key file|key line|clinic line"):
        DatabaseKey.from_recovery_text(text_)


def test_an_encrypted_evidence_copy_is_checked_read_only_and_left_unchanged(
        key_store: Workstation, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """verify and audit on a read-only encrypted copy: read with its key, nothing written."""
    path = tmp_path / "clinic.sqlite3"
    _clinic(path)
    encryption.forget_cached_keys()
    folder = tmp_path / "evidence"
    folder.mkdir()
    copy = folder / path.name
    copy.write_bytes(path.read_bytes())
    assert not Path(f"{path}-wal").exists() and encryption.is_encrypted_file(copy)
    copy.chmod(0o444)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    url = f"sqlite:///{copy}"
    assert main(["--database-url", url, "audit", "verify", "--read-only"]) == 0
    said = capsys.readouterr().out
    assert said.startswith("Audit trail intact") and "nothing was recorded" in said
    assert main(["--database-url", url, "audit", "report", "--from", "2000-01-01",
                 "--to", "2099-12-31"]) == 0
    assert "nothing was recorded" in capsys.readouterr().out
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert after == before

    key_store("another-workstation")  # no key for this clinic here: one line, nothing changed
    assert main(["--database-url", url, "audit", "verify", "--read-only"]) == 1
    assert "no key for it" in _one_line_error(capsys)
