"""OCR word repair against the training lexicon."""

from __future__ import annotations

from receiptflow.extract.lexicon import correct_text, correct_word


def test_unknown_words_one_slip_from_a_frequent_word_are_repaired_in_their_case() -> None:
    assert correct_word("Selaugor") == "Selangor"
    assert correct_word("JALAU") == "JALAN"
    assert correct_word("5ELANGOR") == "SELANGOR"  # a digit that looks like a letter


def test_printed_digits_short_and_known_words_are_kept() -> None:
    assert correct_word("UPTOWN3") == "UPTOWN3"  # training key 437: "DAMANSARA UPTOWN3"
    assert correct_word("JLN") == "JLN"
    assert correct_word("47400") == "47400"


def test_text_repair_keeps_spacing_and_punctuation() -> None:
    assert correct_text("NO 8, Jalau Besar,40300Shah Alam") == "NO 8, Jalan Besar,40300 Shah Alam"
