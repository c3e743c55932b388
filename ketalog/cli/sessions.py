"""``ketalog sessions``: a day's sessions as the board shows them, as a table or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import EXIT_OK, clinic_database, iso_date, reading_sessions

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    import argparse


def add_sessions_parser(sub: Any) -> None:
    """Register ``sessions`` on the main sub-parsers."""
    sessions = sub.add_parser("sessions", help="list the sessions of a day")
    sessions.add_argument("--date", type=iso_date, default=None, metavar="YYYY-MM-DD",
                          help="the clinic day (default: today in the clinic's time zone)")
    sessions.add_argument("--json", action="store_true", help="print a JSON list")


def cmd_sessions(args: argparse.Namespace) -> int:
    """List a day's sessions as a table or JSON."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.board import day_board
    from ketalog.services.settings import clinic_timezone

    with clinic_database(args.database_url) as factory, reading_sessions(factory)() as db:
        tz = clinic_timezone(db)
        day = args.date or datetime.now(UTC).astimezone(tz).date()
        rows = day_board(db, day, tz)
    if args.json:
        print(json.dumps([
            {
                "id": r.session_id, "chair": r.chair, "patient": r.patient_name, "mrn": r.mrn,
                "state": r.state, "course_id": r.course_id,
                "scheduled_at": r.scheduled_at_utc.isoformat(),
                "scheduled_at_local": r.scheduled_at_utc.astimezone(tz).isoformat(),
                "infusion": f"{r.sequence_number} of {r.planned_infusions}"
                if r.sequence_number else None,
                "protocol": r.protocol_name, "signed": r.signed,
                "next_vitals_due": r.next_vitals_due_at_utc.isoformat()
                if r.next_vitals_due_at_utc else None,
            }
            for r in rows
        ], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print(f"No sessions on {day.isoformat()}.")
        return EXIT_OK
    print(f"Sessions on {day.isoformat()} ({tz.key}):")
    for r in rows:
        local = r.scheduled_at_utc.astimezone(tz).strftime("%H:%M")
        course = f"{r.sequence_number}/{r.planned_infusions}" if r.sequence_number else "-"
        print(f"  {r.session_id:>6}  {r.chair:<8} {local}  {r.state:<13} {course:>5}  "
              f"{r.patient_name} ({r.mrn})")
    return EXIT_OK
