"""Start-up validation and low-level guards: each refusal is a security decision.

Configuration mistakes must fail at construction with a clear ``ConfigurationError``; the
crypto and parsing helpers must refuse malformed input rather than guess.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from authgate import AuthConfig, AuthRequest, JWTConfig, SessionConfig
from authgate._core import callables
from authgate._core.email.normalize import InvalidEmailError, check_custom, normalize_email
from authgate._crypto.jwe import DirectA256GCM, JWEError, KeyRing, b64url_encode
from authgate._crypto.jwe_v5 import GCM, V5KeyRing, thumbprint, v5_key
from authgate.errors import ConfigurationError
from authgate.providers import Credentials, Email, SMTPServer
from authgate.ratelimit._limiter import client_ip

SECRET = "unit-validation-secret-0123456789abcdef"


def authorize(credentials: Any, request: Any) -> None:
    return None


async def sender(request: Any) -> None:
    return None


# ---- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: SessionConfig(strategy="cookie"), "use 'jwt' or 'database'"),  # type: ignore[arg-type]
        (lambda: SessionConfig(max_age=0), "max_age"),
        (lambda: SessionConfig(max_age=1.5), "max_age"),  # type: ignore[arg-type]
        (lambda: SessionConfig(update_age=-1), "update_age"),
        (lambda: JWTConfig(max_age=-5), "JWTConfig(max_age)"),
        (
            lambda: AuthConfig(
                providers=[Credentials(authorize=authorize), object()],  # type: ignore[list-item]
                secret=SECRET,
            ),
            "every provider needs a string id",
        ),
        (
            lambda: AuthConfig(
                providers=[Credentials(authorize=authorize)],
                secret=SECRET,
                profile="nextauth-v3",  # type: ignore[arg-type]
            ),
            "use 'nextauth-v4' or 'authjs-v5'",
        ),
    ],
)
def test_config_is_checked_at_construction(make: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "oauth"}, "must be 'credentials'"),
        ({"credentials": {"": {"label": "x"}}}, "field names must be strings"),
        ({"credentials": {1: {"label": "x"}}}, "field names must be strings"),
        ({"credentials": {"user": "text"}}, "must be a mapping of input attributes"),
        ({"credentials": {"user": {"label": ["a"]}}}, "must be a str, number or bool"),
        ({"credentials": {"user": {"label": {"x": 1}}}}, "must be a str, number or bool"),
    ],
)
def test_credentials_provider_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Credentials(authorize=authorize, **kwargs)


def test_credentials_field_attributes_may_be_none_numbers_or_bools() -> None:
    provider = Credentials(
        authorize=authorize,
        credentials={"code": {"label": None, "maxlength": 6, "required": True}},
    )
    assert provider.credentials["code"]["maxlength"] == 6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "oauth", "send_verification_request": sender}, "must be 'email'"),
        ({"id": "bad id", "send_verification_request": sender}, "use 1-64 letters"),
        ({"id": "", "send_verification_request": sender}, "use 1-64 letters"),
        ({"max_age": 0, "send_verification_request": sender}, "max_age"),
        ({"max_age": 60.0, "send_verification_request": sender}, "max_age"),
        ({}, "needs server="),
        ({"from_": "nobody", "send_verification_request": sender}, "is not an e-mail address"),
        (
            {"from_": "a@example.com\r\nBcc: eve@example.com", "send_verification_request": sender},
            "is not an e-mail address",
        ),
        (
            {"normalize_identifier": "lower", "send_verification_request": sender},
            r"Email\(normalize_identifier\) must be callable",
        ),
        (
            {"generate_verification_token": 42, "send_verification_request": sender},
            r"Email\(generate_verification_token\) must be callable",
        ),
        ({"server": "http://mail.example.com"}, "must be smtp://"),
        ({"server": "smtp://"}, "must be smtp://"),
    ],
)
def test_email_provider_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Email(**kwargs)


def test_email_from_with_a_display_name_is_kept() -> None:
    provider = Email(from_="Auth <auth@example.com>", send_verification_request=sender)
    assert provider.from_ == "Auth <auth@example.com>"
    assert SMTPServer.from_url("smtps://mail.example.com").use_tls


# ---- e-mail addresses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        None,
        42,
        b"ada@example.com",
        "",
        "   ",
        "a" * 250 + "@example.com",
        ".ada@example.com",
        "ada.@example.com",
        "a..da@example.com",
    ],
)
def test_normalize_email_refuses(raw: Any) -> None:
    with pytest.raises(InvalidEmailError):
        normalize_email(raw)


def test_normalize_email_keeps_inner_dots() -> None:
    assert normalize_email(" A.Da@Example.com ") == "a.da@example.com"


@pytest.mark.parametrize(
    "value", [None, "nope", "a@b@c", "a@" + "b" * 400, "a@b\r\nBcc: x@y", "a@b,c@d", "<a@b>"]
)
def test_custom_normaliser_result_must_be_one_address(value: Any) -> None:
    with pytest.raises(InvalidEmailError):
        check_custom(value)


def test_custom_normaliser_result_is_kept_as_is() -> None:
    assert check_custom("ADA@EXAMPLE.COM") == "ADA@EXAMPLE.COM"


# ---- user callables ----------------------------------------------------------------------------


class AsyncCallable:
    async def __call__(self, token: Any) -> Any:
        return {"async": token}


@pytest.mark.anyio
async def test_keyword_callbacks_of_every_shape() -> None:
    known = frozenset({"token", "user"})

    async def later(value: Any) -> Any:
        return value

    def returns_awaitable(token: Any) -> Any:
        return later(("awaited", token))

    hook = callables.normalise(returns_awaitable, label="jwt", known=known)
    assert await hook(token=1, user=2) == ("awaited", 1)

    threaded = callables.normalise(
        lambda user: ("thread", user), label="x", known=known, threaded=True
    )
    assert await threaded(token=1, user=2) == ("thread", 2)

    assert await callables.normalise(AsyncCallable(), label="x", known=known)(token=3, user=4) == {
        "async": 3
    }

    # A builtin without a signature receives every known keyword.
    builtin = callables.normalise(dict, label="x", known=known)
    assert await builtin(token=1, user=2, other=3) == {"token": 1, "user": 2}

    with pytest.raises(ConfigurationError, match="must be callable"):
        callables.normalise("jwt", label="jwt", known=known)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="unknown parameter"):
        callables.normalise(lambda session: None, label="jwt", known=known)


@pytest.mark.anyio
async def test_positional_callbacks_of_every_shape() -> None:
    async def later(value: Any) -> Any:
        return value

    inline = callables.positional(lambda a, b: (a, b), label="x", arity=2, threaded=False)
    assert await inline(1, 2) == (1, 2)

    awaitable = callables.positional(lambda a, b: later(a + b), label="x", arity=2, threaded=True)
    assert await awaitable(1, 2) == 3

    builtin = callables.positional(max, label="x", arity=2, threaded=False)  # no signature
    assert await builtin(1, 2) == 2

    with pytest.raises(ConfigurationError, match="must be callable"):
        callables.positional(None, label="authorize", arity=2, threaded=False)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="must accept 2 positional arguments"):
        callables.positional(lambda a: a, label="authorize", arity=2, threaded=False)


# ---- crypto guards -------------------------------------------------------------------------------


def test_v4_jwe_key_guards() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        DirectA256GCM(b"short")
    with pytest.raises(ValueError, match="at least one key"):
        KeyRing([])


def test_v5_key_guards() -> None:
    with pytest.raises(ValueError, match="need a salt"):
        v5_key(SECRET, "")
    with pytest.raises(ValueError, match="at least one secret"):
        V5KeyRing([], "authjs.session-token")


SALT = "authjs.session-token"


def _b64(data: bytes) -> str:
    return b64url_encode(data)


def _cbc_token(header: dict[str, Any], plaintext_padded: bytes, key: bytes) -> str:
    """A CBC-HS512 token MACed with ``key`` but with whatever padding we like."""
    protected = _b64(json.dumps(header, separators=(",", ":")).encode())
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(key[32:]), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(plaintext_padded) + encryptor.finalize()
    aad = protected.encode("ascii")
    al = (len(aad) * 8).to_bytes(8, "big")
    tag = hmac.new(key[:32], aad + iv + ciphertext + al, hashlib.sha512).digest()[:32]
    return ".".join((protected, "", _b64(iv), _b64(ciphertext), _b64(tag)))


def test_v5_authentic_token_with_bad_padding_is_refused() -> None:
    key = v5_key(SECRET, SALT)
    ring = V5KeyRing([SECRET], SALT)
    header = {"alg": "dir", "enc": "A256CBC-HS512", "kid": thumbprint(key)}
    good = _cbc_token(header, b'{"sub":"1"}' + bytes([5]) * 5, key)
    assert ring.open_json(good) == {"sub": "1"}
    for bad_padding in (b"x" * 15 + b"\x00", b"x" * 15 + b"\x11", b"x" * 14 + b"\x01\x02"):
        with pytest.raises(JWEError, match="decryption failed"):
            ring.open_json(_cbc_token(header, bad_padding, key))


def test_v5_header_with_members_in_another_order_is_matched_by_kid() -> None:
    key = v5_key(SECRET, SALT)
    ring = V5KeyRing(["other-secret-0123456789abcdef0123", SECRET], SALT)
    reordered = {"kid": thumbprint(key), "enc": "A256CBC-HS512", "alg": "dir"}
    token = _cbc_token(reordered, b'{"sub":"2"}' + bytes([5]) * 5, key)
    assert ring.open_json(token) == {"sub": "2"}


def test_v5_gcm_tokens_and_their_guards() -> None:
    key = v5_key(SECRET, SALT, GCM)
    ring = V5KeyRing([SECRET], SALT)
    protected = _b64(json.dumps({"alg": "dir", "enc": GCM}).encode())
    iv = os.urandom(12)
    sealed = AESGCM(key).encrypt(iv, b'{"sub":"3"}', protected.encode())
    ciphertext, tag = sealed[:-16], sealed[-16:]
    token = ".".join((protected, "", _b64(iv), _b64(ciphertext), _b64(tag)))
    assert ring.open_json(token) == {"sub": "3"}, "a kid-less GCM token is tried under each key"
    short_iv = ".".join((protected, "", _b64(iv[:8]), _b64(ciphertext), _b64(tag)))
    with pytest.raises(JWEError):
        ring.open_json(short_iv)


@pytest.mark.parametrize("header", ["!!!!", _b64(b"\xff\xfe"), _b64(b"{not json")])
def test_v5_undecodable_header_is_refused(header: str) -> None:
    ring = V5KeyRing([SECRET], SALT)
    token = ".".join((header, "", _b64(b"i" * 16), _b64(b"c" * 16), _b64(b"t" * 32)))
    with pytest.raises(JWEError):
        ring.open_json(token)


# ---- the client IP behind proxies --------------------------------------------------------------


def _request(peer: str | None, forwarded: str | None = None) -> AuthRequest:
    headers = [("x-forwarded-for", forwarded)] if forwarded is not None else []
    return AuthRequest.build(method="POST", path="/", headers=headers, client_host=peer)


PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("[2001:db8::1]:443", None, 0, "2001:db8::/64"),
        ("::ffff:192.0.2.7", None, 0, "192.0.2.7"),
        ("not-an-ip", None, 0, "other:not-an-ip"),
        (None, None, 0, "other:unknown"),
        ("10.0.0.1", None, 1, "10.0.0.1"),
        ("10.0.0.1", "", 1, "10.0.0.1"),
        ("10.0.0.1", "garbage", 1, "10.0.0.1"),
        ("10.0.0.1", "198.51.100.9, 10.0.0.2", 5, "198.51.100.9"),
        ("unix-socket", "198.51.100.9", PROXIES, "other:unix-socket"),
        ("10.0.0.1", "198.51.100.9, garbage, 10.0.0.2", PROXIES, "10.0.0.2"),
        ("10.0.0.1", "198.51.100.9, 10.0.0.2", PROXIES, "198.51.100.9"),
        ("192.0.2.1", "198.51.100.9", PROXIES, "192.0.2.1"),
    ],
)
def test_client_ip(peer: str | None, forwarded: str | None, trusted: Any, expected: str) -> None:
    assert client_ip(_request(peer, forwarded), trusted) == expected


@pytest.mark.anyio
async def test_console_sender_prints_the_link(capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    from authgate.providers import VerificationRequest, console_sender

    provider = Email(send_verification_request=console_sender)
    await console_sender(
        VerificationRequest(
            identifier="ada@example.com",
            url="http://localhost:3000/api/auth/callback/email?token=t",
            expires=datetime(2027, 1, 15, 8, 10, tzinfo=UTC),
            provider=provider,
            theme=None,  # type: ignore[arg-type]
        )
    )
    out = capsys.readouterr().out
    assert "sign-in link for ada@example.com (valid until 08:10:00 UTC)" in out
    assert "callback/email?token=t" in out


def test_one_copy_of_each_rule() -> None:
    """The rules that drifted apart live in one place each (issue 9, "no drifted copies")."""
    from authgate import _validate
    from authgate._core import body, pages
    from authgate._core.oauth import flow
    from authgate.integrations import asgi
    from authgate.providers import email, oauth

    assert vars(asgi)["MAX_BODY_BYTES"] is body.MAX_BODY_BYTES
    assert vars(flow)["PROTOCOL_PARAMS"] is oauth.PROTOCOL_PARAMS
    assert vars(email)["CSS_COLOR"] is _validate.CSS_COLOR
    assert vars(pages)["HEX_COLOR"] is _validate.HEX_COLOR
