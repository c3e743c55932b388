"""Vocabulary columns: stored as the same plain strings, loaded as enum members."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session

from ketalog.domain.roles import Role
from ketalog.domain.session_state import SessionState
from ketalog.store.models import User
from ketalog.store.types import StoredEnum


def _user(db: Session, username: str, role: Role | str) -> User:
    user = User(username=username, full_name="Nora Reyes", role=role,
                created_at_utc=datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    db.add(user)
    return user


def test_roles_load_as_members_and_are_stored_as_plain_text(db: Session) -> None:
    _user(db, "nreyes", Role.NURSE)
    _user(db, "alind", "physician")  # a string naming a member is accepted as it
    db.commit()
    db.expunge_all()
    mine = User.username.in_(["nreyes", "alind"])
    roles = db.scalars(select(User.role).where(mine).order_by(User.username)).all()
    assert roles == [Role.PHYSICIAN, Role.NURSE]
    assert all(type(role) is Role for role in roles)
    raw = db.execute(text("SELECT role FROM users WHERE username IN ('nreyes', 'alind') "
                          "ORDER BY username")).scalars().all()
    assert raw == ["physician", "nurse"]
    assert all(type(value) is str for value in raw)


def test_an_unknown_role_is_refused_before_it_is_stored(db: Session) -> None:
    _user(db, "janitor", "janitor")
    with pytest.raises(StatementError, match="'janitor' is not a known role; expected one "
                                             "of nurse, physician, administrator"):
        db.flush()
    db.rollback()


def test_an_unknown_stored_role_is_named_when_read(db: Session) -> None:
    _user(db, "nreyes", Role.NURSE)
    db.commit()
    db.execute(text("UPDATE users SET role = 'janitor' WHERE username = 'nreyes'"))
    db.commit()
    with pytest.raises(ValueError, match="'janitor' is not a known role"):
        db.scalars(select(User.role).where(User.username == "nreyes")).all()
    db.rollback()


def test_the_column_type_says_what_it_holds() -> None:
    column, dialect = StoredEnum(SessionState, "session state"), sqlite.dialect()
    assert repr(column) == "StoredEnum(SessionState, 'session state', length=20)"
    assert column.process_bind_param(SessionState.STOPPED_EARLY, dialect) == "stopped_early"
    assert column.process_result_value("signed", dialect) is SessionState.SIGNED
    assert column.process_result_value(None, dialect) is None
