"""``ketalog audit``: verify the audit trail's hash chain, and report or export it.

``audit verify`` exits 0 when the chain is intact, holds every anchor and every
clinical row's audit reference holds (then appends a new anchor to the anchor
file), and 1 naming the first broken row, the anchor the trail no longer holds
or the rows whose audit row is missing or rewritten, so a nightly job can alert
on it. ``audit
report`` prints the rows of a period (clinic-local days) or writes them as CSV
for an auditor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ketalog.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    NOTHING_RECORDED,
    CommandError,
    add_read_only_option,
    evidence_database,
    iso_date,
    reading_sessions,
)
from ketalog.services.context import system_clock

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterable
    from zoneinfo import ZoneInfo

    from ketalog.services.audit_trail import AuditRow


def add_audit_parser(sub: Any) -> None:
    """Register ``audit verify`` and ``audit report`` on the main sub-parsers."""
    audit = sub.add_parser("audit", help="verify, report or export the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check every row's hash chain, the anchors outside the database and "
        "the clinical rows' audit references; exit 1 naming the first broken row, the anchor "
        "not held or the rows whose audit row is missing or rewritten, else add an anchor")
    add_read_only_option(verify)
    report = audit_sub.add_parser(
        "report", help="list the audit rows of a period (clinic-local days, inclusive)")
    report.add_argument("--from", dest="date_from", type=iso_date, required=True,
                        metavar="YYYY-MM-DD", help="first day")
    report.add_argument("--to", dest="date_to", type=iso_date, required=True,
                        metavar="YYYY-MM-DD", help="last day (included)")
    report.add_argument("--user", metavar="USERNAME", help="only this user's actions")
    report.add_argument("--patient", metavar="MRN", help="only rows about this patient")
    report.add_argument("--csv", metavar="FILE",
                        help="write CSV to FILE instead of printing (complete or not at all)")
    add_read_only_option(report)


def _table(rows: list[AuditRow], tz: ZoneInfo) -> list[str]:
    headings = ("UTC", f"Local ({tz.key})", "User", "Workstation", "Patient", "Action",
                "Table/row/field", "Old -> new")
    cells = [
        (r.occurred_at_utc.strftime("%Y-%m-%d %H:%M:%S"),
         r.occurred_at_utc.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
         r.username, r.workstation, r.patient_mrn or "", r.action, r.target,
         r.change.replace("\n", " "))
        for r in rows
    ]
    # the last column (the values) is left to wrap; the others line up
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headings[:-1])]

    def line(values: tuple[str, ...]) -> str:
        fixed = "  ".join(v.ljust(w) for v, w in zip(values[:-1], widths, strict=True))
        return f"{fixed}  {values[-1]}".rstrip()

    return [line(headings), line(tuple("-" * len(h) for h in headings))] + [
        line(c) for c in cells]


def cmd_audit(args: argparse.Namespace) -> int:
    """Run ``audit verify`` or ``audit report``.

    Both read in reading sessions (a snapshot on SQLite, a read-only transaction
    on PostgreSQL), so a check or a report over ten years never makes a save wait;
    the report streams its rows into the CSV file as it reads them.
    """
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.audit_anchors import verify_anchored
    from ketalog.services.audit_trail import audit_report_rows
    from ketalog.services.settings import clinic_timezone

    with (evidence_database(args.database_url, read_only=args.read_only) as (factory, ro),
          reading_sessions(factory)() as db):
        if args.audit_command == "verify":
            result = verify_anchored(db, now=system_clock(), record=not ro)
            for line in result.lines():
                print(line)
            if ro:
                print(NOTHING_RECORDED)
            return EXIT_OK if result.ok else EXIT_FAILED
        tz = clinic_timezone(db)
        rows = audit_report_rows(db, date_from=args.date_from, date_to=args.date_to,
                                 username=args.user, patient_mrn=args.patient, tz=tz)
        _print_report(args, rows, tz)  # streamed: the rows are read as they are written
    if ro:
        print(NOTHING_RECORDED)
    return EXIT_OK


def _print_report(args: argparse.Namespace, rows: Iterable[AuditRow], tz: ZoneInfo) -> None:
    """Stream the rows into the CSV file asked for, or print them as a table."""
    from ketalog.services.audit_trail import ExportFailed, write_audit_csv

    period = f"{args.date_from.isoformat()} to {args.date_to.isoformat()} ({tz.key})"
    if args.csv:
        try:
            written = write_audit_csv(rows, args.csv, tz=tz)
        except ExportFailed as exc:
            raise CommandError(str(exc)) from exc
        print(f"Wrote {written.rows} audit rows, {period}, to {written.path}.")
        return
    shown = list(rows)  # the columns are as wide as their longest value
    if not shown:
        print(f"No audit rows from {period}.")
        return
    print(f"Audit trail from {period}: {len(shown)} row{'' if len(shown) == 1 else 's'}.")
    for text in _table(shown, tz):
        print(text)
