"""The review web application and the JSON API (`create_app`)."""

from server.web.app import create_app

__all__ = ["create_app"]
