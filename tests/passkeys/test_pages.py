"""The built-in pages with a Passkey provider: the sign-in button, the script, the passkeys page."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from authgate.adapters.memory import MemoryAdapter
from authgate.errors import ConfigurationError
from authgate.providers import Passkey
from blackbox.conftest import URL, make_gate

from .conftest import Browser, browser, key, passkey_gate

pytestmark = pytest.mark.anyio


def _csp(response: Any) -> str:
    value: str = dict(response.headers)["content-security-policy"]
    return value


async def test_sign_in_page_has_the_passkey_form_and_only_our_script() -> None:
    gate = passkey_gate(MemoryAdapter())
    page = await browser(gate).client.get("/signin")
    html = page.body.decode()
    assert re.findall(r"<script[^>]*>", html) == [f'<script src="{URL}/webauthn.js" defer>']
    assert "</script>" in html
    assert not re.search(r"\son[a-z]+=", html), "no inline handlers"
    assert "data-passkey-box hidden" in html, "hidden until the script shows it"
    assert f'action="{URL}/callback/passkey"' in html
    assert f'data-options="{URL}/webauthn-options/passkey"' in html
    assert 'autocomplete="username webauthn"' in html
    assert "Sign up with Passkey" in html
    csp = _csp(page)
    assert "script-src 'self'" in csp
    assert "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


async def test_pages_without_passkeys_have_no_script() -> None:
    gate = make_gate()
    page = await browser(gate).client.get("/signin")
    assert b"<script" not in page.body
    assert "script-src" not in _csp(page)
    assert (await browser(gate).client.get("/webauthn.js")).status == 400
    assert (await browser(gate).client.get("/passkeys")).status == 400


async def test_the_script_is_served_from_the_base_path() -> None:
    gate = passkey_gate(MemoryAdapter())
    response = await browser(gate).client.get("/webauthn.js")
    assert response.status == 200
    headers = dict(response.headers)
    assert headers["content-type"].startswith("text/javascript")
    assert headers["x-content-type-options"] == "nosniff"
    assert b"navigator.credentials" in response.body
    assert not [c for c in response.cookies], "no cookies with a static file"


async def test_passkeys_page_needs_a_session() -> None:
    gate = passkey_gate(MemoryAdapter())
    response = await browser(gate).client.get("/passkeys")
    assert response.status == 302
    assert (
        response.redirect
        == f"{URL}/signin?callbackUrl={URL.replace(':', '%3A').replace('/', '%2F')}%2Fpasskeys"
    )


async def test_list_rename_remove() -> None:
    adapter = MemoryAdapter()
    gate = passkey_gate(adapter)
    alice = browser(gate)
    first, second = key(), key()
    await alice.sign_up(first, "alice@example.com")
    await alice.add(second)
    page = await alice.client.get("/passkeys")
    html = page.body.decode()
    assert page.status == 200
    assert html.count("data-passkey-row") == 2
    assert "Passkey 1" in html
    assert "Passkey 2" in html
    assert "Synced between devices (internal, hybrid)" in html
    assert "script-src 'self'" in _csp(page)
    first_id = base64.b64encode(first.credential_id).decode()
    token = await alice.client.csrf()

    renamed = await alice.client.post(
        "/passkeys",
        form={"csrfToken": token, "op": "rename", "credentialID": first_id, "name": " Laptop "},
    )
    assert renamed.status == 302
    assert renamed.redirect == f"{URL}/passkeys"
    assert (await adapter.get_authenticator(first_id))["name"] == "Laptop"  # type: ignore[index]
    html = (await alice.client.get("/passkeys")).body.decode()
    assert 'value="Laptop"' in html

    bad = await alice.client.post(
        "/passkeys",
        form={"csrfToken": token, "op": "rename", "credentialID": first_id, "name": "x\u0007y"},
    )
    assert bad.status == 400
    assert (await adapter.get_authenticator(first_id))["name"] == "Laptop"  # type: ignore[index]

    removed = await alice.client.post(
        "/passkeys", form={"csrfToken": token, "op": "remove", "credentialID": first_id}
    )
    assert removed.status == 302
    assert await adapter.get_authenticator(first_id) is None
    assert await adapter.get_user_by_account("passkey", first_id) is None, "its account goes too"
    refused = await browser(gate).sign_in(first)
    assert "WebAuthnVerificationError" in (refused.redirect or "")
    assert (await browser(gate).sign_in(second)).status == 302, "the other one still works"


async def test_another_users_passkey_cannot_be_touched() -> None:
    adapter = MemoryAdapter()
    gate = passkey_gate(adapter)
    alice, mallory = browser(gate), browser(gate)
    alices = key()
    await alice.sign_up(alices, "alice@example.com")
    await mallory.sign_up(key(), "mallory@example.com")
    alices_id = base64.b64encode(alices.credential_id).decode()
    token = await mallory.client.csrf()
    for op in ("rename", "remove"):
        response = await mallory.client.post(
            "/passkeys",
            form={"csrfToken": token, "op": op, "credentialID": alices_id, "name": "mine"},
        )
        assert response.status == 404
        assert b"That passkey was not found." in response.body
    stored = await adapter.get_authenticator(alices_id)
    assert stored is not None
    assert stored.get("name") is None


async def _alice_with_a_passkey() -> tuple[MemoryAdapter, Browser, str]:
    """A store, alice signed up (and in) with one passkey, and its credential id."""
    adapter = MemoryAdapter()
    alice = browser(passkey_gate(adapter))
    passkey = key()
    await alice.sign_up(passkey, "alice@example.com")
    return adapter, alice, base64.b64encode(passkey.credential_id).decode()


async def test_passkeys_page_post_needs_csrf_and_a_known_op() -> None:
    adapter, alice, credential_id = await _alice_with_a_passkey()
    response = await alice.client.post(
        "/passkeys", form={"op": "remove", "credentialID": credential_id}
    )
    assert response.status == 302
    assert "csrf=true" in (response.redirect or "")
    assert await adapter.get_authenticator(credential_id) is not None
    token = await alice.client.csrf()
    odd = await alice.client.post("/passkeys", form={"csrfToken": token, "op": "steal"})
    assert odd.status == 400


def test_configuration_is_checked_at_start_up() -> None:
    class NoPasskeys:
        """An adapter without the AuthenticatorAdapter methods."""

    with pytest.raises(ConfigurationError, match="AuthenticatorAdapter"):
        make_gate(providers=[Passkey()], adapter=None)
    with pytest.raises(ConfigurationError, match="AuthenticatorAdapter"):
        make_gate(providers=[Passkey()], adapter=NoPasskeys())
    with pytest.raises(ConfigurationError, match="at most one"):
        make_gate(providers=[Passkey(), Passkey(id="key")], adapter=MemoryAdapter())
    for bad in (
        {"origins": ("https://a.example/path",)},
        {"origins": "https://a.example"},
        {"origins": ("https://a.example", "https://b.example")},
        {"rp_id": "a.example", "origins": ("https://b.example",)},
        {"rp_id": "A.example"},
        {"algorithms": (-7, 99)},
        {"algorithms": ()},
        {"attestation_formats": ("none", "x")},
        {"attestation_formats": "none"},
        {"timeout": 900},
        {"user_verification": "discouraged"},
        {"id": "a b"},
        {"type": "oauth"},
    ):
        with pytest.raises(ConfigurationError):
            Passkey(**bad)
    ok = Passkey(rp_id="example.com", origins=("https://a.example.com", "https://example.com"))
    assert ok.relying_party("http://ignored") == (
        "example.com",
        "example.com",
        ("https://a.example.com", "https://example.com"),
    )


@pytest.mark.parametrize("name", [5, None, ["Laptop"], {"a": 1}])
async def test_a_json_rename_needs_a_string_name(name: object) -> None:
    adapter, alice, credential_id = await _alice_with_a_passkey()
    token = await alice.client.csrf()
    body = {"csrfToken": token, "op": "rename", "credentialID": credential_id, "name": name}
    response = await alice.client.post("/passkeys", json_body=body)
    assert response.status == 400
    assert b"at most 64 characters" in response.body
    stored = await adapter.get_authenticator(credential_id)
    assert stored is not None
    assert stored.get("name") is None


@pytest.mark.parametrize("with_key", [True, False], ids=["key-and-toggle", "toggle-only"])
def test_an_account_page_with_the_script_and_the_toggle_has_one_script_src(
    with_key: bool,
) -> None:
    from authgate._core.pages.accounts import Content, Field, Form, SecurityKey, render_account_page
    from authgate.config import Theme
    from authgate.i18n import ENGLISH

    key_form = SecurityKey(
        action=f"{URL}/two-factor",
        options_url=f"{URL}/webauthn-options/passkey",
        script_url=f"{URL}/webauthn.js",
        button="Use a security key",
        failed="No",
    )
    content = Content(
        title="t",
        heading="h",
        forms=[Form(action=URL, button="b", fields=[Field(name="p", label="P", secret=True)])],
        security_key=key_form if with_key else None,
    )
    page = render_account_page(theme=Theme(), lang=ENGLISH, csrf_token="c", content=content)
    policy = dict(page.headers)["content-security-policy"]
    assert policy.count("script-src") == 1, policy
    assert re.search(r"script-src[^;]* 'sha256-[A-Za-z0-9+/=]+'", policy), "the toggle runs"
    assert ("script-src 'self' 'sha256-" in policy) is with_key, "and the file, with a key"
    assert (b'data-passkey="two-factor"' in page.body) is with_key
