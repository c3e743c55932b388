"""Each signer's Ed25519 key: issued, unlocked with their password, re-encrypted, retired.

The private half is stored only encrypted (AES-256-GCM) under a key derived
from the owner's password with Argon2id, so a signature can be made only by
someone who knows that password: not by an administrator, and not by anyone
who writes the database. A key is issued at the account's creation (or at
its first signature, for accounts made before keyed signatures), re-encrypted
when its owner changes the password, and retired when an administrator resets
the password; the replacement is marked as issued after a reset, and every
document signed with it says so. Creation and retirement are audit rows.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import DomainError
from ketalog.services.access import Permission, authorize_admin_work
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor
from ketalog.store.models import User, UserKey

#: Argon2id at OWASP's minimum (as for passwords); stored per key so it can rise later.
_TIME_COST, _MEMORY_KIB, _PARALLELISM = 2, 19 * 1024, 1
KDF = f"argon2id;t={_TIME_COST};m={_MEMORY_KIB};p={_PARALLELISM}"
_AAD = b"ketalog user key v1"


class KeyUnavailable(DomainError):
    """The signer's key could not be unlocked (wrong password, or a key made elsewhere)."""


def fingerprint(public_key_hex: str) -> str:
    """A short, readable fingerprint of a public key: SHA-256, first 16 bytes, in groups."""
    digest = hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:32]
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def _wrapping_key(password: str, salt: bytes, kdf: str) -> bytes:
    params = dict(part.split("=") for part in kdf.split(";")[1:])
    if not kdf.startswith("argon2id;"):
        raise KeyUnavailable(f"Unknown key derivation {kdf!r}.")
    return hash_secret_raw(password.encode("utf-8"), salt, time_cost=int(params["t"]),
                           memory_cost=int(params["m"]), parallelism=int(params["p"]),
                           hash_len=32, type=Type.ID)


def _encrypt(private: Ed25519PrivateKey, password: str) -> tuple[str, str]:
    salt = os.urandom(16)
    nonce = os.urandom(12)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    sealed = AESGCM(_wrapping_key(password, salt, KDF)).encrypt(nonce, raw, _AAD)
    return (nonce + sealed).hex(), salt.hex()


def _public_hex(private: Ed25519PrivateKey) -> str:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def unlock(key: UserKey, password: str) -> Ed25519PrivateKey:
    """The private key, decrypted with its owner's password; refused for any other."""
    blob = bytes.fromhex(key.encrypted_private_key)
    try:
        raw = AESGCM(_wrapping_key(password, bytes.fromhex(key.kdf_salt), key.kdf)).decrypt(
            blob[:12], blob[12:], _AAD)
    except InvalidTag:
        raise KeyUnavailable("The signing key does not open with this password.") from None
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if _public_hex(private) != key.public_key:
        raise KeyUnavailable("The signing key does not match its public half.")
    return private


def active_key(db: Session, user_id: int) -> UserKey | None:
    """The user's key in use now (the newest not retired), if any."""
    return db.scalar(select(UserKey).where(UserKey.user_id == user_id,
                                           UserKey.retired_at_utc.is_(None))
                     .order_by(UserKey.id.desc()).limit(1)
                     .execution_options(populate_existing=True))


def issue_key(db: Session, actor: Actor, user: User, password: str, *, now: datetime,
              after_admin_reset: bool = False) -> UserKey:
    """Make a new key pair for ``user``, encrypted under ``password`` (not committed)."""
    private = Ed25519PrivateKey.generate()
    sealed, salt = _encrypt(private, password)
    key = UserKey(user_id=user.id, public_key=_public_hex(private), encrypted_private_key=sealed,
                  kdf=KDF, kdf_salt=salt, issued_after_admin_reset=after_admin_reset,
                  created_at_utc=now)
    db.add(key)
    db.flush()
    append_audit(db, actor, "key_created", at=now, table_name="user_keys", row_id=key.id,
                 field="public_key",
                 new={"user": user.username, "fingerprint": fingerprint(key.public_key),
                      "issued_after_admin_reset": after_admin_reset})
    return key


def retire_keys(db: Session, actor: Actor, user: User, *, now: datetime, reason: str) -> None:
    """Retire every active key of ``user`` (not committed); what it signed still verifies."""
    for key in db.scalars(select(UserKey).where(UserKey.user_id == user.id,
                                                UserKey.retired_at_utc.is_(None))):
        key.retired_at_utc = now
        append_audit(db, actor, "key_retired", at=now, table_name="user_keys", row_id=key.id,
                     field="retired_at_utc",
                     new={"user": user.username, "fingerprint": fingerprint(key.public_key),
                          "reason": reason})


def rewrap(user: User, key: UserKey, old_password: str, new_password: str) -> None:
    """Re-encrypt the private key under the new password; the old one no longer opens it."""
    private = unlock(key, old_password)
    key.encrypted_private_key, key.kdf_salt = _encrypt(private, new_password)
    key.kdf = KDF


def signing_key(db: Session, actor: Actor, user: User, password: str,
                *, now: datetime) -> tuple[UserKey, Ed25519PrivateKey]:
    """The signer's active key, unlocked; issued now if the account has none yet.

    ``password`` must already have been checked against the account: a key is
    only ever created under the owner's real password.
    """
    key = active_key(db, user.id)
    if key is None:
        key = issue_key(db, actor, user, password, now=now)
    return key, unlock(key, password)


def sign_text(private: Ed25519PrivateKey, text: str) -> str:
    """Ed25519 signature (hex) over UTF-8 text."""
    return private.sign(text.encode("utf-8")).hex()


def signature_holds(public_key_hex: str, signature_hex: str, text: str) -> bool:
    """Whether ``signature_hex`` is the key's signature over ``text`` (tens of microseconds)."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex)).verify(
            bytes.fromhex(signature_hex), text.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class KeyRow:
    """One signing key as ``ketalog keys list`` prints it."""

    key_id: int
    username: str
    owner: str
    created_at_utc: datetime
    retired_at_utc: datetime | None
    fingerprint: str
    issued_after_admin_reset: bool


def list_keys(db: Session, actor: Actor) -> list[KeyRow]:
    """Every key ever issued, oldest first, with its owner (administrators)."""
    authorize_admin_work(db, actor, Permission.MANAGE_USERS)
    rows = db.execute(select(UserKey, User).join(User, User.id == UserKey.user_id)
                      .order_by(UserKey.id)).all()
    return [KeyRow(k.id, u.username, u.full_name, k.created_at_utc, k.retired_at_utc,
                   fingerprint(k.public_key), k.issued_after_admin_reset) for k, u in rows]
