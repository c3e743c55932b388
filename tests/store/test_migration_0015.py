"""Schema 0015: dose checks carry the second nurse's own figures; older checks still verify."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import create_engine, text

from ketalog.reports.session_summary import build_session_summary
from ketalog.services.database import make_sessionmaker, open_database
from ketalog.services.documents import session_summary_data
from ketalog.services.session_detail import open_session
from ketalog.services.signing import verify_session
from tests.reports.conftest import pdf_pages

FIXTURES = Path(__file__).parent / "fixtures"


def test_checks_made_before_0015_keep_no_figures_and_their_signatures_verify(
        tmp_path: Path) -> None:
    copy = tmp_path / "schema_0014.sqlite3"
    shutil.copy(FIXTURES / "schema_0014.sqlite3", copy)
    engine = open_database(f"sqlite:///{copy}")
    try:
        with engine.connect() as conn:
            figures = conn.execute(text(
                "SELECT verifier_total_mg, verifier_rate_ml_per_h FROM dose_verifications")).all()
        assert figures and all(row == (None, None) for row in figures)
        with make_sessionmaker(engine)() as db:
            check = verify_session(db, 2)  # the signed session of the fixture
            assert check.intact and not check.invalid_reasons, check.invalid_reasons
            dose = open_session(db, 2).dose
            assert dose is not None and dose.verified_by_name == "Sam Okafor, RN"
            # the printed summary tells such a check from a blind one
            printed = " ".join(" ".join(pdf_pages(build_session_summary(
                session_summary_data(db, 2)))).split())
            assert "(checked against the figures on screen, before blind checks)" in printed
    finally:
        engine.dispose()


def test_the_new_fixture_holds_the_figures_the_second_nurse_typed() -> None:
    engine = create_engine(f"sqlite:///{FIXTURES / 'schema_0015.sqlite3'}")  # read as stored
    try:
        with engine.connect() as conn:
            figures = conn.execute(text(
                "SELECT verifier_total_mg, verifier_rate_ml_per_h FROM dose_verifications "
                "ORDER BY id")).all()
        assert figures[0] == ("40.25", "150")  # 0.5 mg/kg of 80.5 kg
    finally:
        engine.dispose()
