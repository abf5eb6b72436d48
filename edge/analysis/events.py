"""What the analysis hands downstream: closed horn events and the sound map behind each.

The evidence builder, the replay scorer, the report and the live node all consume these, so the
fields are the scene format's replay contract plus what evidence needs (the map, the distance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def becomes_evidence(inside_frame: bool, conditions: Sequence[str]) -> bool:
    """The one rule for which events the node turns into evidence: a horn inside the picture under
    no suspending condition. Shared by `HornEvent.enforceable` and the scorer, which reads it off
    replay lines."""
    return inside_frame and not conditions


@dataclass(frozen=True)
class SoundMap:
    """Steered response power over the focus grid at the event's strongest hop.

    `power_db` has shape (len(elevation_deg), len(azimuth_deg)), relative to its own peak (0 dB).
    """

    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    power_db: np.ndarray
    band_hz: tuple[float, float] = (0.0, 0.0)
    method: str = "das"


@dataclass(frozen=True)
class HornEvent:
    """One horn event on the audio (stream) clock, in the scene frame.

    `t_ref` is the stream time the direction refers to (a vehicle moves during a long honk): the
    direction is the source track's position at that moment.
    """

    t_start: float
    t_end: float
    azimuth_deg: float
    elevation_deg: float
    confidence: float
    detected_after_s: float
    spl_db: float | None = None
    pixel: tuple[float, float] | None = None
    distance_m: float | None = None
    horn_probability: float | None = None
    fundamental_hz: float | None = None
    inside_frame: bool = True
    conditions: tuple[str, ...] = ()
    t_ref: float | None = None
    sound_map: SoundMap | None = field(default=None, compare=False, repr=False)

    @property
    def enforceable(self) -> bool:
        """Evidence only for a horn inside the picture under no suspending condition (wind, siren …)."""
        return becomes_evidence(self.inside_frame, self.conditions)

    def to_json(self) -> dict[str, Any]:
        """The replay line of `shared/scene-format.md`, plus the extra fields (allowed: 'more may follow')."""
        return {
            "t_start": round(self.t_start, 4),
            "t_end": round(self.t_end, 4),
            "azimuth_deg": round(self.azimuth_deg, 3),
            "elevation_deg": round(self.elevation_deg, 3),
            "confidence": round(float(self.confidence), 4),
            "spl_db": None if self.spl_db is None else round(self.spl_db, 1),
            "pixel": None if self.pixel is None else [round(self.pixel[0], 1), round(self.pixel[1], 1)],
            "detected_after_s": round(self.detected_after_s, 3),
            "distance_m": None if self.distance_m is None else round(self.distance_m, 2),
            "horn_probability": None if self.horn_probability is None else round(self.horn_probability, 4),
            "fundamental_hz": None if self.fundamental_hz is None else round(self.fundamental_hz, 1),
            "inside_frame": self.inside_frame,
            "conditions": list(self.conditions),
            "t_ref": None if self.t_ref is None else round(self.t_ref, 4),
        }
