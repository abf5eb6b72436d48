"""Errors that the command line reports as one clear message instead of a traceback."""


class UserFacingError(Exception):
    """Bad input or environment that the user can fix; the message says what and where."""


class SceneError(UserFacingError):
    """A scene directory that breaks `honkwatch-scene/1`; the message names the field or file."""


class GeometryError(UserFacingError):
    """An array, camera or device profile in `hardware/` that cannot be used."""
