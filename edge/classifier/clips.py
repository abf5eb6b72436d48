"""Reading a clip for classification: any sample rate, any channel count, clear errors.

A corrupt, empty, truncated or unreadable file raises `ClipError` naming the file and the
problem, so `honk-edge classify` can report it and go on with the other files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.errors import UserFacingError
from edge.scene.wavcheck import declared_and_present_data_bytes

# Data sizes a writer that streams (and never patches its header) leaves: not a truncation.
_SIZE_UNKNOWN = (0, 0xFFFFFFFF)


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
    _refuse_truncated(path)
    if not np.all(np.isfinite(audio)):
        raise ClipError(f"{path}: the audio contains NaN or infinite samples")
    return audio, int(fs)


def _refuse_truncated(path: Path) -> None:
    """A WAV cut short (interrupted copy, full disk) is an error, not a shorter clip.

    Why: libsndfile reads whatever frames are there without a word, so a 20 s recording cut after
    its first kilobyte would be scored, and called "no horn", from its first millisecond.
    """
    try:
        sizes = declared_and_present_data_bytes(path)
    except (OSError, ValueError):
        return  # libsndfile read it: a header our walker does not follow is not evidence of a cut
    if sizes is not None and sizes[0] > sizes[1] and sizes[0] not in _SIZE_UNKNOWN:
        raise ClipError(
            f"{path}: truncated: the header declares {sizes[0]} bytes of audio but only {sizes[1]} are present"
        )
