"""``ketalog settings list|get|set``: the clinic's settings from the command line.

The same settings, rules and audit rows as the Settings window
(:mod:`ketalog.services.clinic_settings`); whoever runs the command holds the
database, so it acts as the command-line system actor, named in the audit row
by operating-system user and host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ketalog.cli.common import EXIT_OK, cli_actor, clinic_database
from ketalog.domain.clinic_settings import CLINIC_SETTINGS, clinic_setting

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    import argparse


def add_settings_parser(sub: Any) -> None:
    """Register ``settings`` and its actions."""
    keys = ", ".join(s.key for s in CLINIC_SETTINGS)
    settings = sub.add_parser("settings", help="the clinic's settings: list, get, set")
    actions = settings.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    actions.add_parser("list", help="every setting with its value")
    get = actions.add_parser("get", help="one setting's value")
    get.add_argument("key", help=keys)
    put = actions.add_parser("set", help="change a setting (checked first; audited)")
    put.add_argument("key", help=keys)
    put.add_argument("value", help='e.g. "Riverside Ketamine Clinic", America/Chicago, '
                     '"Chair 1, Chair 2", "Sat, Sun; 2026-12-25", 10')


def cmd_settings(args: argparse.Namespace) -> int:
    """List, show or change the clinic's settings; exit 1 with the reason on a refusal."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.clinic_settings import change_clinic_setting, clinic_settings

    with clinic_database(args.database_url) as factory, factory() as db:
        actor = cli_actor()
        if args.settings_command == "set":
            setting = clinic_setting(args.key)
            changed = change_clinic_setting(db, actor, args.key, args.value)
            shown = {r.key: r.text for r in clinic_settings(db, actor)}[args.key]
            print(f"{setting.label}: {shown}" + ("" if changed else " (unchanged)"))
            return EXIT_OK
        rows = clinic_settings(db, actor)
        if args.settings_command == "get":
            clinic_setting(args.key)  # an unknown key is refused with the known ones
            print(next(r.text for r in rows if r.key == args.key))
            return EXIT_OK
        width = max(len(r.key) for r in rows)
        for row in rows:
            default = "" if row.stored else "  (default)"
            print(f"{row.key:<{width}}  {row.text}{default}")
        return EXIT_OK
