"""The OCR accuracy bench's measures (bench/ocr_accuracy.py): line recall and character recall."""

from __future__ import annotations

import pytest

from bench.ocr_accuracy import char_hits, line_recall, parse_engine


def test_line_recall_counts_each_ocr_line_once_ignoring_case_and_spaces() -> None:
    gt = ["TOTAL 12.50", "total 12.50", "Cash", "Danke"]
    ocr = ["Total12.50", "CASH 20.00", "Danke"]
    assert line_recall(gt, ocr) == (2, 4, 4)  # exact: one TOTAL + Danke; contained: all four


def test_char_recall_moves_a_little_for_one_slip_and_not_at_all_for_spacing() -> None:
    assert char_hits(["Cavendish & Ross"], ["CAVENDISH&ROSS"]) == (14, 14)
    hits, total = char_hits(["Cavendish & Ross"], ["Cavendish & Rass", "Ross Street"])
    assert (hits, total) == (13, 14)
    assert char_hits(["Итого 450,00"], []) == (0, 11)
    assert char_hits(["รวม 120.00"], ["รวม120.00"]) == (9, 9)


def test_engine_specs_are_typed_after_the_engine_config() -> None:
    spec = parse_engine("small:det_upscale_side=0,quantized=false,det_box_thresh=0.4")
    assert dict(spec.overrides) == {"det_upscale_side": 0, "quantized": False, "det_box_thresh": 0.4}
    with pytest.raises(Exception, match="unknown EngineConfig field"):
        parse_engine("bad:no_such_knob=1")
