"""Unit: OCR slips on the money rows of phone photos, in several countries — a ``$`` read as ``S``, a
decimal separator read as a space (also in two-column rows such as ``CASH 20 00 CHANGE 8 13``), cash
and change on one line under short labels (``TEND 20.00 CHG 8.13``), and ambiguous day/month dates
that the receipt's own evidence settles (a misread ``$``, a 12-hour clock, a return-by date).
Receipts written for these tests, OCR lines with boxes (``layouts.receipt_lines``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from receiptflow.extract import extract_receipt
from receiptflow.extract.extractor import read_totals
from receiptflow.money import DOT, find_amounts, find_spaced_amounts, mend_dollar

from tests.unit.extract.layouts import receipt_lines


def _total(rows: list[str]) -> str | None:
    total = extract_receipt(receipt_lines(rows)).total
    return str(total.value) if total is not None else None


def _date(rows: list[str]) -> str | None:
    value = extract_receipt(receipt_lines(rows)).date.value
    return value.isoformat() if value is not None else None


# --- a "$" read as "S" -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # US diner: every amount carries the misread sign
        (
            [
                "JOE'S DINER",
                "Burger | S8.49",
                "Fries | S2.50",
                "SUBTOTAL | S10.99",
                "TAX | S0.88",
                "TOTAL | S11.87",
            ],
            "11.87",
        ),
        # Mexican taquería (Spanish cue words)
        (
            [
                "TAQUERIA EL GUERO",
                "Tacos | S45.00",
                "Refresco | S18.50",
                "TOTAL | S63.50",
                "EFECTIVO | S100.00",
            ]
            + ["CAMBIO | S36.50"],
            "63.50",
        ),
        # Australian supermarket
        (
            ["COLES", "SYDNEY NSW 2000", "Milk | S3.50", "Bread | S4.20", "TOTAL | S7.70", "EFTPOS | S7.70"],
            "7.70",
        ),
        # Canadian coffee shop with HST
        (
            [
                "TIM HORTONS",
                "TORONTO ON M5V 2T6",
                "Coffee | S2.15",
                "Donut | S1.49",
                "HST | S0.47",
                "TOTAL | S4.11",
            ],
            "4.11",
        ),
        # Singapore coffee shop
        (["KOPITIAM", "Kopi | S1.80", "Kaya Toast | S2.60", "TOTAL | S4.40", "NETS | S4.40"], "4.40"),
    ],
)
def test_dollar_read_as_s_is_not_a_five(rows: list[str], expected: str) -> None:
    # GIVEN amounts printed "$8.49" and read "S8.49" (before: 58.49, the total 511.87)
    assert _total(rows) == expected


def test_dollar_read_as_s_names_the_currency() -> None:
    receipt = extract_receipt(receipt_lines(["CORNER STORE", "Soda | 1.99", "TOTAL S 1.99", "CASH S 5.00"]))
    assert receipt.currency.value == "USD"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("S12.50", "$12.50"),
        ("TOTAL S 8.99", "TOTAL $ 8.99"),
        ("TOTAL:S1,299.00", "TOTAL:$1,299.00"),
        ("S4218.00", "S4218.00"),  # a tax code glued to a quantity (Malaysian GST "S")
        ("SR 5.50", "SR 5.50"),  # a word, not a sign
        ("SIZES 12.50", "SIZES 12.50"),
        ("SUMME S 12,50", "SUMME S 12,50"),  # a decimal comma: not a dollar amount
        ("1S.00", "1S.00"),  # a 5 inside the number stays a digit
    ],
)
def test_mend_dollar(text: str, expected: str) -> None:
    assert mend_dollar(text) == expected


def test_s_inside_a_number_is_still_a_five() -> None:
    assert [a.value for a in find_amounts("Milk 1S.00", DOT)] == [Decimal("15.00")]


# --- a decimal separator read as a space --------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # German DIY store: the total's label faded; cash − change on one line, points lost
        (
            ["BAUHAUS", "Schrauben | 4,99", "Farbe | 19,24", "EURO | 24,23", "BAR 40 00 RÜCKGELD 15 77"]
            + ["MwSt% | Netto | MwSt | Brutto", "A 19% | 20,36 | 3,87 | 24,23", "Gesamt Brutto | 28,50"],
            "24.23",
        ),
        # Polish shop: a gross total of the PTU table below
        (
            ["SKLEP", "Chleb | 4,99 C", "Mleko | 3,49 C", "8,48", "GOTÓWKA 20 00 RESZTA 11 52"]
            + ["PTU C 5% | 0,40", "SUMA BRUTTO | 12,90"],
            "8.48",
        ),
        # Spanish bar
        (
            ["BAR PEPE", "Caña | 2,00", "Tapa | 3,50", "Pan | 0,60", "6,10", "EFECTIVO 10 00 CAMBIO 3 90"]
            + ["BASE | IVA | TOTAL", "5,55 | 0,55 | 6,10", "TOTAL BRUTO | 7,80"],
            "6.10",
        ),
        # Italian bar
        (
            ["BAR ROMA", "Caffè | 1,20", "Cornetto | 1,30", "Acqua | 1,00", "3,50"]
            + ["CONTANTI 5 00 RESTO 1 50", "TOTALE COMPLESSIVO | 9,90"],
            "3.50",
        ),
        # US petrol station: a points balance under the payment
        (["GAS N GO", "Unleaded | 30.00", "Snack | 2.49", "32.49", "CASH 40 00 CHANGE 7 51"]
         + ["POINTS BALANCE | 45.00"], "32.49"),
    ],
)  # fmt: skip
def test_cash_and_change_with_lost_decimal_separators(rows: list[str], expected: str) -> None:
    # GIVEN cash and change whose decimal separators OCR read as spaces, on one line
    assert _total(rows) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CASH 20 00 CHANGE 8 13", ["20.00", "8.13"]),
        ("ZU ZAHLEN EUR 24 23", ["24.23"]),
        ("TOTAL 28-90", ["28.90"]),
        ("TEL 03 55 12 34", []),  # a phone number: no label between its pairs
        ("DATE 12 03 2019", []),
        ("12 50", []),  # no label at all
    ],
)
def test_find_spaced_amounts(text: str, expected: list[str]) -> None:
    assert [str(a.value) for a in find_spaced_amounts(text)] == expected


def test_short_change_label_on_one_line_with_cash() -> None:
    # GIVEN "TEND 20.00 CHG 8.13" on one line (US till) under a total whose label faded
    totals = read_totals(
        receipt_lines(["JOE'S DINER", "Burger | 8.49", "Fries | 2.50", "11.87", "TEND 20.00 CHG 8.13"])
    )
    assert totals.paid is not None and totals.paid.amount.value == Decimal("20.00")
    assert totals.change is not None and totals.change.amount.value == Decimal("8.13")
    assert totals.total is not None and totals.total.amount.value == Decimal("11.87")
    assert totals.paid_agrees


# --- ambiguous day/month dates: the receipt's evidence ------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # US: the only currency evidence is a "$" read as "S"
        (["TACO SHOP", "Taco | S3.50", "Soda | S1.99", "TOTAL S 5.49", "03/04/2019 12:31"], "2019-03-04"),
        # US: no currency, no address; a 12-hour clock
        (["TACO SHOP", "Taco | 3.50", "Soda | 1.99", "TOTAL | 5.49", "03/04/19 7:42 PM"], "2019-03-04"),
        # US: a return-by date is not the sale's date
        (["WALMART", "Milk | 3.50", "TOTAL | 3.50", "05/06/2019", "RETURN BY 08/25/2019"], "2019-05-06"),
        # a 12-hour clock does not outweigh day-first evidence: Malaysia (S/B), UK (£), India (Rs.),
        # Australia (state + postcode), Germany (cue words)
        (["99 SPEED MART S/B", "Milo | 4.50", "TOTAL | 4.50", "01:34PM 05-02-18"], "2018-02-05"),
        (["TESCO", "Milk | £1.20", "TOTAL | £1.20", "05/06/2019 2:03 PM"], "2019-06-05"),
        (["DMART", "Milk | Rs.45.00", "TOTAL | Rs.45.00", "05/06/2019 02:03 PM"], "2019-06-05"),
        (["COLES", "SYDNEY NSW 2000", "Milk | 3.50", "TOTAL | 3.50", "05/06/2019 2:03PM"], "2019-06-05"),
        (["REWE", "Milch | 1,20", "SUMME | 1,20", "05/06/2019 2:03 PM"], "2019-06-05"),
    ],
)
def test_ambiguous_dates_follow_the_receipts_evidence(rows: list[str], expected: str) -> None:
    assert _date(rows) == expected


# --- a card or loyalty balance under the payment is neither change nor the total ----------------------


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            ["JOE'S DINER", "Burger | 8.49", "Fries | 2.50", "11.87", "CASH TEND 20.00 CHANGE DUE 8.13"]
            + ["REWARDS BALANCE | 25.00"],
            "11.87",
        ),
        (
            ["COFFEE CO", "Latte | 4.50", "Muffin | 2.75", "7.25", "GIFT CARD | 7.25"]
            + ["REMAINING BAL | 42.75"],
            "7.25",
        ),
        (
            ["BOULANGERIE", "Baguette | 1,20", "Tarte | 12,30", "13,50", "ESPECES 20,00 RENDU 6,50"]
            + ["SOLDE CARTE | 26,50"],
            "13.50",
        ),
        (
            ["CAFETERIA", "Café | 1,50", "Tostada | 2,30", "3,80", "TARJETA | 3,80"]
            + ["SALDO TARJETA | 21,20"],
            "3.80",
        ),
        (
            ["BAR ROMA", "Caffè | 1,20", "Cornetto | 1,30", "2,50", "CARTA | 2,50"] + ["SALDO CARTA | 47,50"],
            "2.50",
        ),
        (
            ["DROGERIE", "Seife | 1,95", "Creme | 4,45", "6,40", "KARTE | 6,40"] + ["Restguthaben | 18,60"],
            "6.40",
        ),
    ],
)
def test_card_and_loyalty_balances_are_not_the_total(rows: list[str], expected: str) -> None:
    # GIVEN the total's label faded and a larger balance of a gift, loyalty or payment card below
    assert _total(rows) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("合计446.00", "446.00"),  # Chinese label glued to its amount
        ("รวม120.00", "120.00"),  # Thai
        ("Grand Total ぎ446.00", "446.00"),  # ₹ misread as a kana glued to the amount
    ],
)
def test_amounts_glued_to_letters_of_unspaced_scripts_are_read(text: str, value: str) -> None:
    assert [a.value for a in find_amounts(text)] == [Decimal(value)]


@pytest.mark.parametrize("text", ["SKU12.50", "L2.03", "ИТОГ12.50", "TOTAL A446.00"])
def test_amounts_glued_to_letters_of_spaced_scripts_are_codes(text: str) -> None:
    assert find_amounts(text) == []


def test_a_total_worked_out_from_subtotal_and_tax_takes_the_rounding() -> None:
    # GIVEN an Indian bill whose grand total OCR could not read (₹ misread, digits lost)
    rows = [
        "SARAVANA BHAVAN",
        "Sub Total | 425.00",
        "CGST @2.5% | 10.63",
        "SGST @2.5% | 10.63",
        "Round Off | -0.26",
        "Grand Total | ぎ4#6.0",
    ]
    assert extract_receipt(receipt_lines(rows)).total.value == Decimal("446.00")
