"""The authgate demo: a FastAPI app with a Credentials provider backed by SQLite + argon2id.

Run it with ``make demo`` (``python -m examples.demo``) and open http://127.0.0.1:8000.
"""

from __future__ import annotations

from examples.demo.app import DEMO_PASSWORD, DEMO_USERNAME, UserStore, create_app

__all__ = ["DEMO_PASSWORD", "DEMO_USERNAME", "UserStore", "create_app"]
