"""``ketalog rems list`` and ``ketalog rems pdf``, run as a user would.

The command counts days from the real "today" (there is no clock to pass on
a command line), so the sessions are played at fixed times relative to it.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from ketalog.cli import main
from ketalog.cli.common import CommandError
from ketalog.cli.rems import add_rems_parser, cmd_rems
from ketalog.domain.errors import ValidationError
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.rems import file_rems_form
from ketalog.services.settings import set_clinic_timezone
from ketalog.store.models import AuditEntry
from tests.conftest import FakeClock
from tests.services.test_rems import book_iv, discharged_esketamine
from tests.staff import ADMIN, NURSE, seed_staff


@dataclass
class Clinic:
    url: str
    overdue: int  # treated 9 days ago: overdue by 2 days
    due: int  # treated yesterday: due in 6 days
    filed: int  # treated 3 days ago, filed
    iv: int  # IV ketamine: no REMS form
    today: date


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


@pytest.fixture
def clinic(database_url: str, seeded_database: None) -> Clinic:
    engine = open_database(database_url)
    seed_staff(engine)
    today = datetime.now(UTC).date()
    clock = FakeClock(_at(today - timedelta(days=9)))
    with make_sessionmaker(engine)() as db:
        set_clinic_timezone(db, ADMIN, "UTC")
        overdue = discharged_esketamine(db, clock, family="Older", given="Ana").session_id
        clock.now = _at(today - timedelta(days=3))
        filed = discharged_esketamine(db, clock, family="Filed", given="Fay").session_id
        file_rems_form(db, NURSE, filed, confirmation="RX-77", clock=clock)
        clock.now = _at(today - timedelta(days=1))
        due = discharged_esketamine(db, clock, family="Newer", given="Ben").session_id
        iv = book_iv(db, clock)
    engine.dispose()
    return Clinic(database_url, overdue, due, filed, iv, today)


def rems(url: str, *argv: str) -> int:
    """Parse ``rems ...`` as the main command does and run it."""
    parser = argparse.ArgumentParser(prog="ketalog")
    parser.add_argument("--database-url")
    add_rems_parser(parser.add_subparsers(dest="command"))
    return cmd_rems(parser.parse_args(["--database-url", url, "rems", *argv]))


def test_list_puts_overdue_first(clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    assert rems(clinic.url, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"REMS forms on {clinic.today.isoformat()} (UTC): 1 overdue, 1 to file, " \
                       "1 filed."
    assert lines[1].split() == ["Session", "Treated", "Patient", "MRN", "Status", "Filed", "by",
                                "Confirmation"]
    body = lines[3:]
    assert len(body) == 3
    assert body[0].startswith(f"{clinic.overdue} ") and "Older, Ana" in body[0]
    assert "overdue by 2 days" in body[0]
    assert body[1].startswith(f"{clinic.due} ") and "due in 6 days" in body[1]
    filed_on = (clinic.today - timedelta(days=3))
    assert body[2].startswith(f"{clinic.filed} ")
    assert f"filed on {filed_on.day} {filed_on:%b %Y}" in body[2]
    assert body[2].rstrip().endswith("Nora Reyes, RN  RX-77")
    assert str(clinic.iv) not in [line.split()[0] for line in body]


def test_list_overdue_only(clinic: Clinic, capsys: pytest.CaptureFixture[str]) -> None:
    assert rems(clinic.url, "list", "--overdue") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Overdue REMS forms on {clinic.today.isoformat()} (UTC): 1."
    assert len(lines) == 4 and "Older, Ana" in lines[3]


def test_nothing_overdue_and_nothing_at_all(sqlite_url: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(sqlite_url)
    seed_staff(engine)
    with make_sessionmaker(engine)() as db:
        set_clinic_timezone(db, ADMIN, "UTC")
    engine.dispose()
    today = datetime.now(UTC).date().isoformat()
    assert rems(sqlite_url, "list") == 0
    assert capsys.readouterr().out == f"No esketamine treatments to report on {today} (UTC).\n"
    assert rems(sqlite_url, "list", "--overdue") == 0
    assert capsys.readouterr().out == f"No REMS form is overdue on {today} (UTC).\n"


def test_pdf_writes_the_form_and_audits_it(clinic: Clinic, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "rems.pdf"
    assert rems(clinic.url, "pdf", str(clinic.overdue), str(target)) == 0
    assert capsys.readouterr().out.startswith(f"Wrote {target} (")
    pages = [" ".join(p.extract_text().split())
             for p in PdfReader(BytesIO(target.read_bytes())).pages]
    assert len(pages) == 1
    assert "Spravato REMS patient monitoring form" in pages[0]
    assert "Patient name Older, Ana" in pages[0] and "Lot number ESK-2231" in pages[0]
    engine = open_database(clinic.url)
    with make_sessionmaker(engine)() as db:
        entry = db.scalars(select(AuditEntry).where(AuditEntry.field == "rems")).one()
    engine.dispose()
    assert (entry.action, entry.row_id, entry.username, entry.new_value) == (
        "pdf_saved", clinic.overdue, "system", str(target.resolve()))


def test_pdf_refusals_write_nothing(clinic: Clinic, tmp_path: Path) -> None:
    target = tmp_path / "x.pdf"
    with pytest.raises(ValidationError, match="not an esketamine session"):
        rems(clinic.url, "pdf", str(clinic.iv), str(target))
    with pytest.raises(CommandError, match="does not exist; nothing was written"):
        rems(clinic.url, "pdf", str(clinic.due), str(tmp_path / "missing" / "x.pdf"))
    with pytest.raises(SystemExit) as usage:
        rems(clinic.url, "pdf", "abc", str(target))
    assert usage.value.code == 2
    assert not target.exists()


def test_ketalog_rems_is_wired_into_the_main_command(sqlite_url: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database(sqlite_url)
    seed_staff(engine)
    with make_sessionmaker(engine)() as db:
        iv = book_iv(db, FakeClock())
    engine.dispose()
    assert main(["--database-url", sqlite_url, "rems", "list"]) == 0
    assert "No esketamine treatments to report" in capsys.readouterr().out
    assert main(["--database-url", sqlite_url, "rems", "pdf", str(iv),
                 str(tmp_path / "x.pdf")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ketalog: Session {iv} is not an esketamine session")
    assert err.count("\n") == 1
