"""Where the project's data folders live.

Geometry (`hardware/`), models (`models/`) and sample scenes (`recordings/`) ship in the
repository beside the packages, so a device installed from a checkout finds them without
any download. `HONKWATCH_ROOT` overrides the location for a device whose data lives elsewhere.
"""

import os
from pathlib import Path


def project_root() -> Path:
    """The folder that holds `hardware/`, `models/` and `recordings/`."""
    env = os.environ.get("HONKWATCH_ROOT")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent


def hardware_dir() -> Path:
    return project_root() / "hardware"


def models_dir() -> Path:
    return project_root() / "models"


def recordings_dir() -> Path:
    return project_root() / "recordings"
