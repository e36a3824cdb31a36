"""Field geometry: each field's printed text is found again among the OCR lines and boxed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest
from receiptflow.extract.geometry import locate_fields
from receiptflow.models import DateField, FieldBox, MoneyField, Receipt, TextField
from receiptflow.models.ocr_lines import OcrLine

PAGE = (600, 1000)
ROW = 30.0
CHAR = 12.0


def layout(rows: Sequence[str], page: int = 0) -> list[OcrLine]:
    """One OCR line per `` | ``-separated segment, rows top to bottom."""
    lines: list[OcrLine] = []
    for i, row in enumerate(rows):
        x = 20.0
        y0 = 20.0 + i * (ROW + 8.0)
        for seg in (s.strip() for s in row.split(" | ")):
            lines.append(OcrLine(text=seg, box=(x, y0, x + CHAR * len(seg), y0 + ROW), page=page))
            x += CHAR * len(seg) + 80.0
    return lines


def row_of(box: FieldBox | None) -> int:
    assert box is not None
    return round((box.y0 * PAGE[1] - 20.0) / (ROW + 8.0))


def money(text: str | None, value: str) -> MoneyField:
    return MoneyField(value=Decimal(value), text=text, confidence=0.9)


def test_english_fields_are_boxed_on_their_rows_and_narrowed_to_the_value() -> None:
    lines = layout(
        [
            "CORNER DELI",
            "12 High Street",
            "Date: 03/04/2024",
            "Coffee | 4.00",
            "SUBTOTAL | 10.00",
            "TAX | 0.60",
            "TOTAL | 10.60",
        ]  # fmt: skip
    )
    receipt = Receipt(
        vendor_name=TextField(value="CORNER DELI", text="CORNER DELI", confidence=0.9),
        date=DateField(value=dt.date(2024, 3, 4), text="03/04/2024", confidence=0.9),
        subtotal=money("10.00", "10.00"),
        tax=money("0.60", "0.60"),
        total=money("10.60", "10.60"),
    )
    locate_fields(receipt, lines, [PAGE])
    assert [row_of(receipt.vendor_name.box), row_of(receipt.date.box)] == [0, 2]
    assert [row_of(f.box) for f in (receipt.subtotal, receipt.tax, receipt.total)] == [4, 5, 6]
    date_box = receipt.date.box
    assert date_box is not None
    # "Date: 03/04/2024": the box covers the date's characters, not the label
    assert date_box.x0 == pytest.approx((20 + CHAR * 6) / PAGE[0], abs=0.01)
    assert date_box.x1 == pytest.approx((20 + CHAR * 16) / PAGE[0], abs=0.01)
    assert receipt.currency.box is None  # absent fields stay unboxed


def test_an_amount_printed_twice_is_boxed_where_its_own_label_is() -> None:
    lines = layout(["SHOP", "SUBTOTAL | 8.50", "TOTAL | 8.50", "CASH | 8.50", "CHANGE | 0.00"])
    receipt = Receipt(subtotal=money("8.50", "8.50"), total=money("8.50", "8.50"),
                      amount_paid=money("8.50", "8.50"))  # fmt: skip
    locate_fields(receipt, lines, [PAGE])
    assert [row_of(receipt.subtotal.box), row_of(receipt.total.box), row_of(receipt.amount_paid.box)] == [
        1,
        2,
        3,
    ]


def test_german_value_without_printed_text_is_found_in_its_comma_form() -> None:
    lines = layout(["BÄCKEREI MÜLLER", "Brezel | 1,20", "MwSt 7% | 0,82", "SUMME EUR | 12,50", "BAR | 20,00"])
    receipt = Receipt(total=money(None, "12.50"), tax=money(None, "0.82"))
    locate_fields(receipt, lines, [PAGE])
    assert row_of(receipt.total.box) == 3
    assert row_of(receipt.tax.box) == 2


def test_malay_amount_paid_prefers_tunai_over_kembali_with_the_same_digits() -> None:
    lines = layout(["KEDAI MAJU", "JUMLAH | RM 25.90", "KEMBALI | 25.90", "TUNAI | 25.90"])
    receipt = Receipt(total=money("RM 25.90", "25.90"), amount_paid=money("25.90", "25.90"))
    locate_fields(receipt, lines, [PAGE])
    assert row_of(receipt.total.box) == 1
    assert row_of(receipt.amount_paid.box) == 3


def test_french_address_over_two_lines_gets_one_box_around_both() -> None:
    lines = layout(["BOULANGERIE DUPONT", "12 rue de la Paix", "75002 Paris", "TOTAL TTC | 7,40"])
    receipt = Receipt(
        vendor_address=TextField(value="12 rue de la Paix 75002 Paris", text="12 rue de la Paix 75002 Paris")
    )
    locate_fields(receipt, lines, [PAGE])
    box = receipt.vendor_address.box
    assert box is not None
    assert row_of(box) == 1
    assert box.y1 * PAGE[1] == pytest.approx(20.0 + 2 * (ROW + 8.0) + ROW, abs=1.0)


def test_a_repaired_vendor_name_is_found_by_similarity() -> None:
    lines = layout(["CAFE R0MA SRL", "Via Roma 1", "TOTALE | 3,50"])
    receipt = Receipt(vendor_name=TextField(value="CAFE ROMA SRL", text="CAFE ROMA SRL", confidence=0.7))
    locate_fields(receipt, lines, [PAGE])
    assert row_of(receipt.vendor_name.box) == 0


def test_text_that_is_not_on_the_page_is_left_unboxed() -> None:
    lines = layout(["SHOP", "TOTAL | 3.00"])
    receipt = Receipt(vendor_name=TextField(value="SOMETHING ELSE", text="SOMETHING ELSE"))
    locate_fields(receipt, lines, [PAGE])
    assert receipt.vendor_name.box is None


def test_a_field_on_the_second_page_is_normalised_to_that_page() -> None:
    lines = layout(["PAGE ONE"]) + layout(["TOTAL | 99.00"], page=1)
    receipt = Receipt(total=money("99.00", "99.00"))
    locate_fields(receipt, lines, [PAGE, (1200, 2000)])
    box = receipt.total.box
    assert box is not None
    assert box.page == 1
    assert box.x1 <= (20 + CHAR * 5 + 80 + CHAR * 5) / 1200 + 1e-3


def test_boxes_are_clipped_to_the_page() -> None:
    assert FieldBox.from_pixels(0, (-5, -5, 700, 50), PAGE) == FieldBox(page=0, x0=0, y0=0, x1=1, y1=0.05)
    assert FieldBox.from_pixels(0, (10, 10, 10, 20), PAGE) is None
    assert FieldBox.from_pixels(0, (1, 1, 2, 2), (0, 0)) is None


def test_a_lone_currency_symbol_is_boxed_only_where_it_stands_alone() -> None:
    lines = layout(["SHOP", "Milk | $2.49", "TOTAL | $ | 2.49"])
    receipt = Receipt(currency=TextField(value="USD", text="$", confidence=0.9))
    locate_fields(receipt, lines, [PAGE])
    assert row_of(receipt.currency.box) == 2
    alone = Receipt(currency=TextField(value="USD", text="$", confidence=0.9))
    locate_fields(alone, layout(["SHOP", "Milk | $2.49"]), [PAGE])
    assert alone.currency.box is None
