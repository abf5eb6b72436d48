"""honkwatch edge node: capture, horn detection, localization, evidence and delivery."""

__version__ = "0.1.0"
