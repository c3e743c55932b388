"""``ketalog stock``: the controlled-substance books from the command line, refusals in one line."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from ketalog.cli import main
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.store.models import AuditEntry, StockEntry
from tests.conftest import FakeClock
from tests.helpers.databases import copy_sqlite_template
from tests.services.stock_records_day import Day, one_day_of_records
from tests.staff import password_of, seed_staff


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A migrated clinic database with the test staff (clinic time zone UTC)."""
    made = copy_sqlite_template(tmp_path / "clinic.sqlite3")
    engine = open_database(made)
    seed_staff(engine)
    engine.dispose()
    return made


def run(url: str, monkeypatch: pytest.MonkeyPatch, *args: str, password: str | None = None,
        ) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{password}\n" if password else ""))
    return main(["--database-url", url, "stock", *args])


def _as(user: str) -> list[str]:
    return ["--user", user, "--password-stdin"]


def _set_up(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(url, monkeypatch, "locations", "add", "--name", "Main clinic safe", "--dea",
               "FB7654329", "--address", "12 Elm St", *_as("admin"),
               password=password_of("admin")) == 0
    assert run(url, monkeypatch, "products", "add", "--name", "Ketamine 50 mg/mL, 10 mL vial",
               "--substance", "ketamine", "--strength", "50", "--volume", "10", "--ndc",
               "67457-108-10", *_as("admin"), password=password_of("admin")) == 0
    assert run(url, monkeypatch, "receive", "--location", "1", "--product", "1", "--date",
               "2026-11-20", "--supplier", "Henry Schein", "--supplier-address",
               "135 Duryea Road, Melville, NY", "--supplier-dea", "AB1234563", "--order",
               "INV-88123", "--container", "KX2291:2027-06-30:S1", "--container",
               "KX2291:2027-06-30:S2", *_as("nora"), password=password_of("nora")) == 0


def test_set_up_receive_list_and_print_the_books(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _set_up(url, monkeypatch)
    out = capsys.readouterr().out
    assert "Registered location 1: Main clinic safe." in out
    assert "Registered product 1: Ketamine 50 mg/mL, 10 mL vial." in out
    assert "Received 2 containers: 1, 2." in out
    assert run(url, monkeypatch, "locations") == 0
    assert "1  Main clinic safe  DEA FB7654329  12 Elm St" in capsys.readouterr().out
    assert run(url, monkeypatch, "products") == 0
    assert "(ketamine, 50 mg/mL, 10 mL)  NDC 67457-108-10" in capsys.readouterr().out
    assert run(url, monkeypatch, "on-hand", "--location", "1") == 0
    out = capsys.readouterr().out
    assert "10 mL  Main clinic safe / Ketamine 50 mg/mL, 10 mL vial / lot KX2291" in out
    assert "serial S2" in out
    today = _today(url)
    log = tmp_path / "log.csv"
    assert run(url, monkeypatch, "log", "--location", "1", "--from", today, "--to", today,
               "--csv", str(log)) == 0
    assert f"Wrote {log}." in capsys.readouterr().out
    with log.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["kind"], r["volume_ml"], r["mg"], r["recorded_by"]) for r in rows] == [
        ("Received", "10", "500", "Nora Reyes, RN")] * 2
    pdf = tmp_path / "balance.pdf"
    assert run(url, monkeypatch, "balance", "--location", "1", "--on", today, "--pdf",
               str(pdf)) == 0
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "Controlled-substance perpetual balance" in text and "20 mL" in text
    assert run(url, monkeypatch, "recall", "--product", "1", "--lot", "KX2291", "--reason",
               "manufacturer's notice 2026-11", *_as("admin"),
               password=password_of("admin")) == 0
    assert "Recorded the recall of lot KX2291" in capsys.readouterr().out
    assert run(url, monkeypatch, "reverse", "2", "--reason", "received twice by mistake",
               *_as("nora"), password=password_of("nora")) == 0
    assert "Reversed entry 2 (reversal 3)." in capsys.readouterr().out
    engine = open_database(url)
    with make_sessionmaker(engine)() as db:
        reversal = db.get(StockEntry, 3)
        assert reversal is not None and reversal.reason == "received twice by mistake"
        saved = db.scalars(select(AuditEntry).where(AuditEntry.action.like("stock_%_saved"))
                           .order_by(AuditEntry.id)).all()
        assert [(a.action, a.workstation[:4]) for a in saved] == [
            ("stock_log_saved", "cli:"), ("stock_balance_saved", "cli:")]
        assert db.scalar(select(AuditEntry.username).where(
            AuditEntry.action == "stock_reversal")) == "nora"
    engine.dispose()


def _today(url: str) -> str:
    engine = open_database(url)
    with make_sessionmaker(engine)() as db:
        day = db.scalar(select(StockEntry.recorded_at_utc).order_by(StockEntry.id))
    engine.dispose()
    assert day is not None
    return day.date().isoformat()


def _refused(capsys: pytest.CaptureFixture[str], *words: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith("ketalog: ") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err


def test_bad_input_is_refused_in_one_line_and_nothing_is_written(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _set_up(url, monkeypatch)
    capsys.readouterr()
    receive = ["receive", "--location", "1", "--product", "1", "--date", "2026-11-20",
               "--supplier", "Henry Schein", "--supplier-address", "Melville, NY",
               "--supplier-dea", "AB1234563", "--order", "INV-1"]
    assert run(url, monkeypatch, *receive, "--container", "KX2291-2027-06-30",
               *_as("nora"), password=password_of("nora")) == 1
    _refused(capsys, "'KX2291-2027-06-30' is not a container", "LOT:YYYY-MM-DD")
    assert run(url, monkeypatch, *receive, "--container", "KX2291:30/06/2027",
               *_as("nora"), password=password_of("nora")) == 1
    _refused(capsys, "'30/06/2027'", "is not an expiry date")
    assert run(url, monkeypatch, *receive, "--container", "KX2291:2027-06-30",
               *_as("nora"), password="wrong") == 1
    _refused(capsys)
    assert run(url, monkeypatch, *receive, "--container", "KX2291:2020-06-30",
               *_as("nora"), password=password_of("nora")) == 1
    _refused(capsys, "expired on 2020-06-30")
    assert run(url, monkeypatch, "locations", "add", "--name", "Annex", "--dea", "FB7654321",
               "--address", "x", *_as("nora"), password=password_of("nora")) == 1
    _refused(capsys, "Only an administrator can register stock locations")
    assert run(url, monkeypatch, "locations", "add", "--name", "Annex", "--dea", "FB7654321",
               "--address", "x", *_as("admin"), password=password_of("admin")) == 1
    _refused(capsys, "fails its check digit")
    assert run(url, monkeypatch, "reverse", "1", "--reason", " ", *_as("nora"),
               password=password_of("nora")) == 1
    _refused(capsys, "needs a reason")
    assert run(url, monkeypatch, "reverse", "99", "--reason", "x", *_as("nora"),
               password=password_of("nora")) == 1
    _refused(capsys, "no entry 99")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["--database-url", url, "stock", "recall", "--product", "1", "--lot", "KX2291",
                 "--reason", "x", "--user", "admin"]) == 1
    _refused(capsys, "No terminal to ask for the password; use --password-stdin.")
    assert run(url, monkeypatch, "log", "--location", "7", "--from", "2026-11-01", "--to",
               "2026-11-30", "--csv", str(tmp_path / "log.csv")) == 1
    _refused(capsys, "no stock location 7")
    assert run(url, monkeypatch, "log", "--location", "1", "--from", "2026-11-30", "--to",
               "2026-11-01", "--pdf", str(tmp_path / "log.pdf")) == 1
    _refused(capsys, "before it starts")
    assert run(url, monkeypatch, "balance", "--location", "1", "--on", "2026-11-30", "--csv",
               str(tmp_path / "nowhere" / "b.csv")) == 1
    _refused(capsys, "does not exist; nothing was written")
    (tmp_path / "folder.pdf").mkdir()
    assert run(url, monkeypatch, "balance", "--location", "1", "--on", "2026-11-30", "--pdf",
               str(tmp_path / "folder.pdf")) == 1
    _refused(capsys, "not a plain file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.sqlite3", "folder.pdf"]
    engine = open_database(url)
    with make_sessionmaker(engine)() as db:
        assert len(db.scalars(select(StockEntry)).all()) == 2  # the two first received
    engine.dispose()


def test_an_id_or_a_date_that_is_not_one_is_a_usage_error(
        url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(url, monkeypatch, "on-hand", "--location", "safe")
    assert exit_.value.code == 2
    assert "'safe' is not an id" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(url, monkeypatch, "balance", "--location", "1", "--on", "30/11/2026", "--csv", "x")
    assert "is not a date; use YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(url, monkeypatch, "log", "--location", "1", "--from", "2026-11-01", "--to",
            "2026-11-30")
    assert "one of the arguments --pdf --csv is required" in capsys.readouterr().err


def _records(url: str) -> Day:
    """A day of signed records (count, inventory, destruction, theft) through the services."""
    engine = open_database(url)
    with make_sessionmaker(engine)() as db:
        day = one_day_of_records(db, FakeClock())
    engine.dispose()
    return day


def _pdf_text(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(path).pages))


def test_the_signed_records_print_as_pdf(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    day = _records(url)
    on = day.day.isoformat()
    runs = {
        "inventory": ("inventory", "--location", "1"),
        "inventory-1": ("inventory", "--location", "1", "--id", str(day.inventory_id)),
        "destruction": ("destruction", "--location", "1", "--from", on, "--to", on),
        "loss": ("loss", "--id", str(day.loss_id)),
        "count": ("count", "--id", str(day.count_id)),
    }
    for name, args in runs.items():
        pdf = tmp_path / f"{name}.pdf"
        assert run(url, monkeypatch, *args, "--pdf", str(pdf)) == 0, name
        assert f"Wrote {pdf}." in capsys.readouterr().out
    facts = {
        "inventory": f"Initial inventory, {on}, close of business",
        "inventory-1": "open, measured 6 mL",
        "destruction": "Witness 2 Ada Lindqvist, MD, signed",
        "loss": "Yes, reference SPD-2026-1182",
        "count": "vial cracked at the neck, leaked in the safe",
    }
    for name, fact in facts.items():
        assert fact in _pdf_text(tmp_path / f"{name}.pdf"), name
    engine = open_database(url)
    with make_sessionmaker(engine)() as db:
        saved = db.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("stock_%_saved")).order_by(AuditEntry.id)).all()
    engine.dispose()
    assert saved == ["stock_inventory_saved", "stock_inventory_saved",
                     "stock_destruction_saved", "stock_loss_saved", "stock_count_saved"]


def test_a_record_that_is_not_there_is_refused_in_one_line(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _set_up(url, monkeypatch)
    capsys.readouterr()
    assert run(url, monkeypatch, "inventory", "--location", "1", "--pdf",
               str(tmp_path / "i.pdf")) == 1
    _refused(capsys, '"Main clinic safe" has no inventory yet')
    assert run(url, monkeypatch, "loss", "--id", "4", "--pdf", str(tmp_path / "l.pdf")) == 1
    _refused(capsys, "no loss record 4")
    assert run(url, monkeypatch, "count", "--id", "4", "--pdf", str(tmp_path / "c.pdf")) == 1
    _refused(capsys, "no count 4")
    assert run(url, monkeypatch, "destruction", "--location", "1", "--from", "2026-11-30",
               "--to", "2026-11-01", "--pdf", str(tmp_path / "d.pdf")) == 1
    _refused(capsys, "before it starts")
    assert run(url, monkeypatch, "loss", "--id", "1", "--pdf",
               str(tmp_path / "nowhere" / "l.pdf")) == 1
    _refused(capsys, "does not exist; nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.sqlite3"]
    with pytest.raises(SystemExit):
        run(url, monkeypatch, "loss", "--id", "1", "--csv", str(tmp_path / "l.csv"))
    assert "the following arguments are required: --pdf" in capsys.readouterr().err
