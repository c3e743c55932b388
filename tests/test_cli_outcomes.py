"""``ketalog outcomes --from --to [--csv]``, run as an administrator would at a terminal."""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ketalog.cli.common import CommandError
from ketalog.cli.outcomes import add_outcomes_parser, cmd_outcomes
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.settings import set_setting
from tests.conftest import FakeClock
from tests.services.test_outcomes import Visit, play_course
from tests.staff import ADMIN, seed_staff

NOV = datetime(2026, 11, 2, 14, tzinfo=UTC)


def run(argv: Sequence[str]) -> int:
    """Parse and run as ``ketalog`` does once the sub-command is registered."""
    parser = argparse.ArgumentParser(prog="ketalog")
    parser.add_argument("--database-url")
    sub = parser.add_subparsers(dest="command")
    add_outcomes_parser(sub)
    args = parser.parse_args(argv)
    return cmd_outcomes(args)


@pytest.fixture
def clinic(sqlite_url: str) -> str:
    """Two depression courses begun in November 2026 (one responds) and one anxiety course
    with only a baseline (excluded)."""
    engine = open_database(sqlite_url)
    seed_staff(engine)
    clock = FakeClock()
    with make_sessionmaker(engine)() as db:
        set_setting(db, ADMIN, "clinic_timezone", "America/New_York")
        play_course(db, clock, family="Alpha", first=NOV,
                    visits=[Visit({"phq9": 22}), Visit({"phq9": 10})])
        play_course(db, clock, family="Bravo", first=NOV,
                    visits=[Visit({"phq9": 20}), Visit({"phq9": 15})])
        play_course(db, clock, family="Charlie", first=NOV, indication="anxiety",
                    visits=[Visit({"gad7": 12})])
    engine.dispose()
    return sqlite_url


def test_prints_the_tally_with_counts_and_the_excluded(
        clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["--database-url", clinic, "outcomes", "--from", "2026-11-01",
                "--to", "2026-11-30"])
    out = capsys.readouterr().out
    assert code == 0
    assert ("Courses begun 2026-11-01 to 2026-11-30 (America/New_York): 3 (3 patients); "
            "2 evaluable; excluded for missing scores: 1 (0 no baseline, 1 no follow-up).") in out
    lines = out.splitlines()
    trd = next(line for line in lines if line.startswith("treatment-resistant depression"))
    assert trd.split()[2:7] == ["PHQ-9", "2", "2", "2", "0"]  # scale, courses, ...
    assert "1 of 2 (50.0 %)" in trd  # response: 22 -> 10 yes, 20 -> 15 no
    assert "0 of 2 (0.0 %)" in trd  # remission: 10 and 15 are not below 5
    anxiety = next(line for line in lines if line.startswith("anxiety"))
    assert "1 (0 no baseline, 1 no follow-up)" in anxiety and "0 of 0" in anxiety
    protocol = next(line for line in lines if line.startswith("IV ketamine for depression"))
    assert "1 of 2 (50.0 %)" in protocol
    assert any(line.startswith("All courses") and "1 of 2 (50.0 %)" in line for line in lines)
    assert "evaluable when it has a baseline score" in out
    assert "Alpha" not in out and "Bravo" not in out  # counts only, no names


def test_writes_csv_and_refuses_a_missing_folder(
        clinic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "outcomes.csv"
    assert run(["--database-url", clinic, "outcomes", "--from", "2026-11-01", "--to",
                "2026-11-30", "--csv", str(target)]) == 0
    assert f"Wrote the outcomes of 3 courses begun 2026-11-01 to 2026-11-30 " \
           f"(America/New_York) to {target}." in capsys.readouterr().out
    with target.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    assert records[0] == ["Period", "2026-11-01", "2026-11-30"]
    header = records[2]
    rows = {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in records[3:]}
    trd = rows[("indication", "treatment-resistant depression")]
    assert (trd["Courses"], trd["Evaluable"], trd["Responders"]) == ("2", "2", "1")
    assert trd["Response % of evaluable"] == "50.0"
    assert trd["Remitters"] == "0"
    anxiety = rows[("indication", "anxiety")]
    assert (anxiety["Excluded: no follow-up"], anxiety["Response % of evaluable"]) == ("1", "")
    assert rows[("all", "All courses")]["Excluded (missing scores)"] == "1"

    with pytest.raises(CommandError, match="does not exist; nothing was written"):
        run(["--database-url", clinic, "outcomes", "--from", "2026-11-01", "--to",
             "2026-11-30", "--csv", str(tmp_path / "missing" / "x.csv")])


def test_an_empty_period_and_bad_dates(clinic: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--database-url", clinic, "outcomes", "--from", "2025-01-01",
                "--to", "2025-12-31"]) == 0
    assert "No course began 2025-01-01 to 2025-12-31" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        run(["--database-url", clinic, "outcomes", "--from", "yesterday", "--to", "2025-12-31"])
    assert "'yesterday' is not a date; use YYYY-MM-DD" in capsys.readouterr().err
    from ketalog.domain.errors import ValidationError

    with pytest.raises(ValidationError, match="before it starts"):
        run(["--database-url", clinic, "outcomes", "--from", "2026-12-31", "--to", "2026-01-01"])
