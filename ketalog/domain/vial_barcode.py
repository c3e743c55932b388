"""The vial's barcode: what a scan of its GS1 DataMatrix says, and whether the vial may be used.

A US prescription vial carries a GS1 DataMatrix (DSCSA) holding the product's
GTIN (application identifier 01), the lot (10), the expiry date (17, YYMMDD) and
a serial number (21). A USB scanner types the code like a keyboard, sometimes
after a symbology identifier (``]d2`` GS1 DataMatrix, ``]C1`` GS1-128, ``]Q3``
GS1 QR Code) and with the group separator (GS, ASCII 29, the code's FNC1) after
each variable-length field. The parsing itself is biip's (a maintained GS1
library); this module decides what a nurse is told when a scan will not do.

Two things about keyboard scanners shape the rules here:

- A GS often never arrives: a Qt line edit drops it (it is a control character;
  tests/ui/test_vial_scan_keys.py shows it), and scanners can be set to omit it or
  to send a stand-in. :func:`scan_text_from_keystrokes` turns the stand-ins
  accepted here (:data:`GROUP_SEPARATOR_STAND_INS`) back into GS.
- Without separators a variable-length field runs into the next one: a lot
  followed by a serial reads as one long lot. A scan without any separator is
  therefore refused when it cannot be read one way only (see
  :func:`parse_vial_scan`), rather than record a wrong lot in the controlled-
  substance books.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final

import biip
from biip import ParseConfig, ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_element_strings import GS1ElementString, GS1ElementStrings
from biip.gs1_messages import GS1Message

from ketalog.domain.errors import Problem, ValidationError

#: The field name every refusal here carries: the one scan box the nurse filled.
SCAN_FIELD: Final = "scan"

#: ASCII 29, what a scanner sends for the FNC1 between variable-length fields.
GROUP_SEPARATOR: Final = "\x1d"
#: Characters taken to mean GS when a scanner (or the scan box) sends one in its place:
#: U+241D (the visible symbol for GS), tilde, caret and vertical bar. None of them is in
#: the GS1 character set a lot or serial may use (GS1 General Specifications, figure
#: 7.11-1, set 82), so turning them into GS can never change a real value.
GROUP_SEPARATOR_STAND_INS: Final = ("\u241d", "~", "^", "|")

#: Application identifiers read from a vial: GTIN, lot, expiry, serial.
AI_GTIN: Final = "01"
AI_LOT: Final = "10"
AI_EXPIRY: Final = "17"
AI_SERIAL: Final = "21"

#: The GS1 prefix of a GTIN that embeds a US NDC: the "0" that widens a UPC-A to a
#: GTIN-13 and the number system character "3" reserved for drugs (GS1 US; FDA 21 CFR
#: 201.25 asks for the NDC in a linear barcode, and DSCSA's 2D code carries that GTIN).
NDC_GS1_PREFIX: Final = "03"

_CONFIG: Final = ParseConfig(
    separator_chars=(GROUP_SEPARATOR,),
    # an impossible date (Feb 31) is kept as text so the refusal can say it is the date
    gs1_element_strings_verify_date=False,
)
#: A scanner ends a scan with Enter or Tab; these never belong to the code.
_SCAN_SUFFIXES: Final = "\r\n\t"
_PREVIEW_CHARS: Final = 40

_NO_SEPARATORS_HINT = (
    "The scanner sent this code without its field separators, so the lot number and "
    "what follows it run together and cannot be told apart. Ask whoever looks after the "
    "scanners to have it send the group separator (GS), or ~ in its place, and scan "
    "again; until then, type the lot and expiry from the vial's label."
)


@dataclass(frozen=True)
class VialScan:
    """What the vial's code says: the product, its lot, expiry and serial number.

    ``gtin`` is the 14-digit GTIN exactly as scanned (check digit verified);
    ``serial`` is None when the code carries none (vials made before DSCSA
    serialisation).
    """

    gtin: str
    lot_number: str
    expiry_date: date
    serial: str | None = None

    @property
    def ndc10_digits(self) -> str | None:
        """The 10 NDC digits the GTIN embeds, without dashes; None for a non-US GTIN.

        A US drug's GTIN-14 is: packaging indicator digit, ``03``, the 10-digit NDC,
        check digit (GS1 US NDC-in-GTIN rule). The dashes (4-4-2, 5-3-2 or 5-4-1) are
        not in the GTIN: only the FDA's NDC directory or the label knows where they
        go, so neither the dashed form nor the 11-digit billing form is derived here.
        """
        return ndc10_digits_in(self.gtin)


def ndc10_digits_in(gtin: str) -> str | None:
    """The 10 NDC digits inside a US drug's GTIN-14 (no dashes), or None if it holds none."""
    if len(gtin) != 14 or not gtin.isascii() or not gtin.isdigit():
        return None
    if gtin[1:3] != NDC_GS1_PREFIX:
        return None
    return gtin[3:13]


def gtin_from_ndc(ndc: str, *, indicator_digit: int = 0) -> str:
    """The GTIN-14 that embeds a 10-digit NDC, written with or without its dashes.

    ``indicator_digit`` is the packaging level (0 for the unit itself, as in a
    UPC-A widened to 14 digits; 1-8 for cartons and cases). The 11-digit billing
    form (5-4-2 with a padding zero) is refused: which zero is padding cannot be
    told from the digits.
    """
    digits = ndc.replace("-", "")
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        raise ValidationError.single(
            "ndc", f"An NDC has 10 digits (e.g. 67457-108-10); {ndc!r} does not."
        )
    if not 0 <= indicator_digit <= 8:
        raise ValueError(f"packaging indicator digit must be 0-8, not {indicator_digit}")
    payload = f"{indicator_digit}{NDC_GS1_PREFIX}{digits}"
    return f"{payload}{gs1_standard_check_digit(payload)}"


def scan_text_from_keystrokes(typed: str, *, stand_ins: Iterable[str] = GROUP_SEPARATOR_STAND_INS,
                              ) -> str:
    """The scan as GS1 text: stand-ins become GS, the scanner's Enter/Tab suffix goes.

    Keystrokes are what the scan box received. Each character of ``stand_ins``
    (default :data:`GROUP_SEPARATOR_STAND_INS`) is read as GS; a real GS is kept.
    Surrounding spaces are dropped (a GS1 value never holds a space).
    """
    text = typed.strip(_SCAN_SUFFIXES).strip(" ")
    for stand_in in stand_ins:
        if len(stand_in) != 1:
            raise ValueError(f"a group separator stand-in is one character, not {stand_in!r}")
        text = text.replace(stand_in, GROUP_SEPARATOR)
    return text


def parse_vial_scan(text: str) -> VialScan:
    """Read a vial's GS1 code into a :class:`VialScan`, or refuse with what to do.

    ``text`` is what the scanner typed; it goes through
    :func:`scan_text_from_keystrokes` first. Accepted: GS1 element strings with
    or without a symbology identifier, fields in any order, separated by GS (or
    a stand-in) or, where that is unambiguous, not at all; the human-readable
    form typed from the label, ``(01)…(17)…(10)…``; a GS1 Digital Link URI.
    An expiry day of 00 means the last day of that month (GS1 rule, done by
    biip); a two-digit year is placed within 49 years back and 50 ahead of the
    current year (also biip's GS1 rule, by the computer's clock).

    Raises:
        ValidationError: on field ``"scan"``, listing every problem found: not a
            GS1 code, a linear barcode with no lot or expiry, no GTIN or a GTIN
            failing its check digit, no lot, no expiry, an impossible expiry date,
            or fields run together for want of separators.
    """
    scan = scan_text_from_keystrokes(text)
    if not scan.strip():
        raise ValidationError.single(
            SCAN_FIELD, "Nothing was scanned: point the scanner at the square code on the vial."
        )
    elements, delimited, refusal = _element_strings(scan)
    if elements is None:
        raise ValidationError([refusal or Problem(SCAN_FIELD, _unreadable(scan))])
    return _vial_scan_from(elements, delimited=delimited)


def check_vial_against(
    scan: VialScan,
    *,
    expected_gtin: str | None,
    expected_lot: str | None,
    today: date,
    known_gtins: Collection[str] | None = None,
) -> None:
    """Refuse a vial that is not the one expected, or that has expired.

    At the chair, ``expected_gtin`` and ``expected_lot`` are the chosen
    container's product and lot. At receipt, when no container is chosen yet,
    pass None for both and the clinic's products as ``known_gtins`` (GTIN-12, 13
    or 14, compared as GTIN-14). Each check given is made; every failure is
    listed. Lots compare without regard to case or surrounding spaces (a lot typed
    by hand at receipt may differ from the code only in case). A vial may be used
    on its expiry date, not after.

    Raises:
        ValidationError: on field ``"scan"``: another product than the container's,
            a product the clinic does not keep, another lot than the container's,
            an expired vial.
        ValueError: ``expected_gtin`` or ``known_gtins`` holding something that is not
            a GTIN (a caller's mistake, not the nurse's).
    """
    problems: list[Problem] = []
    product = _product_words(scan.gtin)
    if expected_gtin is not None and _as_gtin14(expected_gtin) != scan.gtin:
        problems.append(Problem(SCAN_FIELD, (
            f"This vial is a different product ({product}) from the chosen container's "
            f"({_product_words(_as_gtin14(expected_gtin))}): choose the container this vial "
            "belongs to, or fetch the right vial.")))
    if known_gtins is not None and scan.gtin not in {_as_gtin14(g) for g in known_gtins}:
        problems.append(Problem(SCAN_FIELD, (
            f"Unknown product: {product} is not one of the clinic's products. Check that this "
            "is the right vial; if it is, add the product to the clinic's stock list first.")))
    if expected_lot is not None and _lot_key(expected_lot) != _lot_key(scan.lot_number):
        problems.append(Problem(SCAN_FIELD, (
            f"This vial is lot {scan.lot_number}, but the chosen container is lot "
            f"{expected_lot.strip()}: choose the container for lot {scan.lot_number}, or "
            f"fetch a vial of lot {expected_lot.strip()}.")))
    if scan.expiry_date < today:
        problems.append(Problem(SCAN_FIELD, (
            f"This vial expired on {scan.expiry_date.isoformat()}; do not use it. Keep it "
            "locked up with the stock (it still counts) until it is returned or destroyed.")))
    if problems:
        raise ValidationError(problems)


def _element_strings(scan: str) -> tuple[GS1ElementStrings | None, bool, Problem | None]:
    """The scan's element strings, as biip reads them, and whether its fields were delimited.

    Or None, and why not where that can be named. Fields are delimited by GS in
    element strings, by parentheses in the human-readable form, by slashes in a
    Digital Link URI.
    """
    if scan.startswith("("):
        try:
            return GS1Message.parse_hri(scan, config=_CONFIG).element_strings, True, None
        except ParseError:
            return None, True, _failed_field(scan.replace("(", "").replace(")", ""))
    result = biip.parse(scan, config=_CONFIG)
    if result.gs1_message is not None:
        return result.gs1_message.element_strings, GROUP_SEPARATOR in result.value, None
    if result.gs1_digital_link_uri is not None:
        return result.gs1_digital_link_uri.element_strings, True, None
    if result.gtin is not None:
        gtin = result.gtin.as_gtin_14()
        ndc = ndc10_digits_in(gtin)
        what = f"NDC digits {ndc}" if ndc else f"GTIN {gtin}"
        return None, True, Problem(SCAN_FIELD, (
            f"This is a linear barcode: it carries only the product ({what}), no lot or "
            "expiry. Scan the square 2D code (DataMatrix) on the vial instead."))
    prefix = len(result.symbology_identifier.value) if result.symbology_identifier else 0
    return None, True, _failed_field(result.value[prefix:])


def _failed_field(value: str) -> Problem | None:
    """Name the field biip could not read, when it is one a nurse can act on (the date)."""
    rest = value.strip()
    while rest:
        try:
            element = GS1ElementString.extract(rest, config=_CONFIG)
        except ParseError:
            break
        rest = rest[len(element):].lstrip(GROUP_SEPARATOR)
    try:
        ai = GS1ApplicationIdentifier.extract(rest)
    except ParseError:
        return None
    if ai.ai == AI_EXPIRY:
        return Problem(SCAN_FIELD, _impossible_date(rest[len(ai):len(ai) + 6]))
    return None


def _vial_scan_from(elements: GS1ElementStrings, *, delimited: bool) -> VialScan:
    """The four fields, or every reason they cannot be had."""
    problems: list[str] = []
    gtin = elements.get(ai=AI_GTIN)
    lot = elements.get(ai=AI_LOT)
    expiry = elements.get(ai=AI_EXPIRY)
    serial = elements.get(ai=AI_SERIAL)
    if gtin is None:
        problems.append("The scan has no product code (GTIN, AI 01): scan the square 2D code "
                        "(DataMatrix) on the vial itself.")
    elif gtin.gtin is None:
        problems.append(f"The product code {gtin.value} fails its check digit: the code was "
                        "misread. Scan it again, holding the vial still.")
    if lot is None:
        problems.append("The scan has no lot number (AI 10): type the lot from the vial's "
                        "label.")
    expiry_date = expiry.date if expiry is not None else None
    if expiry is None:
        problems.append("The scan has no expiry date (AI 17): type the expiry from the vial's "
                        "label.")
    elif expiry_date is None:
        problems.append(_impossible_date(expiry.value))
    missing = [ai for ai, element in ((AI_GTIN, gtin), (AI_LOT, lot), (AI_EXPIRY, expiry))
               if element is None]
    if not delimited and (_run_together(elements) or _swallowed(missing, elements)):
        problems.append(_NO_SEPARATORS_HINT)
    if problems or gtin is None or lot is None or expiry_date is None:
        raise ValidationError(Problem(SCAN_FIELD, m) for m in problems)
    return VialScan(gtin=gtin.value, lot_number=lot.value, expiry_date=expiry_date,
                    serial=serial.value if serial is not None else None)


def _run_together(elements: GS1ElementStrings) -> bool:
    """Whether a scan without separators may have run two fields into one.

    Without GS a variable-length field ends only at the end of the scan or at its
    longest (20 characters), so the reading is trusted only when the one
    variable-length field is last. Even then a lot at the end may have swallowed
    the serial that followed it ("LOT123" + "21" + serial): DSCSA vials carry a
    serial, so a lot holding "21" followed by more, with no serial read, is
    refused too.
    """
    variable = [e for e in elements if e.ai.separator_required]
    if len(variable) > 1 or (variable and variable[-1] is not elements[-1]):
        return True
    lot = elements.get(ai=AI_LOT)
    return (lot is not None and elements.get(ai=AI_SERIAL) is None
            and AI_SERIAL in lot.value[1:-1])


def _swallowed(missing: list[str], elements: GS1ElementStrings) -> bool:
    """Whether a missing field's AI sits inside a variable-length value (not at its ends)."""
    return any(ai in e.value[1:-1] for ai in missing for e in elements
               if e.ai.separator_required)


def _impossible_date(yymmdd: str) -> str:
    return (f"The expiry date in the scan, {yymmdd} (YYMMDD), is not a real date: scan "
            "again, and if it repeats, type the expiry from the vial's label.")


def _unreadable(scan: str) -> str:
    preview = scan.replace(GROUP_SEPARATOR, "<GS>")
    if len(preview) > _PREVIEW_CHARS:
        preview = preview[:_PREVIEW_CHARS] + "…"
    return (f"This is not a vial code ketalog can read ({preview!r}): scan the square 2D code "
            "(DataMatrix) on the vial. If the characters look scrambled, the scanner's "
            "keyboard language may differ from the computer's.")


def _product_words(gtin: str) -> str:
    ndc = ndc10_digits_in(gtin)
    return f"GTIN {gtin}, NDC digits {ndc}" if ndc else f"GTIN {gtin}"


def _as_gtin14(gtin: str) -> str:
    """A GTIN-8, 12, 13 or 14 as 14 digits (leading zeros), for comparison."""
    digits = gtin.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise ValueError(f"not a GTIN: {gtin!r}")
    return digits.zfill(14)


def _lot_key(lot: str) -> str:
    return lot.strip().casefold()
