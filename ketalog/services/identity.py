"""Proof that a second person typed their own password for one action, just now.

A dose check, a dose-maximum override and a physician's acknowledgment are
made by someone other than (or as well as) the user signed in at the chair.
An :class:`~ketalog.services.context.Actor` naming that person is only a
claim: any caller can build one with a real user's name and id. So these
services take an :class:`IdentityProof` instead, which only
:func:`ketalog.services.accounts.prove_identity` mints, after checking the
password with the log-in's failure counting and lock-out.

Why a proof and not the password itself: the password check must commit its
failed-attempt row (and the lock-out) even when the action is refused, while
the action itself is one transaction that writes nothing on refusal; keeping
passwords inside ``accounts`` also keeps them out of every clinical service.

A proof names the account, the purpose it was minted for and when; an HMAC
over those with a secret made fresh in each process means a proof built or
edited by hand, or carried to another process, never verifies. It is good for
:data:`PROOF_LIFETIME`, for its own purpose only, and once.

Since schema 0014 the password check also unlocks the person's signing key,
which the proof carries in this process only (outside its MAC fields, never
stored or printed): the service signs what was verified, overridden or
acknowledged with it, so the stored row holds the person's own signature.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import PermissionDenied
from ketalog.services.keyed import UnlockedKey
from ketalog.services.users import summary_of
from ketalog.store.models import User

#: How long after the password was checked the action must happen.
PROOF_LIFETIME = timedelta(minutes=2)
#: A proof dated this far ahead of the service's clock is refused too.
_CLOCK_SLACK = timedelta(seconds=5)

_SECRET = secrets.token_bytes(32)
#: Nonces of proofs already used, with when they were issued (kept while still fresh).
_spent: dict[str, datetime] = {}
_spent_lock = threading.Lock()


class ProofPurpose(StrEnum):
    """What a second person's password was typed for (also the audit row's action)."""

    VERIFY_DOSE = "verify_dose"
    OVERRIDE_DOSE = "override_dose"
    ACKNOWLEDGE_BP = "acknowledge_bp"
    ACKNOWLEDGE_ALERT = "acknowledge_alert"
    WITNESS_WASTE = "witness_waste"
    WITNESS_DESTRUCTION = "witness_destruction"
    SECOND_COUNTER = "second_counter"


_WORDS = {
    ProofPurpose.VERIFY_DOSE: "verify the dose",
    ProofPurpose.OVERRIDE_DOSE: "override the dose maximum",
    ProofPurpose.ACKNOWLEDGE_BP: "acknowledge the pre-dose blood pressure",
    ProofPurpose.ACKNOWLEDGE_ALERT: "acknowledge the alert",
    ProofPurpose.WITNESS_WASTE: "witness the waste",
    ProofPurpose.WITNESS_DESTRUCTION: "witness the destruction",
    ProofPurpose.SECOND_COUNTER: "count the stock as the second counter",
}


@dataclass(frozen=True)
class IdentityProof:
    """One password check, good for one action of one purpose for two minutes."""

    user_id: int
    purpose: ProofPurpose
    issued_at_utc: datetime
    nonce: str
    mac: str = field(repr=False)
    #: the person's signing key, unlocked by the same password (in-process only)
    key: UnlockedKey | None = field(default=None, repr=False, compare=False)


def _mac(user_id: int, purpose: str, issued_at_utc: datetime, nonce: str) -> str:
    message = f"{user_id}|{purpose}|{issued_at_utc.isoformat()}|{nonce}".encode()
    return hmac.new(_SECRET, message, hashlib.sha256).hexdigest()


def mint_proof(user: User, purpose: ProofPurpose, at: datetime,
               key: UnlockedKey | None = None) -> IdentityProof:
    """Only for :func:`ketalog.services.accounts.prove_identity`, after the password matched."""
    nonce = secrets.token_hex(16)
    return IdentityProof(user.id, purpose, at, nonce, _mac(user.id, purpose, at, nonce), key)


def accept_proof(
    db: Session, proof: object, purpose: ProofPurpose, *, person: str, signed_in: Actor,
    clock: Clock = system_clock,
) -> tuple[User, Actor]:
    """The stored account a proof names, spent for this action; else PermissionDenied.

    ``person`` names who must type their password in the refusal ("the second
    nurse"). The returned Actor is built from the accounts table (name, role,
    id) at the signed-in user's workstation: never from what the caller said.
    Nothing is written: a refused proof leaves the database as it was.
    """
    what = _WORDS[purpose]
    if not isinstance(proof, IdentityProof):
        raise PermissionDenied(
            f"To {what}, {person} must enter their own user name and password here.")
    expected = _mac(proof.user_id, proof.purpose, proof.issued_at_utc, proof.nonce)
    if not hmac.compare_digest(expected, proof.mac):
        raise PermissionDenied(
            f"To {what}, {person} must enter their own user name and password here.")
    if proof.purpose != purpose:
        raise PermissionDenied(
            f"That password was entered to {_WORDS[ProofPurpose(proof.purpose)]}, not to "
            f"{what}; {person} must enter it again.")
    now = clock()
    if now - proof.issued_at_utc > PROOF_LIFETIME or proof.issued_at_utc - now > _CLOCK_SLACK:
        minutes = int(PROOF_LIFETIME.total_seconds() // 60)
        raise PermissionDenied(
            f"The password was entered more than {minutes} minutes ago; {person} must "
            f"enter it again to {what}.")
    with _spent_lock:
        for nonce, issued in list(_spent.items()):  # an expired proof is refused anyway
            if now - issued > PROOF_LIFETIME + _CLOCK_SLACK:
                del _spent[nonce]
        if proof.nonce in _spent:
            raise PermissionDenied(
                f"That password entry was already used; {person} must enter it again to "
                f"{what}.")
        _spent[proof.nonce] = proof.issued_at_utc
    user = db.get(User, proof.user_id, populate_existing=True)
    if user is None:
        raise PermissionDenied(f"The account that entered the password no longer exists; "
                               f"{person} must enter their own to {what}.")
    return user, summary_of(user).as_actor(signed_in.workstation)


def accept_keyed_proof(
    db: Session, proof: object, purpose: ProofPurpose, *, person: str, signed_in: Actor,
    clock: Clock = system_clock,
) -> tuple[User, Actor, UnlockedKey]:
    """As :func:`accept_proof`, and the person's unlocked key to sign the action with.

    A proof without the key of the account it names (one minted before keys,
    or pieced together) is refused like a missing password.
    """
    user, person_actor = accept_proof(db, proof, purpose, person=person, signed_in=signed_in,
                                      clock=clock)
    key = proof.key if isinstance(proof, IdentityProof) else None
    if key is None or key.user_id != user.id:
        raise PermissionDenied(
            f"To {_WORDS[purpose]}, {person} must enter their own user name and password here.")
    return user, person_actor, key
