"""Chinese licence plates: random plate strings and their rendered images.

A plate is what ties a horn to a fine, so the simulated video carries real-looking plates
(blue for ordinary cars, green for new-energy cars, yellow for trucks, buses and motorcycles)
that a plate reader or a reviewing officer can read at close range, and the truth carries the
same string.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
"""The 31 province abbreviations that open a mainland plate."""

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Plate letters: I and O are never issued (they read as 1 and 0)."""

DIGITS = "0123456789"
SEPARATOR = "·"
PLATE_GLYPHS = PROVINCES + LETTERS + "IO" + DIGITS + SEPARATOR
"""Every character the shipped font subset must hold."""

FONT_PATH = Path(__file__).with_name("fonts") / "plate-glyphs.otf"

# Local plates dominate the traffic a Guangdong camera sees (粤R is the first deployment's city).
_LOCAL = ("粤", "R")
_PLATE_COLOURS = {
    "blue": ((20, 70, 190), (245, 245, 245)),
    "green": ((120, 205, 130), (15, 15, 15)),
    "yellow": ((240, 190, 20), (15, 15, 15)),
}


def random_plate(rng: np.random.Generator, kind: str) -> tuple[str, str]:
    """A plausible plate string and its colour for a vehicle of `kind`.

    Ordinary plates are `粤R·12345`-style (five letters/digits, at most two letters); new-energy
    cars have six characters starting with D or F (`粤B·D12345`); most vehicles are local.
    """
    if rng.random() < 0.75:
        province, city = _LOCAL
    else:
        province = str(rng.choice(list(PROVINCES)))
        city = str(rng.choice(list(LETTERS[:12])))
    if kind == "car" and rng.random() < 0.3:
        body = str(rng.choice(["D", "F"])) + "".join(rng.choice(list(DIGITS), 5))
        return f"{province}{city}{SEPARATOR}{body}", "green"
    chars = list(rng.choice(list(DIGITS), 5))
    for pos in rng.choice(5, size=int(rng.integers(0, 3)), replace=False):
        chars[pos] = str(rng.choice(list(LETTERS)))
    colour = "blue" if kind == "car" else "yellow"
    return f"{province}{city}{SEPARATOR}{''.join(chars)}", colour


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


@lru_cache(maxsize=256)
def plate_image(text: str, colour: str, width_px: int = 440) -> np.ndarray:
    """The plate as an RGB image (height = width × 140/440, the 440 × 140 mm standard plate).

    Rendered large once and cached; the video warps it into each frame at the plate's place.
    """
    height = round(width_px * 140 / 440)
    bg, fg = _PLATE_COLOURS[colour]
    img = Image.new("RGB", (width_px, height), bg)
    draw = ImageDraw.Draw(img)
    border = max(2, width_px // 80)
    draw.rectangle([border, border, width_px - 1 - border, height - 1 - border], outline=fg, width=border)
    stroke = max(1, width_px // 200)
    # Lay out each glyph in its own equal cell, as the real plate typeface does.
    cells = [c for c in text if c != SEPARATOR]
    cell_w = (width_px - 6 * border) / (len(cells) + 0.4)
    font = _font(round(min(height * 0.62, cell_w * 0.92)))
    x = 3 * border
    for i, char in enumerate(cells):
        box = draw.textbbox((0, 0), char, font=font, stroke_width=stroke)
        cx = x + cell_w / 2 - (box[0] + box[2]) / 2
        cy = height / 2 - (box[1] + box[3]) / 2
        draw.text((cx, cy), char, font=font, fill=fg, stroke_width=stroke, stroke_fill=fg)
        x += cell_w
        if i == 1:  # the separator dot after province + city
            r = max(2, height // 22)
            dot_x, dot_y = x + 0.2 * cell_w, height / 2
            draw.ellipse([dot_x - r, dot_y - r, dot_x + r, dot_y + r], fill=fg)
            x += 0.4 * cell_w
    return np.asarray(img)
