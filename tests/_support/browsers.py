"""Chromium for the browser tests: launch it, bundle a client, add a virtual authenticator."""

from __future__ import annotations

import contextlib
import subprocess
from typing import TYPE_CHECKING, Any

from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount, Route

from _support.components import CHROMIUM_ARGS, chromium_path, node_interop_dir, node_path
from authgate.integrations.asgi import AuthApp

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from playwright.sync_api import Browser, BrowserContext, CDPSession, Page
    from starlette.requests import Request

    from authgate import AuthGate


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Debian Chromium (skips, or fails with CI=true, without it)."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), headless=True
        )
        yield browser
        browser.close()


def bundle(out: Path, entry: Path | None = None) -> Path:
    """Bundle a client script with ``tests/interop/node/build-client.mjs`` (esbuild).

    ``entry`` defaults to that folder's ``react-client.jsx``; an entry elsewhere resolves its
    imports from its own folder's ``node_modules``.
    """
    folder = node_interop_dir()
    command = [node_path(), str(folder / "build-client.mjs"), str(out)]
    subprocess.run(
        command if entry is None else [*command, str(entry)],
        cwd=folder,
        check=True,
        timeout=60,
        capture_output=True,
    )
    return out


def virtual_authenticator(context: BrowserContext, page: Page) -> tuple[CDPSession, str]:
    """A CDP virtual authenticator: platform (internal), resident keys, user verified."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    options: dict[str, Any] = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, str(made["authenticatorId"])


async def _no_favicon(request: Request) -> Response:
    return Response(status_code=204)


def site(gate: AuthGate, *routes: Route) -> Starlette:
    """``routes``, a 204 favicon (no console error in the page) and ``gate`` at its base path."""
    favicon = Route("/favicon.ico", _no_favicon)
    return Starlette(routes=[*routes, favicon, Mount(gate.base_path, AuthApp(gate))])
