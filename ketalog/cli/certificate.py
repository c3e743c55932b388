"""``ketalog certificate show | create | import FILE.p12``: the clinic's PDF certificate.

``show`` prints what a reader of a signed PDF compares (subject, issuer,
validity, SHA-256 fingerprint) and asks for nothing. ``create`` and ``import``
are an administrator's work: unlike the account commands they do not act as
the system, because the clinic CA's key is sealed under an administrator's
password; the administrator names themself with ``--user`` and types their
password (checked like a log-in, failures counted). Every certificate made or
imported is an audit row.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import EXIT_OK, CommandError, cli_workstation, clinic_database

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    import argparse

    from ketalog.services.clinic_certificate import CertificateInfo
    from ketalog.services.context import Actor

#: a PKCS#12 file is a few kilobytes; anything far larger is not one
MAX_P12_BYTES = 1024 * 1024


def add_certificate_parser(sub: Any) -> None:
    """Register ``certificate`` on the main sub-parsers."""
    cert = sub.add_parser("certificate", help="the clinic's document certificate that signs "
                          "the signed session summaries (PDF signature): show, create, import")
    cert_sub = cert.add_subparsers(dest="certificate_command", metavar="ACTION", required=True)
    cert_sub.add_parser("show", help="the document certificate and its issuer: subject, "
                        "issuer, validity, SHA-256 fingerprint")
    create = cert_sub.add_parser(
        "create", help="issue a new document certificate from the clinic CA (an administrator; "
        "on a database made before certificates, a new clinic CA first)")
    create.add_argument("--user", required=True, metavar="USERNAME",
                        help="the administrator doing it (their password is asked for)")
    create.add_argument("--new-ca", action="store_true",
                        help="start a new clinic CA, sealed under this administrator's "
                        "password (when the old CA's password is lost)")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    imp = cert_sub.add_parser(
        "import", help="use the certificate and key of a PKCS#12 file (.p12/.pfx) as the "
        "clinic's document certificate (an administrator)")
    imp.add_argument("file", metavar="FILE.p12", help="the PKCS#12 file")
    imp.add_argument("--user", required=True, metavar="USERNAME",
                     help="the administrator doing it (their password is asked for)")
    imp.add_argument("--password-stdin", action="store_true",
                     help="read the administrator's password, then the file's password, from "
                     "the first two lines of standard input")


def _ask(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError(f"No {prompt.lower()} on standard input.")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("No terminal to ask for the password; use --password-stdin.")
    return getpass.getpass(f"{prompt}: ")


def _administrator(db: Any, username: str) -> Actor:
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.users import find_user

    user = find_user(db, username)
    if user is None:
        raise CommandError(f"No account '{username}'.")
    return user.as_actor(cli_workstation())


def _print(chain: tuple[CertificateInfo, ...]) -> None:
    labels = {"document": "Document certificate (signs the PDFs)", "ca": "Issuer (clinic CA)"}
    for info in chain:
        print(f"{labels.get(info.kind, info.kind)}:")
        print(f"  subject:      {info.subject}")
        print(f"  issuer:       {info.issuer}")
        print(f"  valid:        {info.not_before_utc:%Y-%m-%d %H:%M} to "
              f"{info.not_after_utc:%Y-%m-%d %H:%M} UTC")
        print(f"  SHA-256:      {info.fingerprint}")
        made = "imported" if info.source == "imported" else "created"
        by = f" by {info.created_by}" if info.created_by else ""
        print(f"  {made + ':':<13} {info.created_at_utc:%Y-%m-%d %H:%M} UTC{by}")


def cmd_certificate(args: argparse.Namespace) -> int:
    """Show, create or import the clinic's document certificate."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.clinic_certificate import (
        create_certificate,
        current_certificates,
        import_certificate,
    )

    if args.certificate_command == "show":
        with clinic_database(args.database_url) as factory, factory() as db:
            chain = current_certificates(db)
        if not chain:
            print("No clinic document certificate: signed session summaries are printed "
                  "without a PDF signature. An administrator runs 'ketalog certificate "
                  "create --user NAME' (or 'ketalog certificate import FILE.p12').")
            return EXIT_OK
        _print(chain)
        return EXIT_OK
    p12 = b""
    if args.certificate_command == "import":
        path = Path(args.file).expanduser()
        try:
            if path.stat().st_size > MAX_P12_BYTES:
                raise CommandError(f"{path} is too large to be a PKCS#12 file.")
            p12 = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    password = _ask(f"Password of {args.user}", args.password_stdin)
    p12_password = (_ask("PKCS#12 password", args.password_stdin)
                    if args.certificate_command == "import" else "")
    with clinic_database(args.database_url) as factory, factory() as db:
        actor = _administrator(db, args.user)
        if args.certificate_command == "create":
            info = create_certificate(db, actor, password, new_ca=args.new_ca)
            print("Issued a new clinic document certificate; signed session summaries are "
                  "signed with it from now on.")
        else:
            info = import_certificate(db, actor, password, p12, p12_password or None)
            print(f"Imported {args.file}; signed session summaries are signed with its "
                  "certificate from now on.")
        chain = current_certificates(db)
    _print(chain if chain and chain[0].id == info.id else (info,))
    return EXIT_OK
