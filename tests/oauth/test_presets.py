"""One contract for every preset: the authorization URL, the token request and answer, and the
profile mapping of a sample shaped like the provider's documented response."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from authgate import AuthConfig, AuthGate, Callbacks
from authgate.providers import (
    PRESETS,
    Apple,
    Auth0,
    Authentik,
    Bitbucket,
    Cognito,
    Discord,
    Facebook,
    GitHub,
    GitLab,
    Google,
    Keycloak,
    LinkedIn,
    MicrosoftEntraID,
    OAuth,
    Okta,
    Reddit,
    Slack,
    Spotify,
    Twitch,
    Twitter,
    Zitadel,
)
from blackbox.conftest import NOW, SECRET, URL, Client, query_of

from .fake_idp import basic_credentials, form_of

pytestmark = pytest.mark.anyio

KEY = RSAKey.generate_key(2048, {"kid": "preset-key"})
OIDC_USER = {
    "sub": "248289761001",
    "name": "Jane Doe",
    "email": "Jane.Doe@example.com",
    "email_verified": True,
    "picture": "https://example.com/jane.jpg",
}
JANE = {
    "id": "248289761001",
    "name": "Jane Doe",
    "email": "jane.doe@example.com",
    "image": "https://example.com/jane.jpg",
}


@dataclass
class Case:
    preset: type[OAuth]
    expected: dict[str, Any]
    # OAuth: the documented authorization endpoint; OIDC: the discovery document's URL.
    endpoint: str
    responses: dict[str, Any] = field(default_factory=dict)  # URL (no query) -> JSON
    claims: dict[str, Any] = field(default_factory=dict)  # id_token claims (OIDC)
    kwargs: dict[str, Any] = field(default_factory=dict)
    published_issuer: str | None = None
    # Extra callback parameters (Apple's form-posted ``user``).
    callback: dict[str, str] = field(default_factory=dict)
    # Does the provider echo the nonce in its id_token (LinkedIn does not)?
    echoes_nonce: bool = True
    # Headers the token and userinfo requests must carry.
    headers: dict[str, str] = field(default_factory=dict)


def oidc(preset: type[OAuth], well_known: str, **kw: Any) -> Case:
    kw.setdefault("expected", JANE)
    return Case(preset=preset, endpoint=well_known, **kw)


CASES = [
    Case(
        GitHub,
        {
            "id": "1",
            "name": "octocat",
            "email": "octocat@github.com",
            "image": "https://github.com/images/error/octocat_happy.gif",
        },
        "https://github.com/login/oauth/authorize",
        {
            "https://api.github.com/user": {
                "login": "octocat",
                "id": 1,
                "avatar_url": "https://github.com/images/error/octocat_happy.gif",
                "name": None,
                "email": None,
            },
            "https://api.github.com/user/emails": [
                {"email": "old@github.com", "verified": True, "primary": False},
                {"email": "octocat@github.com", "verified": True, "primary": True},
            ],
        },
    ),
    Case(
        GitLab,
        {
            "id": "1",
            "name": "John Smith",
            "email": "john@example.com",
            "image": "https://gitlab.com/uploads/-/system/user/avatar/1/avatar.png",
        },
        "https://gitlab.com/oauth/authorize",
        {
            "https://gitlab.com/api/v4/user": {
                "id": 1,
                "username": "john_smith",
                "name": "John Smith",
                "email": "john@example.com",
                "avatar_url": "https://gitlab.com/uploads/-/system/user/avatar/1/avatar.png",
            }
        },
    ),
    Case(
        Discord,
        {
            "id": "80351110224678912",
            "name": "Nelly",
            "email": "nelly@discord.com",
            "image": "https://cdn.discordapp.com/avatars/80351110224678912/a_8342729096ea3675442027381ff50dfe.gif",
        },
        "https://discord.com/api/oauth2/authorize",
        {
            "https://discord.com/api/users/@me": {
                "id": "80351110224678912",
                "username": "nelly",
                "discriminator": "0",
                "global_name": "Nelly",
                "avatar": "a_8342729096ea3675442027381ff50dfe",
                "verified": True,
                "email": "nelly@discord.com",
            }
        },
    ),
    Case(
        Facebook,
        {
            "id": "10158283",
            "name": "Mark Example",
            "email": "mark@example.com",
            "image": "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158283",
        },
        "https://www.facebook.com/v19.0/dialog/oauth",
        {
            "https://graph.facebook.com/me": {
                "id": "10158283",
                "name": "Mark Example",
                "email": "mark@example.com",
                "picture": {
                    "data": {
                        "height": 50,
                        "is_silhouette": False,
                        "url": "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158283",
                        "width": 50,
                    }
                },
            }
        },
    ),
    Case(
        Twitter,
        {
            "id": "2244994945",
            "name": "X Dev",
            "email": None,
            "image": "https://pbs.twimg.com/profile_images/1/x_normal.jpg",
        },
        "https://x.com/i/oauth2/authorize",
        {
            "https://api.x.com/2/users/me": {
                "data": {
                    "id": "2244994945",
                    "name": "X Dev",
                    "username": "XDevelopers",
                    "profile_image_url": "https://pbs.twimg.com/profile_images/1/x_normal.jpg",
                }
            }
        },
    ),
    Case(
        Spotify,
        {
            "id": "wizzler",
            "name": "JM Wizzler",
            "email": "email@example.com",
            "image": "https://i.scdn.co/image/ab67616d00001e02",
        },
        "https://accounts.spotify.com/authorize",
        {
            "https://api.spotify.com/v1/me": {
                "display_name": "JM Wizzler",
                "email": "email@example.com",
                "id": "wizzler",
                "images": [
                    {"url": "https://i.scdn.co/image/ab67616d00001e02", "height": 300, "width": 300}
                ],
                "type": "user",
            }
        },
    ),
    Case(
        Bitbucket,
        {
            "id": "{d301aafa-d676-4ee0-88be-962be7417567}",
            "name": "Emma Example",
            "email": "emma@example.com",
            "image": "https://secure.gravatar.com/avatar/emma.png",
        },
        "https://bitbucket.org/site/oauth2/authorize",
        {
            "https://api.bitbucket.org/2.0/user": {
                "uuid": "{d301aafa-d676-4ee0-88be-962be7417567}",
                "display_name": "Emma Example",
                "nickname": "emma",
                "links": {"avatar": {"href": "https://secure.gravatar.com/avatar/emma.png"}},
            },
            "https://api.bitbucket.org/2.0/user/emails": {
                "values": [
                    {"email": "other@example.com", "is_primary": False, "is_confirmed": True},
                    {"email": "emma@example.com", "is_primary": True, "is_confirmed": True},
                ]
            },
        },
    ),
    Case(
        Reddit,
        {
            "id": "abc12",
            "name": "spez",
            "email": None,
            "image": "https://styles.redditmedia.com/t5_x/styles/profileIcon_y.png",
        },
        "https://www.reddit.com/api/v1/authorize",
        {
            "https://oauth.reddit.com/api/v1/me": {
                "id": "abc12",
                "name": "spez",
                "icon_img": "https://styles.redditmedia.com/t5_x/styles/profileIcon_y.png?width=256&s=z",
            }
        },
        # https://github.com/reddit-archive/reddit/wiki/API: no generic user agents.
        headers={"user-agent": "web:authgate:v1"},
    ),
    oidc(Google, "https://accounts.google.com/.well-known/openid-configuration"),
    oidc(
        LinkedIn,
        "https://www.linkedin.com/oauth/.well-known/openid-configuration",
        # The discovery document lives under /oauth, the issuer does not; no nonce in id_tokens.
        published_issuer="https://www.linkedin.com",
        echoes_nonce=False,
    ),
    oidc(Slack, "https://slack.com/.well-known/openid-configuration"),
    oidc(
        Twitch,
        "https://id.twitch.tv/oauth2/.well-known/openid-configuration",
        expected={**JANE, "name": "jane_doe"},
        responses={"userinfo": {**OIDC_USER, "preferred_username": "jane_doe"}},
    ),
    oidc(
        MicrosoftEntraID,
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
        published_issuer="https://login.microsoftonline.com/{tenantid}/v2.0",
        claims={
            "iss": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
            "tid": "9188040d-6c67-4c5b-b112-36a304b66dad",
        },
        # preferred_username is not an email address to trust: no `email` claim, no email.
        responses={
            "userinfo": {
                "sub": OIDC_USER["sub"],
                "name": "Jane Doe",
                "preferred_username": "jane@contoso.onmicrosoft.com",
            }
        },
        # No `email` claim: the user has no `email` key (v4: undefined); image is null.
        expected={k: v for k, v in {**JANE, "image": None}.items() if k != "email"},
    ),
    oidc(
        Apple,
        "https://appleid.apple.com/.well-known/openid-configuration",
        claims={"email": "Jane.Doe@privaterelay.appleid.com", "email_verified": "true"},
        responses={"userinfo": None},
        expected={
            "id": "248289761001",
            "name": None,
            "email": "jane.doe@privaterelay.appleid.com",
            "image": None,
        },
    ),
    # First authorization: the name comes once, in the form-posted `user` field (its email is
    # not trusted: the id_token's is used).
    oidc(
        Apple,
        "https://appleid.apple.com/.well-known/openid-configuration",
        claims={"email": "Jane.Doe@privaterelay.appleid.com", "email_verified": "true"},
        responses={"userinfo": None},
        callback={
            "user": json.dumps(
                {"name": {"firstName": "Jane", "lastName": "Doe"}, "email": "evil@example.com"}
            )
        },
        expected={
            "id": "248289761001",
            "name": "Jane Doe",
            "email": "jane.doe@privaterelay.appleid.com",
            "image": None,
        },
    ),
    oidc(
        Auth0,
        "https://example.us.auth0.com/.well-known/openid-configuration",
        kwargs={"issuer": "https://example.us.auth0.com/"},
    ),
    oidc(
        Keycloak,
        "https://sso.example.com/realms/main/.well-known/openid-configuration",
        kwargs={"issuer": "https://sso.example.com/realms/main"},
    ),
    oidc(
        Okta,
        "https://example.okta.com/oauth2/default/.well-known/openid-configuration",
        kwargs={"issuer": "https://example.okta.com/oauth2/default"},
    ),
    oidc(
        Cognito,
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/openid-configuration",
        kwargs={"issuer": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"},
        responses={
            "userinfo": {
                "sub": "248289761001",
                "cognito:username": "jane",
                "email": "jane.doe@example.com",
            }
        },
        # No `picture` claim: the user has no `image` key (v4: undefined, left out of JSON).
        expected={k: v for k, v in {**JANE, "name": "jane"}.items() if k != "image"},
    ),
    oidc(
        Zitadel,
        "https://example-abc.zitadel.cloud/.well-known/openid-configuration",
        kwargs={"issuer": "https://example-abc.zitadel.cloud"},
    ),
    oidc(
        Authentik,
        "https://auth.example.com/application/o/app/.well-known/openid-configuration",
        kwargs={"issuer": "https://auth.example.com/application/o/app"},
        # authentik publishes (and signs) its issuer with a trailing slash.
        published_issuer="https://auth.example.com/application/o/app/",
    ),
]


def test_every_preset_has_a_case() -> None:
    assert {c.preset for c in CASES} == set(PRESETS)
    assert len(PRESETS) >= 20


class Fake:
    def __init__(self, case: Case, provider: OAuth) -> None:
        self.case = case
        self.provider = provider
        self.requests: list[httpx.Request] = []
        self.nonce: str | None = None
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(case.endpoint))
        self.mock = f"{origin}/mock"
        self.issuer = case.published_issuer or provider.issuer

    def id_token(self) -> str:
        claims = {
            "iss": self.issuer,
            "sub": OIDC_USER["sub"],
            "aud": self.provider.client_id,
            "iat": int(NOW),
            "exp": int(NOW) + 600,
            **self.case.claims,
        }
        if self.nonce is not None and self.case.echoes_nonce:
            claims["nonce"] = self.nonce
        return jwt.encode({"alg": "RS256", "kid": KEY.kid}, claims, KEY, algorithms=["RS256"])

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url.copy_with(query=None))
        userinfo = self.case.responses.get("userinfo", OIDC_USER)
        if not url.endswith(("/.well-known/openid-configuration", "/jwks")):
            for name, value in self.case.headers.items():
                assert request.headers.get(name) == value, (url, name)
        if url == self.case.endpoint and self.provider.id_token:
            document = {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.mock}/authorize",
                "token_endpoint": f"{self.mock}/token",
                "jwks_uri": f"{self.mock}/jwks",
            }
            if userinfo is not None:
                document["userinfo_endpoint"] = f"{self.mock}/userinfo"
            return httpx.Response(200, json=document)
        if url in (self.provider.token, f"{self.mock}/token"):
            tokens = {
                "access_token": "preset-access-token",
                "token_type": "bearer",
                "expires_in": 3600,
                "scope": self.provider.scope,
            }
            if self.provider.id_token:
                tokens["id_token"] = self.id_token()
            return httpx.Response(200, json=tokens)
        if url == f"{self.mock}/jwks":
            return httpx.Response(200, json={"keys": [KEY.as_dict()]})
        if url == f"{self.mock}/userinfo" and userinfo is not None:
            return httpx.Response(200, json=userinfo)
        assert request.headers["authorization"] == "Bearer preset-access-token"
        if url in self.case.responses:
            return httpx.Response(200, content=json.dumps(self.case.responses[url]).encode())
        return httpx.Response(404, json={"error": "not_found"})


@pytest.mark.parametrize("case", CASES, ids=[c.preset.__name__ for c in CASES])
async def test_preset_contract(case: Case) -> None:
    provider = case.preset(client_id="the-client", client_secret="the-secret", **case.kwargs)
    fake = Fake(case, provider)
    seen: dict[str, Any] = {}

    def jwt_callback(token: dict[str, Any], user: Any = None, account: Any = None) -> Any:
        if user is not None:
            seen.update(user=user, account=account)
        return token

    gate = AuthGate(
        AuthConfig(
            providers=[provider],
            secret=SECRET,
            url="http://localhost:3000",
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(fake.handler)),
            callbacks=Callbacks(jwt=jwt_callback),
        ),
        env={},
    )
    client = Client(gate)
    token = await client.csrf()
    start = await client.post(f"/signin/{provider.id}", form={"csrfToken": token})
    assert start.redirect is not None, start.body
    target = urlsplit(start.redirect)
    params = {k: v[0] for k, v in query_of(start.redirect).items()}
    if provider.id_token:
        assert str(fake.requests[0].url) == case.endpoint  # the documented discovery URL
        assert start.redirect.startswith(f"{fake.mock}/authorize?")
        fake.nonce = params.get("nonce")
    else:
        assert f"{target.scheme}://{target.netloc}{target.path}" == case.endpoint
    assert params["client_id"] == "the-client"
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == f"{URL}/callback/{provider.id}"
    assert params["scope"] == provider.scope
    assert ("code_challenge" in params) == ("pkce" in provider.checks)
    assert ("nonce" in params) == ("nonce" in provider.checks)
    assert "state" in params

    callback = {"code": "the-code", "state": params["state"], **case.callback}
    if provider.response_mode == "form_post":
        assert params["response_mode"] == "form_post"
        done = await client.post(f"/callback/{provider.id}", form=callback)
    else:
        done = await client.get(f"/callback/{provider.id}", query=callback)
    assert done.redirect == "http://localhost:3000", done.redirect
    assert seen["user"] == case.expected
    account = seen["account"]
    assert account["provider"] == provider.id
    assert account["providerAccountId"] == case.expected["id"]
    assert account["access_token"] == "preset-access-token"
    assert account["expires_at"] == int(NOW) + 3600

    (token_request,) = [r for r in fake.requests if r.url.path.endswith(("token", "access_token"))]
    form = form_of(token_request)
    assert form["code"] == "the-code"
    if provider.client_auth == "client_secret_basic":
        assert basic_credentials(token_request) == ("the-client", "the-secret")
        assert "client_secret" not in form
    else:
        assert (form["client_id"], form["client_secret"]) == ("the-client", "the-secret")
    assert ("code_verifier" in form) == ("pkce" in provider.checks)


def test_presets_read_their_credentials_from_the_environment() -> None:
    gate = AuthGate(
        AuthConfig(providers=[GitHub(), Keycloak()], secret=SECRET, url="http://localhost:3000"),
        env={
            "AUTH_GITHUB_ID": "gh-id",
            "AUTH_GITHUB_SECRET": "gh-secret",
            "AUTH_KEYCLOAK_ID": "kc-id",
            "AUTH_KEYCLOAK_SECRET": "kc-secret",
            "AUTH_KEYCLOAK_ISSUER": "https://sso.example.com/realms/main",
        },
    )
    providers = gate.get_providers()
    assert providers["github"]["callbackUrl"] == f"{URL}/callback/github"
    assert providers["keycloak"]["type"] == "oauth"


def test_missing_credentials_are_a_start_up_error() -> None:
    from authgate.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="AUTH_GITHUB_ID"):
        AuthGate(AuthConfig(providers=[GitHub()], secret=SECRET, url="http://x.test"), env={})
    with pytest.raises(ConfigurationError, match="AUTH_OKTA_ISSUER"):
        AuthGate(
            AuthConfig(
                providers=[Okta(client_id="a", client_secret="b")],
                secret=SECRET,
                url="http://x.test",
            ),
            env={},
        )


def test_query_params_of_documented_userinfo_urls_survive() -> None:
    userinfo = Facebook(client_id="a", client_secret="b").userinfo or ""
    assert parse_qs(urlsplit(userinfo).query)["fields"] == ["id,name,email,picture"]


# The sign-in buttons of Auth.js's provider definitions (packages/core/src/providers/*.ts).
STYLES = {
    Apple: ("/apple.svg", "#000", "#fff"),
    Auth0: ("/auth0.svg", "#EB5424", "#fff"),
    GitHub: ("/github.svg", "#24292f", "#fff"),
    Google: ("/google.svg", "#fff", "#000"),
    LinkedIn: ("/linkedin.svg", "#fff", "#069"),
    Okta: ("/okta.svg", "#000", "#fff"),
    Reddit: ("/reddit.svg", "#000", "#fff"),
}


@pytest.mark.parametrize("preset", list(STYLES), ids=lambda p: p.__name__)
def test_button_styles_follow_authjs(preset: type[OAuth]) -> None:
    style = preset(client_id="a", client_secret="b", issuer="https://idp.example").style  # type: ignore[call-arg]
    assert style is not None
    assert (style.logo, style.bg, style.text) == STYLES[preset]


def test_apple_ignores_a_malformed_user_field() -> None:
    profile = Apple(client_id="a", client_secret="b").profile
    for user in ("{", "[]", '{"name": "Jane"}', '{"name": {"firstName": 1}}'):
        assert profile({"sub": "1", "user": user}, {}) == {
            "id": "1",
            "name": None,
            "image": None,
        }


def test_profile_params_and_request_headers_are_checked() -> None:
    from authgate.errors import ConfigurationError

    for bad in (
        ("code",),
        ("state",),
        ("",),
        "user",
    ):  # a list is fine (tests/oauth/test_config.py)
        with pytest.raises(ConfigurationError, match="profile_params"):
            Apple(client_id="a", client_secret="b", profile_params=bad)  # type: ignore[arg-type]
    for headers in ({"Authorization": "x"}, {"accept": "x"}, {"bad name": "x"}, {"ua": "a\nb"}):
        with pytest.raises(ConfigurationError, match="request_headers"):
            Reddit(client_id="a", client_secret="b", request_headers=headers)
