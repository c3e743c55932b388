"""Restoring the database guards: an administrator's own password, one audited transaction.

Someone who dropped or disabled a guard may have changed signed records
meanwhile; the repair says which guards were broken (and the audit trail
keeps it), and the administrator then runs ``ketalog verify`` and
``ketalog audit verify``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ketalog.services.access import Permission, authorize
from ketalog.services.accounts import authenticate
from ketalog.services.audit import append_audit
from ketalog.services.context import Clock, system_clock
from ketalog.store.guards import GuardProblem, repair_guards


def repair_database_guards(db: Session, username: str, password: str, *, workstation: str,
                           clock: Clock = system_clock) -> list[GuardProblem]:
    """Re-create every missing, disabled or altered guard; return what was broken.

    The administrator proves who they are with their own password here (an
    Actor claim is not enough to switch protection back on, or to record who
    did). Nothing is written when every guard is in place.

    Raises:
        LoginRefused: wrong user name or password (counted like a log-in).
        PermissionDenied: the account is not an administrator's.
    """
    summary = authenticate(db, username, password, workstation=workstation,
                           purpose="repair_guards", clock=clock)
    actor = summary.as_actor(workstation)
    authorize(db, actor, Permission.REPAIR_GUARDS)
    repaired = repair_guards(db.connection())
    if repaired:
        append_audit(db, actor, "guards_repaired", at=clock(),
                     new="; ".join(p.describe() for p in repaired))
    db.commit()
    return repaired
