"""The `honkwatch-scene/1` recording format: read, validate and write scenes.

A scene is what every part of honkwatch replays: field recordings, simulated scenes and test
fixtures. The format is specified in `shared/scene-format.md`; this package is its only reader
and writer, so a rule is enforced in one place.
"""

from edge.scene.model import CameraSpec, Scene, Truth, TruthConfuser, TruthEvent
from edge.scene.reader import load_scene
from edge.scene.writer import write_scene

__all__ = ["CameraSpec", "Scene", "Truth", "TruthConfuser", "TruthEvent", "load_scene", "write_scene"]
