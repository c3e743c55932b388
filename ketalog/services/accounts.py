"""Administering accounts, and the first run (the rows: users.py; log-in: authentication.py).

Failed log-ins are throttled (after three in a row the account waits 1, 2, 4 ...
up to 30 seconds before the next try is even checked) and the account locks
after ten in a row until an administrator unlocks it. Every log-in, failure,
lock and unlock is an audit row. A wrong user name and a wrong password get
the same words, so the screen does not tell a stranger which accounts exist,
and a name matching no account is recorded as "unknown user", never as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketalog.domain.clinic_settings import clinic_setting
from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.roles import Role
from ketalog.services.access import Permission, authorize_admin_work
from ketalog.services.audit import append_audit
from ketalog.services.authentication import LOCK_AFTER_FAILURES as LOCK_AFTER_FAILURES
from ketalog.services.authentication import WRONG_CREDENTIALS as WRONG_CREDENTIALS
from ketalog.services.authentication import LoginRefused as LoginRefused
from ketalog.services.authentication import authenticate as authenticate
from ketalog.services.authentication import check_password_attempt, find_account
from ketalog.services.authentication import confirm_password as confirm_password
from ketalog.services.authentication import throttle_delay as throttle_delay
from ketalog.services.clinic_certificate import create_first_certificates
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.errors import NotFound
from ketalog.services.identity import IdentityProof, ProofPurpose, mint_proof
from ketalog.services.keyed import UnlockedKey
from ketalog.services.keys import (
    KeyUnavailable,
    active_key,
    issue_key,
    retire_keys,
    rewrap,
    signing_key,
)
from ketalog.services.passwords import (
    check_password_rules,
    hash_password,
    password_matches,
)
from ketalog.services.settings import CLINIC_NAME, CLINIC_TIMEZONE, set_setting
from ketalog.services.users import ROLES, UserSummary, create_user, summary_of
from ketalog.store.models import User


def record_logout(db: Session, actor: Actor, *, clock: Clock = system_clock) -> None:
    """Audit a log-out or user switch."""
    append_audit(db, actor, "logout", at=clock(), table_name="users", row_id=actor.user_id)
    db.commit()


def record_screen_lock(db: Session, actor: Actor, *, clock: Clock = system_clock) -> None:
    """Audit that the workstation locked itself (idle) with this user signed in."""
    append_audit(db, actor, "lock", at=clock(), table_name="users", row_id=actor.user_id)
    db.commit()


# --- first run ----------------------------------------------------------------------


def needs_first_administrator(db: Session) -> bool:
    """True on an empty database: the first start asks for an administrator."""
    return not db.scalar(select(func.count()).select_from(User))


def create_first_administrator(
    db: Session, *, username: str, full_name: str, password: str, clinic_name: str,
    clinic_timezone: str, credentials: str = "", workstation: str = "",
    clock: Clock = system_clock,
) -> UserSummary:
    """Create the clinic: its name, time zone and first account (an administrator).

    Refused once any account exists. The name and zone are checked before
    anything is written (a wrong zone would put every time on the wrong
    hour). The clinic's CA and document certificate (services.clinic_certificate)
    are made with it, the CA's key sealed under this administrator's password.
    """
    if not needs_first_administrator(db):
        raise ValidationError.single(
            "username", "Accounts already exist; sign in and ask an administrator."
        )
    settings: list[tuple[str, object]] = []
    problems: list[Problem] = []
    for key, text in ((CLINIC_NAME, clinic_name), (CLINIC_TIMEZONE, clinic_timezone)):
        try:
            settings.append((key, clinic_setting(key).parse(text)))
        except ValidationError as exc:
            problems += exc.problems
    if problems:
        raise ValidationError(problems)
    check_password_rules(password)
    actor = Actor(username="first-run", display_name="first run set-up", role="system",
                  workstation=workstation)
    admin = create_user(db, actor, username=username, full_name=full_name,
                        role=Role.ADMINISTRATOR, password=password, credentials=credentials,
                        clock=clock)
    for key, value in settings:
        set_setting(db, actor, key, value, clock=clock)
    create_first_certificates(db, admin.as_actor(workstation), password, clock=clock)
    return admin


# --- administration -----------------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    """One account as the administrator's list shows it."""

    id: int
    username: str
    full_name: str
    credentials: str
    role: Role
    is_active: bool
    locked: bool
    failed_login_count: int
    #: an administrator set a temporary password: the next log-in asks for a new one
    must_change_password: bool = False


def list_accounts(db: Session, actor: Actor) -> list[AccountRow]:
    """Every account, for an administrator."""
    authorize_admin_work(db, actor, Permission.MANAGE_USERS)
    users = db.scalars(select(User).order_by(User.username)
                       .execution_options(populate_existing=True)).all()
    return [AccountRow(u.id, u.username, u.full_name, u.credentials, u.role, u.is_active,
                       u.locked_at_utc is not None, u.failed_login_count,
                       bool(u.must_change_password)) for u in users]


def add_user(
    db: Session, actor: Actor, *, username: str, full_name: str, role: Role | str, password: str,
    credentials: str = "", clock: Clock = system_clock,
) -> UserSummary:
    """An administrator (or the command line, as the system) creates an account."""
    return create_user(db, actor, username=username, full_name=full_name, role=role,
                       password=password, credentials=credentials, clock=clock)


def _target(db: Session, username: str) -> User:
    user = find_account(db, username)
    if user is None:
        raise NotFound(f"No account '{username}'.")
    return user


def unlock_account(db: Session, actor: Actor, username: str, *,
                   clock: Clock = system_clock) -> None:
    """Clear a lock-out after failed log-ins."""
    authorize_admin_work(db, actor, Permission.MANAGE_USERS)
    now = clock()
    user = _target(db, username)
    old = user.locked_at_utc
    user.locked_at_utc = None
    user.failed_login_count = 0
    user.last_failed_login_at_utc = None
    append_audit(db, actor, "account_unlocked", at=now, table_name="users", row_id=user.id,
                 field="locked_at_utc", old=old, new=None)
    db.commit()


def change_role(db: Session, actor: Actor, username: str, role: Role | str, *,
                clock: Clock = system_clock) -> None:
    """Give an account another role."""
    authorize_admin_work(db, actor, Permission.MANAGE_USERS)
    if role not in ROLES:
        raise ValidationError.single("role", f"Role must be one of {', '.join(ROLES)}.")
    new = Role(role)
    user = _target(db, username)
    if user.id == actor.user_id and new is not Role.ADMINISTRATOR:
        raise ValidationError.single(
            "role", "You cannot take away your own administrator role; ask another administrator."
        )
    old = user.role
    if old == new:
        return
    user.role = new
    append_audit(db, actor, "update", at=clock(), table_name="users", row_id=user.id,
                 field="role", old=old, new=new)
    db.commit()


def set_active(db: Session, actor: Actor, username: str, active: bool, *,
               clock: Clock = system_clock) -> None:
    """Disable an account (people leave; accounts are never deleted) or enable it again."""
    authorize_admin_work(db, actor, Permission.MANAGE_USERS)
    user = _target(db, username)
    if user.id == actor.user_id and not active:
        raise ValidationError.single("is_active", "You cannot disable your own account.")
    if user.is_active == active:
        return
    user.is_active = active
    append_audit(db, actor, "update", at=clock(), table_name="users", row_id=user.id,
                 field="is_active", old=not active, new=active)
    db.commit()


def edit_account(db: Session, actor: Actor, username: str, *, full_name: str,
                 credentials: str, clock: Clock = system_clock) -> bool:
    """Correct a person's printed name and credentials; False when nothing changed.

    What they signed keeps the name printed at signing; new entries print the new one.
    """
    authorize_admin_work(db, actor, Permission.MANAGE_USERS)
    name, creds = (full_name or "").strip(), (credentials or "").strip()
    problems = []
    if not name:
        problems.append(Problem("full_name", "Full name is missing."))
    elif len(name) > 200 or "\n" in name:
        problems.append(Problem("full_name", "The full name is one line of at most 200 "
                                             "characters."))
    if len(creds) > 40 or "\n" in creds:
        problems.append(Problem("credentials", "Credentials are one line of at most 40 "
                                               "characters (e.g. RN, MD)."))
    if problems:
        raise ValidationError(problems)
    user = _target(db, username)
    now = clock()
    changed = False
    for field, old, new in (("full_name", user.full_name, name),
                            ("credentials", user.credentials, creds)):
        if old != new:
            setattr(user, field, new)
            append_audit(db, actor, "update", at=now, table_name="users", row_id=user.id,
                         field=field, old=old, new=new)
            changed = True
    db.commit()
    return changed


def reset_password(db: Session, actor: Actor, username: str, new_password: str, *,
                   clock: Clock = system_clock) -> None:
    """An administrator sets a temporary password (the value itself is never audited).

    The administrator then knows a password of the account, so its signing key
    is retired and a new one issued under the temporary password, marked as
    issued after a reset (documents signed with it say so), and the next
    log-in asks for a new password before anything else.
    """
    authorize_admin_work(db, actor, Permission.MANAGE_USERS)
    check_password_rules(new_password)
    now = clock()
    user = _target(db, username)
    user.password_hash = hash_password(new_password)
    user.must_change_password = True
    append_audit(db, actor, "update", at=now, table_name="users", row_id=user.id,
                 field="password_hash", new="(reset by an administrator)")
    retire_keys(db, actor, user, now=now, reason="password reset by an administrator")
    issue_key(db, actor, user, new_password, now=now, after_admin_reset=True)
    db.commit()


def change_own_password(db: Session, actor: Actor, old_password: str, new_password: str, *,
                        clock: Clock = system_clock) -> None:
    """A user changes their own password after re-entering the current one."""
    user = confirm_password(db, actor, old_password, purpose="change_password", clock=clock)
    check_password_rules(new_password)
    if password_matches(user.password_hash or "", new_password):
        raise ValidationError.single("new_password", "Choose a password different from the "
                                     "current one.")
    now = clock()
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    append_audit(db, actor, "update", at=now, table_name="users", row_id=user.id,
                 field="password_hash", new="(changed)")
    key = active_key(db, user.id)
    if key is not None:
        try:
            rewrap(user, key, old_password, new_password)
        except KeyUnavailable:  # made under a password that is no longer the account's
            retire_keys(db, actor, user, now=now, reason="did not open with the password")
            issue_key(db, actor, user, new_password, now=now)
    db.commit()


def prove_identity(
    db: Session, username: str, password: str, *, purpose: ProofPurpose, workstation: str = "",
    clock: Clock = system_clock,
) -> IdentityProof:
    """A second person's password, checked for one action (see services.identity).

    Failures count towards throttling and lock-out and are audited exactly as
    at log-in (``purpose`` in the row's field); success is audited with
    ``purpose`` as the action and committed, so the check stands in the trail
    even if the action it was for is then refused.

    Raises:
        LoginRefused: wrong user name or password, throttled, locked or disabled.
    """
    now = clock()
    user = check_password_attempt(db, find_account(db, username), password, workstation=workstation,
                           now=now, purpose=purpose.value)
    person = summary_of(user).as_actor(workstation)
    try:  # the same password unlocks the person's key (issued now if they have none)
        key, private = signing_key(db, person, user, password, now=now)
    except KeyUnavailable:
        db.commit()  # the successful password check clears the failure count
        raise
    append_audit(db, person, purpose.value, at=now, table_name="users", row_id=user.id)
    db.commit()
    return mint_proof(user, purpose, now, UnlockedKey(key.id, user.id, private))
