"""Errors the server's command line reports as one clear line instead of a traceback."""


class UserFacingError(Exception):
    """Bad input or environment the operator can fix; the message says what and where."""


class ConfigError(UserFacingError):
    """A server config file that cannot be used; the message names the file and the key's path."""
