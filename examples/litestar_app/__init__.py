"""The Litestar example (``python -m examples.litestar_app``)."""

from __future__ import annotations

from examples.litestar_app.app import create_app

__all__ = ["create_app"]
