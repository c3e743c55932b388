"""Who commits: the outermost use case, once, so use cases compose.

A use case is one user action (check a patient in, book a series, correct a
reading). Decorated with :func:`use_case`, it runs in the caller's
``Session``: when nobody else is running a use case on that session it owns
the transaction and commits on return (rolling back on any exception); when it
is called from inside another use case it joins that transaction and leaves
the commit to the outer one. So "book a session in a new course" simply calls
``open_course`` and then ``schedule_session``: one transaction, one commit,
and no private non-committing twin of either (Anki's ``CollectionOp`` plays
the same part around its collection).

The depth is kept in ``Session.info``, which lives as long as the session,
so nesting works across modules without passing anything along.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

_DEPTH = "ketalog.use_case_depth"

P = ParamSpec("P")
R = TypeVar("R")


def use_case_depth(db: Session) -> int:
    """How many use cases are running on ``db`` right now (0: none)."""
    depth = db.info.get(_DEPTH, 0)
    return depth if isinstance(depth, int) else 0


@contextmanager
def unit_of_work(db: Session) -> Iterator[None]:
    """Run a block as one use case: the outermost commits or rolls back, inner ones join."""
    depth = use_case_depth(db)
    db.info[_DEPTH] = depth + 1
    try:
        yield
        if depth == 0:
            db.commit()
    except BaseException:
        if depth == 0:
            db.rollback()
        raise
    finally:
        db.info[_DEPTH] = depth


def use_case(
    action: Callable[Concatenate[Session, P], R],
) -> Callable[Concatenate[Session, P], R]:
    """Make ``action(db, ...)`` one use case (see :func:`unit_of_work`)."""

    @wraps(action)
    def run(db: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work(db):
            return action(db, *args, **kwargs)

    return run


def commit_refusal_record(db: Session) -> None:
    """Commit what a use case wrote before it refuses (a near miss kept in the audit trail).

    Only the outermost use case may do this: inside another, the outer action's
    half-done work would be committed with it.
    """
    if use_case_depth(db) > 1:
        raise RuntimeError("A refusal record can be committed only by the outermost use case.")
    db.commit()
