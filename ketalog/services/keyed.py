"""What a clinician's key signs besides the physician's signature, and how it is checked.

Schema 0014 binds every clinician act of a session to the person's own key
(:mod:`ketalog.services.keys`), as 0009 did for the physician's signature: the
nursing attestation, addenda, the second nurse's dose check, the physician's
dose-maximum override, the pre-dose blood pressure acknowledgment and alert
acknowledgments. Each such row stores the key id and an Ed25519 signature over
a *manifest*: the row's own facts (who, when, what was verified, overridden or
acknowledged) as canonical JSON. A row inserted or rewritten by SQL cannot carry
a signature that holds without the person's password.

A key only counts when its creation is in the audit trail ("key_created",
written by :func:`ketalog.services.keys.issue_key`): a key row planted by SQL,
however well it signs, verifies nothing. The trail is read through a partial
index on those rows (0014), one query for all the keys of a session.

This module holds the canonical encoding too (``canonical_json``), so both the
services that write keyed rows and :mod:`ketalog.services.signing` that verifies
them use one definition without importing each other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from ketalog.services.keys import fingerprint, sign_text, signature_holds
from ketalog.store.models import (
    AuditEntry,
    LegacyKeylessRow,
    LegacySignature,
    TreatmentSession,
    UserKey,
)


def plain_value(value: object) -> object:
    """One encoding per value type, whatever the database returned."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    return value


def canonical_json(record: Mapping[str, Any]) -> str:
    """The exact text that is hashed or signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    """Hex SHA-256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- manifests ------------------------------------------------------------------------

#: The nursing attestation: a signature row, its manifest the same as the physician's.
ATTESTATION = "nursing_attestation"
ADDENDUM = "addendum"
DOSE_CHECK = "dose_verification"
DOSE_OVERRIDE = "dose_override"
PREDOSE_BP_ACK = "predose_bp_acknowledgment"
ALERT_ACK = "alert_acknowledgment"
STANDING_ORDER = "standing_order"
VERBAL_COSIGN = "verbal_order_cosignature"
STOCK_WITNESS = "stock_witness"
# schema 0019: counts, resolutions, inventories, destruction witnesses and losses
STOCK_COUNT = "stock_count"
STOCK_SECOND_COUNT = "stock_second_count"
STOCK_RESOLUTION = "stock_discrepancy_resolution"
STOCK_INVENTORY = "stock_inventory"
STOCK_DESTRUCTION_WITNESS = "stock_destruction_witness"
STOCK_LOSS = "stock_loss"

#: For each kind of keyed row: the facts its manifest holds (names as in the row), and
#: the columns that hold the key id and the signature. Only facts written with the row
#: and never changed after are listed, so the manifest reads the same years later.
MANIFEST_FIELDS: dict[str, tuple[str, ...]] = {
    ATTESTATION: ("session_id", "meaning", "signer_id", "signer_name", "signed_at_utc",
                  "content_sha256"),
    ADDENDUM: ("session_id", "author_id", "author_name", "written_at_utc", "reason", "text"),
    DOSE_CHECK: ("session_id", "dose_order_id", "dose_order_sha256", "verifier_id",
                 "verifier_name", "verified_at_utc"),
    DOSE_OVERRIDE: ("session_id", "ordered_at_utc", "drug", "route", "dose_mg_per_kg",
                    "rate_mg_per_kg_per_h", "device_count", "total_mg", "limit_level",
                    "override_reason", "override_by_id"),
    PREDOSE_BP_ACK: ("id", "predose_bp_ack_by_id", "predose_bp_ack_at_utc"),
    ALERT_ACK: ("session_id", "source_table", "source_id", "code", "acknowledged_by_id",
                "acknowledged_at_utc", "comment"),
    # schema 0016: the physician's standing order, and the co-signature of a verbal order
    STANDING_ORDER: ("course_id", "kind", "protocol_code", "dosing_mode",
                     "dose_mg_per_kg", "rate_mg_per_kg_per_h", "device_count", "duration_min",
                     "weight_basis", "titration_ceiling", "physician_id", "physician_name",
                     "ordered_at_utc", "supersedes_id"),
    VERBAL_COSIGN: ("id", "course_id", "session_id", "kind", "protocol_code", "dosing_mode",
                    "dose_mg_per_kg", "rate_mg_per_kg_per_h", "device_count", "duration_min",
                    "weight_basis", "physician_id", "physician_name", "ordered_at_utc",
                    "received_by_id", "received_by_name", "read_back", "cosigned_at_utc"),
    # schema 0018: the witness of a controlled-substance waste signs what they saw
    STOCK_WITNESS: ("container_id", "location_id", "kind", "volume_ml", "session_id",
                    "draw_id", "waste_manner", "recorded_by_id", "witness_id", "witness_name",
                    "recorded_at_utc"),
    # schema 0019: both counters sign the count's facts and its lines (by their hash); the
    # resolver the explanation and what it wrote off; the inventory taker the inventory and
    # its lines; each destruction witness the destroyed entry's facts; the recorder of a
    # loss its facts and the LOST entries it wrote ("lost": container:mL, by container)
    STOCK_COUNT: ("location_id", "occasion", "counted_at_utc", "counted_by_id",
                  "counted_by_name", "second_counter_id", "second_counter_name", "note",
                  "lines_sha256"),
    STOCK_SECOND_COUNT: ("location_id", "occasion", "counted_at_utc", "counted_by_id",
                         "counted_by_name", "second_counter_id", "second_counter_name",
                         "note", "lines_sha256"),
    STOCK_RESOLUTION: ("discrepancy_id", "explanation", "resolved_by_id", "resolved_by_name",
                       "resolved_at_utc", "lost_entry_id", "loss_id"),
    STOCK_INVENTORY: ("location_id", "kind", "taken_on", "business_time", "taken_by_id",
                      "taken_by_name", "lines_sha256", "recorded_at_utc"),
    STOCK_DESTRUCTION_WITNESS: ("entry_id", "container_id", "location_id", "kind", "volume_ml",
                                "waste_manner", "recorded_by_id", "recorded_at_utc",
                                "position", "witness_id", "witness_name", "signed_at_utc"),
    STOCK_LOSS: ("location_id", "discovered_on", "kind", "circumstances", "police_notified",
                 "police_reference", "reported_to_dea_on", "recorded_by_id",
                 "recorded_by_name", "recorded_at_utc", "lost"),
}
#: (key id column, signature column) of each kind's row.
KEY_COLUMNS: dict[str, tuple[str, str]] = {
    ATTESTATION: ("key_id", "signature"),
    ADDENDUM: ("key_id", "signature"),
    DOSE_CHECK: ("key_id", "signature"),
    DOSE_OVERRIDE: ("override_key_id", "override_signature"),
    PREDOSE_BP_ACK: ("predose_bp_ack_key_id", "predose_bp_ack_signature"),
    ALERT_ACK: ("key_id", "signature"),
    STANDING_ORDER: ("key_id", "signature"),
    VERBAL_COSIGN: ("key_id", "signature"),
    STOCK_WITNESS: ("witness_key_id", "witness_signature"),
    STOCK_COUNT: ("key_id", "signature"),
    STOCK_SECOND_COUNT: ("second_counter_key_id", "second_counter_signature"),
    STOCK_RESOLUTION: ("key_id", "signature"),
    STOCK_INVENTORY: ("key_id", "signature"),
    STOCK_DESTRUCTION_WITNESS: ("key_id", "signature"),
    STOCK_LOSS: ("key_id", "signature"),
}
#: Columns of 0009 and 0014 that hold keys and signatures (and the addendum's printed name):
#: never part of the canonical session record, so records signed before keep their content.
KEYED_COLUMNS = frozenset({"key_id", "signature", "override_key_id", "override_signature",
                           "predose_bp_ack_key_id", "predose_bp_ack_signature"})
#: Clinical columns added to signed tables after rows were signed (schema 0015 on). A row
#: written before such a column existed holds NULL there; the canonical forms (the session
#: record, the dose order hash, keyed manifests) leave the column out while it is NULL, so
#: what was signed before reads the same, and include it, signed, once it holds a value.
ADDED_LATER_COLUMNS: frozenset[str] = frozenset({
    "verifier_total_mg", "verifier_rate_ml_per_h",  # 0015: the blind double check's figures
    "physician_order_id",  # dose_orders (0016): the physician's order the dose followed
    "voided_by_id", "replaces_id",  # 0017: who marked an entry entered in error; a correction
})
#: Like ADDED_LATER_COLUMNS, for columns added later to some tables only: their names are
#: old columns of other tables (readings had ``voided_at_utc`` from 0001, NULL included in
#: what was signed), so they are left out while NULL only in the tables named here.
ADDED_LATER_IN_TABLE: dict[str, frozenset[str]] = {
    "event_flags": frozenset({"voided_at_utc", "void_reason"}),  # 0017
}
#: Manifest facts of each keyed kind that came with a later schema: signed when present.
LATER_MANIFEST_FIELDS: dict[str, tuple[str, ...]] = {
    DOSE_CHECK: ("verifier_total_mg", "verifier_rate_ml_per_h"),
}


def without_unset_later(row: Mapping[str, object], table: str | None = None
                        ) -> dict[str, object]:
    """``row`` (of ``table``) without the later-added columns it holds no value in.

    See ADDED_LATER_COLUMNS and ADDED_LATER_IN_TABLE.
    """
    later = ADDED_LATER_COLUMNS | ADDED_LATER_IN_TABLE.get(table or "", frozenset())
    return {key: value for key, value in row.items()
            if not (value is None and key in later)}


def row_manifest(kind: str, row: Mapping[str, object], key_id: int) -> str:
    """The exact text a key signs for one keyed row: its kind, its facts, the key."""
    facts = {name: plain_value(row.get(name)) for name in MANIFEST_FIELDS[kind]}
    facts.update({name: plain_value(row[name]) for name in LATER_MANIFEST_FIELDS.get(kind, ())
                  if row.get(name) is not None})
    return canonical_json({"kind": kind, **facts, "key_id": key_id})


def dose_order_sha256(order_row: Mapping[str, object]) -> str:
    """The hash of exactly the numbers a dose check verified (the order's fixed facts)."""
    skip = {"id", "version", "updated_at_utc", "superseded_at_utc", "audit_id", "audit_sha256",
            *KEYED_COLUMNS}
    return sha256_text(canonical_json({k: plain_value(v)
                                       for k, v in without_unset_later(order_row).items()
                                       if k not in skip}))


@dataclass(frozen=True, eq=False)
class UnlockedKey:
    """A person's key, unlocked by their password in this process; never stored or logged."""

    key_id: int
    user_id: int
    private: Ed25519PrivateKey

    def __repr__(self) -> str:
        return f"UnlockedKey(key_id={self.key_id}, user_id={self.user_id})"

    def sign_row(self, kind: str, row: Mapping[str, object]) -> str:
        """The key's Ed25519 signature (hex) over the row's manifest."""
        return sign_text(self.private, row_manifest(kind, row, self.key_id))


def sign_predose_ack(session: TreatmentSession, key: UnlockedKey, now: datetime) -> None:
    """Record the pre-dose BP acknowledgment on the session, signed by the physician's key."""
    session.predose_bp_ack_by_id = key.user_id
    session.predose_bp_ack_at_utc = now
    session.predose_bp_ack_key_id = key.key_id
    session.predose_bp_ack_signature = key.sign_row(PREDOSE_BP_ACK, {
        "id": session.id, "predose_bp_ack_by_id": key.user_id, "predose_bp_ack_at_utc": now})


# --- verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFacts:
    """A key as verification needs it, with the fingerprint its creation's audit row holds."""

    key_id: int
    user_id: int
    public_key: str
    created_at_utc: datetime
    retired_at_utc: datetime | None
    issued_after_admin_reset: bool
    #: the audit row "key_created" of this key (its new value), None if there is none
    created_entry: str | None

    def problems(self, signer_id: int | None, at: datetime | None) -> list[str]:
        """Why this key cannot have made a signature by ``signer_id`` at ``at`` (empty: it can)."""
        if self.created_entry is None:
            return [f"the signing key {self.key_id} has no audit trail entry of its creation"]
        if fingerprint(self.public_key) not in self.created_entry:
            return [f"the signing key {self.key_id} differs from the audit trail entry of "
                    "its creation"]
        reasons = []
        if self.user_id != signer_id:
            reasons.append("the signing key belongs to another person than the signer")
        if at is None or at < self.created_at_utc or (
                self.retired_at_utc is not None and at >= self.retired_at_utc):
            reasons.append("the signing key was not in use at the time of the signature")
        return reasons


def load_keys(db: Session, key_ids: Iterable[int | None]) -> dict[int, KeyFacts]:
    """The keys named, each with its creation's audit row: one query, by the partial index."""
    ids = sorted({k for k in key_ids if k is not None})
    if not ids:
        return {}
    created = (select(AuditEntry.new_value)
               .where(AuditEntry.action == "key_created", AuditEntry.table_name == "user_keys",
                      AuditEntry.row_id == UserKey.id)
               .order_by(AuditEntry.id).limit(1).scalar_subquery())
    where = UserKey.id == ids[0] if len(ids) == 1 else UserKey.id.in_(ids)
    rows = db.connection().execute(  # Core rows: no ORM processing
        select(UserKey.id, UserKey.user_id, UserKey.public_key, UserKey.created_at_utc,
               UserKey.retired_at_utc, UserKey.issued_after_admin_reset, created)
        .where(where)).all()
    return {row[0]: KeyFacts(*row) for row in rows}


def legacy_rows(db: Session, wanted: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which of the keyless rows named (table, id) were listed by a migration as made before.

    0009 listed the signatures it found (``legacy_signatures``, read as table
    "signatures"); 0014 listed every other keyless row it found.
    """
    wanted = set(wanted)
    if not wanted:
        return set()
    found: set[tuple[str, int]] = set()
    sig_ids = sorted(i for t, i in wanted if t == "signatures")
    if sig_ids:
        found |= {("signatures", i) for i in db.scalars(
            select(LegacySignature.signature_id).where(
                LegacySignature.signature_id.in_(sig_ids)))}
    others = sorted(wanted - found)  # attestations made between 0009 and 0014 are listed here
    if others:
        found |= {(t, i) for t, i in db.execute(
            select(LegacyKeylessRow.table_name, LegacyKeylessRow.row_id).where(
                tuple_(LegacyKeylessRow.table_name, LegacyKeylessRow.row_id).in_(others))).all()}
    return found


@dataclass(frozen=True)
class KeyedRow:
    """One keyed row of a session, ready to verify, and how a reason names it."""

    kind: str
    table: str
    row_id: int
    #: the row's plain values (manifest facts and the key columns)
    row: Mapping[str, object]
    #: who the row says made it, their name as shown, and when
    person_id: int | None
    person_name: str
    at: datetime | None
    #: how a reason names it: "the dose check by Sam Okafor, RN at 2026-11-21 09:05 UTC"
    label: str

    @property
    def key_id(self) -> int | None:
        """The key the row names (None: made without a key)."""
        value = self.row.get(KEY_COLUMNS[self.kind][0])
        return value if isinstance(value, int) else None

    @property
    def signature(self) -> str | None:
        """The row's Ed25519 signature (hex), if any."""
        value = self.row.get(KEY_COLUMNS[self.kind][1])
        return value if isinstance(value, str) else None


#: Signatures already found to hold: (public key, signature, manifest). A signature that
#: held over exactly this text with exactly this key always will, so a screen refreshing
#: every few seconds pays for each Ed25519 check once per process.
_HELD: set[tuple[str, str, str]] = set()
_HELD_LIMIT = 50_000


def holds(public_key: str, signature: str, text: str) -> bool:
    """Whether the key's signature over ``text`` holds (remembered once it does)."""
    if (public_key, signature, text) in _HELD:
        return True
    if not signature_holds(public_key, signature, text):
        return False
    if len(_HELD) >= _HELD_LIMIT:
        _HELD.clear()
    _HELD.add((public_key, signature, text))
    return True


def keyed_row_problems(db: Session, rows: list[KeyedRow],
                       keys: dict[int, KeyFacts] | None = None) -> list[str]:
    """Why each row is not its maker's own keyed act (a sentence naming the row); empty if all are.

    A row without a key is accepted only when a migration listed it as made
    before its kind was keyed.
    """
    keyless = [r for r in rows if r.key_id is None or r.signature is None]
    legacy = legacy_rows(db, ((r.table, r.row_id) for r in keyless))
    if keys is None:
        keys = load_keys(db, (r.key_id for r in rows))
    problems: list[str] = []
    for r in rows:
        own = f"{r.person_name}'s key" if r.person_name else "the maker's key"
        if r.key_id is None or r.signature is None:
            if (r.table, r.row_id) not in legacy:
                problems.append(f"{r.label} was not made with {own} (it was written without "
                                "their password)")
            continue
        key = keys.get(r.key_id)
        if key is None:
            problems.append(f"{r.label}: the signing key {r.key_id} does not exist")
            continue
        reasons = key.problems(r.person_id, r.at)
        if key.created_entry is not None and key.user_id != r.person_id:
            problems.append(f"{r.label} was not made with {own} (the key is another "
                            "person's)")
            reasons = [x for x in reasons if "another person" not in x]
        elif not reasons and not holds(key.public_key, r.signature,
                                       row_manifest(r.kind, r.row, r.key_id)):
            problems.append(f"{r.label} was not made with {own} (the cryptographic "
                            "signature does not match the row)")
        problems += [f"{r.label}: {reason}" for reason in reasons]
    return problems


def when_text(at: object) -> str:
    """A row's time in a reason, to the minute, in UTC (reasons are read out of context)."""
    if isinstance(at, datetime):
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "an unknown time"


def as_datetime(value: object) -> datetime | None:
    """A plain ISO time (as rows carry them) back to an aware datetime."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
