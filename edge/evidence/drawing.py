"""Shared drawing for evidence images: one font, colour maps, text, encoders.

Text goes through PIL (OpenCV's Hershey fonts cannot draw °, − or a Chinese zone name);
colour maps and encoders come from OpenCV, already on every edge device.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Tried in order: a CJK-capable font first (zone names and plates may be Chinese), then a plain
# one; Pillow's bundled font is the last resort on a minimal device image.
_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=16)
def font(size: int) -> Font:
    for candidate in _FONT_CANDIDATES:
        if Path(candidate).is_file():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)


def colorize(values01: np.ndarray, colormap: int = cv2.COLORMAP_JET) -> np.ndarray:
    """BGR uint8 image of values in [0, 1] through an OpenCV colour map."""
    levels = np.clip(np.nan_to_num(values01, nan=0.0), 0.0, 1.0)
    return cv2.applyColorMap((levels * 255.0 + 0.5).astype(np.uint8), colormap)


def text_width(text: str, size: int) -> int:
    left, _, right, _ = font(size).getbbox(text)
    return int(right - left)


def put_texts(
    image: np.ndarray, items: list[tuple[tuple[int, int], str, int, tuple[int, int, int]]]
) -> np.ndarray:
    """Draw (xy, text, size, BGR colour) items on a BGR image; returns a new image."""
    pil = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(pil)
    for xy, text, size, bgr in items:
        draw.text(xy, text, font=font(size), fill=(bgr[2], bgr[1], bgr[0]))
    return cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def encode_png(image: np.ndarray, palette: bool = False) -> bytes:
    """PNG; `palette` quantises to 256 colours, which a colour-mapped plot loses nothing to
    (its colours come from a 256-entry map) and which keeps a noisy spectrogram small."""
    if not palette:
        ok, buf = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 6])
        if not ok:
            raise ValueError("PNG encoding failed")
        return buf.tobytes()
    pil = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).quantize(256, Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    pil.save(out, "PNG", optimize=True)
    return out.getvalue()


def nice_ticks(lo: float, hi: float, target: int = 6) -> np.ndarray:
    """Round tick values (1, 2, 5 × 10^k steps) covering [lo, hi]."""
    span = max(hi - lo, 1e-9)
    raw = span / max(target, 1)
    mag = 10 ** np.floor(np.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    return np.arange(np.ceil(lo / step) * step, hi + step * 1e-6, step)
