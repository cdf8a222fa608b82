"""The presets' logos ship with the package: the sign-in page never loads one from elsewhere."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from authgate import providers
from authgate._core.pages import render_signin
from authgate.config import Theme

LOGOS = Path(providers.__file__).resolve().parents[1] / "_core" / "pages" / "logos"
# Simple Icons has no mark for these (logos/README.md): their buttons show the name only.
WITHOUT_LOGO = frozenset({"cognito", "linkedin", "slack", "zitadel"})
PRESETS = sorted(
    name
    for name in providers.__all__
    if name not in {"OAuth", "OIDC", "Credentials", "Email"}
    and isinstance(getattr(providers, name), type)
    and hasattr(getattr(providers, name), "style")
    and getattr(providers, name).__module__.split(".")[-1] not in {"oauth", "email"}
)


def preset(name: str) -> Any:
    cls = getattr(providers, name)
    kwargs: dict[str, Any] = {"client_id": "id", "client_secret": "secret"}
    for required in ("issuer", "tenant_id", "domain"):
        if required in getattr(cls, "__dataclass_fields__", {}):
            kwargs.setdefault(required, "https://idp.example.com")
    try:
        return cls(**kwargs)
    except TypeError:
        return cls(client_id="id", client_secret="secret")


def page(*provider: Any) -> str:
    response = render_signin(
        theme=Theme(),
        url="/api/auth",
        providers=list(provider),
        csrf_token="t",
        callback_url="/",
        error=None,
        email=None,
    )
    return response.body.decode()


def test_there_are_presets() -> None:
    assert len(PRESETS) >= 20, PRESETS


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_logo_is_inlined(name: str) -> None:
    provider = preset(name)
    html = page(provider)
    sources = re.findall(r'<img[^>]*src="([^"]*)"', html)
    assert all(src.startswith("data:image/svg+xml;base64,") for src in sources), sources
    assert "http" not in " ".join(sources)
    stem = provider.style.logo.strip("/").removesuffix(".svg")
    if stem in WITHOUT_LOGO:
        assert sources == []
    else:
        assert len(sources) == 2  # light and dark
        for src in sources:
            svg = base64.b64decode(src.split(",", 1)[1])
            root = ET.fromstring(svg)  # noqa: S314 - our own files
            assert root.tag == "{http://www.w3.org/2000/svg}svg"
            assert "script" not in svg.decode().lower()


@pytest.mark.parametrize("path", sorted(LOGOS.glob("*.svg")), ids=lambda p: p.name)
def test_shipped_logos_are_plain_svg(path: Path) -> None:
    text = path.read_text()
    root = ET.fromstring(text)  # noqa: S314 - our own files
    assert root.attrib.get("viewBox") == "0 0 24 24"
    assert not re.search(r"script|href|on\w+=|<title", text, re.IGNORECASE)


def test_an_unknown_shipped_name_shows_no_logo() -> None:
    provider = providers.OAuth(
        id="x",
        name="X",
        client_id="a",
        client_secret="b",
        authorization="https://x.example/a",
        token="https://x.example/t",
        style=providers.ProviderStyle(logo="/no-such-logo.svg", text="#fff"),
    )
    assert "<img" not in page(provider)
