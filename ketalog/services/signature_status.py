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
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.session_state import SessionState
from ketalog.services.signing import (
    NURSING_ATTESTATION,
    PHYSICIAN_SIGNATURE,
    SessionVerification,
    verify_session,
)
from ketalog.store.models import Addendum, AuditEntry, Signature, TreatmentSession

NOT_VALID_BANNER = "SIGNATURE NOT VALID"


class SignatureState(StrEnum):
    """What a session's physician signature is worth right now."""

    NOT_SIGNED = "not_signed"
    VALID = "valid"
    NOT_VALID = "not_valid"


@dataclass(frozen=True)
class SignatureStatus:
    """A session's signature as the screens and documents must present it."""

    session_id: int
    state: SignatureState
    #: why it is not valid, in words a physician or inspector reads ("" when valid)
    reason: str = ""
    signer_name: str | None = None
    signed_at_utc: datetime | None = None
    #: every difference between the record and what was signed, one sentence each
    changes: tuple[str, ...] = ()
    #: everything else found wrong (missing audit rows, a signed state without a signature)
    problems: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        """Signed, unchanged, and made by the app (its audit rows exist)."""
        return self.state is SignatureState.VALID

    @property
    def not_valid(self) -> bool:
        """Something claims a signature, and it must not be trusted."""
        return self.state is SignatureState.NOT_VALID

    @property
    def banner(self) -> str:
        """The words printed and shown instead of "signed" when it is not valid."""
        return f"{NOT_VALID_BANNER}: {self.reason}" if self.not_valid else ""

    @property
    def findings(self) -> tuple[str, ...]:
        """Everything wrong, problems first, then each change since signing."""
        return self.problems + self.changes


@dataclass(frozen=True)
class _Claims:
    """The rows of one session that claim a signature, with their audit evidence."""

    state: str
    patient_id: int
    physician: list[tuple[int, datetime, str]]  # id, signed at, digest
    attestations: list[tuple[int, datetime]]
    addenda: list[tuple[int, datetime, str, str]]  # id, written at, reason, text


def _claims(db: Session, session_ids: list[int]) -> dict[int, _Claims]:
    sessions = {sid: (state, patient) for sid, state, patient in db.execute(
        select(TreatmentSession.id, TreatmentSession.state, TreatmentSession.patient_id)
        .where(TreatmentSession.id.in_(session_ids)))}
    found = {sid: _Claims(state, patient, [], [], []) for sid, (state, patient)
             in sessions.items()}
    for sid, sig_id, kind, at, digest in db.execute(
            select(Signature.session_id, Signature.id, Signature.kind, Signature.signed_at_utc,
                   Signature.content_sha256)
            .where(Signature.session_id.in_(session_ids)).order_by(Signature.id)):
        if kind == PHYSICIAN_SIGNATURE:
            found[sid].physician.append((sig_id, at, digest))
        elif kind == NURSING_ATTESTATION:
            found[sid].attestations.append((sig_id, at))
    for sid, add_id, at, reason, text in db.execute(
            select(Addendum.session_id, Addendum.id, Addendum.written_at_utc, Addendum.reason,
                   Addendum.text)
            .where(Addendum.session_id.in_(session_ids))
            .order_by(Addendum.written_at_utc, Addendum.id)):
        found[sid].addenda.append((add_id, at, reason, text))
    return found


def _audit_rows(db: Session, moments: Iterable[datetime]) -> list[AuditEntry]:
    wanted = sorted(set(moments))
    if not wanted:
        return []
    rows: list[AuditEntry] = []
    for start in range(0, len(wanted), 500):  # stay below any bound-parameter limit
        rows += db.scalars(select(AuditEntry).where(
            AuditEntry.occurred_at_utc.in_(wanted[start:start + 500]),
            AuditEntry.action.in_(("sign", "attest", "addendum"))))
    return rows


def _missing_audit(claims: _Claims, session_id: int, audit: list[AuditEntry]) -> list[str]:
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
            audit: list[AuditEntry]) -> SignatureStatus:
    problems = _missing_audit(claims, session_id, audit)
    if not check.signed:
        if claims.state == SessionState.SIGNED.value:
            problems.insert(0, "the session is marked signed but has no physician signature")
        if not problems:
            return SignatureStatus(session_id, SignatureState.NOT_SIGNED)
        # an unsigned session with a forged attestation: not valid, though not signed
        if claims.state != SessionState.SIGNED.value:
            return SignatureStatus(session_id, SignatureState.NOT_SIGNED, problems=tuple(problems))
    changes = check.changes
    if changes:
        reason = ("the record was changed after signing" if check.signed_sha256
                  and check.current_sha256 != check.signed_sha256 else changes[0])
    elif problems:
        reason = problems[0]
    else:
        return SignatureStatus(session_id, SignatureState.VALID, "", check.signer_name,
                               check.signed_at_utc)
    return SignatureStatus(session_id, SignatureState.NOT_VALID, reason, check.signer_name,
                           check.signed_at_utc, tuple(changes), tuple(problems))


def signature_statuses(db: Session, session_ids: Iterable[int]) -> dict[int, SignatureStatus]:
    """The signature status of each session; the audit evidence is read in one pass."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    claims = _claims(db, ids)
    moments = [at for c in claims.values() for at in
               [p[1] for p in c.physician] + [a[1] for a in c.attestations]
               + [d[1] for d in c.addenda]]
    audit = _audit_rows(db, moments)
    by_patient: dict[int, list[AuditEntry]] = {}
    for row in audit:
        by_patient.setdefault(row.patient_id or 0, []).append(row)
    statuses = {}
    for sid, claim in claims.items():
        if not claim.physician and claim.state != SessionState.SIGNED.value:
            check = SessionVerification(sid, signed=False, intact=True)  # nothing to hash
        else:
            check = verify_session(db, sid)
        statuses[sid] = _status(sid, claim, check, by_patient.get(claim.patient_id, []))
    return statuses


def signature_status(db: Session, session_id: int) -> SignatureStatus:
    """The signature status of one session (see ``signature_statuses``)."""
    from ketalog.services.errors import NotFound

    status = signature_statuses(db, [session_id]).get(session_id)
    if status is None:
        raise NotFound(f"No session with id {session_id}.")
    return status
