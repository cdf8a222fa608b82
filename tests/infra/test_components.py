"""The outside components the e2e and interop tests rely on work on this machine."""

from __future__ import annotations

import json

import pytest

from _support.components import CHROMIUM_ARGS, NEXTAUTH_VERSION, chromium_path, node_interop_dir
from interop import nextauth_node


@pytest.mark.e2e
def test_chromium_launches_headless_and_renders_a_page() -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=list(CHROMIUM_ARGS)
        )
        try:
            page = browser.new_page()
            page.goto("data:text/html,<title>t</title><p id=p>authgate</p>")
            assert page.text_content("#p") == "authgate"
        finally:
            browser.close()


@pytest.mark.interop
def test_the_pinned_next_auth_is_installed() -> None:
    package = node_interop_dir() / "node_modules" / "next-auth" / "package.json"
    assert json.loads(package.read_text())["version"] == NEXTAUTH_VERSION


@pytest.mark.interop
def test_next_auth_round_trips_a_token_through_the_node_helper() -> None:
    jwt = nextauth_node.encode({"sub": "u1", "name": "Ann"}, "a-secret", 60)
    assert jwt.count(".") == 4  # a compact JWE
    token = nextauth_node.decode(jwt, "a-secret")
    assert token is not None
    assert token["sub"] == "u1"
    assert token["name"] == "Ann"
    assert token["exp"] - token["iat"] == 60


@pytest.mark.interop
def test_next_auth_refuses_a_token_under_another_secret() -> None:
    jwt = nextauth_node.encode({"sub": "u1"}, "a-secret")
    with pytest.raises(nextauth_node.NextAuthError, match="decryption"):
        nextauth_node.decode(jwt, "another-secret")
