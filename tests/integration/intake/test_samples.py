"""Functional: the bundled samples match their generator, load cleanly, and a real OCR engine reads them."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from receiptflow.intake import load_document
from receiptflow.settings import Settings

from tools.make_samples import ground_truth, render_sample, render_samples, specs, truth_path

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
_MONEY = ("subtotal", "tax", "tip", "discount", "total")
_KEYS = {"vendor_name", "vendor_address", "date", "time", "currency", "payment_method", "line_items", *_MONEY}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return render_samples(tmp_path_factory.mktemp("samples"))


def test_a_dozen_varied_receipts(rendered: list[Path]) -> None:
    assert len(rendered) == 12
    assert {p.suffix for p in rendered} >= {".jpg", ".png", ".heic", ".pdf"}
    truths = [json.loads(truth_path(p).read_text(encoding="utf-8")) for p in rendered]
    assert {t["currency"] for t in truths} == {"USD", "EUR", "MYR"}
    assert all(any(t[key] for t in truths) for key in ("tax", "tip", "discount"))


def test_generation_is_deterministic(rendered: list[Path]) -> None:
    for spec, path in zip(specs(), rendered, strict=True):
        assert render_sample(spec) == path.read_bytes(), path.name


def test_committed_samples_match_the_generator(rendered: list[Path]) -> None:
    committed = {p.relative_to(SAMPLES).as_posix() for p in SAMPLES.rglob("*") if p.is_file()}
    generated = {f"receipts/{p.name}" for p in rendered} | {f"truth/{p.stem}.json" for p in rendered}
    assert committed == generated | {"README.md"}
    for spec in specs():
        truth = json.loads((SAMPLES / "truth" / f"{spec.name}.json").read_text(encoding="utf-8"))
        assert truth == ground_truth(spec)
    assert sum((SAMPLES / name).stat().st_size for name in committed) < 3 * 1024 * 1024


@pytest.mark.parametrize("spec", specs(), ids=lambda spec: spec.name)
def test_ground_truth_is_complete_and_adds_up(spec: object) -> None:
    truth = ground_truth(spec)  # type: ignore[arg-type]
    assert set(truth) == _KEYS
    items = truth["line_items"]
    assert isinstance(items, list) and items
    for item in items:
        assert Decimal(item["quantity"]) * Decimal(item["unit_price"]) == Decimal(item["amount"])

    def amount(key: str) -> Decimal:
        value = truth[key]
        return Decimal(value) if isinstance(value, str) else Decimal(0)

    assert amount("subtotal") == sum(Decimal(item["amount"]) for item in items)
    assert amount("total") == amount("subtotal") - amount("discount") + amount("tax") + amount("tip")


def test_every_sample_loads_upright(rendered: list[Path], settings: Settings) -> None:
    for path in rendered:
        document = load_document(path.read_bytes(), settings=settings)
        expected_pages = 2 if path.suffix == ".pdf" else 1
        assert len(document.pages) == expected_pages, path.name
        for page in document.pages:
            assert 600 <= page.width <= 900, path.name
            if path.suffix != ".pdf":
                assert page.height > page.width, path.name  # portrait: the EXIF-rotated one was turned


@pytest.mark.parametrize("name", ["us_gas_station_photo", "my_hardware_exif_rotated"])
def test_local_ocr_reads_the_samples(rendered: list[Path], settings: Settings, name: str) -> None:
    pytest.importorskip("rapidocr")
    from receiptflow.adapters.ocr.engine import OcrEngine

    (path,) = [p for p in rendered if p.stem == name]
    truth = json.loads(truth_path(path).read_text(encoding="utf-8"))
    document = load_document(path.read_bytes(), settings=settings)
    text = " ".join(line.text for line in OcrEngine().read(document.pages[0]))
    assert truth["vendor_name"] in text
    assert truth["total"] in text
