from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import authgate

ROOT = Path(__file__).resolve().parents[2]


def _isort_key(name: str) -> tuple[int, str]:
    # ruff RUF022 ("isort-style"): CONSTANTS, then Classes, then everything else.
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_and_complete() -> None:
    assert authgate.__all__ == sorted(authgate.__all__, key=_isort_key)
    for name in authgate.__all__:
        assert hasattr(authgate, name), name


def test_public_modules_are_the_agreed_ones() -> None:
    public = sorted(
        m.name
        for m in pkgutil.walk_packages(authgate.__path__, "authgate.")
        if not any(part.startswith("_") for part in m.name.split("."))
        and not m.name.startswith("authgate.providers.")  # test_provider_modules
    )
    assert public == [
        "authgate.adapters",
        "authgate.adapters.memory",
        "authgate.adapters.sqlalchemy",
        "authgate.adapters.sqlalchemy.schema",
        "authgate.cli",
        "authgate.config",
        "authgate.errors",
        "authgate.gate",
        "authgate.http",
        "authgate.i18n",
        "authgate.integrations",
        "authgate.integrations.asgi",
        "authgate.integrations.django",
        "authgate.integrations.django.apps",
        "authgate.integrations.django.asgi",
        "authgate.integrations.django.conf",
        "authgate.integrations.django.credentials",
        "authgate.integrations.django.decorators",
        "authgate.integrations.django.middleware",
        "authgate.integrations.django.templatetags",
        "authgate.integrations.django.templatetags.authgate",
        "authgate.integrations.django.urls",
        "authgate.integrations.django.urls_async",
        "authgate.integrations.django.views",
        "authgate.integrations.fastapi",
        "authgate.integrations.flask",
        "authgate.integrations.litestar",
        "authgate.integrations.starlette",
        "authgate.integrations.wsgi",
        "authgate.jwt",
        "authgate.passwords",
        "authgate.providers",
        "authgate.ratelimit",
        "authgate.ratelimit.memory",
        "authgate.ratelimit.redis",
        "authgate.resource",
        "authgate.revocation",
        "authgate.revocation.redis",
        "authgate.testing",
        "authgate.testing.account_contract",
        "authgate.testing.adapter_contract",
        "authgate.testing.idp",
        "authgate.testing.pytest_plugin",
        "authgate.testing.sessions",
        "authgate.two_factor",
        "authgate.types",
    ]


def test_provider_modules() -> None:
    """``providers/``: the provider types, and one module per OAuth preset."""
    import authgate.providers as providers
    from authgate.providers.oauth import OAuth

    names = sorted(m.name for m in pkgutil.iter_modules(providers.__path__))
    for name in names:
        if name in ("credentials", "email", "oauth", "passkey", "password"):
            continue
        module = importlib.import_module(f"authgate.providers.{name}")
        assert len(module.__all__) == 1, name
        preset = getattr(module, module.__all__[0])
        assert issubclass(preset, OAuth), name
        assert getattr(providers, module.__all__[0]) is preset, name


def test_every_public_module_declares_all_and_docstrings() -> None:
    for name in [
        "authgate.config",
        "authgate.errors",
        "authgate.gate",
        "authgate.http",
        "authgate.i18n",
        "authgate.jwt",
        "authgate.types",
        "authgate.providers",
        "authgate.ratelimit",
        "authgate.ratelimit.memory",
        "authgate.ratelimit.redis",
        "authgate.passwords",
        "authgate.resource",
    ]:
        module = importlib.import_module(name)
        assert module.__doc__, name
        for symbol in module.__all__:
            obj = getattr(module, symbol)
            if callable(obj) and not isinstance(obj, type(dict[str, int])):
                assert getattr(obj, "__doc__", None), f"{name}.{symbol}"


def test_version_matches_pyproject_and_changelog_has_unreleased() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## Unreleased" in changelog
    assert re.fullmatch(r"\d+\.\d+\.\d+", authgate.__version__)


def test_py_typed_is_shipped() -> None:
    assert (Path(authgate.__file__).parent / "py.typed").exists()
