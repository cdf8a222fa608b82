"""OAuth provider configuration: refused when it is built, with a message that says why."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.errors import ConfigurationError
from authgate.providers import OIDC, GitHub, OAuth

ENDPOINTS = {"authorization": "https://p.example/auth", "token": "https://p.example/token"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "bad id!"}, "letters, digits"),
        ({"authorization": "ftp://p.example/auth"}, "absolute https URL"),
        ({"authorization": "https://p.example/a b"}, "whitespace"),
        ({"authorization": None}, "needs authorization= and token="),
        ({"checks": ("state", "magic")}, "checks must be"),
        ({"checks": ["state"]}, "checks must be"),
        ({"checks": ("nonce",)}, "nonce check needs id_token=True"),
        ({"client_auth": "private_key_jwt"}, "client_auth"),
        ({"response_mode": "fragment"}, "response_mode"),
        ({"id_token_algorithms": ("none",)}, "id_token_algorithms"),
        ({"id_token_algorithms": ()}, "id_token_algorithms"),
        ({"authorization_params": {"redirect_uri": "https://evil.example"}}, "may not set"),
        ({"profile": "not callable"}, "profile must be a function"),
        ({"timeout": 0}, "timeout"),
        ({"type": "email"}, "type must be 'oauth'"),
    ],
)
def test_invalid_oauth_providers(kwargs: dict[str, Any], message: str) -> None:
    options: dict[str, Any] = {"id": "p", "name": "P", **ENDPOINTS, **kwargs}
    with pytest.raises(ConfigurationError, match=message):
        OAuth(**options)


def test_oidc_needs_an_issuer_by_build_time() -> None:
    provider = OIDC(id="corp")  # AUTH_CORP_ISSUER may still supply it
    with pytest.raises(ConfigurationError, match="AUTH_CORP_ISSUER"):
        provider.check_endpoints()


def test_secrets_stay_out_of_reprs() -> None:
    assert "s3cret" not in repr(GitHub(client_id="id", client_secret="s3cret"))
