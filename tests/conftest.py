"""Shared fixtures for the whole test suite.

``tests/`` itself is not a package: pytest puts it on ``sys.path``, so the helpers
import as ``from _support.components import chromium_path`` and
``from interop import nextauth_node``. Give each test folder an ``__init__.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import authgate.passwords
from _support.passwords import FAST_ARGON2

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def anyio_backend() -> str:
    """Run ``@pytest.mark.anyio`` tests on asyncio only."""
    return "asyncio"


@pytest.fixture(autouse=True)
def _fast_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cheap argon2id in this process unless the test is marked ``real_argon2``."""
    if request.node.get_closest_marker("real_argon2") is not None:
        yield
        return
    monkeypatch.setattr(authgate.passwords, "_HASHER", FAST_ARGON2)
    authgate.passwords._dummy_hash.cache_clear()  # the dummy is made with the hasher in place
    yield
    authgate.passwords._dummy_hash.cache_clear()
