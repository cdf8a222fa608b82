"""Preset profile mapping and userinfo requests on odd provider answers (unit level).

A preset must never take an unverified or non-primary e-mail address, and must fail (an
``OAuthCallback``, through the flow) rather than guess when an API answers something else.
"""

from __future__ import annotations

from typing import Any

import pytest

from authgate.providers import Bitbucket, Discord, GitHub

pytestmark = pytest.mark.anyio


class Answers:
    """A ``ProviderHTTP`` whose ``get_json`` answers from a table keyed by URL."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def get_json(self, url: str, *, headers: dict[str, str] | None = None) -> Any:
        self.asked.append(url)
        return self.answers[url]


TOKENS = {"access_token": "at", "token_type": "bearer"}
GH_USER = "https://api.github.com/user"
GH_EMAILS = "https://api.github.com/user/emails"
BB_USER = "https://api.bitbucket.org/2.0/user"
BB_EMAILS = "https://api.bitbucket.org/2.0/user/emails"


def github() -> GitHub:
    return GitHub(client_id="id", client_secret="secret")


async def test_github_user_that_is_not_an_object() -> None:
    request = github().userinfo_request
    assert request is not None
    with pytest.raises(ValueError, match="not an object"):
        await request(Answers({GH_USER: ["x"]}), TOKENS)  # type: ignore[arg-type]


async def test_github_public_email_needs_no_second_call() -> None:
    http = Answers({GH_USER: {"id": 1, "email": "ada@example.com"}})
    request = github().userinfo_request
    assert request is not None
    profile = await request(http, TOKENS)  # type: ignore[arg-type]
    assert profile["email"] == "ada@example.com"
    assert http.asked == [GH_USER]


@pytest.mark.parametrize(
    ("emails", "expected"),
    [
        ([{"email": "p@example.com", "primary": True, "verified": True}], "p@example.com"),
        ([{"email": "u@example.com", "primary": True, "verified": False}], None),
        ([{"email": "s@example.com", "primary": False, "verified": True}], None),
        (["p@example.com", None], None),
        ({"message": "Requires authentication"}, None),
    ],
    ids=["primary-verified", "unverified", "secondary", "not-objects", "not-a-list"],
)
async def test_github_private_email_is_the_primary_verified_one(
    emails: Any, expected: str | None
) -> None:
    http = Answers({GH_USER: {"id": 1, "login": "ada", "email": None}, GH_EMAILS: emails})
    request = github().userinfo_request
    assert request is not None
    profile = await request(http, TOKENS)  # type: ignore[arg-type]
    assert profile.get("email") == expected
    # Only an address GitHub marked verified is vouched for (issue 9, defect 4).
    assert github().is_email_verified(profile) is (expected is not None)


async def test_github_public_email_is_not_vouched_for() -> None:
    http = Answers({GH_USER: {"id": 1, "email": "ada@example.com"}})
    request = github().userinfo_request
    assert request is not None
    assert not github().is_email_verified(await request(http, TOKENS))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("profile", "verified"),
    [
        ({"id": "1", "email": "a@example.com", "verified": True}, True),
        ({"id": "1", "email": "a@example.com", "verified": False}, False),
        ({"id": "1", "email": "a@example.com"}, False),
        ({"id": "1", "email": "a@example.com", "verified": "true"}, False),
        ({"id": "1", "email": "a@example.com", "email_verified": True}, False),
    ],
)
def test_discord_vouches_only_for_verified_addresses(profile: Any, verified: bool) -> None:
    assert Discord(client_id="id", client_secret="s").is_email_verified(profile) is verified


@pytest.mark.parametrize(
    ("claims", "verified"),
    [
        ({"email": "a@contoso.example"}, False),  # multi-tenant: `email` is not verified
        ({"email": "a@contoso.example", "email_verified": True}, True),
    ],
)
def test_entra_vouches_only_with_email_verified(claims: Any, verified: bool) -> None:
    from authgate.providers import MicrosoftEntraID

    entra = MicrosoftEntraID(client_id="id", client_secret="s")
    assert entra.is_email_verified(claims) is verified


async def test_bitbucket_user_that_is_not_an_object() -> None:
    request = Bitbucket(client_id="id", client_secret="s").userinfo_request
    assert request is not None
    with pytest.raises(ValueError, match="not an object"):
        await request(Answers({BB_USER: "x"}), TOKENS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("profile", "image"),
    [
        ({"id": "80351110224678912", "avatar": "a_abc"}, "avatars/80351110224678912/a_abc.gif"),
        ({"id": "80351110224678912", "avatar": "abc"}, "avatars/80351110224678912/abc.png"),
        ({"id": "80351110224678912", "discriminator": "0"}, "embed/avatars/5.png"),
        ({"id": "80351110224678912"}, "embed/avatars/5.png"),
        ({"id": "80351110224678912", "discriminator": "1337"}, "embed/avatars/2.png"),
    ],
    ids=["animated", "static", "new-username", "no-discriminator", "legacy-discriminator"],
)
def test_discord_avatar_urls(profile: dict[str, Any], image: str) -> None:
    provider = Discord(client_id="id", client_secret="s")
    mapped = provider.profile({**profile, "username": "ada"}, TOKENS)
    assert isinstance(mapped, dict)
    assert mapped["image"] == f"https://cdn.discordapp.com/{image}"
    assert mapped["name"] == "ada"
    assert mapped["id"] == "80351110224678912"
