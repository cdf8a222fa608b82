"""Shared fixtures for the whole test suite.

``tests/`` itself is not a package: pytest puts it on ``sys.path``, so the helpers
import as ``from _support.components import chromium_path`` and
``from interop import nextauth_node``. Give each test folder an ``__init__.py``.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """Run ``@pytest.mark.anyio`` tests on asyncio only."""
    return "asyncio"
