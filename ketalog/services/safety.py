"""The suicide-risk screen of a session: PHQ-9 item 9, the C-SSRS after it, the review.

The rule itself is in :mod:`ketalog.domain.safety`; this module reads what the
session holds (for the start rule, the session header and the day board) and
records the physician's review as a note of kind ``risk_review``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import TransitionRefused, ValidationError
from ketalog.domain.safety import NO_SCREEN, SuicideRiskScreen
from ketalog.domain.scales import cssrs_risk
from ketalog.domain.session_state import ensure_editable
from ketalog.domain.values import printed_name
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.store.models import Note, ScaleScore, TreatmentSession

RISK_REVIEW = "risk_review"
PHQ9_ITEM9 = 8  # index of item 9 in the stored item list


def suicide_risk_screens(db: Session, session_ids: Sequence[int]) -> dict[int, SuicideRiskScreen]:
    """Each session's screen in two queries (the day board asks for a whole day)."""
    if not session_ids:
        return {}
    scores = db.execute(
        select(ScaleScore.session_id, ScaleScore.scale, ScaleScore.item_scores_json,
               ScaleScore.taken_at_utc)
        .where(ScaleScore.session_id.in_(session_ids), ScaleScore.scale.in_(("phq9", "cssrs")),
               ScaleScore.voided_at_utc.is_(None))
        .order_by(ScaleScore.taken_at_utc, ScaleScore.id)
    ).all()
    phq9: dict[int, tuple[int, datetime]] = {}
    for row in scores:
        if row.scale == "phq9":
            phq9[row.session_id] = (json.loads(row.item_scores_json)[PHQ9_ITEM9],
                                    row.taken_at_utc)
    positive = {sid for sid, (item9, _at) in phq9.items() if item9 > 0}
    screens: dict[int, SuicideRiskScreen] = {}
    cssrs: dict[int, tuple[str, datetime]] = {}
    for row in scores:
        if row.scale == "cssrs" and row.session_id in positive \
                and row.taken_at_utc >= phq9[row.session_id][1]:
            cssrs[row.session_id] = (cssrs_risk(json.loads(row.item_scores_json)),
                                     row.taken_at_utc)
    reviews: dict[int, str] = {}
    if cssrs:
        for note in db.execute(
            select(Note.session_id, Note.author_name, Note.written_at_utc)
            .where(Note.session_id.in_(list(cssrs)), Note.kind == RISK_REVIEW,
                   Note.voided_at_utc.is_(None))
            .order_by(Note.written_at_utc)
        ):
            if note.written_at_utc >= cssrs[note.session_id][1]:
                reviews[note.session_id] = note.author_name
    for sid, (item9, _at) in phq9.items():
        risk = cssrs.get(sid)
        screens[sid] = SuicideRiskScreen(phq9_item9=item9, cssrs_risk=risk[0] if risk else None,
                                         reviewed_by=reviews.get(sid))
    return screens


def suicide_risk_screen(db: Session, session_id: int) -> SuicideRiskScreen:
    """One session's screen (no PHQ-9 recorded: nothing positive)."""
    return suicide_risk_screens(db, [session_id]).get(session_id, NO_SCREEN)


def review_suicide_risk(
    db: Session, actor: Actor, session_id: int, text: str, *, clock: Clock = system_clock,
) -> int:
    """A physician records the review of a positive screen; the start rule then clears."""
    reviewer = authorize(db, actor, Permission.REVIEW_SUICIDE_RISK)
    now = clock()
    session = db.get(TreatmentSession, session_id, populate_existing=True)
    if session is None:
        raise NotFound(f"No session with id {session_id}.")
    ensure_editable(session.state, "a risk review")
    screen = suicide_risk_screen(db, session_id)
    if screen.cssrs_risk is None:
        raise TransitionRefused(["There is no C-SSRS screen after a positive PHQ-9 item 9 in "
                                 "this session to review."])
    body = (text or "").strip()
    if not body:
        raise ValidationError.single("text", "Write the review: what was assessed and the "
                                             "decision (e.g. safe to proceed, safety plan).")
    note = Note(session_id=session_id, kind=RISK_REVIEW, text=body, author_id=actor.user_id,
                author_name=printed_name(reviewer.full_name, reviewer.credentials),
                written_at_utc=now, created_at_utc=now)
    db.add(note)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="notes", row_id=note.id,
                 patient_id=session.patient_id,
                 new={"kind": RISK_REVIEW, "cssrs": screen.cssrs_risk, "text": body})
    db.commit()
    return note.id
