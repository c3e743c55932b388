"""The count record: a location's stock counted by two people, and every mismatch closed.

What the books expected in each container and what the two counters found,
the difference, and for each mismatch the discrepancy it opened and how it was
closed: the signed explanation, who gave it and when, and the volume written
off as lost where the shortfall was real. A discrepancy still open says so.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph

from ketalog.domain.clinic_time import moment_text
from ketalog.domain.controlled_substances import format_ml
from ketalog.reports.base import data_table, escape, stylesheet
from ketalog.reports.stock_inputs import (
    COUNT_OCCASION_LABELS,
    COUNT_TITLE,
    CountSheet,
    CountSheetLine,
)
from ketalog.reports.stock_pages import (
    NONE_TEXT,
    cell,
    facts_table,
    finish,
    opening,
    signature_block,
    signature_parts,
)

TITLE = COUNT_TITLE
OPEN_TEXT = "OPEN: not yet resolved"
HEADING = "Discrepancies and their resolution"
_WIDTHS = [w * mm for w in (50, 30, 22, 22, 22, 34)]


def _difference(line: CountSheetLine) -> str:
    if line.difference_ml == 0:
        return "0 mL"
    sign = "+" if line.difference_ml > 0 else "\u2212"
    return f"{sign}{format_ml(abs(line.difference_ml))}"


def _result(line: CountSheetLine) -> str:
    if line.discrepancy_id is None:
        return "matches"
    if line.resolution is None:
        return f"discrepancy {line.discrepancy_id}\n{OPEN_TEXT}"
    return f"discrepancy {line.discrepancy_id}\nresolved (below)"


def _resolution(sheet_: CountSheet, line: CountSheetLine, first: bool) -> Flowable:
    """One discrepancy and its resolution, kept on one page (with the section's heading)."""
    sheet = stylesheet()
    facts = [("Container", f"{line.product_name}, lot {line.lot_number}, container "
                           f"{line.container_id}" + (f" (serial {line.serial})"
                                                     if line.serial else "")),
             ("Expected, found", f"{format_ml(line.expected_ml)} expected, "
                                 f"{format_ml(line.found_ml)} found ({_difference(line)})")]
    done = line.resolution
    if done is None:
        facts.append(("Resolution", OPEN_TEXT))
    else:
        facts.append(("Explanation", done.explanation))
        facts.append(("Written off as lost",
                      f"{format_ml(done.written_off_ml)} (ledger entry {done.lost_entry_id})"
                      if done.written_off_ml else "Nothing: explained, not written off"))
    parts: list[Flowable] = [Paragraph(HEADING, sheet["h2"])] if first else []
    parts += [Paragraph(escape(f"Discrepancy {line.discrepancy_id}"), sheet["h3"]),
              facts_table(facts)]
    if done is not None:
        parts += signature_parts(sheet_, "Resolved by", done.resolved_by)
    return KeepTogether(parts)


def build_count(count: CountSheet) -> bytes:
    """The count record PDF; identical data gives identical bytes."""
    sheet = stylesheet()
    day = count.counted_at_utc.astimezone(count.tz).date()
    what = f"{COUNT_OCCASION_LABELS[count.occasion]} no. {count.count_id}"
    story: list[Flowable] = opening(count, TITLE, what, day)
    mismatches = [line for line in count.lines if line.discrepancy_id is not None]
    still_open = [line for line in mismatches if line.resolution is None]
    story.append(facts_table([
        ("Occasion", COUNT_OCCASION_LABELS[count.occasion]),
        ("Counted at", moment_text(count.counted_at_utc, count.tz)),
        ("Counted by", f"{count.counted_by.name} and {count.second_counter.name}"),
        ("Note", count.note or NONE_TEXT),
        ("Containers counted", str(len(count.lines))),
        ("Mismatches", f"{len(mismatches)} ({len(mismatches) - len(still_open)} resolved, "
                       f"{len(still_open)} open)" if mismatches else "None: the count "
                                                                     "matched the books"),
    ]))
    story.append(Paragraph("Containers", sheet["h2"]))
    rows = [[cell(line.product_name + f"\n{line.strength_mg_per_ml} mg/mL, "
                  f"{line.container_volume_ml} mL size"),
             cell(f"lot {line.lot_number}\ncontainer {line.container_id}"
                  + (f"\nserial {line.serial}" if line.serial else "")),
             cell(format_ml(line.expected_ml)), cell(format_ml(line.found_ml)),
             cell(_difference(line), bold=line.difference_ml != 0),
             cell(_result(line), bold=line.discrepancy_id is not None)]
            for line in count.lines]
    story.append(data_table(["Product", "Lot, container", "Expected", "Found", "Difference",
                             "Result"], rows, _WIDTHS))
    story += [_resolution(count, line, n == 0) for n, line in enumerate(mismatches)]
    story.append(signature_block(count, "Counted by", count.counted_by))
    story.append(signature_block(count, "Second counter", count.second_counter))
    return finish(story, count, TITLE, f"{what}, {day.isoformat()}")
