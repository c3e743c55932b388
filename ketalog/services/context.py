"""Who is acting, where, and what time it is: passed to every service call.

Services never read the wall clock or the logged-in user from a global; the
caller hands an :class:`Actor` and a clock, so tests can play a whole session
in simulated minutes.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Return the current instant in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Actor:
    """The person doing something, as the audit trail records them.

    ``user_id`` is None only for system work (first-run set-up, the command
    line); services judge the stored account behind ``user_id``, never the
    role claimed here (see services.access).
    """

    username: str
    display_name: str
    role: str = "nurse"
    user_id: int | None = None
    workstation: str = ""

    def __post_init__(self) -> None:
        if not self.workstation:
            object.__setattr__(self, "workstation", socket.gethostname() or "unknown")


SYSTEM = Actor(username="system", display_name="ketalog", role="system")
