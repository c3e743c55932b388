"""One clinic clock: the database server's time on PostgreSQL, a sane clock on SQLite.

Several chairs share one PostgreSQL server; a workstation whose clock is
three hours fast would store readings and audit rows in the future, and one
that is slow would refuse the true time as "in the future". Each workstation
therefore measures its clock against the server's at start and every few
minutes, shows a banner when they differ by more than the limit, and records
everything at the server's time. On SQLite (one workstation) there is no
other clock to ask; a clock that went back is caught instead: an entry timed
more than :data:`TRAIL_TOLERANCE` before the last audit row is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from ketalog.domain.errors import DomainError
from ketalog.services.context import Clock, system_clock

#: A workstation clock further than this from the server's shows a banner.
SKEW_LIMIT: Final = timedelta(minutes=2)
#: How often a workstation measures its clock against the server's.
MEASURE_EVERY: Final = timedelta(minutes=5)
#: On SQLite, an entry this far before the last audit row means the clock went back.
TRAIL_TOLERANCE: Final = timedelta(minutes=5)
#: ``Session.info`` key: check each audit row's time against the trail (the app sets it).
CHECK_CLOCK: Final = "ketalog_check_clock"


class ClockProblem(DomainError):
    """The workstation's clock cannot be right; nothing is recorded until it is fixed."""


def _duration_text(amount: timedelta) -> str:
    minutes = round(abs(amount).total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes:02d} min"
    return f"{hours} h" if hours else f"{minutes} min"


def database_now(db: Session) -> datetime | None:
    """The database server's own time (PostgreSQL); None on SQLite, which has no server."""
    if db.get_bind().dialect.name != "postgresql":
        return None
    value = db.scalar(text("SELECT clock_timestamp()"))
    return value.astimezone(UTC) if isinstance(value, datetime) else None


class ServerClock:
    """This workstation's clock, corrected by its measured offset from the server's.

    Call :meth:`measure` with a database session at start and every
    :data:`MEASURE_EVERY`; until then (and on SQLite) it is the workstation's clock.
    ``server_now`` reads the server's time (tests pass their own).
    """

    def __init__(self, base: Clock = system_clock,
                 server_now: Callable[[Session], datetime | None] = database_now) -> None:
        self.base = base
        self.server_now = server_now
        self.offset = timedelta(0)
        self.measured = False

    def __call__(self) -> datetime:
        """Now, as the clinic counts it."""
        return self.base() + self.offset

    def measure(self, db: Session) -> timedelta | None:
        """Measure the offset (server minus workstation); None where there is no server."""
        before = self.base()
        server = self.server_now(db)
        if server is None:
            return None
        after = self.base()
        self.offset = server - (before + (after - before) / 2)
        self.measured = True
        return self.offset

    @property
    def skewed(self) -> bool:
        """Whether the workstation's clock is off by more than :data:`SKEW_LIMIT`."""
        return self.measured and abs(self.offset) > SKEW_LIMIT

    def skew_text(self) -> str:
        """The banner's words: how far off, which way, and that the server's time is used."""
        way = "fast" if self.offset < timedelta(0) else "slow"
        return (f"This workstation's clock is {_duration_text(self.offset)} {way} against the "
                "database server's. ketalog records everything at the server's time; ask IT to "
                "set this computer's clock.")


def check_against_trail(last_at: datetime | None, at: datetime) -> None:
    """Refuse an entry timed well before the last audit row: the clock went back."""
    if last_at is None:
        return
    if last_at.tzinfo is None:
        last_at = last_at.replace(tzinfo=UTC)
    if last_at - at > TRAIL_TOLERANCE:
        raise ClockProblem(
            f"This computer's clock reads {at:%Y-%m-%d %H:%M} UTC, but the record already holds "
            f"an entry made at {last_at:%Y-%m-%d %H:%M} UTC, {_duration_text(last_at - at)} "
            "later: the clock must have gone back. Nothing was recorded; set the clock right "
            "(or ask IT), then enter it again.")
