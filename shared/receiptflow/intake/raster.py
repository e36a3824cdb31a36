"""Raster images (JPEG, PNG, TIFF, WEBP, GIF, BMP, HEIF) → upright RGB pages within the limits.

Images are opened with the format's own Pillow plugin class (the type is already known from the magic
bytes), so ``Image.open``'s process-global ``MAX_IMAGE_PIXELS`` check never runs: the size is read from the
header and judged against ``settings.max_pixels`` before a single pixel is decoded.
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

from PIL import (
    BmpImagePlugin,
    ExifTags,
    GifImagePlugin,
    Image,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from receiptflow.document import PageImage
from receiptflow.errors import (
    CorruptImageError,
    ResourceLimitError,
    TooManyPagesError,
    TooManyPixelsError,
    TooSmallError,
)
from receiptflow.intake.encode import encode_page
from receiptflow.intake.jpeg import missing_image_data
from receiptflow.intake.limits import out_of_memory
from receiptflow.settings import Settings

if TYPE_CHECKING:
    from receiptflow.deadline import Deadline

MB = 1024 * 1024
# Bytes per pixel of Pillow's decoded image by mode (RGB is stored as 4 bytes a pixel).
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# Modes that cannot be reduced as they are: converted at full size first (to 4-byte RGB(A) or "I").
_CONVERTED_FIRST = frozenset({"1", "P", "PA", "I;16", "I;16L", "I;16B", "I;16N"})

# What Pillow and its plugins raise on malformed input (never a bare ``Exception``).
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    RuntimeError,
)

# Originals larger than this are re-encoded even when otherwise fit to pass through:
# 5 MB is Textract's limit for synchronous bytes input.
FAST_PATH_MAX_BYTES = 5 * 1024 * 1024
_FAST_PATH_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}
_HIGH_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I", "F"})
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
# Formats whose Pillow plugin re-checks the global ``MAX_IMAGE_PIXELS`` while decoding frames.
_GLOBAL_BOMB_CHECK_TYPES = frozenset({"tiff", "gif"})


def _heif_opener(fp: IO[bytes]) -> ImageFile.ImageFile:
    from pillow_heif import HeifImageFile  # libheif only when a HEIC arrives

    image: ImageFile.ImageFile = HeifImageFile(fp)  # type: ignore[no-untyped-call]
    return image


_OPENERS: dict[str, Callable[[IO[bytes]], ImageFile.ImageFile]] = {
    "jpeg": JpegImagePlugin.JpegImageFile,
    "png": PngImagePlugin.PngImageFile,
    "tiff": TiffImagePlugin.TiffImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
    "gif": GifImagePlugin.GifImageFile,
    "bmp": BmpImagePlugin.BmpImageFile,
    "heif": _heif_opener,
}


@contextmanager
def _decoding(source_type: str) -> Iterator[None]:
    """Translate Pillow's exceptions into intake errors."""
    try:
        yield
    except Image.DecompressionBombError as e:
        raise TooManyPixelsError(f"{source_type} image exceeds the pixel limit: {e}") from e
    except MemoryError as e:  # the worker's memory cap (worker_limits) was reached
        raise out_of_memory(f"decoding the {source_type} image") from e
    except DECODE_ERRORS as e:
        raise CorruptImageError(f"{source_type} image cannot be decoded: {e}") from e


def _open(data: bytes, source_type: str) -> ImageFile.ImageFile:
    with _decoding(source_type):
        return _OPENERS[source_type](io.BytesIO(data))


def pixel_limit(source_type: str, settings: Settings) -> int:
    """The pixel limit for a format: ours, or Pillow's global one where its plugin enforces that too."""
    if source_type in _GLOBAL_BOMB_CHECK_TYPES and Image.MAX_IMAGE_PIXELS is not None:
        return min(settings.max_pixels, Image.MAX_IMAGE_PIXELS)
    return settings.max_pixels


def _check_size(size: tuple[int, int], source_type: str, settings: Settings) -> None:
    width, height = size
    limit = pixel_limit(source_type, settings)
    if width * height > limit:
        raise TooManyPixelsError(f"{width}x{height} is {width * height:,} pixels; the limit is {limit:,}")
    if min(width, height) < settings.min_side_px:
        raise TooSmallError(f"{width}x{height} is smaller than {settings.min_side_px} px on a side")


def decode_bytes(image: ImageFile.ImageFile, source_type: str, settings: Settings) -> int:
    """Estimated peak bytes of decoding and normalising one frame, judged before any pixel is decoded.

    The factors were measured (VmHWM of decoding generated images; docs/performance.md "Hostile
    inputs"): baseline JPEGs decode at a reduced DCT scale (``draft``) with about 2 bytes a pixel of
    working memory; progressive ones also hold every DCT coefficient (2 bytes each, at each component's
    resolution). Other formats decode at full size (Pillow keeps RGB in 4 bytes a pixel), plus about
    1 byte a pixel of overhead; palette, 1-bit and 16-bit images are converted at full size before they
    can be reduced (+4), alpha is premultiplied in a full-size copy when reduced (+4), and WebP
    decodes through two buffers of its own (+8)."""
    width, height = image.size
    pixels = width * height
    if source_type == "jpeg":
        scale = max(1, min(8, max(image.size) // max(settings.max_side_px, 1)))
        needed = pixels // (scale * scale) * 4 + 2 * pixels
        if image.info.get("progressive"):
            layers = getattr(image, "layer", None) or [(0, 1, 1, 0)]
            h_max = max(int(h) for _, h, _, _ in layers)
            v_max = max(int(v) for _, _, v, _ in layers)
            needed += 2 * sum(pixels * int(h) * int(v) // (h_max * v_max) for _, h, v, _ in layers)
        return needed
    per_pixel = _MODE_BYTES.get(image.mode, 4) + 1
    if image.mode in _CONVERTED_FIRST:
        per_pixel += 4
    if image.mode in _ALPHA_MODES or "transparency" in image.info or image.mode == "PA":
        per_pixel += 4
    if source_type == "webp":
        per_pixel += 8
    return pixels * per_pixel


def _check_budget(image: ImageFile.ImageFile, source_type: str, settings: Settings) -> None:
    needed = decode_bytes(image, source_type, settings)
    budget = settings.max_decode_mb * MB
    if needed > budget:
        raise ResourceLimitError(
            f"decoding this {image.width}x{image.height} {source_type} ({image.mode}) would take about "
            f"{needed // MB:,} MiB; the per-item decode budget (max_decode_mb) is "
            f"{settings.max_decode_mb:,} MiB"
        )


def _orientation(image: Image.Image) -> int:
    """EXIF orientation (1..8); 1 when absent or unreadable."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _to_8bit_gray(image: Image.Image) -> Image.Image:
    """16-bit / 32-bit / float grey → 8-bit, stretching the used range to 0..255."""
    as_int = image if image.mode in ("I", "F") else image.convert("I")
    low, high = as_int.getextrema()
    assert isinstance(low, int | float) and isinstance(high, int | float)
    scale = 255.0 / (high - low) if high > low else 1.0
    offset = -low * scale
    return as_int.point(lambda v: v * scale + offset).convert("L")


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode → RGB; transparent areas become white paper, not black."""
    if image.mode in _HIGH_BIT_MODES:
        image = _to_8bit_gray(image)
    if "transparency" in image.info and image.mode in ("P", "L", "RGB"):
        image = image.convert("RGBA")
    elif image.mode == "P":
        image = image.convert("RGB")
    if image.mode in _ALPHA_MODES:
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return image if image.mode == "RGB" else image.convert("RGB")


def _passes_through(image: ImageFile.ImageFile, data: bytes, source_type: str, settings: Settings) -> bool:
    """True when the original bytes are already what a provider needs (no re-encode)."""
    return (
        source_type in _FAST_PATH_TYPES
        and image.mode in ("RGB", "L")
        and "transparency" not in image.info
        and not getattr(image, "is_animated", False)
        and max(image.size) <= settings.max_side_px
        and len(data) <= FAST_PATH_MAX_BYTES
        and _orientation(image) == 1
    )


def _verify_png(data: bytes) -> None:
    """Check every chunk's CRC (decoding alone skips the IDAT ones) through to IEND."""
    with _decoding("png"):
        _open(data, "png").verify()


def _pass_through(image: ImageFile.ImageFile, data: bytes, source_type: str) -> PageImage:
    """Prove the file is whole by decoding it fully (~5 ms for a scan), then hand over its bytes and the
    pixels just decoded (as BGR rows, ~3 ms: the local engine would otherwise decode them again)."""
    with _decoding(source_type):
        image.load()
        pixels = (image if image.mode == "RGB" else image.convert("RGB")).tobytes("raw", "BGR")
    media_type = _FAST_PATH_TYPES[source_type]
    return PageImage(data=data, media_type=media_type, width=image.width, height=image.height, pixels=pixels)


def _normalise_frame(image: ImageFile.ImageFile, source_type: str, settings: Settings) -> PageImage:
    """Decode (JPEG at a reduced DCT scale when it is larger than needed), orient, convert, downscale."""
    target = settings.max_side_px
    with _decoding(source_type):
        if source_type == "jpeg" and max(image.size) > target:
            factor = target / max(image.size)
            image.draft(image.mode, (math.ceil(image.width * factor), math.ceil(image.height * factor)))
        image.load()
        orientation = _orientation(image)
        small = _reduced(image, target)  # shrink first, so conversions never copy a huge image
        upright = ImageOps.exif_transpose(small) if orientation != 1 else small
        rgb = to_rgb(upright)
    if max(rgb.size) > target:
        rgb.thumbnail((target, target), Image.Resampling.LANCZOS)
    return encode_page(rgb)


def _reduced(image: Image.Image, target: int) -> Image.Image:
    """``image`` shrunk by a whole factor (box average) to no less than ``target`` on its longest side;
    palette, 1-bit and 16-bit images are converted first, since they cannot be reduced as they are."""
    factor = max(image.size) // target
    if factor < 2:
        return image
    if image.mode in ("1", "P", "PA"):
        transparent = "transparency" in image.info or image.mode == "PA"
        image = image.convert("RGBA" if transparent else "RGB")
    elif image.mode.startswith("I;16"):
        image = image.convert("I")
    try:
        return image.reduce(factor)
    except ValueError:  # a mode Pillow cannot reduce: keep it, the later steps still work
        return image


def raster_pages(
    data: bytes, source_type: str, settings: Settings, deadline: Deadline | None = None
) -> tuple[PageImage, ...]:
    """Normalised pages of a raster image: every frame of a multi-page TIFF, the first frame otherwise
    (``ItemTimeoutError`` when ``deadline`` passes before a frame starts)."""
    image = _open(data, source_type)
    with image:
        frames = getattr(image, "n_frames", 1) if source_type == "tiff" else 1
        if frames > settings.max_pages:
            raise TooManyPagesError(f"{frames} pages; the limit is {settings.max_pages}")
        _check_size(image.size, source_type, settings)
        _check_budget(image, source_type, settings)
        if source_type == "jpeg" and (missing := missing_image_data(data)):
            raise CorruptImageError(missing)
        if source_type == "png":
            _verify_png(data)
        if frames == 1 and _passes_through(image, data, source_type, settings):
            return (_pass_through(image, data, source_type),)
        pages = []
        for index in range(frames):
            if deadline is not None:
                deadline.check(f"frame {index + 1} of the image was decoded")
            if index:
                with _decoding(source_type):
                    image.seek(index)
                _check_size(image.size, source_type, settings)
                _check_budget(image, source_type, settings)
            pages.append(_normalise_frame(image, source_type, settings))
        return tuple(pages)
