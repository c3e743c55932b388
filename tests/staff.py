"""The clinic staff every test database starts with: real accounts with fixed ids.

Services judge the stored account behind an Actor (role, active, locked), so
test actors must be real users. Their hashes are computed once per test run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.identity import IdentityProof, ProofPurpose
from ketalog.services.passwords import hash_password
from ketalog.services.settings import CLINIC_TIMEZONE
from ketalog.store.models import Setting, User

#: (id, username, full name, credentials, role)
STAFF = (
    (1, "nora", "Nora Reyes", "RN", "nurse"),
    (2, "sam", "Sam Okafor", "RN", "nurse"),
    (3, "ada", "Ada Lindqvist", "MD", "physician"),
    (4, "admin", "Alex Admin", "", "administrator"),
)


def password_of(username: str) -> str:
    """Each test account's password."""
    return f"{username}-test-pass"


def _actor(index: int, workstation: str = "t") -> Actor:
    uid, username, name, cred, role = STAFF[index]
    display = f"{name}, {cred}" if cred else name
    return Actor(username=username, display_name=display, role=role, user_id=uid,
                 workstation=workstation)


NURSE = _actor(0)
NURSE2 = _actor(1)
PHYSICIAN = _actor(2)
ADMIN = _actor(3)


@cache
def _hash(username: str) -> str:
    return hash_password(password_of(username))


def seed_staff(engine: Engine) -> None:
    """Add the staff accounts to a migrated database (once; later calls do nothing).

    The clinic's time zone is set to UTC too, unless a test set another: clinical
    entry is refused in a clinic without one, as on a fresh install.
    """
    with engine.begin() as conn:
        if conn.execute(select(Setting.key).where(Setting.key == CLINIC_TIMEZONE)).first() is None:
            conn.execute(insert(Setting), [{"key": CLINIC_TIMEZONE, "value_json": '"UTC"',
                                            "version": 1, "updated_at_utc": datetime.now(UTC)}])
        if conn.execute(select(User.id).where(User.id == 1)).first() is not None:
            return
        conn.execute(insert(User), [
            {"id": uid, "username": username, "full_name": name, "credentials": cred,
             "role": role, "password_hash": _hash(username), "is_active": True,
             "failed_login_count": 0, "version": 1}
            for uid, username, name, cred, role in STAFF
        ])
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), "
                              "(SELECT max(id) FROM users))"))


def prove(db: Session, username: str, purpose: str, clock: Clock | None = None) -> IdentityProof:
    """``username`` types their password at the chair for ``purpose`` (a second-person action)."""
    from ketalog.services.accounts import prove_identity

    return prove_identity(db, username, password_of(username), purpose=ProofPurpose(purpose),
                          workstation="t", clock=clock or system_clock)
