"""Microphone array definitions: one row of positions per audio channel, in the scene frame.

The frame is OpenCV's (x right, y down, z forward toward the road), metres, origin at the
array's reference point — the same frame as `shared/scene-format.md`, so positions go into a
scene file unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import GeometryError
from edge.geometry import _files

_SUFFIXES = (".json",)


@dataclass(frozen=True)
class ArrayGeometry:
    name: str
    positions_m: np.ndarray
    description: str = ""

    @property
    def channels(self) -> int:
        return len(self.positions_m)

    @property
    def aperture_m(self) -> float:
        """Largest distance between two microphones: what sets the main-lobe width."""
        d = self.positions_m[:, None, :] - self.positions_m[None, :, :]
        return float(np.sqrt((d**2).sum(-1)).max())

    @property
    def min_spacing_m(self) -> float:
        """Smallest distance between two microphones: what sets the spatial-aliasing limit."""
        d = self.positions_m[:, None, :] - self.positions_m[None, :, :]
        dist = np.sqrt((d**2).sum(-1))
        return float(dist[~np.eye(len(dist), dtype=bool)].min())


def load_array(name_or_path: str | Path) -> ArrayGeometry:
    """Load `hardware/arrays/<name>.json` (or a path) and check it."""
    path = _files.resolve("arrays", name_or_path, _SUFFIXES)
    data = _files.read(path)
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise GeometryError(f"{path}: 'name' must be a non-empty string")
    try:
        pos = np.asarray(data.get("positions_m"), dtype=float)
    except (TypeError, ValueError):
        raise GeometryError(f"{path}: 'positions_m' must be a list of [x, y, z] numbers") from None
    if pos.ndim != 2 or pos.shape[1] != 3 or len(pos) < 2:
        raise GeometryError(f"{path}: 'positions_m' must be at least two rows of [x, y, z]")
    if not np.all(np.isfinite(pos)):
        raise GeometryError(f"{path}: 'positions_m' holds a NaN or infinite value")
    geom = ArrayGeometry(name=name, positions_m=pos, description=str(data.get("description", "")))
    if geom.min_spacing_m < 1e-3:
        raise GeometryError(f"{path}: two microphones are closer than 1 mm (duplicated row?)")
    return geom


def list_arrays() -> list[str]:
    return _files.names("arrays", _SUFFIXES)
