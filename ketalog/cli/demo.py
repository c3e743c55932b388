"""``ketalog demo``: fill an empty database with the demo clinic, for training and trying out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ketalog.cli.common import EXIT_OK, CommandError, clinic_database
from ketalog.cli.db_encryption import encryption_line, new_clinic_file

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    import argparse


def add_demo_parser(sub: Any) -> None:
    """Register ``demo`` on the main sub-parsers."""
    demo = sub.add_parser("demo", help="fill an empty database with the demo clinic")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")


def cmd_demo(args: argparse.Namespace) -> int:
    """Build the demo clinic and say what was made."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.demo import DEMO_PATIENTS, DEMO_USERS, DemoRefused, build_demo_clinic

    done = [0]

    def progress(_patient: str) -> None:  # a line now and then: the build takes a while
        done[0] += 1
        if done[0] % 5 == 0 or done[0] == DEMO_PATIENTS:
            print(f"  {done[0]} of {DEMO_PATIENTS} patients so far", flush=True)

    new = new_clinic_file(args.database_url)
    # the demo builds a new clinic: one of the three commands that create a database
    with clinic_database(args.database_url, create=True) as factory, factory() as db:
        try:
            summary = build_demo_clinic(db, seed=args.seed, progress=progress,
                                        announce=lambda: print(
                                            f"Building the demo clinic: {DEMO_PATIENTS} "
                                            "patients with a month of sessions each...",
                                            flush=True))
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
    today = ", ".join(f"{n} {state}" for state, n in sorted(summary.today_states.items()))
    print(f"Demo clinic ready: {summary.patients} patients, {summary.sessions} sessions, "
          f"{summary.vitals} vital sign readings. Today: {today}.")
    print("Demo users (user / password): "
          + "; ".join(f"{u} / {p} ({role})" for u, _n, _c, role, p in DEMO_USERS))
    if new is not None:
        print(encryption_line(new))
    return EXIT_OK
