"""Unit: the one cue table (role and language of the words printed before a value)."""

from __future__ import annotations

import re

import pytest
from receiptflow.extract import cue_table
from receiptflow.extract.totals import classify

AMOUNT_ROLES = {
    "total", "due", "subtotal", "net", "tax", "tip", "charge", "discount", "rounding", "change",
    "cash", "card", "paid", "ignore", "table",
}  # fmt: skip
# languages issue 11 asks for, each with at least a total, a tax and a change/cash cue
LANGUAGES = "en de fr es it nl pt pl cs tr sv da no ms id zh ja ko th ru uk bg".split()
_PLAIN = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")


def test_every_row_parses_into_role_language_cue() -> None:
    cues = cue_table.rows()
    assert AMOUNT_ROLES <= {c.role for c in cues}
    for lang in LANGUAGES:
        roles = {c.role for c in cues if c.lang == lang}
        assert {"total", "tax"} <= roles or {"total", "change"} <= roles, lang
        assert roles & {"cash", "change", "card"}, lang
    for cue in cues:
        re.compile(cue_table.cue_pattern(cue.text))


def test_every_plain_cue_matches_itself_printed_and_glued_to_an_amount() -> None:
    for cue in cue_table.rows():
        text = cue.text.strip("*")
        if not _PLAIN.fullmatch(text):
            continue
        assert cue.role in cue_table.roles(text), cue
        assert cue.role in cue_table.roles(f"{text.lower()} 12,50"), cue
        assert cue.role in cue_table.roles(f"{text}:"), cue


@pytest.mark.parametrize(
    ("label", "role"),
    [
        # German: the receipt
        ("ZU ZAHLEN EURO", "total"),
        ("BARGELD", "paid"),
        ("ZURÜCK", "change"),
        ("Zuruck", "change"),  # OCR lost the umlaut
        ("Zwischensumme", "subtotal"),
        ("enth. MwSt 19%", "tax"),
        ("Summe inkl. MwSt", "total"),
        # Polish, Czech, Turkish
        ("DO ZAPŁATY", "total"),
        ("SUMA PLN", "total"),
        ("Gotówka", "paid"),
        ("Reszta", "change"),
        ("PTU A 23%", "tax"),
        ("Celkem k úhradě", "total"),
        ("Vráceno", "change"),
        ("DPH 21%", "tax"),
        ("GENEL TOPLAM", "total"),
        ("TOPKDV", "tax"),
        ("NAKİT", "paid"),
        ("PARA ÜSTÜ", "change"),
        # French, Spanish, Italian, Dutch, Portuguese
        ("NET A PAYER", "total"),
        ("TVA 20%", "tax"),
        ("Espèces", "paid"),
        ("Rendu", "change"),
        ("TOTAL A PAGAR", "total"),
        ("Cambio", "change"),
        ("TOTALE COMPLESSIVO", "total"),
        ("Resto", "change"),
        ("Te betalen", "total"),
        ("Wisselgeld", "change"),
        ("Troco", "change"),
        # Scandinavian
        ("ATT BETALA", "total"),
        ("Moms 25%", "tax"),
        ("Å BETALE", "total"),
        ("Byttepenge", "change"),
        # Malay / Indonesian
        ("JUMLAH", "total"),
        ("TUNAI", "paid"),
        ("KEMBALIAN", "change"),
        # CJK, Thai, Cyrillic
        ("合計", "total"),
        ("お釣り", "change"),
        ("小計", "subtotal"),
        ("합계", "total"),
        ("거스름돈", "change"),
        ("รวมทั้งสิ้น", "total"),
        ("เงินทอน", "change"),
        ("ภาษีมูลค่าเพิ่ม 7%", "tax"),
        ("ИТОГО", "total"),
        ("Сдача", "change"),
        ("ДО СПЛАТИ", "total"),
        ("Решта", "change"),
        ("ОБЩО", "total"),
        ("В БРОЙ", "paid"),
        ("ДДС", "tax"),
        # English, glued as some transcriptions and OCR print it
        ("CashChange", "change"),
        ("SalesTax", "tax"),
        ("NetTotal:", "total"),
        ("GRANDTOTAL", "total"),
        ("Change Due", "change"),
        ("BALANCE DUE", "total"),
        ("TOTAL QTY", "ignore"),
    ],
)
def test_summary_labels_in_many_languages(label: str, role: str) -> None:
    found = classify(label)
    assert found is not None and found[0] == role


def test_words_inside_other_words_are_not_cues() -> None:
    assert classify("Grandma's Noodle") is None  # GRAND without TOTAL
    assert classify("BARCODE") is None
    assert classify("Cashier") is None
    assert classify("Kraft Cheese") is None


def test_language_of_a_receipt_from_its_cues() -> None:
    german = ["SUMME EUR 24,23", "BARGELD 40,00", "ZURÜCK 15,77", "MwSt 19%"]
    polish = ["SUMA PLN 24,23", "Gotówka 40,00", "Reszta 15,77", "PTU A 23%"]
    assert cue_table.languages(german).most_common(1)[0][0] == "de"
    assert cue_table.languages(polish).most_common(1)[0][0] == "pl"
