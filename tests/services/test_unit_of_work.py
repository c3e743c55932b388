"""The outermost use case commits or rolls back; a use case called inside another joins it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import String, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from ketalog.services.unit_of_work import commit_refusal_record, use_case, use_case_depth


class _Base(DeclarativeBase):
    pass


class _Entry(_Base):
    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(20))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    # a file, not :memory:, so a second connection sees only what was committed
    engine = create_engine(f"sqlite:///{tmp_path / 'uow.sqlite'}")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _stored(db: Session) -> list[str]:
    """What another connection would see: committed rows only."""
    with Session(db.get_bind()) as other:
        return list(other.scalars(select(_Entry.text).order_by(_Entry.id)))


@use_case
def _add(db: Session, text: str) -> int:
    entry = _Entry(text=text)
    db.add(entry)
    db.flush()
    return entry.id


@use_case
def _add_two(db: Session, first: str, second: str) -> None:
    _add(db, first)
    assert _stored(db) == [], "the inner use case must not commit"
    _add(db, second)


@use_case
def _add_then_refuse(db: Session, text: str) -> None:
    _add(db, text)
    raise ValueError("refused")


@use_case
def _record_near_miss_then_refuse(db: Session, text: str) -> None:
    _add(db, text)
    commit_refusal_record(db)
    raise ValueError("refused")


def test_a_use_case_on_its_own_commits(db: Session) -> None:
    _add(db, "one")
    assert _stored(db) == ["one"]
    assert use_case_depth(db) == 0


def test_a_use_case_inside_another_joins_its_transaction(db: Session) -> None:
    _add_two(db, "one", "two")
    assert _stored(db) == ["one", "two"]
    assert use_case_depth(db) == 0


def test_a_refusal_rolls_back_everything_the_action_wrote(db: Session) -> None:
    with pytest.raises(ValueError, match="refused"):
        _add_then_refuse(db, "half")
    assert _stored(db) == []
    assert db.scalar(select(func.count()).select_from(_Entry)) == 0
    assert use_case_depth(db) == 0
    _add(db, "next")  # the session is usable after a refusal
    assert _stored(db) == ["next"]


def test_a_near_miss_record_stays_although_the_action_is_refused(db: Session) -> None:
    with pytest.raises(ValueError, match="refused"):
        _record_near_miss_then_refuse(db, "near miss")
    assert _stored(db) == ["near miss"]


def test_only_the_outermost_use_case_may_keep_a_refusal_record(db: Session) -> None:
    @use_case
    def outer(db: Session) -> None:
        _add(db, "outer")
        _record_near_miss_then_refuse(db, "inner")

    with pytest.raises(RuntimeError, match="outermost"):
        outer(db)
    assert _stored(db) == []
    assert use_case_depth(db) == 0
