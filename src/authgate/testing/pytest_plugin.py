"""pytest fixtures for apps built on authgate.

Enable them in your ``conftest.py``::

    pytest_plugins = ["authgate.testing.pytest_plugin"]

- ``fake_idp``: a started :class:`~authgate.testing.FakeIdentityProvider` (one per test
  session; its :attr:`~authgate.testing.FakeIdentityProvider.user` is reset for each test).
- ``session_cookies``: :func:`authgate.testing.session_cookies`, to sign a user in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from authgate.testing.idp import DEFAULT_USER, FakeIdentityProvider
from authgate.testing.sessions import session_cookies as _session_cookies

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["fake_idp", "fake_idp_server", "session_cookies"]


@pytest.fixture(scope="session")
def fake_idp_server() -> Iterator[FakeIdentityProvider]:
    """The provider, started once for the test session."""
    with FakeIdentityProvider() as idp:
        yield idp


@pytest.fixture
def fake_idp(fake_idp_server: FakeIdentityProvider) -> FakeIdentityProvider:
    """The provider, signing in as :data:`~authgate.testing.DEFAULT_USER` unless changed."""
    fake_idp_server.user = dict(DEFAULT_USER)
    return fake_idp_server


@pytest.fixture
def session_cookies() -> Callable[..., object]:
    """Mints the cookies of a signed-in user; ``await`` it with the gate and the user."""
    return _session_cookies
