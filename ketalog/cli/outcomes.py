"""``ketalog outcomes``: the clinic's response and remission for a period, with counts.

Prints the tally by indication and by protocol (counts always, percentages of
the evaluable courses, the excluded for missing scores on every row), or
writes it as CSV for a spreadsheet. No patient is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import (
    EXIT_OK,
    CommandError,
    cli_actor,
    clinic_database,
    iso_date,
    reading_sessions,
)

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    import argparse

    from ketalog.domain.outcomes import OutcomeRow


def add_outcomes_parser(sub: Any) -> None:
    """Register ``outcomes`` on the main sub-parsers."""
    outcomes = sub.add_parser(
        "outcomes", help="response and remission of the courses begun in a period, "
        "by indication and by protocol")
    outcomes.add_argument("--from", dest="date_from", type=iso_date, required=True,
                          metavar="YYYY-MM-DD", help="first day (clinic-local)")
    outcomes.add_argument("--to", dest="date_to", type=iso_date, required=True,
                          metavar="YYYY-MM-DD", help="last day (included)")
    outcomes.add_argument("--csv", metavar="FILE",
                          help="write CSV to FILE instead of printing (complete or not at all)")


def _table(heading: str, rows: Sequence[OutcomeRow], total: OutcomeRow) -> list[str]:
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.outcomes import OUTCOME_COLUMNS, outcome_cells

    headings = (heading, *OUTCOME_COLUMNS)
    cells = [(r.group, *outcome_cells(r)) for r in (*rows, total)]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headings)]

    def line(values: Sequence[str]) -> str:
        first = values[0].ljust(widths[0])
        rest = "  ".join(v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True))
        return f"{first}  {rest}".rstrip()

    return ([line(headings), line(["-" * w for w in widths])]
            + [line(c) for c in cells[:-1]] + [line(["-" * w for w in widths]), line(cells[-1])])


def cmd_outcomes(args: argparse.Namespace) -> int:
    """Print or export the clinic's outcomes for ``--from`` .. ``--to``."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.domain.outcomes import EVALUABLE_MEANING
    from ketalog.services.audit_trail import ExportFailed
    from ketalog.services.outcomes import (
        clinic_outcomes_report,
        excluded_text,
        write_outcomes_csv,
    )
    from ketalog.services.settings import clinic_timezone

    with clinic_database(args.database_url) as factory, reading_sessions(factory)() as db:
        tz = clinic_timezone(db)
        outcomes = clinic_outcomes_report(db, cli_actor(), start=args.date_from,
                                          end=args.date_to)
    period = f"{args.date_from.isoformat()} to {args.date_to.isoformat()} ({tz.key})"
    total = outcomes.total
    if args.csv:
        try:
            target = write_outcomes_csv(outcomes, args.csv, start=args.date_from,
                                        end=args.date_to)
        except ExportFailed as exc:
            raise CommandError(str(exc)) from exc
        print(f"Wrote the outcomes of {total.courses} courses begun {period} to {target}.")
        return EXIT_OK
    if total.courses == 0:
        print(f"No course began {period}.")
        return EXIT_OK
    patients = f"{total.patients} patient{'' if total.patients == 1 else 's'}"
    print(f"Courses begun {period}: {total.courses} ({patients}); "
          f"{total.evaluable} evaluable; excluded for missing scores: {excluded_text(total)}.")
    print()
    for text in _table("Indication", outcomes.by_indication, total):
        print(text)
    print()
    for text in _table("Protocol", outcomes.by_protocol, total):
        print(text)
    print()
    print(EVALUABLE_MEANING)
    return EXIT_OK
