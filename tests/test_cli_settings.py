"""``ketalog settings``: the clinic's settings from the command line, as in the window."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ketalog.cli import main
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.models import AuditEntry


@pytest.fixture
def clinic_url(sqlite_url: str) -> str:
    """A new clinic, as the app's first start makes it: these commands create none (issue 18)."""
    open_database(sqlite_url).dispose()
    return sqlite_url


def test_list_set_and_get(clinic_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", clinic_url, "settings", "list"]) == 0
    out = capsys.readouterr().out
    assert "clinic_name" in out and "ketalog clinic  (default)" in out
    assert main(["--database-url", clinic_url, "settings", "set", "clinic_name",
                 "Riverside Ketamine Clinic"]) == 0
    assert capsys.readouterr().out == "Clinic name: Riverside Ketamine Clinic\n"
    assert main(["--database-url", clinic_url, "settings", "get", "clinic_name"]) == 0
    assert capsys.readouterr().out == "Riverside Ketamine Clinic\n"
    engine = open_database(clinic_url)
    with make_sessionmaker(engine)() as db:
        row = db.scalars(select(AuditEntry).where(AuditEntry.field == "clinic_name")).one()
        assert row.new_value == "Riverside Ketamine Clinic"
        assert row.workstation.startswith("cli:")
    engine.dispose()


def test_a_bad_zone_is_refused_in_one_line_and_nothing_changes(
        clinic_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", clinic_url, "settings", "set", "clinic_timezone",
                 "Mars/Olympus"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("ketalog: ") and "'Mars/Olympus' is not a time zone name" in err
    assert len(err.strip().splitlines()) == 1
    assert main(["--database-url", clinic_url, "settings", "get", "nonsense"]) == 1
    assert "There is no clinic setting 'nonsense'" in capsys.readouterr().err


def test_the_document_footer_is_a_setting_and_one_line(
        clinic_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", clinic_url, "settings", "set", "document_footer",
                 "Confidential"]) == 0
    assert capsys.readouterr().out == "Document footer: Confidential\n"
    assert main(["--database-url", clinic_url, "settings", "set", "document_footer",
                 "two\nlines"]) == 1
    assert "Document footer is one line" in capsys.readouterr().err
    assert main(["--database-url", clinic_url, "settings", "get", "document_footer"]) == 0
    assert capsys.readouterr().out == "Confidential\n"
