"""Build `plate-glyphs.otf`: Noto Sans CJK SC cut down to the glyphs Chinese plates use.

Build step only (needs `fonttools` and the Debian package `fonts-noto-cjk`); the simulator
loads the shipped subset, so running a simulation never depends on a system font. Re-run when
the glyph list in `edge.sim.plates` grows:

    python3 edge/sim/fonts/build_plate_font.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SC_INDEX = 2  # "Noto Sans CJK SC" inside the collection: simplified-Chinese glyph shapes
OUT = Path(__file__).with_name("plate-glyphs.otf")


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from edge.sim.plates import PLATE_GLYPHS

    collection = TTCollection(str(SOURCE))
    font = collection.fonts[SC_INDEX]
    options = subset.Options()
    options.layout_features = ["kern"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    sub = subset.Subsetter(options)
    sub.populate(text=PLATE_GLYPHS)
    sub.subset(font)
    font.save(str(OUT))
    print(f"{OUT}: {OUT.stat().st_size} bytes, {len(set(PLATE_GLYPHS))} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
