"""The vial's GS1 code: real element strings in, the four fields or a refusal a nurse can act on.

The product codes are real GTIN-14s built by the GS1 US NDC-in-GTIN rule
(indicator digit, ``03``, the 10 NDC digits, check digit), with check digits
worked by hand and verified by biip when it parses them:

- ``00367457108100``: NDC 67457-108-10 (5-3-2), Mylan Institutional ketamine
  hydrochloride 100 mg/mL, listed on DailyMed (ANDA076092).
- ``00301439508014``: NDC 0143-9508-01 (4-4-2), the Hikma ketamine 50 mg/mL
  10 mL family; the product code was not verified, so it is illustrative.

The lots, serials and expiry dates are made up.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketalog.domain.errors import ValidationError
from ketalog.domain.vial_barcode import (
    GROUP_SEPARATOR,
    GROUP_SEPARATOR_STAND_INS,
    VialScan,
    check_vial_against,
    gtin_from_ndc,
    ndc10_digits_in,
    parse_vial_scan,
    scan_text_from_keystrokes,
)

GS = "\x1d"
MYLAN_100 = "00367457108100"  # NDC 67457-108-10
HIKMA_50 = "00301439508014"  # NDC 0143-9508-01 (illustrative)
NORWAY = "07032069804988"  # a non-US GTIN (biip's own example)

GTIN_EL = f"01{MYLAN_100}"
EXPIRY_EL = "17271031"
LOT_EL = "10KE24A07"
SERIAL_EL = "21S9F3K2Q7P1"
VIAL = VialScan(gtin=MYLAN_100, lot_number="KE24A07", expiry_date=date(2027, 10, 31),
                serial="S9F3K2Q7P1")

NO_SEPARATORS = (
    "The scanner sent this code without its field separators, so the lot number and what "
    "follows it run together and cannot be told apart. Ask whoever looks after the scanners "
    "to have it send the group separator (GS), or ~ in its place, and scan again; until then, "
    "type the lot and expiry from the vial's label.")


def refusal(text: str) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        parse_vial_scan(text)
    assert {p.field for p in refused.value.problems} == {"scan"}
    return refused.value.messages


# --- reading -----------------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["]d2", "]C1", "]Q3", ""])
def test_a_datamatrix_scan_with_separators_gives_the_four_fields(prefix: str) -> None:
    scan = parse_vial_scan(f"{prefix}{GTIN_EL}{EXPIRY_EL}{LOT_EL}{GS}{SERIAL_EL}")
    assert scan == VIAL
    assert scan.ndc10_digits == "6745710810"


@pytest.mark.parametrize("order", list(itertools.permutations(
    [GTIN_EL, EXPIRY_EL, LOT_EL, SERIAL_EL])))
def test_fields_in_any_order(order: tuple[str, ...]) -> None:
    # a GS after every variable-length field, as an encoder writes it (none after the last)
    parts = [el + (GS if el[:2] in ("10", "21") else "") for el in order]
    assert parse_vial_scan("]d2" + "".join(parts).removesuffix(GS)) == VIAL


def test_a_separator_after_a_fixed_length_field_and_a_leading_fnc1_are_harmless() -> None:
    assert parse_vial_scan(f"{GS}{GTIN_EL}{GS}{EXPIRY_EL}{GS}{LOT_EL}{GS}{SERIAL_EL}{GS}") == VIAL


def test_without_separators_a_lot_at_the_end_is_read() -> None:
    # the layout GS1 advises when one variable field is coded: fixed-length fields first
    scan = parse_vial_scan(f"]d2{GTIN_EL}{EXPIRY_EL}{LOT_EL}")
    assert scan == VialScan(gtin=MYLAN_100, lot_number="KE24A07", expiry_date=date(2027, 10, 31))


@pytest.mark.parametrize("text", [
    # lot then serial: the lot would read "KE24A0721S9F3K2Q7P1" and the serial be lost
    f"]d2{GTIN_EL}{EXPIRY_EL}{LOT_EL}{SERIAL_EL}",
    # serial then lot: the serial swallows the lot
    f"]d2{GTIN_EL}{EXPIRY_EL}{SERIAL_EL}{LOT_EL}",
])
def test_without_separators_two_variable_fields_are_refused(text: str) -> None:
    messages = refusal(text)
    assert messages[-1] == NO_SEPARATORS


def test_without_separators_even_a_full_length_lot_before_the_serial_is_refused() -> None:
    # biip reads a 20-character lot and then the serial, but a shorter lot that swallowed
    # the start of the serial could read the same: only a variable field at the end is trusted
    assert refusal(f"{GTIN_EL}{EXPIRY_EL}10ABCDEFGHIJKLMNOPQRST21SN1") == [NO_SEPARATORS]
    assert parse_vial_scan(f"{GTIN_EL}{EXPIRY_EL}10ABCDEFGHIJKLMNOPQRST{GS}21SN1").serial == "SN1"


def test_without_separators_a_lot_that_may_hold_a_serial_is_refused() -> None:
    assert refusal(f"{GTIN_EL}{EXPIRY_EL}10KE2421X") == [NO_SEPARATORS]
    # "21" at the lot's start or end cannot be a swallowed serial
    assert parse_vial_scan(f"{GTIN_EL}{EXPIRY_EL}1021KE").lot_number == "21KE"
    assert parse_vial_scan(f"{GTIN_EL}{EXPIRY_EL}10KE21").lot_number == "KE21"


def test_without_separators_a_lost_expiry_says_why() -> None:
    # the lot came first and ran into the expiry: "KE24A0717271031"
    assert refusal(f"{GTIN_EL}{LOT_EL}{EXPIRY_EL}") == [
        "The scan has no expiry date (AI 17): type the expiry from the vial's label.",
        NO_SEPARATORS]


@pytest.mark.parametrize(("yymmdd", "expiry"), [
    ("271000", date(2027, 10, 31)),
    ("280200", date(2028, 2, 29)),  # leap year
    ("270200", date(2027, 2, 28)),
    ("270400", date(2027, 4, 30)),
    ("271231", date(2027, 12, 31)),
])
def test_an_expiry_day_of_00_is_the_last_day_of_the_month(yymmdd: str, expiry: date) -> None:
    assert parse_vial_scan(f"]d2{GTIN_EL}17{yymmdd}{LOT_EL}").expiry_date == expiry


@pytest.mark.parametrize("stand_in", GROUP_SEPARATOR_STAND_INS)
def test_a_stand_in_for_the_group_separator_is_read_as_one(stand_in: str) -> None:
    assert parse_vial_scan(f"]d2{GTIN_EL}{EXPIRY_EL}{LOT_EL}{stand_in}{SERIAL_EL}") == VIAL


def test_keystrokes_become_scan_text() -> None:
    typed = f"]d2{GTIN_EL}{EXPIRY_EL}{LOT_EL}~{SERIAL_EL}\r\n"
    assert scan_text_from_keystrokes(typed) == f"]d2{GTIN_EL}{EXPIRY_EL}{LOT_EL}{GS}{SERIAL_EL}"
    assert scan_text_from_keystrokes("A#B", stand_ins="#") == f"A{GROUP_SEPARATOR}B"
    assert scan_text_from_keystrokes(f"A{GS}B\t") == f"A{GS}B"
    with pytest.raises(ValueError, match="one character"):
        scan_text_from_keystrokes("A<GS>B", stand_ins=["<GS>"])


def test_the_human_readable_text_typed_from_the_label() -> None:
    assert parse_vial_scan(f"(01){MYLAN_100}(17)271031(10)KE24A07(21)S9F3K2Q7P1") == VIAL
    assert parse_vial_scan(f"(01) {MYLAN_100} (10) KE24A07 (17) 271031") == VialScan(
        gtin=MYLAN_100, lot_number="KE24A07", expiry_date=date(2027, 10, 31))


def test_a_gs1_digital_link_in_a_qr_code() -> None:
    uri = f"https://id.gs1.org/01/{MYLAN_100}/10/KE24A07/21/S9F3K2Q7P1?17=271031"
    assert parse_vial_scan(uri) == VIAL


def test_a_scan_without_a_serial() -> None:
    scan = parse_vial_scan(f"01{HIKMA_50}{EXPIRY_EL}{LOT_EL}")
    assert scan.serial is None and scan.ndc10_digits == "0143950801"


# --- refusals ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "hello",
    "]C1hello",
    "https://example.com/vial",  # a QR code with a web address, not a GS1 Digital Link
    # an AZERTY keyboard reading a US scanner's digits: ]d2010036...
    "]d2à&àà&'&",
])
def test_an_unreadable_scan(text: str) -> None:
    [message] = refusal(text)
    assert message.startswith("This is not a vial code ketalog can read (")
    assert message.endswith(
        "): scan the square 2D code (DataMatrix) on the vial. If the characters look "
        "scrambled, the scanner's keyboard language may differ from the computer's.")


def test_an_unreadable_scan_shows_the_gs_and_only_the_start() -> None:
    [message] = refusal("]d2ABC" + GS + "x" * 60)
    assert "(']d2ABC<GS>" + "x" * 30 + "…')" in message


@pytest.mark.parametrize("text", ["", "   ", "\r\n", GS])
def test_nothing_scanned(text: str) -> None:
    assert refusal(text) == [
        "Nothing was scanned: point the scanner at the square code on the vial."]


@pytest.mark.parametrize("text", [MYLAN_100, MYLAN_100[2:], "]E0" + MYLAN_100[1:]])
def test_the_linear_barcode_carries_no_lot(text: str) -> None:
    assert refusal(text) == [
        "This is a linear barcode: it carries only the product (NDC digits 6745710810), no lot "
        "or expiry. Scan the square 2D code (DataMatrix) on the vial instead."]


def test_a_scan_without_gtin() -> None:
    assert refusal(f"]d2{EXPIRY_EL}{LOT_EL}{GS}{SERIAL_EL}") == [
        "The scan has no product code (GTIN, AI 01): scan the square 2D code (DataMatrix) on "
        "the vial itself."]


def test_a_scan_without_lot() -> None:
    assert refusal(f"]d2{GTIN_EL}{EXPIRY_EL}{SERIAL_EL}") == [
        "The scan has no lot number (AI 10): type the lot from the vial's label."]
    # without separators a serial holding "10..." may have swallowed the lot
    assert refusal(f"]d2{GTIN_EL}{EXPIRY_EL}21S9F310KE24") == [
        "The scan has no lot number (AI 10): type the lot from the vial's label.",
        NO_SEPARATORS]


def test_a_scan_without_expiry() -> None:
    assert refusal(f"]d2{GTIN_EL}{LOT_EL}{GS}{SERIAL_EL}") == [
        "The scan has no expiry date (AI 17): type the expiry from the vial's label."]


def test_every_missing_field_is_listed() -> None:
    assert refusal(f"]d2{GTIN_EL}{SERIAL_EL}") == [
        "The scan has no lot number (AI 10): type the lot from the vial's label.",
        "The scan has no expiry date (AI 17): type the expiry from the vial's label."]


@pytest.mark.parametrize("yymmdd", ["270231", "270229", "271301", "271032", "270000"])
def test_an_impossible_expiry_date(yymmdd: str) -> None:
    expected = [f"The expiry date in the scan, {yymmdd} (YYMMDD), is not a real date: scan "
                "again, and if it repeats, type the expiry from the vial's label."]
    assert refusal(f"]d2{GTIN_EL}17{yymmdd}{LOT_EL}{GS}{SERIAL_EL}") == expected
    assert refusal(f"(01){MYLAN_100}(17){yymmdd}(10)KE24A07") == expected


def test_a_misread_gtin_fails_its_check_digit() -> None:
    assert refusal(f"]d201{MYLAN_100[:-1]}9{EXPIRY_EL}{LOT_EL}") == [
        "The product code 00367457108109 fails its check digit: the code was misread. Scan it "
        "again, holding the vial still."]


# --- the NDC inside the GTIN --------------------------------------------------------------------

def test_the_ndc_digits_inside_a_gtin() -> None:
    assert ndc10_digits_in(MYLAN_100) == "6745710810"
    assert ndc10_digits_in("10367457108107") == "6745710810"  # a carton: indicator 1
    assert ndc10_digits_in(NORWAY) is None
    assert ndc10_digits_in("0036745710810") is None  # 13 digits
    assert VialScan(gtin=NORWAY, lot_number="A", expiry_date=date(2027, 1, 1)).ndc10_digits is None


@pytest.mark.parametrize(("ndc", "indicator", "gtin"), [
    ("67457-108-10", 0, MYLAN_100),
    ("6745710810", 0, MYLAN_100),
    ("67457-108-10", 1, "10367457108107"),
    ("0143-9508-01", 0, HIKMA_50),
])
def test_the_gtin_of_an_ndc(ndc: str, indicator: int, gtin: str) -> None:
    assert gtin_from_ndc(ndc, indicator_digit=indicator) == gtin


@pytest.mark.parametrize("ndc", ["67457-0108-10", "00143950801", "6745710", "", "67457-1O8-10"])
def test_an_ndc_that_is_not_10_digits_is_refused(ndc: str) -> None:
    with pytest.raises(ValidationError) as refused:
        gtin_from_ndc(ndc)
    assert refused.value.problems[0].field == "ndc"
    assert refused.value.messages == [
        f"An NDC has 10 digits (e.g. 67457-108-10); {ndc!r} does not."]


# --- the vial against the chosen container ------------------------------------------------------

TODAY = date(2026, 12, 3)


def refused_check(scan: VialScan, **kwargs: object) -> list[str]:
    arguments: dict[str, object] = dict(expected_gtin=None, expected_lot=None, today=TODAY)
    arguments.update(kwargs)
    with pytest.raises(ValidationError) as refused:
        check_vial_against(scan, **arguments)  # type: ignore[arg-type]
    assert {p.field for p in refused.value.problems} == {"scan"}
    return refused.value.messages


def test_the_right_vial_passes() -> None:
    check_vial_against(VIAL, expected_gtin=MYLAN_100, expected_lot="KE24A07", today=TODAY)
    check_vial_against(VIAL, expected_gtin=None, expected_lot=None, today=TODAY)


def test_a_lot_typed_in_another_case_matches() -> None:
    check_vial_against(VIAL, expected_gtin=MYLAN_100, expected_lot=" ke24a07 ", today=TODAY)


def test_another_product_than_the_containers() -> None:
    assert refused_check(VIAL, expected_gtin=HIKMA_50) == [
        "This vial is a different product (GTIN 00367457108100, NDC digits 6745710810) from the "
        "chosen container's (GTIN 00301439508014, NDC digits 0143950801): choose the container "
        "this vial belongs to, or fetch the right vial."]


def test_an_unknown_product() -> None:
    assert refused_check(VIAL, known_gtins={HIKMA_50}) == [
        "Unknown product: GTIN 00367457108100, NDC digits 6745710810 is not one of the "
        "clinic's products. Check that this is the right vial; if it is, add the product to "
        "the clinic's stock list first."]
    norway = VialScan(gtin=NORWAY, lot_number="A", expiry_date=TODAY)
    assert refused_check(norway, known_gtins=[MYLAN_100])[0].startswith(
        "Unknown product: GTIN 07032069804988 is not")


def test_known_products_may_be_written_as_gtin_12_or_13() -> None:
    check_vial_against(VIAL, expected_gtin="367457108100", expected_lot=None, today=TODAY,
                       known_gtins=["0367457108100"])


def test_a_lot_that_is_not_the_containers() -> None:
    assert refused_check(VIAL, expected_gtin=MYLAN_100, expected_lot="KE23B11") == [
        "This vial is lot KE24A07, but the chosen container is lot KE23B11: choose the "
        "container for lot KE24A07, or fetch a vial of lot KE23B11."]


def test_an_expired_vial() -> None:
    expired = VialScan(gtin=MYLAN_100, lot_number="KE24A07", expiry_date=date(2026, 3, 31))
    assert refused_check(expired, today=date(2026, 4, 1)) == [
        "This vial expired on 2026-03-31; do not use it. Keep it locked up with the stock "
        "(it still counts) until it is returned or destroyed."]


def test_a_vial_may_be_used_on_its_expiry_date() -> None:
    check_vial_against(VIAL, expected_gtin=None, expected_lot=None, today=VIAL.expiry_date)


def test_a_caller_passing_something_that_is_not_a_gtin_is_told() -> None:
    with pytest.raises(ValueError, match="not a GTIN: '67457-108-10'"):
        check_vial_against(VIAL, expected_gtin="67457-108-10", expected_lot=None, today=TODAY)


def test_every_reason_is_listed() -> None:
    messages = refused_check(VIAL, expected_gtin=HIKMA_50, expected_lot="KE23B11",
                             today=date(2027, 11, 1), known_gtins=[HIKMA_50])
    assert [m.split(" ")[:4] for m in messages] == [
        ["This", "vial", "is", "a"], ["Unknown", "product:", "GTIN", "00367457108100,"],
        ["This", "vial", "is", "lot"], ["This", "vial", "expired", "on"]]


# --- any lot, serial and date come back ----------------------------------------------------------

#: The characters a GS1 lot or serial may hold (GS1 General Specifications, set 82).
GS1_CHARSET_82 = ("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                  "abcdefghijklmnopqrstuvwxyz")
gs1_text = st.text(alphabet=GS1_CHARSET_82, min_size=1, max_size=20)


@given(
    lot=gs1_text,
    serial=st.none() | gs1_text,
    expiry=st.dates(date(2000, 1, 1), date(2049, 12, 31)),
    day_00=st.booleans(),
    prefix=st.sampled_from(["", "]d2", "]C1", "]Q3"]),
    separator=st.sampled_from((GS,) + GROUP_SEPARATOR_STAND_INS),
    order=st.permutations(["01", "17", "10", "21"]),
)
def test_any_lot_serial_and_date_round_trip(lot: str, serial: str | None, expiry: date,
                                            day_00: bool, prefix: str, separator: str,
                                            order: list[str]) -> None:
    yymmdd = f"{expiry:%y%m}00" if day_00 else f"{expiry:%y%m%d}"
    values = {"01": MYLAN_100, "17": yymmdd, "10": lot, "21": serial}
    text = prefix + "".join(f"{ai}{values[ai]}" + (separator if ai in ("10", "21") else "")
                            for ai in order if values[ai] is not None)
    scan = parse_vial_scan(text)
    if day_00:  # the last day of that month
        next_month = date(expiry.year + expiry.month // 12, expiry.month % 12 + 1, 1)
        expiry = date.fromordinal(next_month.toordinal() - 1)
    assert scan == VialScan(gtin=MYLAN_100, lot_number=lot, expiry_date=expiry, serial=serial)
