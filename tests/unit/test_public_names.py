"""The names users import, pinned: adding or removing one is a deliberate API change (update
this list and CHANGELOG.md together)."""

from __future__ import annotations

import importlib
import re

import pytest

from _support.components import REPO_ROOT

PINNED = {
    "authgate": [
        "JWT", "AccessDeniedError", "Account", "AuthConfig", "AuthGate", "AuthGateError",
        "AuthRequest", "AuthResponse", "Callbacks", "ConfigurationError", "Cookie",
        "CookieOption", "CredentialsSigninError", "CsrfToken", "Events", "JWTConfig",
        "PagesConfig", "Session", "SessionConfig", "SignInError", "Theme", "TwoFactor", "User",
        "__version__",
    ],
    "authgate.testing": ["DEFAULT_USER", "FakeIdentityProvider", "session_cookies"],
    "authgate.i18n": [
        "DEFAULT_LOCALE", "LOCALES", "N_", "Language", "direction", "language", "negotiate",
        "normalize",
    ],
}  # fmt: skip


@pytest.mark.parametrize("module", list(PINNED))
def test_public_names_are_pinned(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(PINNED[module])
    for name in imported.__all__:
        assert getattr(imported, name) is not None


def test_readme_imports_are_shallow() -> None:
    # What the README's examples import: one level under authgate, never a private module.
    readme = (REPO_ROOT / "README.md").read_text()
    modules = set(re.findall(r"^from (authgate[\w.]*) import", readme, re.MULTILINE))
    assert modules
    for module in modules:
        assert not any(part.startswith("_") for part in module.split(".")), module
        assert module.count(".") <= 2, module
        importlib.import_module(module)
