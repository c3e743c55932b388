"""The ketalog command: demo, sessions, db, and one clear line for every failure."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ketalog.cli import main
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.settings import clinic_timezone
from tests.helpers.databases import copy_demo_clinic


def _today(url: str) -> str:
    engine = open_database(url)
    with make_sessionmaker(engine)() as db:
        tz = clinic_timezone(db)
    engine.dispose()
    return datetime.now(UTC).astimezone(tz).date().isoformat()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One demo clinic for the module: a copy of the run's (``ketalog demo`` takes ~20 s)."""
    return copy_demo_clinic(tmp_path_factory.mktemp("demo") / "demo.sqlite3")


def test_demo_board_lists_every_state(demo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--database-url", demo_url, "sessions", "--date", _today(demo_url),
                 "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"id", "chair", "patient", "mrn", "state", "course_id", "scheduled_at"} <= set(rows[0])
    states = {r["state"] for r in rows}
    assert states == {"scheduled", "checked_in", "infusing", "paused", "recovering",
                      "stopped_early", "discharged", "signed", "cancelled"}
    assert {r["chair"] for r in rows} == {"Chair 1", "Chair 2", "Chair 3"}
    assert any(r["patient"] == "Ñúñez, José" for r in rows)


def test_demo_refuses_a_database_with_patients(
    demo_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--database-url", demo_url, "demo"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ketalog: ") and "already has patients" in err
    assert len(err.strip().splitlines()) == 1


def test_demo_refuses_a_database_with_only_an_administrator_and_writes_nothing(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A newcomer who made the first administrator and then ran the demo got two Pat Morgans."""
    from sqlalchemy import func, select

    from ketalog.services.accounts import create_first_administrator
    from ketalog.store.models import AuditEntry, Setting, User

    engine = open_database(sqlite_url)
    with make_sessionmaker(engine)() as db:
        create_first_administrator(db, username="pmorgan", full_name="Pat Morgan",
                                   clinic_name="Riverside", clinic_timezone="UTC",
                                   password="a-long-admin-pass-1")

    def counts() -> tuple[int, int, int]:
        with make_sessionmaker(engine)() as db:
            return tuple(db.scalar(select(func.count()).select_from(t)) or 0  # type: ignore[return-value]
                         for t in (User, AuditEntry, Setting))

    before = counts()
    assert main(["--database-url", sqlite_url, "demo"]) == 1
    err = capsys.readouterr().err
    assert "already has user accounts" in err and "demo" in err
    assert counts() == before
    engine.dispose()


def test_demo_says_what_it_is_doing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert main(["--database-url", url, "demo"]) == 0
    out = capsys.readouterr().out
    assert "Building the demo clinic" in out
    assert out.count("patients so far") >= 2  # a line now and then, not silence


def test_sessions_table_and_empty_day(demo_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--database-url", demo_url, "sessions", "--date", _today(demo_url)]) == 0
    out = capsys.readouterr().out
    assert "Chair 1" in out and "Ñúñez, José" in out
    assert main(["--database-url", demo_url, "sessions", "--date", "1999-01-01"]) == 0
    assert "No sessions on 1999-01-01" in capsys.readouterr().out


def test_db_check_and_upgrade(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    assert main(["--database-url", url, "db", "check"]) == 1
    err = capsys.readouterr().err
    assert "There is no ketalog database at" in err and "'ketalog db upgrade'" in err
    assert not (tmp_path / "k.sqlite3").exists()  # checking made nothing (issue 18)
    assert main(["--database-url", url, "db", "upgrade"]) == 0
    assert main(["--database-url", url, "db", "check"]) == 0
    assert "(current)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--database-url", "mysql://x/y", "sessions"], "SQLite or PostgreSQL"),
        (["--database-url", "not a url", "db", "check"], "is not a database URL"),
        (["--database-url", "postgresql://postgres@127.0.0.1:1/x", "sessions"], "unreachable"),
    ],
)
def test_errors_are_one_clear_line(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["sessions", "--date", "21/11/2026"])
    assert stop.value.code == 2
    assert "use YYYY-MM-DD" in capsys.readouterr().err


def test_help_everywhere() -> None:
    for args in ([], ["demo"], ["sessions"], ["db"], ["db", "check"], ["db", "upgrade"]):
        result = subprocess.run([sys.executable, "-m", "ketalog", *args, "--help"],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "usage: ketalog" in result.stdout


def test_console_script_runs_in_a_subprocess(demo_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ketalog", "--database-url", demo_url, "sessions", "--json"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 10


def _session_ids(url: str, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    capsys.readouterr()
    assert main(["--database-url", url, "sessions", "--date", _today(url), "--json"]) == 0
    return {r["state"]: r["id"] for r in json.loads(capsys.readouterr().out)}


def test_pdf_documents_are_written(demo_url: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    ids = _session_ids(demo_url, capsys)
    for args in (["session", str(ids["signed"])], ["visit", str(ids["discharged"])],
                 ["day", _today(demo_url)], ["course", "1"]):
        target = tmp_path / f"{args[0]}.pdf"
        assert main(["--database-url", demo_url, "pdf", *args, "-o", str(target)]) == 0
        assert "Wrote" in capsys.readouterr().out
        text = PdfReader(BytesIO(target.read_bytes())).pages[0].extract_text()
        assert "Riverside Ketamine Clinic" in text
    assert list(tmp_path.glob(".ketalog-*")) == []  # no temporary files left


@pytest.mark.parametrize(("args", "expected"), [
    (["session", "999999"], "No session with id 999999"),
    (["course", "424242"], "No course with id 424242"),
    (["day", "21/11/2026"], "is not a date"),
    (["session", "abc"], "is not an id"),
])
def test_pdf_refusals_leave_no_file(demo_url: str, tmp_path: Path, args: list[str],
                                    expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.pdf"
    assert main(["--database-url", demo_url, "pdf", *args, "-o", str(target)]) == 1
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_pdf_of_a_session_not_started_is_refused(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scheduled = _session_ids(demo_url, capsys)["scheduled"]
    target = tmp_path / "out.pdf"
    assert main(["--database-url", demo_url, "pdf", "session", str(scheduled),
                 "-o", str(target)]) == 1
    assert "nothing to summarise" in capsys.readouterr().err
    assert not target.exists()


def test_pdf_unwritable_paths_are_refused(demo_url: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    ids = _session_ids(demo_url, capsys)
    missing = tmp_path / "no-such-folder" / "x.pdf"
    assert main(["--database-url", demo_url, "pdf", "session", str(ids["signed"]),
                 "-o", str(missing)]) == 1
    assert "does not exist" in capsys.readouterr().err
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert main(["--database-url", demo_url, "pdf", "session", str(ids["signed"]),
                 "-o", str(folder)]) == 1
    assert "is a folder" in capsys.readouterr().err
    assert list(folder.iterdir()) == []


def test_clinic_logo_from_settings_is_on_every_page(
    demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PySide6.QtGui import QColor, QImage

    from ketalog.services.context import SYSTEM
    from ketalog.services.settings import CLINIC_LOGO_PATH, set_setting

    logo = tmp_path / "logo.png"
    image = QImage(40, 20, QImage.Format.Format_RGB32)
    image.fill(QColor("black"))
    assert image.save(str(logo))
    engine = open_database(demo_url)
    with make_sessionmaker(engine)() as db:
        set_setting(db, SYSTEM, CLINIC_LOGO_PATH, str(logo))
    engine.dispose()
    try:
        target = tmp_path / "day.pdf"
        assert main(["--database-url", demo_url, "pdf", "day", _today(demo_url),
                     "-o", str(target)]) == 0
        from pypdf import PdfReader

        for page in PdfReader(target).pages:
            assert len(page.images) >= 1
        logo.unlink()  # a logo that has gone missing is left out, never an error
        assert main(["--database-url", demo_url, "pdf", "day", _today(demo_url),
                     "-o", str(target)]) == 0
    finally:
        engine = open_database(demo_url)
        with make_sessionmaker(engine)() as db:
            set_setting(db, SYSTEM, CLINIC_LOGO_PATH, "")
        engine.dispose()


def test_the_demo_clinic_has_a_certificate_that_signs_its_signed_summaries(
        demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", demo_url, "certificate", "show"]) == 0
    out = capsys.readouterr().out
    assert "subject:      CN=Riverside Ketamine Clinic documents" in out
    assert "issuer:       CN=Riverside Ketamine Clinic clinic CA" in out
    assert "by Pat Morgan" in out
    ids = _session_ids(demo_url, capsys)
    target = tmp_path / "signed.pdf"
    assert main(["--database-url", demo_url, "pdf", "session", str(ids["signed"]), "-o",
                 str(target)]) == 0
    assert "carries the clinic's digital signature" in capsys.readouterr().out
    assert b"/ETSI.CAdES.detached" in target.read_bytes()
    assert target.stat().st_mode & 0o777 == 0o600


def _not_plain_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A named pipe (as a device would be) and a link to someone else's file."""
    import os

    pipe = tmp_path / "pipe.pdf"
    os.mkfifo(pipe)
    theirs = tmp_path / "theirs.txt"
    theirs.write_text("not ketalog's")
    link = tmp_path / "link.pdf"
    link.symlink_to(theirs)
    return pipe, link, theirs


def _still_there(pipe: Path, link: Path, theirs: Path) -> None:
    import stat

    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert link.is_symlink() and theirs.read_text() == "not ketalog's"
    assert list(pipe.parent.glob(".ketalog-*")) == []


def test_pdf_never_replaces_a_device_or_a_link(demo_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 18: 'pdf session 6 -o /dev/full' replaced the device with a regular file."""
    ids = _session_ids(demo_url, capsys)
    pipe, link, theirs = _not_plain_files(tmp_path)
    for target in (pipe, link):
        assert main(["--database-url", demo_url, "pdf", "session", str(ids["signed"]),
                     "-o", str(target)]) == 1
        err = capsys.readouterr().err.strip()
        assert "not a plain file" in err and len(err.splitlines()) == 1, err
    _still_there(pipe, link, theirs)


def test_pdf_to_a_dash_is_refused_not_written_as_a_file_named_dash(
        demo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: '-o -' wrote a file named "-" in the current folder."""
    ids = _session_ids(demo_url, capsys)
    monkeypatch.chdir(tmp_path)
    assert main(["--database-url", demo_url, "pdf", "session", str(ids["signed"]),
                 "-o", "-"]) == 1
    err = capsys.readouterr().err.strip()
    assert "standard output" in err and len(err.splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []
