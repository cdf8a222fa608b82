"""Facts the guides state that the code must keep true."""

from __future__ import annotations

import re

from _support.components import REPO_ROOT
from authgate import AuthConfig, AuthGate, providers
from authgate.cli import parser

GUIDES = REPO_ROOT / "docs" / "guides"
PRESET_ROW = re.compile(r"^\| `(\w+)` \| `([\w-]+)` \| `(\S+)` \|$", re.MULTILINE)


def presets() -> dict[str, type[providers.OAuth]]:
    found: dict[str, type[providers.OAuth]] = {}
    for name in providers.__all__:
        cls = getattr(providers, name)
        if isinstance(cls, type) and issubclass(cls, providers.OAuth):
            if cls.__module__.rsplit(".", 1)[-1] == "oauth":
                continue  # OAuth and OIDC themselves
            found[name] = cls
    return found


def test_the_callback_url_table_lists_every_preset() -> None:
    rows = PRESET_ROW.findall((GUIDES / "oauth.md").read_text())
    assert sorted(name for name, _, _ in rows) == sorted(presets())
    instances = {
        name: cls(client_id="id", client_secret="secret", **_extra(cls))  # type: ignore[arg-type]
        for name, cls in presets().items()
    }
    gate = AuthGate(
        AuthConfig(
            providers=list(instances.values()), secret="x" * 43, url="https://example.com/api/auth"
        ),
        env={},
    )
    listed = gate.get_providers()
    for name, provider_id, callback in rows:
        assert instances[name].id == provider_id
        assert listed[provider_id]["callbackUrl"] == callback


def _extra(cls: type) -> dict[str, str]:
    # Presets whose issuer is the customer's own (Auth0, Keycloak...) need one to be built.
    probe = getattr(cls, "__dataclass_fields__", {})
    issuer = probe.get("issuer")
    return {"issuer": "https://idp.example.com"} if issuer and issuer.default is None else {}


def test_the_cli_guide_lists_every_command() -> None:
    text = (GUIDES / "cli.md").read_text()
    for action in parser()._subparsers._group_actions:  # type: ignore[union-attr]
        for name, sub in action.choices.items():  # type: ignore[union-attr]
            assert f"`authgate {name}" in text, name
            for nested in (
                getattr(sub, "_subparsers", None)._group_actions  # type: ignore[union-attr]
                if sub._subparsers
                else []
            ):
                for child in nested.choices:
                    assert f"`authgate {name} {child}" in text, (name, child)


def test_every_guide_is_in_the_site_navigation() -> None:
    nav = (REPO_ROOT / "mkdocs.yml").read_text()
    pages = sorted(
        p.relative_to(REPO_ROOT / "docs").as_posix() for p in (REPO_ROOT / "docs").rglob("*.md")
    )
    assert [p for p in pages if p not in nav] == []
