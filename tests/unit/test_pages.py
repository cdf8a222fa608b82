"""The built-in pages: markup of v4's ``core/pages``, escaping, theme and security headers."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from authgate._core import pages
from authgate._core.pages import (
    page_security_headers,
    render_error,
    render_signin,
    render_signout,
    render_verify_request,
)
from authgate.config import Theme

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from authgate.http import AuthResponse

URL = "http://localhost:8000/api/auth"
ORIGIN = "http://localhost:8000"
XSS = '"><script>alert(1)</script>'


# --------------------------------------------------------------------------------------------
# A tiny DOM built with the stdlib parser.

_VOID = frozenset({"meta", "input", "img", "hr", "br", "link", "source", "wbr"})


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if n.tag == tag and all(n.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()

    def by_class(self, name: str) -> list[Node]:
        return [n for n in self.iter() if n.has_class(name)]

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    @property
    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return re.sub(r"\s+", " ", "".join(parts)).strip()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root
        self.doctype: str | None = None

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), f"duplicate attribute on <{tag}>: {names}"
        node = Node(tag, dict(attrs), parent=self.current)
        self.current.children.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, dict(attrs), parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        assert tag not in _VOID
        assert self.current.tag == tag, f"</{tag}> closes <{self.current.tag}>"
        assert self.current.parent is not None
        self.current = self.current.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(response: AuthResponse) -> Node:
    builder = _TreeBuilder()
    builder.feed(response.body.decode())
    builder.close()
    assert builder.current is builder.root, "unclosed elements"
    assert builder.doctype is not None
    assert builder.doctype.lower() == "doctype html"
    return builder.root


# --------------------------------------------------------------------------------------------
# Fake providers.


@dataclass
class FakeProvider:
    id: str
    name: str
    type: str
    credentials: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    style: Any = None


@dataclass
class FakeStyle:
    logo: str | None = None
    logo_dark: str | None = None
    bg: str | None = None
    bg_dark: str | None = None
    text: str | None = None
    text_dark: str | None = None


def oauth(pid: str = "github", name: str = "GitHub", style: Any = None) -> FakeProvider:
    return FakeProvider(pid, name, "oauth", style=style)


def email_provider(pid: str = "email", name: str = "Email") -> FakeProvider:
    return FakeProvider(pid, name, "email")


def credentials(
    pid: str = "credentials",
    name: str = "Credentials",
    fields: Mapping[str, Mapping[str, Any]] | None = None,
) -> FakeProvider:
    if fields is None:
        fields = {
            "username": {"label": "Username", "type": "text", "placeholder": "jsmith"},
            "password": {"label": "Password", "type": "password"},
        }
    return FakeProvider(pid, name, "credentials", credentials=fields)


def signin(**overrides: Any) -> AuthResponse:
    kwargs: dict[str, Any] = {
        "theme": Theme(),
        "url": URL,
        "providers": [credentials()],
        "csrf_token": "csrf123",
        "callback_url": "http://localhost:8000/dashboard",
        "error": None,
        "email": None,
    }
    kwargs.update(overrides)
    return render_signin(**kwargs)


def all_pages(theme: Theme) -> list[AuthResponse]:
    return [
        signin(theme=theme, providers=[oauth(), email_provider(), credentials()]),
        render_signout(theme=theme, url=URL, csrf_token="csrf123"),
        render_error(theme=theme, url=URL, origin=ORIGIN, error="Verification"),
        render_verify_request(theme=theme, url=URL, origin=ORIGIN),
    ]


def provider_divs(doc: Node) -> list[Node]:
    return doc.by_class("provider")


def hr_positions(div: Node) -> str:
    """``hr`` / ``form`` sequence of a provider div, e.g. ``"hr form hr"``."""
    return " ".join(n.tag for n in div.elements())


# --------------------------------------------------------------------------------------------
# Page shell, headers, theme.


@pytest.mark.parametrize(
    ("index", "title", "wrapper"),
    [
        (0, "Sign In", "signin"),
        (1, "Sign Out", "signout"),
        (2, "Error", "error"),
        (3, "Verify Request", "verify-request"),
    ],
)
def test_page_shell(index: int, title: str, wrapper: str) -> None:
    response = all_pages(Theme())[index]
    doc = parse(response)
    html = doc.find("html")
    assert html.attrs["lang"] == "en"
    assert doc.find("meta").attrs == {"charset": "utf-8"}
    viewport = doc.find("meta", name="viewport")
    assert viewport.attrs["content"] == "width=device-width, initial-scale=1"
    assert doc.find("title").text == title
    style = doc.find("head").find("style")
    assert "--color-info" in style.text
    body = doc.find("body")
    assert body.has_class("__next-auth-theme-auto")
    page = body.elements()[0]
    assert page.has_class("page")
    assert page.elements()[0].has_class(wrapper)
    assert page.elements()[0].elements()[-1].has_class("card")
    assert response.header("content-type") == "text/html; charset=utf-8"
    assert not doc.find_all("script")
    assert "<script" not in response.body.decode().lower()


def test_security_headers_on_every_page() -> None:
    expected = {
        "content-security-policy": (
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: data: 'self'; "
            "base-uri 'none'; frame-ancestors 'none'"
        ),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
        "x-frame-options": "DENY",
    }
    assert dict(page_security_headers()) == expected
    assert "form-action" not in expected["content-security-policy"]
    for response in all_pages(Theme()):
        for name, value in expected.items():
            assert response.header(name) == value


def test_security_headers_helper_returns_a_fresh_list() -> None:
    first = page_security_headers()
    first.clear()
    assert page_security_headers()


@pytest.mark.parametrize("scheme", ["auto", "light", "dark"])
def test_theme_color_scheme_class(scheme: str) -> None:
    for response in all_pages(Theme(color_scheme=scheme)):  # type: ignore[arg-type]
        assert parse(response).find("body").attrs["class"] == f"__next-auth-theme-{scheme}"


def test_brand_color_button_text_and_logo() -> None:
    theme = Theme(brand_color="#7c3aed", button_text="#ffffff", logo="https://example.com/l.png")
    for index, response in enumerate(all_pages(theme)):
        doc = parse(response)
        wrapper = doc.find("body").elements()[0].elements()[0]
        styles = [n.text for n in wrapper.elements() if n.tag == "style"]
        assert styles[0] == ":root { --brand-color: #7c3aed }"
        # buttonText only on the pages that have a primary button (sign-in, sign-out)
        if index in (0, 1):
            assert styles[1] == ":root { --button-text-color: #ffffff }"
        else:
            assert len(styles) == 1
        card = wrapper.elements()[-1]
        logo = card.elements()[0]
        assert logo.tag == "img"
        assert logo.attrs == {"src": "https://example.com/l.png", "alt": "Logo", "class": "logo"}


def test_no_theme_styles_or_logo_by_default() -> None:
    for response in all_pages(Theme()):
        doc = parse(response)
        wrapper = doc.find("body").elements()[0].elements()[0]
        assert [n.tag for n in wrapper.elements()] == ["div"]
        assert not doc.by_class("logo")


def test_unsafe_theme_values_never_reach_the_style_element() -> None:
    # Theme validates at construction; this bypasses it to check the renderer's own guard.
    theme = Theme()
    object.__setattr__(theme, "brand_color", "red}</style><script>alert(1)</script>")
    object.__setattr__(theme, "button_text", "red; background: url(x)")
    body = signin(theme=theme).body.decode()
    assert "<script" not in body
    assert "url(x)" not in body
    assert "--brand-color" not in body.split("</head>")[1]


# --------------------------------------------------------------------------------------------
# Sign-in page.


def test_signin_oauth_form() -> None:
    doc = parse(signin(providers=[oauth()]))
    form = doc.find("form")
    assert form.attrs == {"action": f"{URL}/signin/github", "method": "POST"}
    inputs = form.find_all("input")
    assert [(i.attrs["type"], i.attrs["name"], i.attrs["value"]) for i in inputs] == [
        ("hidden", "csrfToken", "csrf123"),
        ("hidden", "callbackUrl", "http://localhost:8000/dashboard"),
    ]
    button = form.find("button")
    assert button.attrs == {"type": "submit", "class": "button"}
    assert button.text == "Sign in with GitHub"
    assert not button.find_all("img")


def test_signin_oauth_without_callback_url_has_no_callback_input() -> None:
    doc = parse(signin(providers=[oauth()], callback_url=""))
    assert not doc.find_all("input", name="callbackUrl")


@pytest.mark.parametrize(
    "style",
    [
        FakeStyle(
            logo="/github.svg",
            logo_dark="/github-dark.svg",
            bg="#fff",
            bg_dark="#000",
            text="#000",
            text_dark="#fff",
        ),
        {
            "logo": "/github.svg",
            "logo_dark": "/github-dark.svg",
            "bg": "#fff",
            "bg_dark": "#000",
            "text": "#000",
            "text_dark": "#fff",
        },
    ],
)
def test_signin_oauth_style_and_logos(style: Any) -> None:
    button = parse(signin(providers=[oauth(style=style)])).find("button")
    assert button.attrs["style"] == (
        "--provider-bg: #fff; --provider-dark-bg: #000; --provider-color: #000; "
        "--provider-dark-color: #fff; --provider-bg-hover: rgba(255, 255, 255, 0.8); "
        "--provider-dark-bg-hover: rgba(0, 0, 0, 0.8);"
    )
    light, dark = button.find_all("img")
    # Shipped with the package and inlined, filled with each scheme's text colour; there is no
    # github-dark.svg, so the dark logo is github.svg in the dark text colour.
    assert svg_of(light.attrs["src"]).startswith('<svg fill="#000" viewBox="0 0 24 24"')
    assert light.has_class("provider-logo")
    assert svg_of(dark.attrs["src"]).startswith('<svg fill="#fff" viewBox="0 0 24 24"')
    assert dark.has_class("provider-logo-dark")
    for img in (light, dark):
        assert img.attrs["alt"] == ""
        assert img.attrs["loading"] == "lazy"
        assert (img.attrs["width"], img.attrs["height"]) == ("24", "24")


def svg_of(src: str | None) -> str:
    prefix = "data:image/svg+xml;base64,"
    assert src is not None
    assert src.startswith(prefix)
    return base64.b64decode(src[len(prefix) :]).decode()


def test_signin_oauth_partial_style_falls_back() -> None:
    style = {"logo": "https://cdn.example.com/x.svg", "bg": "#abc", "text": "javascript:x;}"}
    button = parse(signin(providers=[oauth(style=style)])).find("button")
    assert (
        button.attrs["style"]
        == "--provider-bg: #abc; --provider-bg-hover: rgba(170, 187, 204, 0.8);"
    )
    imgs = button.find_all("img")
    assert [i.attrs["src"] for i in imgs] == ["https://cdn.example.com/x.svg"] * 2


def test_signin_oauth_style_rejects_script_logos() -> None:
    style = FakeStyle(logo="javascript:alert(1)", bg="red")
    button = parse(signin(providers=[oauth(style=style)])).find("button")
    assert not button.find_all("img")
    assert button.attrs["style"] == "--provider-bg: red;"


def test_signin_email_form() -> None:
    doc = parse(signin(providers=[email_provider()], email="jane@example.com"))
    form = doc.find("form")
    assert form.attrs == {"action": f"{URL}/signin/email", "method": "POST"}
    assert not form.find_all("input", name="callbackUrl")
    label = form.find("label")
    assert label.attrs == {"class": "section-header", "for": "input-email-for-email-provider"}
    assert label.text == "Email"
    field_ = form.find("input", name="email")
    assert field_.attrs == {
        "id": "input-email-for-email-provider",
        "autofocus": None,
        "type": "email",
        "name": "email",
        "value": "jane@example.com",
        "placeholder": "email@example.com",
        "required": None,
    }
    button = form.find("button")
    assert button.attrs == {"id": "submitButton", "type": "submit"}
    assert button.text == "Sign in with Email"


def test_signin_email_without_value() -> None:
    field_ = parse(signin(providers=[email_provider()])).find("input", name="email")
    assert "value" not in field_.attrs


def test_signin_credentials_form() -> None:
    fields = {
        "username": {
            "label": "Username",
            "type": "text",
            "placeholder": "jsmith",
            "autocomplete": "username",
            "required": True,
            "disabled": False,
            "pattern": None,
        },
        "password": {"label": "Password", "type": "password", "minlength": 8, "step": 1.0},
        "otp": {},
    }
    doc = parse(signin(providers=[credentials(fields=fields)]))
    form = doc.find("form")
    assert form.attrs == {"action": f"{URL}/callback/credentials", "method": "POST"}
    children = form.elements()
    assert children[0].attrs == {"type": "hidden", "name": "csrfToken", "value": "csrf123"}
    assert not form.find_all("input", name="callbackUrl")
    rows = children[1:-1]
    assert [r.tag for r in rows] == ["div", "div", "div"]
    labels = [r.find("label") for r in rows]
    inputs = [r.find("input") for r in rows]
    assert [lb.text for lb in labels] == ["Username", "Password", "otp"]
    for key, label, input_ in zip(["username", "password", "otp"], labels, inputs, strict=True):
        assert label.attrs == {
            "class": "section-header",
            "for": f"input-{key}-for-credentials-provider",
        }
        assert input_.attrs["id"] == label.attrs["for"]
        assert input_.attrs["name"] == key
    assert inputs[0].attrs == {
        "name": "username",
        "id": "input-username-for-credentials-provider",
        "type": "text",
        "placeholder": "jsmith",
        "label": "Username",
        "autocomplete": "username",
        "required": None,
    }
    assert inputs[1].attrs == {
        "name": "password",
        "id": "input-password-for-credentials-provider",
        "type": "password",
        "placeholder": None,
        "label": "Password",
        "minlength": "8",
        "step": "1",
    }
    assert inputs[2].attrs["type"] == "text"
    button = children[-1]
    assert button.tag == "button"
    assert button.attrs == {"type": "submit", "id": "submitButton"}
    assert button.text == "Sign in with Credentials"


def test_signin_credentials_definition_can_override_defaults_like_v4() -> None:
    fields = {"user": {"name": "login", "id": "login-field", "type": "email"}}
    row = parse(signin(providers=[credentials(fields=fields)])).find("form").elements()[1]
    assert row.find("input").attrs["name"] == "login"
    assert row.find("input").attrs["type"] == "email"
    assert row.find("label").attrs["for"] == "login-field" == row.find("input").attrs["id"]


def test_signin_hides_credentials_without_fields_and_unknown_types() -> None:
    doc = parse(signin(providers=[credentials(fields={}), FakeProvider("x", "X", "saml")]))
    assert not provider_divs(doc)
    assert not doc.find_all("form")


def test_signin_providers_in_config_order() -> None:
    doc = parse(signin(providers=[credentials(), oauth("google", "Google"), email_provider()]))
    actions = [f.attrs["action"] for f in doc.find_all("form")]
    assert actions == [f"{URL}/callback/credentials", f"{URL}/signin/google", f"{URL}/signin/email"]


def test_divider_oauth_email_credentials() -> None:
    # v4 OBSERVED: oauth | <hr/>email<hr/> | cred
    doc = parse(signin(providers=[oauth(), email_provider(), credentials()]))
    assert [hr_positions(d) for d in provider_divs(doc)] == ["form", "hr form hr", "form"]


def test_divider_email_credentials_oauth() -> None:
    # v4 OBSERVED: email<hr/> | cred<hr/> | oauth
    doc = parse(signin(providers=[email_provider(), credentials(), oauth()]))
    assert [hr_positions(d) for d in provider_divs(doc)] == ["form hr", "form hr", "form"]


def test_divider_only_oauth_and_single_form() -> None:
    doc = parse(signin(providers=[oauth(), oauth("google", "Google")]))
    assert [hr_positions(d) for d in provider_divs(doc)] == ["form", "form"]
    doc = parse(signin(providers=[credentials()]))
    assert [hr_positions(d) for d in provider_divs(doc)] == ["form"]
    doc = parse(signin(providers=[oauth(), credentials()]))
    assert [hr_positions(d) for d in provider_divs(doc)] == ["form", "hr form"]


def test_divider_ignores_hidden_providers() -> None:
    hidden = credentials("hidden", fields={})
    doc = parse(signin(providers=[email_provider(), hidden]))
    assert [hr_positions(d) for d in provider_divs(doc)] == ["form"]


SIGNIN_MESSAGES = {
    "Signin": "Try signing in with a different account.",
    "OAuthSignin": "Try signing in with a different account.",
    "OAuthCallback": "Try signing in with a different account.",
    "OAuthCreateAccount": "Try signing in with a different account.",
    "EmailCreateAccount": "Try signing in with a different account.",
    "Callback": "Try signing in with a different account.",
    "OAuthAccountNotLinked": (
        "To confirm your identity, sign in with the same account you used originally."
    ),
    "EmailSignin": "The e-mail could not be sent.",
    "CredentialsSignin": "Sign in failed. Check the details you provided are correct.",
    "SessionRequired": "Please sign in to access this page.",
    "Default": "Unable to sign in.",
    "credentialssignin": "Unable to sign in.",  # case-sensitive
    "OAUTHSIGNIN": "Unable to sign in.",
    "Verification": "Unable to sign in.",
    "AccessDenied": "Unable to sign in.",
    "Some authorize() message": "Unable to sign in.",
    "<script>alert(1)</script>": "Unable to sign in.",
}


@pytest.mark.parametrize(("code", "message"), SIGNIN_MESSAGES.items())
def test_signin_error_messages(code: str, message: str) -> None:
    theme = Theme(logo="https://example.com/logo.png")
    response = signin(theme=theme, providers=[oauth(), credentials()], error=code)
    doc = parse(response)
    card = doc.by_class("card")[0]
    children = card.elements()
    assert children[0].has_class("logo")
    box = children[1]
    assert box.tag == "div"
    assert box.has_class("error")
    assert [c.tag for c in box.elements()] == ["p"]
    assert box.text == message
    assert children[2].has_class("provider")
    body = response.body.decode()
    assert "<script" not in body
    if code not in pages.SIGNIN_ERROR_MESSAGES and code != "Default":
        # the raw code is never echoed, only the generic message
        assert code not in body.split("</head>")[1]


def test_signin_error_box_is_first_in_card_without_logo() -> None:
    card = parse(signin(error="CredentialsSignin")).by_class("card")[0]
    assert card.elements()[0].has_class("error")
    assert card.elements()[0].attrs["role"] == "alert"


@pytest.mark.parametrize("error", [None, ""])
def test_signin_no_error_box(error: str | None) -> None:
    doc = parse(signin(error=error))
    assert not [n for n in doc.find("body").iter() if n.has_class("error")]


def test_signin_escapes_everything() -> None:
    fields = {
        "user": {"label": XSS, "placeholder": XSS, "value": XSS, "data-x": XSS},
    }
    providers = [
        oauth("github", XSS),
        email_provider("email", XSS),
        credentials("credentials", XSS, fields=fields),
    ]
    response = signin(providers=providers, csrf_token=XSS, callback_url=XSS, email=XSS)
    body = response.body.decode()
    assert "<script" not in body
    doc = parse(response)
    assert not doc.find_all("script")
    for csrf in doc.find_all("input", name="csrfToken"):
        assert csrf.attrs["value"] == XSS
    assert doc.find("input", name="callbackUrl").attrs["value"] == XSS
    assert doc.find("input", name="email").attrs["value"] == XSS
    user = doc.find("input", name="user")
    for attr in ("label", "placeholder", "value", "data-x"):
        assert user.attrs[attr] == XSS
    assert doc.find("label", for_="input-user-for-credentials-provider").text == XSS.strip()
    buttons = doc.find_all("button")
    assert [b.text for b in buttons] == [f"Sign in with {XSS}"] * 3


def test_signin_escapes_provider_ids_in_urls_and_ids() -> None:
    response = signin(providers=[oauth(XSS), email_provider(XSS)])
    assert "<script" not in response.body.decode()
    doc = parse(response)
    forms = doc.find_all("form")
    assert all(str(f.attrs["action"]).startswith(f"{URL}/signin/%22%3E%3Cscript") for f in forms)
    assert doc.find("input", name="email").attrs["id"] == f"input-email-for-{XSS}-provider"


def test_signin_only_reads_allow_listed_inputs() -> None:
    # the renderer has no parameter through which a query could override the CSRF field
    response = signin(providers=[oauth()], csrf_token="real")
    values = [i.attrs["value"] for i in parse(response).find_all("input", name="csrfToken")]
    assert values == ["real"]


def test_signin_url_trailing_slash_is_normalised() -> None:
    doc = parse(signin(url=URL + "/", providers=[oauth()]))
    assert doc.find("form").attrs["action"] == f"{URL}/signin/github"


# --------------------------------------------------------------------------------------------
# Sign-out page.


def test_signout_page() -> None:
    response = render_signout(theme=Theme(), url=URL, csrf_token=XSS)
    assert response.status == 200
    assert "<script" not in response.body.decode()
    card = parse(response).by_class("card")[0]
    assert [n.tag for n in card.elements()] == ["h1", "p", "form"]
    assert card.find("h1").text == "Signout"
    assert card.find("p").text == "Are you sure you want to sign out?"
    form = card.find("form")
    assert form.attrs == {"action": f"{URL}/signout", "method": "POST"}
    assert [i.attrs for i in form.find_all("input")] == [
        {"type": "hidden", "name": "csrfToken", "value": XSS}
    ]
    button = form.find("button")
    assert button.attrs == {"id": "submitButton", "type": "submit"}
    assert button.text == "Sign out"


# --------------------------------------------------------------------------------------------
# Error page.

ERROR_CASES = [
    (None, 200, "default"),
    ("", 200, "default"),
    ("Default", 200, "default"),
    ("default", 200, "default"),
    ("Configuration", 500, "configuration"),
    ("configuration", 500, "configuration"),
    ("CONFIGURATION", 500, "configuration"),
    ("AccessDenied", 403, "accessdenied"),
    ("accessdenied", 403, "accessdenied"),
    ("ACCESSDENIED", 403, "accessdenied"),
    ("Verification", 403, "verification"),
    ("verification", 403, "verification"),
    ("VeRiFiCaTiOn", 403, "verification"),
    ("OAuthSignin", 200, "default"),
    ("Unknown", 200, "default"),
    ("<script>alert(1)</script>", 200, "default"),
    (XSS, 200, "default"),
]


@pytest.mark.parametrize(("error", "status", "variant"), ERROR_CASES)
def test_error_page(error: str | None, status: int, variant: str) -> None:
    response = render_error(theme=Theme(), url=URL, origin=ORIGIN, error=error)
    assert response.status == status
    body = response.body.decode()
    assert "<script" not in body
    if error and error.lower() not in ("default", variant):
        assert error not in body
    doc = parse(response)
    assert doc.find("title").text == "Error"
    wrapper = doc.find("body").elements()[0].elements()[0]
    assert wrapper.has_class("error")
    card = wrapper.elements()[-1]
    heading, message, *rest = card.elements()
    assert heading.tag == "h1"
    assert message.has_class("message")
    if variant == "default":
        assert heading.text == "Error"
        [p] = message.elements()
        link = p.find("a")
        assert link.attrs == {"class": "site", "href": ORIGIN}
        assert link.text == "localhost:8000"
        assert not rest
    elif variant == "configuration":
        assert heading.text == "Server error"
        assert [p.text for p in message.find_all("p")] == [
            "There is a problem with the server configuration.",
            "Check the server logs for more information.",
        ]
        assert not rest
        assert not card.find_all("a")
    elif variant == "accessdenied":
        assert heading.text == "Access Denied"
        assert message.find_all("p")[0].text == "You do not have permission to sign in."
        link = message.find("a")
        assert link.attrs == {"class": "button", "href": f"{URL}/signin"}
        assert link.text == "Sign in"
        assert not rest
    else:
        assert heading.text == "Unable to sign in"
        assert [p.text for p in message.find_all("p")] == [
            "The sign in link is no longer valid.",
            "It may have been used already or it may have expired.",
        ]
        assert not message.find_all("a")
        [link] = rest
        assert link.attrs == {"class": "button", "href": f"{URL}/signin"}
        assert link.text == "Sign in"


def test_error_page_escapes_origin() -> None:
    response = render_error(theme=Theme(), url=URL, origin='http://a"><script>x', error=None)
    assert "<script" not in response.body.decode()


# --------------------------------------------------------------------------------------------
# Verify-request page.


def test_verify_request_page() -> None:
    response = render_verify_request(theme=Theme(), url=URL, origin="https://example.com:8443")
    assert response.status == 200
    card = parse(response).by_class("card")[0]
    assert [n.tag for n in card.elements()] == ["h1", "p", "p"]
    assert card.find("h1").text == "Check your email"
    assert card.elements()[1].text == "A sign in link has been sent to your email address."
    link = card.elements()[2].find("a")
    assert link.attrs == {"class": "site", "href": "https://example.com:8443"}
    assert link.text == "example.com:8443"


# --------------------------------------------------------------------------------------------
# Stylesheet: palette, contrast, touch targets. Read from the packaged file.

CSS = (Path(pages.__file__).parent / "styles.css").read_text(encoding="utf-8")


def _block(selector_pattern: str, css: str = CSS) -> dict[str, str]:
    match = re.search(selector_pattern + r"\s*\{([^}]*)\}", css)
    assert match, selector_pattern
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", match.group(1)))


def _luminance(color: str) -> float:
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


ROOT = _block(r":root")
LIGHT = _block(r"\.__next-auth-theme-auto,\s*\.__next-auth-theme-light")
DARK = _block(r"\n\.__next-auth-theme-dark")
AUTO_DARK = _block(r"@media \(prefers-color-scheme: dark\)\s*\{\s*\.__next-auth-theme-auto")


def test_css_variables() -> None:
    assert ROOT["--border-width"] == "1px"
    assert ROOT["--border-radius"] == "0.5rem"
    assert ROOT["--color-info-text"] == "#fff"
    assert LIGHT["--color-background"] == "#ececec"
    assert LIGHT["--color-background-card"] == "#fff"
    assert LIGHT["--color-text"] == "#000"
    assert DARK["--color-background"] == "#161b22"
    assert DARK["--color-background-card"] == "#0d1117"
    assert DARK["--color-text"] == "#fff"
    assert AUTO_DARK == DARK


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_text_contrast_at_least_4_5(palette: dict[str, str]) -> None:
    card = palette["--color-background-card"]
    pairs = [
        ("#fff", ROOT["--color-error"]),  # error box
        (ROOT["--color-info-text"], ROOT["--color-info"]),  # submit button
        (ROOT["--color-info-text"], ROOT["--color-info-hover"]),
        (palette["--color-text"], card),
        (palette["--color-primary"], card),  # provider buttons, "or"
        (palette["--color-link"], card),
        (palette["--color-placeholder"], card),
    ]
    for fg, bg in pairs:
        assert contrast(fg, bg) >= 4.5, (fg, bg)
    # non-text: control borders and the focus ring (WCAG 1.4.11)
    assert contrast(palette["--color-control-border"], card) >= 3
    assert contrast(palette["--color-focus"], card) >= 3


def test_css_rules() -> None:
    submit = re.search(r"#submitButton \{([^}]*)\}", CSS)
    assert submit
    assert "background-color: var(--brand-color, var(--color-info))" in submit.group(1)
    assert "color: var(--button-text-color, var(--color-info-text))" in submit.group(1)
    assert ":focus-visible" in CSS
    assert "min-height: 62px" in CSS  # buttons
    assert "min-height: 44px" in CSS  # inputs
    assert "width: 368px" in CSS
    assert re.search(r"max-width: 450px\)\s*\{\s*\.card \{\s*width: 343px", CSS)
    assert "</" not in CSS
