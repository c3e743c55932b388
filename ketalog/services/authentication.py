"""Checking a password: at log-in, at the idle lock, and when signing re-asks for it.

Failed log-ins are throttled (after three in a row the account waits 1, 2, 4 ...
up to 30 seconds before the next try is even checked) and the account locks
after ten in a row until an administrator unlocks it. Every log-in, failure and
lock is an audit row. A wrong user name and a wrong password get the same words,
so the screen does not tell a stranger which accounts exist, and a name matching
no account is recorded as "unknown user", never as typed.

Kept apart from :mod:`ketalog.services.accounts` (account administration, first
run) so that the services which re-ask a password before signing (orders,
signing, the clinic certificate) need not import account administration.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import DomainError, TransitionRefused, ValidationError
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.keyed import UnlockedKey
from ketalog.services.keys import signing_key
from ketalog.services.passwords import (
    hash_password,
    needs_rehash,
    password_matches,
    spend_equal_time,
)
from ketalog.services.users import UserSummary, summary_of
from ketalog.store.models import User

#: Consecutive failures after which the account locks.
LOCK_AFTER_FAILURES = 10


#: Failures allowed before throttling starts.
FREE_FAILURES = 3


MAX_THROTTLE = timedelta(seconds=30)


WRONG_CREDENTIALS = "The user name or password is wrong."


#: The audit trail's user name for a failed log-in whose name matches no account.
UNKNOWN_USER = "unknown user"


class LoginRefused(DomainError):
    """A log-in (or a password re-entry) was refused; the message says why."""


def throttle_delay(failures: int) -> timedelta:
    """How long to wait after ``failures`` consecutive failures before the next try."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_THROTTLE)


def find_account(db: Session, username: str) -> User | None:
    """The account of a user name as typed (case and surrounding spaces ignored), or None."""
    return db.scalar(
        select(User).where(User.username == username.strip().lower())
        .execution_options(populate_existing=True)
    )


def check_password_attempt(db: Session, user: User | None, password: str,
                           *, workstation: str, now: datetime, purpose: str) -> User:
    """Judge one password attempt and record its outcome (committed either way)."""
    # A name matching no account is never stored: it may be a password typed into the
    # user-name box (or vitals typed at a lock page), and the audit trail is permanent.
    who = (Actor(username=user.username, display_name=user.full_name, role=user.role,
                 user_id=user.id, workstation=workstation) if user is not None
           else Actor(username=UNKNOWN_USER, display_name=UNKNOWN_USER, role="unknown",
                      workstation=workstation))
    if user is None:
        spend_equal_time(password)
        append_audit(db, who, "login_failed", at=now, table_name="users", field=purpose,
                     new="unknown user name")
        db.commit()
        raise LoginRefused(WRONG_CREDENTIALS)
    if not user.is_active:
        append_audit(db, who, "login_failed", at=now, table_name="users", row_id=user.id,
                     field=purpose, new="account disabled")
        db.commit()
        raise LoginRefused("This account is disabled; ask an administrator.")
    if user.locked_at_utc is not None:
        append_audit(db, who, "login_failed", at=now, table_name="users", row_id=user.id,
                     field=purpose, new="account locked")
        db.commit()
        raise LoginRefused(
            f"This account is locked after {LOCK_AFTER_FAILURES} failed log-ins in a row; "
            "an administrator must unlock it."
        )
    wait = throttle_delay(user.failed_login_count)
    if user.last_failed_login_at_utc is not None and wait:
        ready = user.last_failed_login_at_utc + wait
        if now < ready:
            seconds = max(1, int((ready - now).total_seconds() + 0.999))
            raise LoginRefused(
                f"Too many failed attempts; wait {seconds} seconds and try again."
            )
    if user.password_hash is None or not password_matches(user.password_hash, password):
        user.failed_login_count += 1
        user.last_failed_login_at_utc = now
        append_audit(db, who, "login_failed", at=now, table_name="users", row_id=user.id,
                     field=purpose, new=f"wrong password ({user.failed_login_count} in a row)")
        if user.failed_login_count >= LOCK_AFTER_FAILURES:
            user.locked_at_utc = now
            append_audit(db, who, "account_locked", at=now, table_name="users",
                         row_id=user.id, field="locked_at_utc", new=now)
            db.commit()
            raise LoginRefused(
                f"{WRONG_CREDENTIALS} The account is now locked after {LOCK_AFTER_FAILURES} "
                "failed log-ins in a row; an administrator must unlock it."
            )
        db.commit()
        raise LoginRefused(WRONG_CREDENTIALS)
    if user.failed_login_count or user.last_failed_login_at_utc is not None:
        user.failed_login_count = 0
        user.last_failed_login_at_utc = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def authenticate(
    db: Session, username: str, password: str, *, workstation: str = "",
    purpose: str = "login", clock: Clock = system_clock,
) -> UserSummary:
    """Check a user name and password; record the log-in or the failure.

    ``purpose`` says what the password was for in the audit trail: ``login``,
    ``unlock`` (idle lock), ``sign`` or ``verify_dose``.
    """
    now = clock()
    user = find_account(db, username)
    user = check_password_attempt(db, user, password, workstation=workstation, now=now,
                           purpose=purpose)
    summary = summary_of(user)
    append_audit(db, summary.as_actor(workstation), purpose, at=now, table_name="users",
                 row_id=user.id)
    db.commit()
    return summary


def confirm_password(
    db: Session, actor: Actor, password: str, *, purpose: str, clock: Clock = system_clock,
) -> User:
    """Re-check the acting user's own password (signing), counting failures like a log-in.

    Does not commit on success: the caller's action and this check land together.
    """
    now = clock()
    user = db.get(User, actor.user_id, populate_existing=True) if actor.user_id else None
    if user is None:
        raise LoginRefused("Sign in first.")
    return check_password_attempt(db, user, password, workstation=actor.workstation,
                           now=now, purpose=purpose)


def unlock_own_key(db: Session, actor: Actor, password: str, *, purpose: str, what: str,
                   clock: Clock = system_clock) -> tuple[User, UnlockedKey]:
    """The acting user's password checked (counted like a log-in) and their key unlocked.

    What a person signs with their own key (an attestation, an addendum, a count,
    a loss record) asks for this. An empty password is refused before the check:
    it is a slip, not an attempt.
    """
    if not password:
        raise ValidationError.single("password", f"Type your password to {what}.")
    user = confirm_password(db, actor, password, purpose=purpose, clock=clock)
    if user.must_change_password:
        db.commit()  # the successful password check clears the failure count
        raise TransitionRefused([f"An administrator reset your password: sign in again and "
                                 f"choose a new password before you {what}."])
    key, private = signing_key(db, actor, user, password, now=clock())
    return user, UnlockedKey(key.id, user.id, private)
