"""Helpers for testing apps and adapters built on authgate (no pytest import at module level).

- :func:`session_cookies`: the cookies of a signed-in user, without the sign-in pages.
- :class:`FakeIdentityProvider`: an OpenID provider on loopback to point a provider at.
- ``authgate.testing.pytest_plugin``: fixtures for both (``pytest_plugins = [...]``).
- ``authgate.testing.adapter_contract``: the checks every adapter must pass.
"""

from __future__ import annotations

from authgate.testing.idp import DEFAULT_USER, FakeIdentityProvider
from authgate.testing.sessions import session_cookies

__all__ = ["DEFAULT_USER", "FakeIdentityProvider", "session_cookies"]
