"""``ketalog verify SESSION_ID``: is a signed session still what its physician signed?

Exits 0 when the signature holds, 1 when the record changed or the signature
does not hold, 2 when the session is not signed, so a script can tell them
apart. It opens a database whose guards are broken (with a warning): looking
for tampering is its job.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    NOTHING_RECORDED,
    add_read_only_option,
    evidence_database,
    reading_sessions,
)

if TYPE_CHECKING:
    from datetime import tzinfo

    from ketalog.reports.inputs import SessionVerification, SignatureStatus

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

#: ``ketalog verify`` of a session no physician has signed
EXIT_NOT_SIGNED = 2


def add_verify_parser(sub: Any) -> None:
    """Register ``verify`` on the main sub-parsers."""
    verify = sub.add_parser("verify", help=(
        "check a signed session against its signature; exit 0 valid, 1 changed or not "
        "valid, 2 not signed"))
    verify.add_argument("session_id", type=int, help="the session id (see 'ketalog sessions')")
    add_read_only_option(verify)


def cmd_verify(args: argparse.Namespace) -> int:
    """Say whether a signed session is intact, or exactly what changed since signing.

    Exits 0 when the signature is valid, 1 when the record changed or the
    signature does not hold (e.g. no audit row of its signing), 2 when the
    session is not signed.
    """
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.settings import clinic_timezone
    from ketalog.services.signature_status import signature_status
    from ketalog.services.signing import verify_session

    with (evidence_database(args.database_url, read_only=args.read_only) as (factory, ro),
          reading_sessions(factory)() as db):
        status = signature_status(db, args.session_id)
        result = verify_session(db, args.session_id)
        tz = clinic_timezone(db)
    code = _report(args.session_id, status, result, tz)
    if ro:
        print(NOTHING_RECORDED)
    return code


def _report(session_id: int, status: SignatureStatus, result: SessionVerification,
            tz: tzinfo) -> int:
    """Print the verdict on one session; its exit code."""
    from ketalog.services.signature_status import SignatureState

    if status.state is SignatureState.NOT_SIGNED:
        print(f"Session {session_id} is not signed; there is nothing to verify yet.")
        for line in status.problems:
            print(f"  - {line}")
        return EXIT_NOT_SIGNED
    when = (result.signed_at_utc.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
            if result.signed_at_utc is not None else None)
    if status.valid:
        print(f"Session {session_id}: intact. Signed by {result.signer_name} at {when}; "
              f"SHA-256 {result.signed_sha256}.")
        for note in result.notes:
            print(f"  Note: {note}.")
        return EXIT_OK
    print(f"Session {session_id}: {status.banner}")
    if result.changed:
        print(f"Session {session_id}: CHANGED since it was signed by "
              f"{result.signer_name} at {when}.")
        print(f"  signed SHA-256:  {result.signed_sha256}")
        print(f"  current SHA-256: {result.current_sha256}")
    for line in status.findings:
        print(f"  - {line}")
    return EXIT_FAILED
