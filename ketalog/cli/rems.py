"""``ketalog rems``: the Spravato REMS monitoring forms to file, and one form as PDF.

``rems list`` prints every esketamine treatment's form with its filing status
(overdue first; ``--overdue`` for only those, e.g. for a morning e-mail), and
``rems pdf`` writes one session's form, completely or not at all.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import (
    EXIT_OK,
    CommandError,
    cli_actor,
    clinic_database,
    reading_sessions,
)
from ketalog.services.context import system_clock

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    from ketalog.services.rems import RemsRow


def _session_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a session id; give the number 'ketalog rems list' shows"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a session id")
    return value


def add_rems_parser(sub: Any) -> None:
    """Register ``rems list`` and ``rems pdf`` on the main sub-parsers."""
    rems = sub.add_parser("rems", help="Spravato REMS monitoring forms: what to file, and PDFs")
    rems_sub = rems.add_subparsers(dest="rems_command", metavar="ACTION", required=True)
    listing = rems_sub.add_parser(
        "list", help="every esketamine treatment's form with its 7-day filing status, "
        "overdue first")
    listing.add_argument("--overdue", action="store_true",
                         help="only the forms past their 7-day deadline")
    pdf = rems_sub.add_parser("pdf", help="write one session's monitoring form as PDF")
    pdf.add_argument("session_id", type=_session_id, metavar="SESSION_ID",
                     help="the esketamine session (its id as 'rems list' shows it)")
    pdf.add_argument("file", metavar="FILE",
                     help="the PDF file to write (written completely or not at all)")


def _table(rows: list[RemsRow]) -> list[str]:
    headings = ("Session", "Treated", "Patient", "MRN", "Status", "Filed by", "Confirmation")
    cells = [
        (str(r.session_id), r.treatment_date.isoformat(), r.patient_name, r.mrn,
         r.status_text + ("" if r.discharged else " (still being monitored)"),
         r.filed_by or "", r.confirmation or "")
        for r in rows
    ]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headings)]

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return [line(headings), line(tuple("-" * w for w in widths))] + [line(c) for c in cells]


def cmd_rems(args: argparse.Namespace) -> int:
    """Run ``rems list`` or ``rems pdf``."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.rems import rems_list
    from ketalog.services.settings import clinic_timezone, clinic_today

    if args.rems_command == "pdf":
        return _write_pdf(args)
    with clinic_database(args.database_url) as factory, reading_sessions(factory)() as db:
        today = clinic_today(db, system_clock())
        tz = clinic_timezone(db)
        rows = rems_list(db, today=today, include_filed=not args.overdue)
    if args.overdue:
        rows = [r for r in rows if r.status.overdue]
    overdue = sum(1 for r in rows if r.status.overdue)
    to_file = sum(1 for r in rows if r.filed_at_utc is None and not r.status.overdue)
    filed = len(rows) - overdue - to_file
    when = f"{today.isoformat()} ({tz.key})"
    if args.overdue:
        if not rows:
            print(f"No REMS form is overdue on {when}.")
            return EXIT_OK
        print(f"Overdue REMS forms on {when}: {overdue}.")
    elif not rows:
        print(f"No esketamine treatments to report on {when}.")
        return EXIT_OK
    else:
        print(f"REMS forms on {when}: {overdue} overdue, {to_file} to file, {filed} filed.")
    for text in _table(rows):
        print(text)
    return EXIT_OK


def _write_pdf(args: argparse.Namespace) -> int:
    from pathlib import Path

    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.reports.base import ReportError, write_pdf_atomic
    from ketalog.services.pdf import DocumentKind, produce_pdf, record_document

    output = Path(args.file)
    if output.parent != Path("") and not output.expanduser().parent.is_dir():
        raise CommandError(f"The folder {output.parent} does not exist; nothing was written.")
    try:
        with clinic_database(args.database_url) as factory:
            with reading_sessions(factory)() as db:  # gathering and layout wait for no save
                data = produce_pdf(db, DocumentKind.REMS, args.session_id)
            write_pdf_atomic(output, data)
            with factory() as db:
                record_document(db, cli_actor(), DocumentKind.REMS, args.session_id,
                                action="pdf_saved", detail=str(output.expanduser().resolve()))
    except ReportError as exc:
        raise CommandError(str(exc)) from exc
    print(f"Wrote {output} ({len(data) // 1024 + 1} KiB).")
    return EXIT_OK
