"""User accounts: creation and look-up (log-in and administration: services.accounts)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketalog.domain.errors import Problem, ValidationError
from ketalog.domain.roles import Role
from ketalog.domain.values import printed_name
from ketalog.services.access import Permission, authorize_admin_work
from ketalog.services.audit import append_audit
from ketalog.services.context import Actor, Clock, system_clock
from ketalog.services.keys import issue_key
from ketalog.services.passwords import hash_password
from ketalog.store.models import User

#: Every role, in the order lists offer them (the command line's choices, the accounts page).
ROLES: tuple[Role, ...] = tuple(Role)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


@dataclass(frozen=True)
class UserSummary:
    """A user as lists and the audit trail show them."""

    id: int
    username: str
    full_name: str
    credentials: str
    role: Role
    #: An administrator reset the password: ask for a new one before anything else.
    must_change_password: bool = False

    def as_actor(self, workstation: str = "") -> Actor:
        """The actor to pass to services when this user acts."""
        return Actor(username=self.username,
                     display_name=printed_name(self.full_name, self.credentials), role=self.role,
                     user_id=self.id, workstation=workstation)


def create_user(
    db: Session,
    actor: Actor,
    *,
    username: str,
    full_name: str,
    role: Role | str,
    password: str,
    credentials: str = "",
    clock: Clock = system_clock,
) -> UserSummary:
    """Create an account with an Argon2id-hashed password (administrators, or set-up)."""
    authorize_admin_work(db, actor, Permission.MANAGE_USERS)
    now = clock()
    name = username.strip().lower()
    problems = []
    if not _USERNAME.match(name):
        problems.append(
            Problem("username", "User names are 2-64 letters, digits, '.', '_' or '-'.")
        )
    if not full_name.strip():
        problems.append(Problem("full_name", "Full name is missing."))
    if role not in ROLES:
        problems.append(Problem("role", f"Role must be one of {', '.join(ROLES)}."))
    if problems:
        raise ValidationError(problems)
    if db.scalar(select(User.id).where(User.username == name)) is not None:
        raise ValidationError.single("username", f"The user name '{name}' is taken.")
    user = User(username=name, full_name=full_name.strip(), credentials=credentials.strip(),
                role=Role(role), password_hash=hash_password(password), created_at_utc=now)
    db.add(user)
    db.flush()
    append_audit(db, actor, "create", at=now, table_name="users", row_id=user.id,
                 new={"username": name, "role": role})
    issue_key(db, actor, user, password, now=now)
    db.commit()
    return summary_of(user)


def summary_of(user: User) -> UserSummary:
    """The summary of a stored account."""
    return UserSummary(user.id, user.username, user.full_name, user.credentials, user.role,
                       bool(user.must_change_password))


def find_user(db: Session, username: str) -> UserSummary | None:
    """Look a user up by user name."""
    user = db.scalar(select(User).where(User.username == username.strip().lower()))
    return None if user is None else summary_of(user)
