"""Password and TwoFactor settings: each mistake fails at construction with a clear message."""

from __future__ import annotations

import re
from typing import Any

import pytest

from authgate import TwoFactor
from authgate._crypto.sealed import Sealer
from authgate.errors import ConfigurationError
from authgate.providers import Password, PasswordMail, console_mail

SECRET = "unit-account-config-secret-0123456789abcdef"


async def send(mail: PasswordMail) -> None:
    return None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "bad id"}, "Password(id='bad id'): use 1-64 letters, digits, - or _"),
        ({"id": ""}, "Password(id=''): use 1-64 letters"),
        ({"type": "oauth"}, "Password(type) must be 'credentials'"),
        ({"send_mail": None}, "sends mail: set server='smtp://...' or send_mail=..."),
        ({"min_length": 15.0}, "Password(min_length) must be an int"),
        ({"max_length": True}, "Password(max_length) must be an int"),
        ({"min_length": 7}, "Password(min_length) must be at least 8"),
        ({"max_length": 63}, "Password(max_length) must be at least 64 and min_length"),
        ({"min_length": 100, "max_length": 99}, "Password(max_length) must be at least 64"),
        ({"reset_max_age": 0}, "Password(reset_max_age) must be 1-3600 seconds"),
        ({"reset_max_age": 3601}, "Password(reset_max_age) must be 1-3600 seconds"),
        ({"verify_max_age": 0}, "Password(verify_max_age) must be positive"),
        (
            {"sign_in_after_sign_up": True},
            "Password(sign_in_after_sign_up=True) needs require_verified_email=False",
        ),
        ({"send_mail": "console"}, "Password(send_mail) must be an async function"),
    ],
)
def test_password_settings_are_checked(kwargs: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {"send_mail": send, **kwargs}
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        Password(**settings)


def test_password_server_url_becomes_an_smtp_server() -> None:
    provider = Password(server="smtp://127.0.0.1:2525")
    assert provider.server is not None
    assert not isinstance(provider.server, str)
    assert provider.server.port == 2525


def test_password_sign_in_after_sign_up_without_verification_is_accepted() -> None:
    provider = Password(send_mail=send, sign_in_after_sign_up=True, require_verified_email=False)
    assert provider.sign_in_after_sign_up


@pytest.mark.anyio
async def test_console_mail_prints_the_link(capsys: pytest.CaptureFixture[str]) -> None:
    mail = PasswordMail(
        kind="reset-password",
        to="ada@example.com",
        url="http://127.0.0.1/reset?t=x",
        expires=None,
        site="127.0.0.1",
    )
    await console_mail(mail)
    out = capsys.readouterr().out
    assert "reset-password mail for ada@example.com" in out
    assert "http://127.0.0.1/reset?t=x" in out


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"issuer": "a:b"}, "TwoFactor(issuer) must be 1-64 characters without ':'"),
        ({"issuer": ""}, "TwoFactor(issuer) must be 1-64 characters"),
        ({"after": frozenset({"sms"})}, "TwoFactor(after) takes 'credentials', 'email', 'oauth'"),
        ({"after": frozenset()}, "TwoFactor(after) takes"),
        ({"digits": 7}, "TwoFactor(digits) must be 6 or 8"),
        ({"period": 45}, "TwoFactor(period) must be 30 or 60 seconds"),
        ({"window": 3}, "TwoFactor(window) must be 0-2 steps"),
        ({"window": -1}, "TwoFactor(window) must be 0-2 steps"),
        ({"pending_max_age": 29}, "TwoFactor(pending_max_age) must be 30-300 seconds"),
        ({"pending_max_age": 301}, "TwoFactor(pending_max_age) must be 30-300 seconds"),
        ({"recovery_codes": 4}, "TwoFactor(recovery_codes) must be 5-20"),
        ({"recovery_codes": 21}, "TwoFactor(recovery_codes) must be 5-20"),
        ({"low_recovery_codes": 10}, "TwoFactor(low_recovery_codes) must be below recovery_codes"),
        ({"low_recovery_codes": -1}, "TwoFactor(low_recovery_codes) must be below"),
    ],
)
def test_two_factor_settings_are_checked(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        TwoFactor(**kwargs)


def test_sealed_data_opens_only_for_its_purpose_and_unaltered() -> None:
    sealer = Sealer([SECRET], "two-factor pending")
    sealed = sealer.seal({"u": "1"})
    assert sealer.open(sealed) == {"u": "1"}
    assert Sealer([SECRET], "two-factor enrol").open(sealed) is None
    assert (
        Sealer(["another-secret-0123456789abcdef0123"], "two-factor pending").open(sealed) is None
    )
    altered = sealed[:-2] + ("AA" if not sealed.endswith("AA") else "BB")
    assert sealer.open(altered) is None
    assert sealer.open("not a sealed value") is None
