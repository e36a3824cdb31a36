"""The OCR model files: the fp32 models bundled in the rapidocr wheel, and an int8 copy of the detector.

The int8 copy is made once, offline, with onnxruntime's own quantisation tools (``make install``
runs ``python -m receiptflow.adapters.ocr.model_files``) and written to a cache folder named after the source
model's hash and the recipe version, so a new wheel or recipe never picks up stale copies. When a copy is
absent the engine uses the fp32 original: slower, same accuracy. Nothing is ever downloaded.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

from receiptflow.errors import ProviderConfigError

MODEL_FILES = {
    "det": "PP-OCRv6_det_small.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
# Bump when the quantisation recipe changes: copies made by another recipe are not reused.
RECIPE_VERSION = 1
# The recipe, as measured (docs/performance.md): the convolutional detector quantised statically
# (QOperator, per-channel int8 weights, uint8 activations calibrated by min/max on receipt pages),
# ~3x faster at the same accuracy. The recogniser stays fp32: no int8 form of it was both faster and
# as accurate (dynamic MatMul-only int8 saved ~5-9 % and lost 0.4 points of line recall).
CALIBRATION_MAX_PAGES = 24


@dataclass(frozen=True)
class ModelPaths:
    """The detection, recognition and line-orientation model files the engine loads."""

    det: Path
    rec: Path
    cls: Path


def bundled_model_dir() -> Path:
    """Folder holding the models shipped inside the rapidocr wheel."""
    spec = importlib_util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        raise ProviderConfigError(
            "the local OCR engine is not installed: pip install 'receiptflow[local]'", provider="local"
        )
    return Path(spec.origin).parent / "models"


def bundled_models() -> ModelPaths:
    """The fp32 models of the wheel; ``ProviderConfigError`` when one is missing."""
    folder = bundled_model_dir()
    paths = ModelPaths(*(folder / MODEL_FILES[name] for name in ("det", "rec", "cls")))
    missing = [str(p) for p in (paths.det, paths.rec, paths.cls) if not p.is_file()]
    if missing:
        raise ProviderConfigError(f"bundled OCR model missing: {', '.join(missing)}", provider="local")
    return paths


def cache_root() -> Path:
    """Where int8 copies live: ``$RECEIPTFLOW_MODEL_CACHE``, else ``$XDG_CACHE_HOME/receiptflow/models``."""
    explicit = os.environ.get("RECEIPTFLOW_MODEL_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "receiptflow" / "models"


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:16]


def int8_path(source: Path, root: Path | None = None) -> Path:
    """Where the int8 copy of ``source`` is (or would be) written."""
    folder = (root or cache_root()) / f"r{RECIPE_VERSION}-{_digest(source)}"
    return folder / source.name.replace(".onnx", ".int8.onnx")


def resolve_models(*, quantized: bool = True, root: Path | None = None) -> ModelPaths:
    """The models to load: the int8 detector when ``quantized`` and it exists, else the fp32 one; the
    fp32 recogniser and angle classifier."""
    fp32 = bundled_models()
    if not quantized:
        return fp32
    det = int8_path(fp32.det, root)
    return ModelPaths(det=det if det.is_file() else fp32.det, rec=fp32.rec, cls=fp32.cls)


def calibration_inputs(folder: Path, det_max_side: int) -> Iterator[Any]:
    """Detector inputs made from the receipts in ``folder`` (every file the intake accepts), as the
    engine would feed them."""
    from receiptflow.adapters.ocr.engine import decode_page, det_blob
    from receiptflow.errors import ReceiptflowError
    from receiptflow.intake import load_document
    from receiptflow.settings import Settings

    settings = Settings()
    count = 0
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            doc = load_document(path.read_bytes(), settings=settings)
        except ReceiptflowError:
            continue
        for page in doc.pages:
            if count >= CALIBRATION_MAX_PAGES:
                return
            count += 1
            yield det_blob(decode_page(page), det_max_side)


def _write_atomically(target: Path, make: Any) -> None:
    """Run ``make(path)`` into a temporary file beside ``target``, then move it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=target.parent)
    os.close(fd)
    try:
        make(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def make_int8(calibration: Path, *, root: Path | None = None, force: bool = False) -> Path:
    """Write the int8 copy of the bundled detector (unless made already and not ``force``) and return
    its path. Needs the ``onnx`` package (onnxruntime's quantisation tools use it)."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from receiptflow.adapters.ocr.engine import EngineConfig

    fp32 = bundled_models()
    det_target = int8_path(fp32.det, root)

    class _Pages(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._inputs = calibration_inputs(calibration, EngineConfig().det_max_side)

        def get_next(self) -> dict[str, Any] | None:
            blob = next(self._inputs, None)
            return None if blob is None else {"x": blob}

    with tempfile.TemporaryDirectory(prefix="receiptflow-quant-") as tmp:
        if force or not det_target.is_file():
            if next(calibration_inputs(calibration, 64), None) is None:
                raise ProviderConfigError(f"no calibration images in {calibration}", provider="local")
            prepared = Path(tmp) / "det.onnx"
            quant_pre_process(str(fp32.det), str(prepared), skip_symbolic_shape=True)
            _write_atomically(
                det_target,
                lambda out: quantize_static(
                    str(prepared),
                    str(out),
                    _Pages(),
                    quant_format=QuantFormat.QOperator,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                ),
            )
    return det_target


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``make`` the int8 copies, or ``show`` which models the engine would load."""
    parser = argparse.ArgumentParser(description="The OCR engine's model files")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="write the int8 copy of the bundled detector (once)")
    make.add_argument("--calibration", type=Path, required=True, help="folder of receipt images")
    make.add_argument("--force", action="store_true", help="remake copies that exist")
    sub.add_parser("show", help="print the model files the engine loads")
    args = parser.parse_args(argv)
    if args.command == "make":
        try:
            import onnx  # noqa: F401
        except ImportError:
            sys.stdout.write(
                "int8 models not made: the onnx package is missing; the engine uses the fp32 models\n"
            )
            return 0
        made = make_int8(args.calibration, force=args.force)
        sys.stdout.write(f"int8 detector: {made}\n")
        return 0
    models = resolve_models()
    sys.stdout.write(f"det: {models.det}\nrec: {models.rec}\ncls: {models.cls}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
