"""OAuth provider configuration: refused when it is built, with a message that says why."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.errors import ConfigurationError
from authgate.providers import OIDC, GitHub, OAuth

ENDPOINTS: dict[str, Any] = {
    "authorization": "https://p.example/auth",
    "token": "https://p.example/token",
}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "bad id!"}, "letters, digits"),
        ({"authorization": "ftp://p.example/auth"}, "absolute https URL"),
        ({"authorization": "https://p.example/a b"}, "whitespace"),
        ({"authorization": None}, "needs authorization= and token="),
        ({"checks": ("state", "magic")}, "checks: unknown 'magic'; use some of 'state'"),
        ({"checks": ["sate"]}, r"checks: unknown 'sate'"),
        ({"checks": "pkce"}, r"checks='pkce' must be a list of names"),
        ({"checks": ["pkce", None]}, "None is not a name"),
        ({"profile_params": ["code"]}, "carry the protocol"),
        ({"checks": ("nonce",)}, "nonce check needs id_token=True"),
        ({"client_auth": "private_key_jwt"}, "client_auth='private_key_jwt': use one of"),
        ({"response_mode": "fragment"}, "response_mode='fragment': use one of 'query'"),
        ({"id_token_algorithms": ("none",)}, "id_token_algorithms: unknown 'none'"),
        ({"id_token_algorithms": ()}, "id_token_algorithms"),
        ({"authorization_params": {"redirect_uri": "https://evil.example"}}, "may not set"),
        ({"authorization_params": {"request_uri": "urn:x"}}, "may not set"),  # stripped alike
        ({"authorization_params": {"response_mode": "fragment"}}, "may not set"),
        ({"profile": "not callable"}, "profile must be a function"),
        ({"timeout": 0}, "timeout"),
        ({"type": "email"}, "type must be 'oauth'"),
    ],
)
def test_invalid_oauth_providers(kwargs: dict[str, Any], message: str) -> None:
    options: dict[str, Any] = {"id": "p", "name": "P", **ENDPOINTS, **kwargs}
    with pytest.raises(ConfigurationError, match=message):
        OAuth(**options)


def test_lists_are_accepted_where_nextauth_users_write_them() -> None:
    provider = OAuth(
        id="p",
        name="P",
        **ENDPOINTS,
        checks=["pkce", "state"],  # type: ignore[arg-type]
        id_token_algorithms=["RS256"],  # type: ignore[arg-type]
        profile_params=["user"],  # type: ignore[arg-type]
    )
    assert provider.checks == ("pkce", "state")
    assert provider.id_token_algorithms == ("RS256",)
    assert provider.profile_params == ("user",)


def test_oidc_needs_an_issuer_by_build_time() -> None:
    provider = OIDC(id="corp")  # AUTH_CORP_ISSUER may still supply it
    with pytest.raises(ConfigurationError, match="AUTH_CORP_ISSUER"):
        provider.check_endpoints()


def test_secrets_stay_out_of_reprs() -> None:
    assert "s3cret" not in repr(GitHub(client_id="id", client_secret="s3cret"))
