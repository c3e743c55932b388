"""``ketalog stock ...``: the controlled-substance books from the command line (issue 19).

Listing and printing the books act as the command-line system actor (whoever
runs the command holds the database; the audit row names the OS user and host).
Every act that writes into the books is a person's: ``--user NAME`` and their
password (asked for, or the first line of standard input with
``--password-stdin``), checked like a log-in, so the ledger says who received,
recalled or reversed, as it does from the window.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketalog.cli.common import (
    EXIT_OK,
    CommandError,
    cli_actor,
    cli_workstation,
    clinic_database,
    iso_date,
    reading_sessions,
)
from ketalog.domain.controlled_substances import format_ml

# Start-up: each command imports the services it uses when it runs, so `ketalog`
# (the window), --help and the other commands do not wait for them, and
# `import ketalog.cli` loads no reportlab or alembic (tests/test_layers.py).

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ketalog.services.context import Actor
    from ketalog.services.stock import ReceivedContainer

_SUBSTANCES = ("ketamine", "esketamine")


def _positive_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not an id; give the number "
                                         "'ketalog stock locations' or 'products' shows") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not an id (ids are 1 or more)")
    return value


def _person(parser: Any) -> None:
    parser.add_argument("--user", required=True, metavar="USERNAME",
                        help="who does it (their password is asked for)")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")


def _output(parser: Any) -> None:
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--pdf", metavar="FILE", help="write a PDF (completely or not at all)")
    out.add_argument("--csv", metavar="FILE", help="write CSV (completely or not at all)")


def add_stock_parser(sub: Any) -> None:
    """Register ``stock`` and its actions."""
    stock = sub.add_parser("stock", help="controlled-substance books: locations, products, "
                                         "deliveries, on hand, recalls, reversals, log, "
                                         "balance, inventory, destruction, loss, count")
    actions = stock.add_subparsers(dest="stock_command", metavar="ACTION", required=True)

    locations = actions.add_parser("locations", help="registered locations (list, add)")
    loc_sub = locations.add_subparsers(dest="locations_command", metavar="ACTION")
    loc_add = loc_sub.add_parser("add", help="register a location (an administrator)")
    loc_add.add_argument("--name", required=True, help='e.g. "Main clinic safe"')
    loc_add.add_argument("--dea", required=True, metavar="NUMBER",
                         help="the location's DEA registration number, e.g. AB1234563")
    loc_add.add_argument("--address", required=True)
    _person(loc_add)

    products = actions.add_parser("products", help="products (list, add)")
    prod_sub = products.add_subparsers(dest="products_command", metavar="ACTION")
    prod_add = prod_sub.add_parser("add", help="register a product (an administrator)")
    prod_add.add_argument("--name", required=True,
                          help='e.g. "Ketamine HCl 50 mg/mL, 10 mL vial"')
    prod_add.add_argument("--substance", required=True, choices=_SUBSTANCES)
    prod_add.add_argument("--strength", required=True, metavar="MG_PER_ML",
                          help="mg per mL, e.g. 50")
    prod_add.add_argument("--volume", required=True, metavar="ML",
                          help="the container's volume in mL, e.g. 10")
    prod_add.add_argument("--ndc", help="the NDC as printed, e.g. 67457-108-10")
    prod_add.add_argument("--gtin", help="the 14-digit GTIN of the vial's code")
    _person(prod_add)

    receive = actions.add_parser("receive", help="record a delivery, container by container")
    receive.add_argument("--location", required=True, type=_positive_id, metavar="ID")
    receive.add_argument("--product", required=True, type=_positive_id, metavar="ID")
    receive.add_argument("--date", required=True, type=iso_date, metavar="YYYY-MM-DD",
                         help="the day it was received")
    receive.add_argument("--supplier", required=True, metavar="NAME")
    receive.add_argument("--supplier-address", required=True, metavar="ADDRESS")
    receive.add_argument("--supplier-dea", required=True, metavar="NUMBER")
    receive.add_argument("--order", required=True, metavar="REFERENCE",
                         help="the invoice or DEA Form 222 / CSOS order number")
    receive.add_argument("--container", required=True, action="append",
                         metavar="LOT:YYYY-MM-DD[:SERIAL]",
                         help="one container: its lot, expiry date and serial if it has one "
                              "(repeat for each container)")
    _person(receive)

    on_hand = actions.add_parser("on-hand", help="every container with volume left")
    on_hand.add_argument("--location", type=_positive_id, metavar="ID",
                         help="only this location")

    recall = actions.add_parser("recall", help="record a manufacturer's recall of a lot")
    recall.add_argument("--product", required=True, type=_positive_id, metavar="ID")
    recall.add_argument("--lot", required=True)
    recall.add_argument("--reason", required=True)
    _person(recall)

    reverse = actions.add_parser("reverse", help="undo an entry made in error (with a reason)")
    reverse.add_argument("entry", type=_positive_id, metavar="ENTRY_ID",
                         help="the entry's number (the # column of the dispensing log)")
    reverse.add_argument("--reason", required=True)
    _person(reverse)

    log = actions.add_parser("log", help="the dispensing log of a location and period")
    log.add_argument("--location", required=True, type=_positive_id, metavar="ID")
    log.add_argument("--from", dest="date_from", required=True, type=iso_date,
                     metavar="YYYY-MM-DD", help="first clinic day")
    log.add_argument("--to", dest="date_to", required=True, type=iso_date,
                     metavar="YYYY-MM-DD", help="last clinic day")
    _output(log)

    balance = actions.add_parser("balance", help="the perpetual balance per product and lot")
    balance.add_argument("--location", required=True, type=_positive_id, metavar="ID")
    balance.add_argument("--on", required=True, type=iso_date, metavar="YYYY-MM-DD",
                         help="the balance at the close of this clinic day")
    balance.add_argument("--from", dest="date_from", type=iso_date, metavar="YYYY-MM-DD",
                         help="open the balance at the start of this day (default: the "
                              "first entry)")
    _output(balance)

    inventory = actions.add_parser("inventory", help="an initial or biennial inventory as PDF "
                                                     "(the location's last, or --id)")
    inventory.add_argument("--location", required=True, type=_positive_id, metavar="ID")
    inventory.add_argument("--id", dest="record_id", type=_positive_id, metavar="N",
                           help="the inventory's number (default: the location's last)")
    _pdf_only(inventory)

    destruction = actions.add_parser("destruction", help="the destruction record (DEA Form 41 "
                                                         "facts) of a location and period")
    destruction.add_argument("--location", required=True, type=_positive_id, metavar="ID")
    destruction.add_argument("--from", dest="date_from", required=True, type=iso_date,
                             metavar="YYYY-MM-DD", help="first clinic day")
    destruction.add_argument("--to", dest="date_to", required=True, type=iso_date,
                             metavar="YYYY-MM-DD", help="last clinic day")
    _pdf_only(destruction)

    loss = actions.add_parser("loss", help="a loss or theft record (DEA Form 106 facts)")
    loss.add_argument("--id", dest="record_id", required=True, type=_positive_id, metavar="N")
    _pdf_only(loss)

    count = actions.add_parser("count", help="a count with its discrepancies and resolutions")
    count.add_argument("--id", dest="record_id", required=True, type=_positive_id, metavar="N")
    _pdf_only(count)


def _pdf_only(parser: Any) -> None:
    parser.add_argument("--pdf", required=True, metavar="FILE",
                        help="write a PDF (completely or not at all)")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise CommandError("No password on standard input.")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CommandError("No terminal to ask for the password; use --password-stdin.")
    return getpass.getpass(f"Password of {args.user}: ")


def _signed_in(db: Session, args: argparse.Namespace, password: str) -> Actor:
    """The person named by --user, once their password is right (counted like a log-in)."""
    # start-up: services load when the command runs (0.5-3 s each, -X importtime), not for --help
    from ketalog.services.authentication import authenticate

    workstation = cli_workstation()
    summary = authenticate(db, args.user, password, workstation=workstation, purpose="stock")
    return summary.as_actor(workstation)


def parse_container(text: str) -> ReceivedContainer:
    """``LOT:YYYY-MM-DD[:SERIAL]`` as one received container, or a refusal saying the form."""
    from ketalog.services.stock import ReceivedContainer  # start-up: with the services

    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0].strip():
        raise CommandError(f"'{text}' is not a container; write LOT:YYYY-MM-DD or "
                           "LOT:YYYY-MM-DD:SERIAL, e.g. KX2291:2027-06-30:S1.")
    try:
        expiry = date.fromisoformat(parts[1].strip())
    except ValueError:
        raise CommandError(f"'{parts[1]}' in '{text}' is not an expiry date; use "
                           "YYYY-MM-DD.") from None
    serial = parts[2].strip() if len(parts) == 3 else None
    return ReceivedContainer(parts[0].strip(), expiry, serial or None)


def _print_locations(db: Session) -> None:
    from ketalog.services.stock_reports import stock_locations  # start-up: services

    rows = stock_locations(db, cli_actor())
    if not rows:
        print("No stock locations yet: an administrator runs 'ketalog stock locations add'.")
        return
    for row in rows:
        state = "" if row.active else "  (no longer in use)"
        print(f"  {row.location_id:>4}  {row.name}  DEA {row.dea_number}  {row.address}{state}")


def _print_products(db: Session) -> None:
    from ketalog.services.stock_reports import stock_products  # start-up: services

    rows = stock_products(db, cli_actor())
    if not rows:
        print("No products yet: an administrator runs 'ketalog stock products add'.")
        return
    for row in rows:
        codes = "".join(f"  {label} {value}" for label, value in (("NDC", row.ndc),
                                                                  ("GTIN", row.gtin)) if value)
        state = "" if row.active else "  (no longer in use)"
        print(f"  {row.product_id:>4}  {row.name}  ({row.substance}, "
              f"{row.strength_mg_per_ml.normalize():f} mg/mL, "
              f"{format_ml(row.container_volume_ml)}){codes}{state}")


def _print_on_hand(db: Session, location_id: int | None) -> None:
    from ketalog.services.stock import stock_on_hand  # start-up: services

    rows = stock_on_hand(db, location_id)
    if not rows:
        print("Nothing on hand" + (f" at location {location_id}." if location_id else "."))
        return
    print(f"  {'container':>9}  {'left':>8}  location / product / lot / expiry / serial")
    for row in rows:
        serial = f"  serial {row.serial}" if row.serial else ""
        print(f"  {row.container_id:>9}  {format_ml(row.balance_ml):>8}  {row.location_name} / "
              f"{row.product_name} / lot {row.lot_number} / expires "
              f"{row.expiry_date.isoformat()}{serial}")


def _target(path: str) -> Path:
    """The file to write, refused in one line when its folder does not exist."""
    target = Path(path)
    if target.parent != Path("") and not target.expanduser().parent.is_dir():
        raise CommandError(f"The folder {target.parent} does not exist; nothing was written.")
    return target


def _save(db: Session, args: argparse.Namespace, document: str, start: date | None,
          end: date) -> None:
    from ketalog.services.stock_reports import save_stock_document  # start-up: services

    file_format, path = ("pdf", args.pdf) if args.pdf else ("csv", args.csv)
    written = save_stock_document(db, cli_actor(), document=document, file_format=file_format,
                                  location_id=args.location, path=_target(path), start=start,
                                  end=end)
    print(f"Wrote {written}.")


def _save_record(db: Session, args: argparse.Namespace) -> None:
    """An inventory, the destructions of a period, a loss or a count, as PDF."""
    from ketalog.services.stock_reports import save_stock_record  # start-up: services

    written = save_stock_record(db, cli_actor(), record=args.stock_command,
                                path=_target(args.pdf),
                                location_id=getattr(args, "location", None),
                                record_id=getattr(args, "record_id", None),
                                start=getattr(args, "date_from", None),
                                end=getattr(args, "date_to", None))
    print(f"Wrote {written}.")


def _write(db: Session, args: argparse.Namespace, actor: Actor) -> None:
    """The acts that write into the books, each as the person named."""
    from ketalog.services import stock  # start-up: services

    command = args.stock_command
    if command == "locations":
        made = stock.add_stock_location(db, actor, name=args.name, dea_number=args.dea,
                                        address=args.address)
        print(f"Registered location {made}: {args.name.strip()}.")
    elif command == "products":
        made = stock.add_stock_product(db, actor, name=args.name, substance=args.substance,
                                       strength_mg_per_ml=args.strength,
                                       container_volume_ml=args.volume, ndc=args.ndc,
                                       gtin=args.gtin)
        print(f"Registered product {made}: {args.name.strip()}.")
    elif command == "receive":
        containers = [parse_container(text) for text in args.container]
        ids = stock.receive_stock(
            db, actor, location_id=args.location, product_id=args.product,
            received_on=args.date, supplier=stock.Supplier(args.supplier, args.supplier_address,
                                                           args.supplier_dea),
            order_reference=args.order, containers=containers)
        noun = "container" if len(ids) == 1 else "containers"
        print(f"Received {len(ids)} {noun}: " + ", ".join(str(i) for i in ids) + ".")
    elif command == "recall":
        stock.recall_lot(db, actor, product_id=args.product, lot_number=args.lot,
                         reason=args.reason)
        print(f"Recorded the recall of lot {args.lot.strip()}: its containers can no longer "
              "be drawn from.")
    else:
        made = stock.reverse_stock_entry(db, actor, entry_id=args.entry, reason=args.reason)
        print(f"Reversed entry {args.entry} (reversal {made}).")


def cmd_stock(args: argparse.Namespace) -> int:
    """Run one ``stock`` action; a refusal exits 1 with the reason and changes nothing."""
    command = args.stock_command
    adding = (command == "locations" and args.locations_command == "add") or (
        command == "products" and args.products_command == "add")
    writes = adding or command in ("receive", "recall", "reverse")
    if command == "receive":
        for text in args.container:  # a mistyped container is refused before any password
            parse_container(text)
    password = _password(args) if writes else ""
    with clinic_database(args.database_url) as factory:
        if command in ("locations", "products", "on-hand") and not writes:
            # listings wait for no save; a document saved writes its audit row (below)
            with reading_sessions(factory)() as db:
                if command == "locations":
                    _print_locations(db)
                elif command == "products":
                    _print_products(db)
                else:
                    _print_on_hand(db, args.location)
            return EXIT_OK
        with factory() as db:
            _write_or_save(db, args, password, writes=writes)
    return EXIT_OK


def _write_or_save(db: Session, args: argparse.Namespace, password: str, *,
                   writes: bool) -> None:
    """An act written into the books, or a document of them saved with its audit row."""
    command = args.stock_command
    if writes:
        _write(db, args, _signed_in(db, args, password))
    elif command == "log":
        _save(db, args, "log", args.date_from, args.date_to)
    elif command == "balance":
        _save(db, args, "balance", args.date_from, args.on)
    else:
        _save_record(db, args)
