"""The engine's sizing, threading and model-choice rules (no model is loaded here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from receiptflow.adapters.ocr.engine import EngineConfig, auto_threads, det_size, engine_config
from receiptflow.settings import Settings


@pytest.mark.parametrize(
    ("page", "max_side", "short_side", "expected"),
    [
        ((1013, 463), 960, 0, (960, 448)),  # a tall scan: scaled down to the longest side
        ((320, 240), 960, 0, (320, 256)),  # small photo: native resolution, never scaled up
        ((2500, 1768), 960, 0, (960, 672)),  # large photo
        ((1000, 2000), 960, 400, (384, 800)),  # wide page: the shorter-side cap binds first
        ((20, 10), 960, 0, (32, 32)),  # never below the network's 32 px grid
    ],
)
def test_det_size_follows_the_page(
    page: tuple[int, int], max_side: int, short_side: int, expected: tuple[int, int]
) -> None:
    height, width = det_size(*page, max_side, short_side)
    assert (height, width) == expected
    assert height % 32 == 0 and width % 32 == 0


@pytest.mark.parametrize(
    ("page", "upscale_side", "expected"),
    [
        ((320, 240), 960, (960, 704)),  # a small phone photo: its longer side brought up to 960
        ((450, 205), 960, (960, 448)),  # a narrow slip under 500 px wide
        ((240, 320), 960, (704, 960)),  # landscape: the longer side is the width
        ((800, 600), 960, (960, 704)),  # just under: still scaled up
        ((1013, 463), 960, (960, 448)),  # already past it: scaled down as before
        ((2500, 1768), 960, (960, 672)),  # large photo: unchanged by the upscale
        ((320, 240), 1280, (960, 704)),  # never past max_side
        ((320, 240), 0, (320, 256)),  # 0: native resolution
        ((450, 205), 800, (800, 352)),  # the default: up to 800
        ((900, 600), 800, (896, 608)),  # between the upscale side and max_side: native resolution
    ],
)
def test_small_pages_are_scaled_up_for_the_detector(
    page: tuple[int, int], upscale_side: int, expected: tuple[int, int]
) -> None:
    assert det_size(*page, 960, 0, upscale_side) == expected


def test_the_upscale_respects_the_shorter_side_cap() -> None:
    height, width = det_size(320, 240, 960, 400, 960)
    assert width <= 416 and height > 320  # scaled up, but the shorter side stays at the cap (rounded)


def test_the_detector_input_of_a_small_page_is_scaled_up_by_default() -> None:
    """The default engine (no settings) reads small photos at the detector's full size."""
    import numpy as np
    from receiptflow.adapters.ocr.engine import det_blob

    config = EngineConfig()
    page = np.full((420, 300, 3), 255, dtype=np.uint8)
    blob = det_blob(page, config.det_max_side, config.det_short_side, config.det_upscale_side)
    assert blob.shape == (1, 3, 800, 576)
    assert float(blob.max()) == pytest.approx(1.0) and float(blob.min()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("workers", "cpus", "threads"), [(1, 2, 2), (2, 2, 1), (4, 2, 1), (2, 8, 4), (3, 8, 2)]
)
def test_threads_share_the_cores_among_workers(workers: int, cpus: int, threads: int) -> None:
    assert auto_threads(workers, cpus) == threads


def test_settings_choose_the_engine(tmp_path: Path) -> None:
    config = engine_config(Settings(data_dir=tmp_path, workers=2, ocr_threads=0, ocr_det_max_side=800))
    assert config.det_max_side == 800
    assert config.threads == auto_threads(2)
    explicit = engine_config(Settings(data_dir=tmp_path, ocr_threads=3, ocr_quantized=False))
    assert explicit.threads == 3 and explicit.quantized is False
    assert config.det_upscale_side == EngineConfig().det_upscale_side == 800  # the default, no flags
    assert EngineConfig() == EngineConfig()  # hashable, compared by value (one engine per config)
