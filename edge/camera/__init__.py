"""Camera capture: frames on the audio stream clock, kept in a `FrameRing` for the evidence builder."""

from edge.camera.capture import CameraCapture, CameraStatus, describe_source, open_capture
from edge.camera.checks import PictureCheck
from edge.camera.ring import FrameRing

__all__ = ["CameraCapture", "CameraStatus", "FrameRing", "PictureCheck", "describe_source", "open_capture"]
