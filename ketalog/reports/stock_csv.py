"""The dispensing log and the perpetual balance as CSV, for a spreadsheet or an inspector.

No reportlab here: the services and the command line write CSV without loading
it. A file is written completely or not at all (temporary file, fsync, rename,
as the PDFs are), and only over a plain file: a folder, a link or a device at
the path is refused, so an export never replaces something that is not a file
of ours to replace.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from ketalog.reports.stock_inputs import (
    BALANCE_COLUMNS,
    KIND_LABELS,
    BalanceSheet,
    DispensingLog,
)
from ketalog.store.errors import not_a_plain_file
from ketalog.store.files import FileNotWritten, write_csv_atomically

LOG_HEADER = (
    "entry_id", "local_date", "local_time", "recorded_at_utc", "kind", "reverses_entry",
    "product", "strength_mg_per_ml", "lot_number", "container_id", "serial", "volume_ml",
    "mg", "patient", "mrn", "session_id", "recorded_by", "witness", "detail",
)
BALANCE_HEADER = (
    "product", "strength_mg_per_ml", "lot_number",
    *(f"{name}" for _heading, name in BALANCE_COLUMNS),
    *(f"{name.removesuffix('_ml')}_mg" for _heading, name in BALANCE_COLUMNS),
    "drawn_open_ml",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class StockCsvError(Exception):
    """The CSV could not be written; the message says why and that nothing was written."""


def _cell(value: object) -> str:
    """Text for one cell; free text a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    text = f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def dispensing_log_records(log: DispensingLog) -> list[list[str]]:
    """The log's CSV rows, header first: one row per ledger entry, in date order."""
    rows = [list(LOG_HEADER)]
    for line in log.lines:
        local = line.recorded_at_utc.astimezone(log.tz)
        rows.append([_cell(v) for v in (
            line.entry_id, local.date().isoformat(), local.strftime("%H:%M %Z"),
            line.recorded_at_utc.isoformat(), KIND_LABELS[line.kind], line.reverses_id,
            line.product_name, line.strength_mg_per_ml, line.lot_number, line.container_id,
            line.container_serial, line.volume_ml, line.mg, line.patient_name, line.mrn,
            line.session_id, line.recorded_by, line.witness, line.detail)])
    return rows


def balance_records(sheet: BalanceSheet) -> list[list[str]]:
    """The balance's CSV rows, header first: one row per product and lot."""
    rows = [list(BALANCE_HEADER)]
    for line in sheet.lines:
        volumes = [getattr(line, name) for _heading, name in BALANCE_COLUMNS]
        rows.append([_cell(v) for v in (
            line.product_name, line.strength_mg_per_ml, line.lot_number, *volumes,
            *(line.mg(v) for v in volumes), line.drawn_open_ml)])
    return rows


def check_target(path: Path | str) -> Path:
    """The path to write, refused when something other than a plain file is there.

    Raises:
        StockCsvError: the path is a folder, a link or a device.
    """
    target = Path(path).expanduser()
    problem = not_a_plain_file(target) or (
        f"{target} is a folder, not a plain file" if target.is_dir() else None)
    if problem is not None:
        raise StockCsvError(f"{problem}; nothing was written. Give a new file name.")
    return target


def write_stock_csv(records: Iterable[Sequence[str]], path: Path | str) -> Path:
    """Write ``records`` as CSV (UTF-8 with BOM, for spreadsheets) completely or not at all.

    Raises:
        StockCsvError: the folder is missing or not writable, the path is not a
            plain file, or the disk is full; nothing was written.
    """
    target = check_target(path)
    try:
        return write_csv_atomically(target, [list(row) for row in records])
    except FileNotWritten as exc:
        raise StockCsvError(str(exc)) from exc
