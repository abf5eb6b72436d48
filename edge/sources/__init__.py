"""Where audio blocks come from: a scene file, a sound card, a simulator. Downstream sees only blocks.

Every source is an `ArraySource`: an iterable of `(stream_start_sample, block)` pairs, with the
sample count as the one stream clock, so the analysis cannot tell a replay from a live run.
"""

from edge.sources.base import ArraySource
from edge.sources.scene import SceneSource

__all__ = ["ArraySource", "SceneSource"]
