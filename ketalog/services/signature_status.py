"""Whether a session's signature may be shown as valid, checked wherever it is shown.

``verify_session`` says whether the record still matches what was signed. That
alone does not make a signature trustworthy: a row inserted by SQL with a
recomputed hash also matches. A signature the app made is always written in the
same transaction as its audit row ("sign" for the physician, "attest" for the
nurse, "addendum" for an addendum), at the same moment, and the "sign" row
carries the signed digest. So a signature or addendum without that row was not
made by the app, and is NOT VALID.

The audit rows are found through the audit time index (the moment each row was
written), so the check stays a handful of indexed reads whatever the size of
the trail; the screens, the board and every document call it before they say
"signed".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, literal, null, select, type_coerce, union_all
from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionState
from ketalog.reports.inputs import NOT_VALID_BANNER as NOT_VALID_BANNER
from ketalog.reports.inputs import SignatureState as SignatureState
from ketalog.reports.inputs import SignatureStatus as SignatureStatus
from ketalog.services.errors import NotFound
from ketalog.services.signing import (
    NURSING_ATTESTATION,
    PHYSICIAN_SIGNATURE,
    SessionVerification,
    attestation_problems,
    verify_session,
)
from ketalog.store.models import Addendum, AuditEntry, Signature, TreatmentSession


@dataclass(frozen=True)
class _Claims:
    """The rows of one session that claim a signature, with their audit evidence."""

    state: SessionState
    patient_id: int
    physician: list[tuple[int, datetime, str]]  # id, signed at, digest
    attestations: list[tuple[int, datetime]]
    addenda: list[tuple[int, datetime, str, str]]  # id, written at, reason, text


def _among(column: Any, ids: list[int]) -> Any:
    """``column IN ids``, or a plain equality for one id.

    The equality skips the expanding IN's per-call rendering (about half a
    millisecond a query on SQLite), which matters on every screen refresh.
    """
    return column == ids[0] if len(ids) == 1 else column.in_(ids)


@dataclass(frozen=True)
class _AuditRow:
    action: str
    table_name: str | None
    row_id: int | None
    patient_id: int | None
    new_value: str | None


def _evidence(db: Session, session_ids: list[int]) -> tuple[dict[int, _Claims], list[_AuditRow]]:
    """The sessions, their signatures and addenda, and the audit rows written with them.

    One round trip (a UNION ALL of four selects), because this runs on every
    refresh of every screen that shows a signature. The audit rows are those
    written at the very moment of a signature or addendum, found through the
    audit time index whatever the size of the trail.
    """
    signatures = select(Signature.signed_at_utc).where(_among(Signature.session_id, session_ids))
    addenda = select(Addendum.written_at_utc).where(_among(Addendum.session_id, session_ids))
    moments = union_all(signatures, addenda)
    # each branch: (source, session/patient id, row id, kind/action, at, text, text); the
    # fourth column holds kinds and actions too, so the state comes as plain text
    parts: list[Any] = [
        select(literal("session"), TreatmentSession.id, TreatmentSession.patient_id,
               type_coerce(TreatmentSession.state, String), null(), null(), null())
        .where(_among(TreatmentSession.id, session_ids)),
        select(literal("signature"), Signature.session_id, Signature.id, Signature.kind,
               Signature.signed_at_utc, Signature.content_sha256, null())
        .where(_among(Signature.session_id, session_ids)),
        select(literal("addendum"), Addendum.session_id, Addendum.id, null(),
               Addendum.written_at_utc, Addendum.reason, Addendum.text)
        .where(_among(Addendum.session_id, session_ids)),
        select(literal("audit"), AuditEntry.patient_id, AuditEntry.row_id, AuditEntry.action,
               AuditEntry.occurred_at_utc, AuditEntry.table_name, AuditEntry.new_value)
        .where(AuditEntry.occurred_at_utc.in_(moments),
               AuditEntry.action.in_(("sign", "attest", "addendum"))),
    ]
    rows = db.connection().execute(union_all(*parts)).all()  # Core rows: no ORM processing
    found: dict[int, _Claims] = {}
    audit: list[_AuditRow] = []
    for source, owner, other, kind, _at, table_name, new_value in rows:
        if source == "session":  # owner: session id, other: patient id, kind: state
            found[owner] = _Claims(SessionState(kind), other, [], [], [])
        elif source == "audit":  # owner: patient id, other: row id, kind: action
            audit.append(_AuditRow(kind, table_name, other, owner, new_value))
    for source, sid, row_id, kind, at, first, body in sorted(
            (r for r in rows if r[0] in ("signature", "addendum")), key=lambda r: (r[4], r[2])):
        if source == "addendum":
            found[sid].addenda.append((row_id, at, first, body))
        elif kind == PHYSICIAN_SIGNATURE:
            found[sid].physician.append((row_id, at, first))
        elif kind == NURSING_ATTESTATION:
            found[sid].attestations.append((row_id, at))
    return found, audit


def _missing_audit(claims: _Claims, session_id: int, audit: list[_AuditRow]) -> list[str]:
    """Each signature or addendum of the session that has no audit row written with it."""
    sign_rows = [a for a in audit if a.action == "sign" and a.table_name == "treatment_sessions"
                 and a.row_id == session_id]
    attest_ids = {a.row_id for a in audit if a.action == "attest"
                  and a.table_name == "signatures"}
    addendum_rows = {a.row_id: a for a in audit if a.action == "addendum"
                     and a.table_name == "addenda"}
    problems: list[str] = []
    for sig_id, _at, digest in claims.physician:
        if not any(digest in (a.new_value or "") for a in sign_rows):
            problems.append(f"the physician signature (id {sig_id}) has no audit trail entry "
                            "of its signing")
    for sig_id, _at in claims.attestations:
        if sig_id not in attest_ids:
            problems.append(f"the nursing attestation (id {sig_id}) has no audit trail entry")
    for number, (add_id, _at, reason, text) in enumerate(claims.addenda, start=1):
        row = addendum_rows.get(add_id)
        if row is None:
            problems.append(f"addendum {number} has no audit trail entry")
            continue
        try:
            logged = json.loads(row.new_value or "")
        except ValueError:
            logged = None
        if logged != {"reason": reason, "text": text}:
            problems.append(f"addendum {number} differs from its audit trail entry")
    return problems


def _status(session_id: int, claims: _Claims, check: SessionVerification,
            audit: list[_AuditRow]) -> SignatureStatus:
    problems = _missing_audit(claims, session_id, audit)
    if not check.signed:
        problems = [*check.invalid_reasons, *problems]
        if claims.state == SessionState.SIGNED:
            problems.insert(0, "the session is marked signed but has no physician signature")
        if not problems:
            return SignatureStatus(session_id, SignatureState.NOT_SIGNED, check=check)
        # an unsigned session with a forged attestation: not valid, though not signed
        if claims.state != SessionState.SIGNED:
            return SignatureStatus(session_id, SignatureState.NOT_SIGNED, problems=tuple(problems),
                                   check=check)
    changes = check.changes
    problems = [*check.invalid_reasons, *problems]  # the key check first: it is the proof
    if changes:
        reason = ("the record was changed after signing" if check.signed_sha256
                  and check.current_sha256 != check.signed_sha256 else changes[0])
    elif problems:
        reason = problems[0]
    else:
        return SignatureStatus(session_id, SignatureState.VALID, "", check.signer_name,
                               check.signed_at_utc, check=check)
    return SignatureStatus(session_id, SignatureState.NOT_VALID, reason, check.signer_name,
                           check.signed_at_utc, tuple(changes), tuple(problems), check)


def signature_statuses(db: Session, session_ids: Iterable[int]) -> dict[int, SignatureStatus]:
    """The signature status of each session; the audit evidence is read in one pass."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    statuses = {}
    for start in range(0, len(ids), 200):  # stay below any bound-parameter limit
        statuses.update(_statuses(db, ids[start:start + 200]))
    return statuses


def _statuses(db: Session, ids: list[int]) -> dict[int, SignatureStatus]:
    claims, audit = _evidence(db, ids)
    by_patient: dict[int, list[_AuditRow]] = {}
    for row in audit:
        by_patient.setdefault(row.patient_id or 0, []).append(row)
    statuses = {}
    for sid, claim in claims.items():
        if not claim.physician and claim.state != SessionState.SIGNED:
            # nothing to hash; an attestation is still checked with its nurse's key
            check = SessionVerification(sid, signed=False, intact=True, invalid_reasons=tuple(
                attestation_problems(db, sid) if claim.attestations else ()))
        else:
            check = verify_session(db, sid)
        statuses[sid] = _status(sid, claim, check, by_patient.get(claim.patient_id, []))
    return statuses


def signature_status(db: Session, session_id: int) -> SignatureStatus:
    """The signature status of one session (see ``signature_statuses``)."""
    status = signature_statuses(db, [session_id]).get(session_id)
    if status is None:
        raise NotFound(f"No session with id {session_id}.")
    return status
