"""Small guards at the edges: URL origins, cookie serialisation, CSRF cookies, token readers,
the resource-server reader, the ASGI app, the rate-limit backends and worker detection."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from typing import Any

import pytest

from authgate import AuthRequest
from authgate import jwt as authjwt
from authgate._core.callback_url import origin_of
from authgate._core.csrf_token import mint, trusted_token
from authgate._core.jwt_session import default_token
from authgate._crypto.keys import CSRF_TOKEN, purpose_key
from authgate.errors import ConfigurationError
from authgate.http import Cookie
from authgate.ratelimit import _workers
from authgate.ratelimit.memory import MemoryBackend
from authgate.resource import NextAuthSession

SECRET = "unit-edges-secret-0123456789abcdef0123"
NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://[::1]:3000/cb", "http://[::1]:3000"),
        ("https://[2001:db8::1]:443/x", "https://[2001:db8::1]"),
        ("https://:pw@example.com/", None),
        ("https://@example.com/", None),
        ("https://a@b@example.com/", None),
        ("https://example.com:99999/", None),
    ],
)
def test_origin_of(url: str, origin: str | None) -> None:
    assert origin_of(url) == origin


def test_cookie_serialisation_leaves_out_unset_attributes() -> None:
    cookie = Cookie(name="n", value="a|b", path="", http_only=False, same_site=None)
    assert cookie.serialize() == "n=a%7Cb"
    full = Cookie(
        name="n",
        value="v",
        domain="example.com",
        max_age=0,
        expires=datetime(2027, 1, 15, 8, 0, tzinfo=UTC),
        secure=True,
        same_site="strict",
    )
    assert full.serialize() == (
        "n=v; Max-Age=0; Domain=example.com; Path=/; Expires=Fri, 15 Jan 2027 08:00:00 GMT; "
        "HttpOnly; Secure; SameSite=Strict"
    )
    with pytest.raises(ValueError, match="UTC"):
        Cookie(name="n", value="v", expires=datetime(2027, 1, 15)).serialize()  # noqa: DTZ001


@pytest.mark.parametrize(
    "value",
    ["a" * 129, "g" * 64 + "|" + "0" * 64, "0" * 64 + "|" + "G" * 64, "0" * 64 + "-" + "0" * 64],
)
def test_csrf_cookie_of_the_right_length_but_wrong_shape(value: str) -> None:
    assert trusted_token(value, purpose_key(SECRET, CSRF_TOKEN)) is None


def test_a_trusted_csrf_cookie_is_trusted_only_under_its_own_key() -> None:
    token, value = mint(b"k" * 32)
    assert trusted_token(value, b"k" * 32) == token
    assert trusted_token(value, b"k" * 32) == token  # the memoised answer
    assert trusted_token(value, b"j" * 32) is None  # the memo is per key
    assert trusted_token(value[:-1] + ("0" if value[-1] != "0" else "1"), b"k" * 32) is None


def test_default_token_without_an_id_has_no_sub() -> None:
    assert default_token({"name": "Ada", "id": None}) == {"name": "Ada"}


def test_v5_get_token_skips_empty_cookies_and_honours_an_explicit_salt() -> None:
    token = authjwt.encode({"sub": "1"}, SECRET, salt="custom", now=NOW, profile="authjs-v5")
    name = "authjs.session-token"
    request = AuthRequest.build(
        method="GET", path="/", headers=[("cookie", f"{name}=; {name}.0={token}")]
    )
    claims = authjwt.get_token(request, SECRET, profile="authjs-v5", salt="custom", now=NOW)
    assert claims is not None
    assert claims["sub"] == "1"  # type: ignore[index]
    assert authjwt.get_token(request, SECRET, profile="authjs-v5", now=NOW) is None, "salt"


def test_resource_reader_refuses_a_bad_secret_and_a_bad_bearer() -> None:
    with pytest.raises(ConfigurationError, match="NextAuthSession"):
        NextAuthSession(secret=["a", ""], env={})
    reader = NextAuthSession(secret=SECRET, env={})
    bearer = AuthRequest.build(method="GET", path="/", headers=[("authorization", "Bearer x.y")])
    assert reader.read(bearer, now=NOW) is None
    good = authjwt.encode({"sub": "7"}, SECRET, now=NOW)
    ok = AuthRequest.build(method="GET", path="/", headers=[("authorization", f"Bearer {good}")])
    claims = reader.read(ok, now=NOW)
    assert claims is not None
    assert claims["sub"] == "7"


# ---- ASGI --------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_asgi_app_ignores_lifespan_and_honours_root_path() -> None:
    from authgate import AuthConfig, AuthGate
    from authgate.integrations.asgi import AuthApp, full_path
    from authgate.providers import Credentials

    gate = AuthGate(
        AuthConfig(
            providers=[Credentials(authorize=lambda c, r: None)],
            secret=SECRET,
            url="http://localhost:3000",
        ),
        env={},
    )
    app = AuthApp(gate)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)  # type: ignore[arg-type]
    assert sent == [], "not an HTTP request: nothing is answered"
    assert full_path({"root_path": "/api/auth", "path": "/csrf"}) == "/api/auth/csrf"
    assert full_path({"root_path": "/api/auth", "path": "/api/auth/csrf"}) == "/api/auth/csrf"


# ---- rate limiting -----------------------------------------------------------------------------


def test_ratelimit_module_exposes_only_known_lazy_names() -> None:
    import authgate.ratelimit as ratelimit

    with pytest.raises(AttributeError):
        _ = ratelimit.NoSuchBackend


def test_redis_backend_needs_a_client_or_a_url() -> None:
    pytest.importorskip("redis")
    from authgate.ratelimit.redis import RedisBackend

    with pytest.raises(ValueError, match="client or a url"):
        RedisBackend()
    backend = RedisBackend(url="redis://127.0.0.1:1/0", prefix="p:")
    assert repr(backend) == "RedisBackend(prefix='p:')"
    assert "127.0.0.1" not in repr(backend)


@pytest.mark.anyio
async def test_memory_backend_refund_of_an_unknown_key() -> None:
    backend = MemoryBackend()
    await backend.refund("never-counted")
    assert "never-counted" not in backend._entries


class _Process:
    def __init__(self, name: str) -> None:
        self.name = name


@pytest.mark.parametrize(
    ("name", "several"),
    [("SpawnProcess-2", True), ("ForkServerProcess-1", False), ("Process-1", False)],
)
def test_worker_detection_in_a_child_process(
    monkeypatch: pytest.MonkeyPatch, name: str, several: bool
) -> None:
    monkeypatch.setattr(multiprocessing, "parent_process", lambda: object())
    monkeypatch.setattr(multiprocessing, "current_process", lambda: _Process(name))
    reason = _workers.several_workers({})
    assert (reason is not None) is several
    if several:
        assert name in (reason or "")
    assert _workers.several_workers({}, check_process=False) is None


@pytest.mark.parametrize("alg", ["none", "PS999"])
def test_id_token_alg_outside_both_families_is_refused_even_if_allowed(alg: str) -> None:
    """A misconfigured allow-list cannot let ``none`` (or an unknown alg) through."""
    import base64
    import json

    from authgate._crypto.idtoken import IdTokenError, verify_id_token

    def part(value: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': alg})}.{part({'sub': '1'})}."
    with pytest.raises(IdTokenError, match="alg is not allowed"):
        verify_id_token(
            token,
            jwks={"keys": []},
            algorithms=(alg,),
            issuer="https://idp.example",
            client_id="c",
            now=NOW,
            nonce=None,
            client_secret="s",
        )
