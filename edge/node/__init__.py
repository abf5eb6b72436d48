"""The live node: the run loop and what it needs around it (enforcement hours, clock, systemd)."""
