"""Completing, signing and verifying a session, and addenda after signing.

A signature covers a canonical serialisation of the session's own rows: the
session header, every dose order and its verification, infusion events, every
vital sign, scores, event flags, interventions, adverse events, notes and the
nursing attestation. Values are encoded one way on every database (UTC ISO
times with microseconds, decimals without trailing zeros), keys are sorted,
and rows are ordered by id, so the same record always gives the same bytes.

The serialisation is kept with the signature, so ``ketalog verify`` can say
exactly what changed, not only that something did. Patient demographics are
the patient's own record (with its own audit trail) and are not part of it.

Keyed signatures (schema 0009): the physician's signature is an Ed25519
signature, by the signer's own key (:mod:`ketalog.services.keys`, unlocked only
by their password), over a manifest naming the session, kind, meaning, signer,
time, key and the hash of the canonical content. A hash stored beside the data
can be recomputed by anyone who can write the database; this signature cannot.
Signatures made before 0009 have no key: they still count as valid when they
are on the list the migration wrote (``legacy_signatures``) with the same hash,
and verification marks them "signed before keyed signatures (not
cryptographically bound)"; any other keyless signature is not valid.

Every other clinician act of the session is keyed too since schema 0014
(:mod:`ketalog.services.keyed`): the nursing attestation (signed like the
physician's signature, with the nurse's password), addenda, dose checks,
overrides and acknowledgments. ``verify_session`` checks each of them, and a
key whose creation is not in the audit trail verifies nothing. The key columns
are outside the canonical record, so sessions signed before keep their content.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from ketalog.domain.controlled_substances import format_ml
from ketalog.domain.errors import Problem, TransitionRefused, ValidationError
from ketalog.domain.session_state import SessionAction, SessionFacts, SessionState, next_state
from ketalog.domain.values import printed_name
from ketalog.reports.inputs import ADMIN_RESET_NOTE as ADMIN_RESET_NOTE
from ketalog.reports.inputs import LEGACY_NOTE as LEGACY_NOTE
from ketalog.reports.inputs import SessionVerification as SessionVerification
from ketalog.services.access import Permission, authorize
from ketalog.services.audit import append_audit
from ketalog.services.authentication import confirm_password, unlock_own_key
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.keyed import (
    ADDENDUM,
    ALERT_ACK,
    ATTESTATION,
    DOSE_CHECK,
    DOSE_OVERRIDE,
    KEYED_COLUMNS,
    PREDOSE_BP_ACK,
    KeyedRow,
    KeyFacts,
    as_datetime,
    canonical_json,
    dose_order_sha256,
    holds,
    keyed_row_problems,
    load_keys,
    plain_value,
    sha256_text,
    when_text,
    without_unset_later,
)
from ketalog.services.keys import sign_text, signing_key
from ketalog.services.session.common import load_session
from ketalog.services.stock import unreconciled_ml_for_session
from ketalog.store.models import (
    Addendum,
    AdverseEvent,
    AlertAcknowledgment,
    DoseOrder,
    DoseVerification,
    EventFlag,
    InfusionEvent,
    Intervention,
    LegacySignature,
    Note,
    Patient,
    ScaleAlert,
    ScaleScore,
    Signature,
    TreatmentSession,
    User,
    VitalSign,
)

NURSING_ATTESTATION = ATTESTATION
PHYSICIAN_SIGNATURE = "physician_signature"
NURSING_MEANING = "Nursing record complete"
PHYSICIAN_MEANING = "Reviewed and approved"

#: Columns that change without changing the clinical record (the audit reference, 0013,
#: is set once after the row is written and was not there when older sessions were signed).
_VOLATILE = frozenset({"version", "updated_at_utc", "state", "audit_id", "audit_sha256"})
#: Keys and signatures of the session's rows (0009, 0014) are checked on their own, and left
#: out of the record so a session signed before them keeps the content it was signed with.
_RECORD_SKIP = _VOLATILE | KEYED_COLUMNS
_ATTESTATION_SKIP = _RECORD_SKIP | {"content_json"}
_CHILD_TABLES: tuple[tuple[str, Table], ...] = tuple(
    (model.__tablename__, model.__table__)  # type: ignore[misc]
    for model in (DoseOrder, InfusionEvent, VitalSign, ScaleScore, EventFlag, Intervention,
                  AdverseEvent, Note)
)
#: Alert rows (schema 0006), in the record only when a session has any.
_ALERT_TABLES = tuple((model.__tablename__, model.__table__)
                      for model in (ScaleAlert, AlertAcknowledgment))
#: How each part of the record is named when a change is reported.
SECTION_LABELS = {
    "session": "Session", "dose_orders": "Dose order", "dose_verifications": "Dose check",
    "infusion_events": "Infusion event", "vital_signs": "Vital signs",
    "scale_scores": "Score", "event_flags": "Event", "interventions": "Intervention",
    "adverse_events": "Adverse event", "notes": "Note", "attestations": "Nursing attestation",
    "scale_alerts": "Score alert", "alert_acknowledgments": "Alert acknowledgment",
}


_plain = plain_value


def _row(mapping: Any, skip: frozenset[str] = _VOLATILE,
         table: str | None = None) -> dict[str, object]:
    return {key: _plain(val) for key, val in without_unset_later(mapping, table).items()
            if key not in skip}


def _without(row: Mapping[str, object], skip: frozenset[str]) -> dict[str, object]:
    return {key: val for key, val in row.items() if key not in skip}


def session_record(db: Session, session_id: int) -> dict[str, Any]:
    """The session's own rows, as plain values, in a fixed order."""
    return _canonical(_session_rows(db, session_id))


def _canonical(rows: dict[str, Any]) -> dict[str, Any]:
    """The signed record from the full rows: without keys, signatures and physician rows."""
    record: dict[str, Any] = {}
    for name, value in rows.items():
        if name == "session":
            record[name] = _without(value, _RECORD_SKIP)
        elif name == "signatures":
            record["attestations"] = [_without(r, _ATTESTATION_SKIP) for r in value
                                      if r["kind"] == NURSING_ATTESTATION]
        else:
            record[name] = [_without(r, _RECORD_SKIP) for r in value]
    return record


def _session_rows(db: Session, session_id: int) -> dict[str, Any]:
    """The session's rows with their key columns, as plain values, in a fixed order.

    ``signatures`` holds every signature of the session (attestations and the
    physician's); :func:`_canonical` makes the signed record of it.
    """
    if db.new or db.dirty or db.deleted:
        db.flush()  # the rows are read below the ORM, which would not flush them itself
    conn = db.connection()  # Core rows: no ORM processing (this runs on every screen refresh)
    sessions = TreatmentSession.__table__
    header = conn.execute(select(sessions).where(sessions.c.id == session_id)).mappings().first()
    if header is None:
        raise NotFound(f"No session with id {session_id}.")
    record: dict[str, Any] = {"session": _row(header)}
    for name, table in _CHILD_TABLES:
        rows = conn.execute(select(table).where(table.c.session_id == session_id)
                          .order_by(table.c.id)).mappings()
        record[name] = [_row(r, table=name) for r in rows]
    checks = DoseVerification.__table__
    orders = DoseOrder.__table__
    record["dose_verifications"] = [_row(r) for r in conn.execute(
        select(checks).join(orders, orders.c.id == checks.c.dose_order_id)
        .where(orders.c.session_id == session_id).order_by(checks.c.id)).mappings()]
    # schema 0006: present only when the session has rows, so a session signed
    # before alerts were stored keeps the content it was signed with
    for name, alert_table in _ALERT_TABLES:
        alert_rows = [_row(r) for r in conn.execute(
            select(alert_table).where(alert_table.c.session_id == session_id)
            .order_by(alert_table.c.id)).mappings()]
        if alert_rows:
            record[name] = alert_rows
    sigs = Signature.__table__
    record["signatures"] = [_row(r) for r in conn.execute(
        select(sigs).where(sigs.c.session_id == session_id).order_by(sigs.c.id)).mappings()]
    return record


def session_content_sha256(db: Session, session_id: int) -> str:
    """SHA-256 over the canonical form of the session as stored now."""
    return sha256_text(canonical_json(session_record(db, session_id)))


_MANIFEST_FIELDS = ("session_id", "kind", "meaning", "signer_id", "signer_name",
                    "signed_at_utc", "content_sha256", "key_id")


def signature_manifest(sig: Signature | Mapping[str, object]) -> str:
    """The exact text the signer's key signs: who, what, when, with which key, over which hash."""
    if isinstance(sig, Signature):
        return canonical_json({name: _plain(getattr(sig, name)) for name in _MANIFEST_FIELDS})
    return canonical_json({name: _plain(sig.get(name)) for name in _MANIFEST_FIELDS})


def _signatures(db: Session, session_id: int, kind: str) -> list[Signature]:
    return list(db.scalars(select(Signature).where(Signature.session_id == session_id,
                                                   Signature.kind == kind)
                           .order_by(Signature.id)
                           .execution_options(populate_existing=True)))


def _finished(session: TreatmentSession, what: str) -> None:
    if session.state == SessionState.SIGNED:
        raise TransitionRefused(["This session is already signed; write an addendum to add "
                                 "to it."])
    if session.state != SessionState.DISCHARGED:
        raise TransitionRefused([
            f"The session is {session.state.replace('_', ' ')}; {what} once the patient is "
            "discharged."
        ])


def complete_nursing_record(
    db: Session, actor: Actor, session_id: int, *, password: str, clock: Clock = system_clock
) -> int:
    """A nurse re-enters the password and attests that the nursing record is complete.

    The physician signs after. Charting stays open until then; a later
    attestation (after a late entry) is added beside the first, never
    replacing it. The attestation is signed with the nurse's own key; the
    password counts towards lock-out like a log-in.
    """
    authorize(db, actor, Permission.COMPLETE_NURSING)
    session = load_session(db, session_id)
    _finished(session, "complete the nursing record")
    open_ml = unreconciled_ml_for_session(db, session_id)
    if open_ml > 0:  # discharge asked too; a reversed entry can reopen a draw after it
        raise TransitionRefused([
            f"{format_ml(open_ml)} drawn for this session is not accounted for (a corrected "
            "entry reopened it); record what the patient received, and waste the rest before "
            "a witness or return it, before completing the nursing record."])
    user, key = unlock_own_key(db, actor, password, purpose="attest",
                         what="complete a nursing record", clock=clock)
    now = clock()
    text = canonical_json(session_record(db, session_id))
    signature = Signature(session_id=session_id, signer_id=user.id, kind=NURSING_ATTESTATION,
                          meaning=NURSING_MEANING, signed_at_utc=now,
                          content_sha256=sha256_text(text),
                          signer_name=printed_name(user.full_name, user.credentials),
                          content_json=text, created_at_utc=now, key_id=key.key_id)
    signature.signature = sign_text(key.private, signature_manifest(signature))
    db.add(signature)
    db.flush()
    append_audit(db, actor, "attest", at=now, table_name="signatures", row_id=signature.id,
                 patient_id=session.patient_id, field="treatment_sessions",
                 new={"session_id": session_id, "meaning": NURSING_MEANING})
    db.commit()
    return signature.id


@dataclass(frozen=True)
class SignatureResult:
    """What the physician signed: when, and the hash of the signed content."""

    signature_id: int
    signed_at_utc: datetime
    content_sha256: str
    signer_name: str


def sign_session(
    db: Session, actor: Actor, session_id: int, *, password: str, clock: Clock = system_clock
) -> SignatureResult:
    """The physician re-enters the password and signs; the session is locked from then on.

    Needs a discharged session whose nursing record a nurse has completed. The
    password counts towards lock-out like a log-in.
    """
    user = authorize(db, actor, Permission.SIGN)
    session = load_session(db, session_id)
    _finished(session, "sign it")
    if not _signatures(db, session_id, NURSING_ATTESTATION):
        raise TransitionRefused(["The nursing record is not complete yet; a nurse completes "
                                 "it before the physician signs."])
    user = confirm_password(db, actor, password, purpose="sign", clock=clock)
    if user.must_change_password:
        db.commit()  # the successful password check clears the failure count
        raise TransitionRefused(["An administrator reset your password: sign in again and "
                                 "choose a new password before you sign."])
    now = clock()
    key, private = signing_key(db, actor, user, password, now=now)
    old = session.state
    new = next_state(old, SessionAction.SIGN, SessionFacts())
    text = canonical_json(session_record(db, session_id))
    digest = sha256_text(text)
    # The state first: once the signature row exists the database refuses any change.
    session.state = new
    session.updated_at_utc = now
    db.flush()
    signature = Signature(session_id=session_id, signer_id=user.id, kind=PHYSICIAN_SIGNATURE,
                          meaning=PHYSICIAN_MEANING, signed_at_utc=now, content_sha256=digest,
                          signer_name=printed_name(user.full_name, user.credentials),
                          content_json=text, created_at_utc=now, key_id=key.id)
    signature.signature = sign_text(private, signature_manifest(signature))
    db.add(signature)
    db.flush()
    append_audit(db, actor, "sign", at=now, table_name="treatment_sessions", row_id=session_id,
                 patient_id=session.patient_id, field="state", old=old,
                 new=f"{new.value} (SHA-256 {digest})")
    db.commit()
    return SignatureResult(signature.id, now, digest, signature.signer_name)


# --- verification ------------------------------------------------------------------


def _shown(value: object) -> str:
    return "(empty)" if value is None or value == "" else json.dumps(value, ensure_ascii=False)


def describe_changes(signed: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Every difference between two session records, one sentence each."""
    lines: list[str] = []
    for section in sorted(set(signed) | set(current)):
        label = SECTION_LABELS.get(section, section)
        before, after = signed.get(section), current.get(section)
        if isinstance(before, dict) or isinstance(after, dict):
            before, after = before or {}, after or {}
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    lines.append(f"{label}: {key} was {_shown(before.get(key))}, "
                                 f"now {_shown(after.get(key))}")
            continue
        old_rows = {row.get("id"): row for row in before or []}
        new_rows = {row.get("id"): row for row in after or []}
        for row_id in sorted(set(old_rows) | set(new_rows), key=lambda v: (v is None, v)):
            old, new = old_rows.get(row_id), new_rows.get(row_id)
            if old is None:
                lines.append(f"{label} {row_id}: added after signing")
            elif new is None:
                lines.append(f"{label} {row_id}: removed after signing")
            else:
                for key in sorted(set(old) | set(new)):
                    if old.get(key) != new.get(key):
                        lines.append(f"{label} {row_id}: {key} was {_shown(old.get(key))}, "
                                     f"now {_shown(new.get(key))}")
    return lines


def _signature_problems(sig: Mapping[str, Any], keys: dict[int, KeyFacts],
                        legacy: set[tuple[str, int]]) -> tuple[list[str], bool, bool]:
    """Why ``sig`` is not the signer's own signature (empty if it is), legacy, key after reset.

    A keyed signature must verify with the public key of its key id, and that
    key must be the signer's, active when the signature was made, and created
    by the app (its audit row). A keyless one counts only if a migration listed
    it (0009 with the same hash; 0014 for attestations made before they were keyed).
    """
    key_id, signature = sig.get("key_id"), sig.get("signature")
    if not isinstance(key_id, int) or not isinstance(signature, str):
        if ("signatures", sig["id"]) in legacy:
            return [], True, False
        return ["the signature is not made with the signer's key (it was written without "
                "the signer's password)"], False, False
    key = keys.get(key_id)
    if key is None:
        return [f"the signing key {key_id} does not exist"], False, False
    reasons = key.problems(sig["signer_id"], as_datetime(sig["signed_at_utc"]))
    if not reasons and not holds(key.public_key, signature, signature_manifest(sig)):
        reasons.append("the cryptographic signature does not match the signed content")
    return reasons, False, key.issued_after_admin_reset


def _keyed_rows(db: Session, session_id: int, rows: dict[str, Any]) -> list[KeyedRow]:
    """Every keyed act of the session besides the physician's signature, oldest kind first."""
    found: list[KeyedRow] = []
    for sig in rows["signatures"]:
        if sig["kind"] == NURSING_ATTESTATION:
            found.append(KeyedRow(
                ATTESTATION, "signatures", sig["id"], sig, sig["signer_id"],
                sig["signer_name"], as_datetime(sig["signed_at_utc"]),
                f"the nursing attestation by {sig['signer_name']} at "
                f"{when_text(as_datetime(sig['signed_at_utc']))}"))
    header = rows["session"]
    orders = {o["id"]: o for o in rows["dose_orders"]}
    # names of the people rows name only by id, read only when such rows exist
    people: set[int] = {o["override_by_id"] for o in rows["dose_orders"]
                        if o.get("override_by_id") is not None}
    if header.get("predose_bp_ack_at_utc") is not None and header.get("predose_bp_ack_by_id"):
        people.add(header["predose_bp_ack_by_id"])
    people |= {a["acknowledged_by_id"] for a in rows.get("alert_acknowledgments", [])}
    table = Addendum.__table__
    addenda: list[dict[str, Any]] = [_row(r) for r in db.connection().execute(  # Core rows
        select(table).where(table.c.session_id == session_id).order_by(table.c.id)).mappings()]
    # addenda from before 0014 have no printed name of their own: the account's
    people |= {a["author_id"] for a in addenda if not a["author_name"]}
    names = {uid: printed_name(full, cred) for uid, full, cred in db.connection().execute(
        select(User.id, User.full_name, User.credentials).where(User.id.in_(sorted(people))))
    } if people else {}
    for check in rows["dose_verifications"]:
        order = orders.get(check["dose_order_id"], {})
        facts = {**check, "session_id": session_id, "dose_order_sha256": dose_order_sha256(order)}
        at = as_datetime(check["verified_at_utc"])
        found.append(KeyedRow(DOSE_CHECK, "dose_verifications", check["id"], facts,
                              check["verifier_id"], check["verifier_name"], at,
                              f"the dose check by {check['verifier_name']} at {when_text(at)}"))
    for order in rows["dose_orders"]:
        if order.get("override_by_id") is None:
            continue
        name = names.get(order["override_by_id"], f"user {order['override_by_id']}")
        at = as_datetime(order["ordered_at_utc"])
        found.append(KeyedRow(DOSE_OVERRIDE, "dose_orders", order["id"], order,
                              order["override_by_id"], name, at,
                              f"the dose-maximum override by {name} at {when_text(at)}"))
    if header.get("predose_bp_ack_at_utc") is not None:
        uid = header.get("predose_bp_ack_by_id")
        name = names.get(uid, f"user {uid}") if isinstance(uid, int) else "nobody"
        at = as_datetime(header["predose_bp_ack_at_utc"])
        found.append(KeyedRow(PREDOSE_BP_ACK, "treatment_sessions", session_id, header, uid,
                              name, at, f"the pre-dose blood pressure acknowledgment by {name} "
                              f"at {when_text(at)}"))
    for ack in rows.get("alert_acknowledgments", []):
        name = names.get(ack["acknowledged_by_id"], f"user {ack['acknowledged_by_id']}")
        at = as_datetime(ack["acknowledged_at_utc"])
        found.append(KeyedRow(ALERT_ACK, "alert_acknowledgments", ack["id"], ack,
                              ack["acknowledged_by_id"], name, at,
                              f"the acknowledgment of the {ack['code']} alert by {name} at "
                              f"{when_text(at)}"))
    for number, add in enumerate(addenda, start=1):
        name = add["author_name"] or names.get(add["author_id"], f"user {add['author_id']}")
        at = as_datetime(add["written_at_utc"])
        found.append(KeyedRow(ADDENDUM, "addenda", add["id"], add, add["author_id"], name, at,
                              f"addendum {number} by {name} at {when_text(at)}"))
    return found


def verify_session(db: Session, session_id: int) -> SessionVerification:
    """Recompute the hash of a signed session and compare it with the signature's.

    Every keyed act of the session (attestations, addenda, dose checks,
    overrides, acknowledgments) is checked with its maker's key as well; one
    that does not hold makes the signature not valid, with a reason naming it.
    """
    state = load_session(db, session_id).state  # also refuses an unknown session
    rows = _session_rows(db, session_id)
    signatures = [r for r in rows["signatures"] if r["kind"] == PHYSICIAN_SIGNATURE]
    if not signatures:
        return SessionVerification(session_id, signed=False, intact=True)
    current = _canonical(rows)
    current_sha = sha256_text(canonical_json(current))
    sig = signatures[-1]
    acts = _keyed_rows(db, session_id, rows)
    keys = load_keys(db, [sig.get("key_id"), *(act.key_id for act in acts)])
    # a keyless signature counts only if 0009 listed it, with the same hash
    legacy = ({("signatures", sig["id"])} if sig.get("key_id") is None
              and _legacy_sha(db, sig["id"]) == sig["content_sha256"] else set())
    reasons, legacy_signed, after_reset = _signature_problems(sig, keys, legacy)
    reasons += keyed_row_problems(db, acts, keys)
    signed_at = as_datetime(sig["signed_at_utc"])
    base = {"session_id": session_id, "signed": True, "signer_name": sig["signer_name"],
            "signed_at_utc": signed_at, "signed_sha256": sig["content_sha256"],
            "current_sha256": current_sha, "invalid_reasons": tuple(reasons),
            "legacy": legacy_signed, "key_issued_after_admin_reset": after_reset}
    # the state is outside the hash (signing itself sets it), so it is checked on its own
    changes: list[str] = ([] if state == SessionState.SIGNED
                          else [f"Session: state was \"signed\", now {_shown(state)}"])
    if current_sha == sig["content_sha256"]:
        if not changes and not reasons:
            return SessionVerification(intact=True, **base)
    elif sig["content_json"] is None or sha256_text(sig["content_json"]) != sig["content_sha256"]:
        changes.append("The signed copy kept with the signature does not match its hash "
                       "either, so the changes cannot be itemised.")
    else:
        changes += describe_changes(json.loads(sig["content_json"]), current) or [
            "The stored record differs from the signed one in its encoding."]
    return SessionVerification(intact=False, changes=tuple(changes), **base)


def attestation_problems(db: Session, session_id: int) -> list[str]:
    """Why each nursing attestation of an unsigned session is not its nurse's own (empty: all are).

    The waiting list shows "completed by" from these rows before any physician
    signs, so a forged one is named there, not only after the signature.
    """
    sigs = Signature.__table__
    rows: list[dict[str, Any]] = [_row(r) for r in db.execute(
        select(sigs).where(sigs.c.session_id == session_id,
                           sigs.c.kind == NURSING_ATTESTATION).order_by(sigs.c.id)).mappings()]
    if not rows:
        return []
    acts = [KeyedRow(ATTESTATION, "signatures", r["id"], r, r["signer_id"], r["signer_name"],
                     as_datetime(r["signed_at_utc"]),
                     f"the nursing attestation by {r['signer_name']} at "
                     f"{when_text(as_datetime(r['signed_at_utc']))}") for r in rows]
    return keyed_row_problems(db, acts)


def _legacy_sha(db: Session, signature_id: int) -> str | None:
    return db.scalar(select(LegacySignature.content_sha256)
                     .where(LegacySignature.signature_id == signature_id))


# --- addenda -------------------------------------------------------------------------


def add_addendum(
    db: Session, actor: Actor, session_id: int, *, reason: str, text: str, password: str,
    clock: Clock = system_clock,
) -> int:
    """Append an addendum (author, UTC time, reason, text) to a signed session.

    The author re-enters the password; the addendum is signed with their key
    over its manifest (session, author, time, reason, text, key).
    """
    authorize(db, actor, Permission.ADDENDUM)
    why = (reason or "").strip()
    body = (text or "").strip()
    problems = []
    if not why:
        problems.append(Problem("reason", "Give the reason for the addendum (e.g. \"late "
                                "entry\", \"correction of BP at 10:05\")."))
    if not body:
        problems.append(Problem("text", "Write the text of the addendum."))
    if problems:
        raise ValidationError(problems)
    session = load_session(db, session_id)
    if session.state != SessionState.SIGNED:
        raise TransitionRefused(["This session is not signed yet; change the record itself "
                                 "(addenda are for signed sessions)."])
    user, key = unlock_own_key(db, actor, password, purpose="addendum", what="write an addendum",
                         clock=clock)
    now = clock()
    facts = {"session_id": session_id, "author_id": user.id,
             "author_name": printed_name(user.full_name, user.credentials),
             "written_at_utc": now, "reason": why, "text": body}
    addendum = Addendum(**facts, created_at_utc=now, key_id=key.key_id,
                        signature=key.sign_row(ADDENDUM, facts))
    db.add(addendum)
    db.flush()
    append_audit(db, actor, "addendum", at=now, table_name="addenda", row_id=addendum.id,
                 patient_id=session.patient_id, new={"reason": why, "text": body})
    db.commit()
    return addendum.id


# --- lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingSession:
    """A finished session a physician has not signed yet."""

    session_id: int
    patient_name: str
    mrn: str
    chair: str
    scheduled_at_utc: datetime
    discharged_at_utc: datetime | None
    nursing_completed_by: str | None
    nursing_completed_at_utc: datetime | None

    @property
    def ready_to_sign(self) -> bool:
        """A nurse has completed the nursing record."""
        return self.nursing_completed_at_utc is not None


def waiting_for_signature(db: Session, *, limit: int = 500) -> list[WaitingSession]:
    """Discharged, unsigned sessions, oldest first; ready-to-sign ones say who completed them."""
    attest = (select(Signature.session_id, Signature.signer_name, Signature.signed_at_utc)
              .where(Signature.kind == NURSING_ATTESTATION).subquery())
    rows = db.execute(
        select(TreatmentSession.id, Patient.family_name, Patient.given_name, Patient.mrn,
               TreatmentSession.chair, TreatmentSession.scheduled_at_utc,
               TreatmentSession.discharged_at_utc, attest.c.signer_name,
               attest.c.signed_at_utc)
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .outerjoin(attest, attest.c.session_id == TreatmentSession.id)
        .where(TreatmentSession.state == SessionState.DISCHARGED)
        .order_by(TreatmentSession.scheduled_at_utc, TreatmentSession.id, attest.c.signed_at_utc)
        .limit(limit)
    ).all()
    found: dict[int, WaitingSession] = {}
    for sid, family, given, mrn, chair, at, left, nurse, attested in rows:
        found[sid] = WaitingSession(sid, f"{family.upper()}, {given}", mrn, chair, at, left,
                                    nurse, attested)  # the latest attestation wins
    return list(found.values())
