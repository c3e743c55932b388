"""In-session scores belong to the time the patient was in the chair.

A MOAA/S, CADSS or Aldrete "taken" after the patient went home describes no
observation anybody made; the rule lives in the domain so the CLI and any
future screen refuse it the same way the closed scale forms do.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.errors import ValidationError
from ketalog.domain.session_state import SessionState
from ketalog.services.session.entries import record_scale
from ketalog.services.session_detail import open_session
from ketalog.store.models import ScaleScore
from tests.conftest import FakeClock
from tests.play import discharged_session
from tests.staff import NURSE


def _discharged(db: Session, clock: FakeClock) -> int:
    sid = discharged_session(db, clock)
    assert open_session(db, sid).state == SessionState.DISCHARGED
    return sid


def _scores(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(ScaleScore)) or 0


def test_a_score_taken_after_discharge_is_refused_and_writes_nothing(
    db: Session, clock: FakeClock
) -> None:
    sid = _discharged(db, clock)
    clock.advance(5)
    before = _scores(db)
    with pytest.raises(ValidationError) as refused:
        record_scale(db, NURSE, sid, "moaas", [5], clock=clock)
    message = " ".join(p.message for p in refused.value.problems)
    assert "discharged at" in message and "after" in message
    assert _scores(db) == before


def test_a_late_charted_score_from_before_discharge_is_accepted(
    db: Session, clock: FakeClock
) -> None:
    sid = _discharged(db, clock)
    clock.advance(5)
    earlier = clock.now - timedelta(minutes=30)
    record_scale(db, NURSE, sid, "moaas", [5], taken_at=earlier, clock=clock)
    assert [(s.scale, s.taken_at_utc) for s in open_session(db, sid).scores
            if s.scale == "moaas"] == [("moaas", earlier)]
