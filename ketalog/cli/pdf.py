"""``ketalog pdf``: one chart document written as PDF, completely or not at all.

Every PDF saved is recorded (who, which document, where) as the window's Save
as PDF is: the document is read and laid out in a reading session, and its audit
row written in a short transaction of its own once the file is there. The REMS
form has its own command (``ketalog rems pdf``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import (
    EXIT_OK,
    CommandError,
    cli_actor,
    clinic_database,
    reading_sessions,
)
from ketalog.domain.documents import DocumentKind

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    import argparse


def add_pdf_parser(sub: Any) -> None:
    """Register ``pdf`` on the main sub-parsers."""
    pdf = sub.add_parser("pdf", help="write a chart document as PDF")
    pdf.add_argument("document", choices=[kind.value for kind in DocumentKind],
                     help="session summary, patient visit report, day log, course report or "
                          "REMS form")
    pdf.add_argument("key", metavar="ID_OR_DATE",
                     help="session id (session, visit), course id (course), form id (rems) "
                          "or YYYY-MM-DD (day)")
    pdf.add_argument("-o", "--output", required=True, metavar="FILE",
                     help="the PDF file to write (written completely or not at all)")


def cmd_pdf(args: argparse.Namespace) -> int:
    """Write one document; a failure leaves no file behind."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.reports.base import ReportError, write_pdf_atomic
    from ketalog.services.pdf import produce_document, record_document

    key: int | date
    if args.document == "day":
        try:
            key = date.fromisoformat(args.key)
        except ValueError:
            raise CommandError(f"'{args.key}' is not a date; use YYYY-MM-DD.") from None
    else:
        try:
            key = int(args.key)
        except ValueError:
            raise CommandError(f"'{args.key}' is not an id; give the number shown by "
                               "'ketalog sessions'.") from None
    output = Path(args.output)
    if output.parent != Path("") and not output.expanduser().parent.is_dir():
        raise CommandError(f"The folder {output.parent} does not exist; nothing was written.")
    try:
        with clinic_database(args.database_url) as factory:
            with reading_sessions(factory)() as db:  # gathering and layout wait for no save
                produced = produce_document(db, args.document, key)
            data = produced.data
            write_pdf_atomic(output, data)
            with factory() as db:
                record_document(db, cli_actor(), args.document, key, action="pdf_saved",
                                detail=str(output.resolve()))
    except ReportError as exc:
        raise CommandError(str(exc)) from exc
    print(f"Wrote {output} ({len(data) // 1024 + 1} KiB).")
    if produced.pdf_signed:
        print("The PDF carries the clinic's digital signature (check it in any PDF reader).")
    elif produced.note:
        print(f"Note: {produced.note}.")
    return EXIT_OK
