"""The fixtures of ``authgate.testing.pytest_plugin``, enabled as a user's conftest.py would."""

from __future__ import annotations

pytest_plugins = ["authgate.testing.pytest_plugin"]
