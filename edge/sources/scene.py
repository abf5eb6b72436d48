"""Replay a scene's audio in blocks of a chosen size, as a live sound card would deliver it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from edge.errors import UserFacingError
from edge.scene import Scene
from edge.sources.base import ArraySource


class SceneSource(ArraySource):
    """A scene's audio as `(stream_start_sample, float32 block)` pairs of `block_size` frames (the last shorter)."""

    def __init__(self, scene: Scene, block_size: int = 2400) -> None:
        if int(block_size) <= 0:
            raise UserFacingError(f"block size must be a positive number of frames, got {block_size}")
        self.scene = scene
        self.block_size = int(block_size)
        self.sample_rate = scene.sample_rate
        self.channels = scene.channels
        self._file = scene.open_audio()
        self._closed = False

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        if self._closed:
            raise UserFacingError(f"{self.scene.audio_path}: source already closed")
        self._file.seek(0)
        start = 0
        while True:
            block = self._file.read(self.block_size, dtype="float32", always_2d=True)
            if len(block) == 0:
                return
            yield start, block
            start += len(block)

    def stop(self) -> None:
        """Nothing to wake: reading a file never waits, and the reader ends after this block."""

    def close(self) -> None:
        if not self._closed:
            self._file.close()
            self._closed = True
