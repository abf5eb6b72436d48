"""Reading a clip for classification: any sample rate, any channel count, clear errors.

A corrupt, empty or unreadable file raises `ClipError` naming the file and the problem, so
`honk-edge classify` can report it and go on with the other files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.errors import UserFacingError


class ClipError(UserFacingError):
    """A clip that cannot be classified; the message names the file and why."""


def read_clip(path: Path) -> tuple[np.ndarray, int]:
    """(audio [samples, channels] float32, sample rate) from any file libsndfile reads."""
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise ClipError(f"{path}: no such file")
    try:
        audio, fs = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
        raise ClipError(f"{path}: not a readable audio file ({exc})") from None
    if audio.shape[0] == 0:
        raise ClipError(f"{path}: the file holds no audio samples")
    if not np.all(np.isfinite(audio)):
        raise ClipError(f"{path}: the audio contains NaN or infinite samples")
    return audio, int(fs)
