"""The Flask example (``python -m examples.flask_app``)."""

from __future__ import annotations

from examples.flask_app.app import create_app

__all__ = ["create_app"]
