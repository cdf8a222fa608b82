"""``authgate doctor module:attr``: what it reports and its exit status."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from authgate import AuthConfig, AuthGate, SessionConfig
from authgate.cli import diagnose, main
from authgate.providers import Credentials, OAuth
from authgate.revocation import MemoryRevocationStore

GOOD_SECRET = "9f2c1e7a4b8d03f6a5c2e9d1b7f4a0c3e6d9b2a5f8c1e4d7"


def write_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, name: str) -> str:
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            from authgate import AuthConfig, AuthGate
            from authgate.providers import Credentials
            from authgate.ratelimit import RateLimit
            def authorize(credentials, request):
                return None
            """
        )
        + textwrap.dedent(body)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for var in ("AUTH_SECRET", "NEXTAUTH_SECRET", "AUTH_URL", "NEXTAUTH_URL", "WEB_CONCURRENCY"):
        monkeypatch.delenv(var, raising=False)
    for var in ("AUTHGATE_ENV", "ENV", "NODE_ENV", "UVICORN_WORKERS", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(var, raising=False)
    return name


def gate(**config: object) -> AuthGate:
    config.setdefault("providers", [Credentials(authorize=lambda c, r: None)])
    config.setdefault("secret", GOOD_SECRET)
    config.setdefault("url", "https://example.com/api/auth")
    return AuthGate(AuthConfig(**config), env={})  # type: ignore[arg-type]


def messages(g: AuthGate, env: dict[str, str] | None = None) -> list[tuple[str, str]]:
    return [(f.level, f.message) for f in diagnose(g, env or {})]


def errors(g: AuthGate, env: dict[str, str] | None = None) -> list[str]:
    return [m for level, m in messages(g, env) if level == "error"]


def test_a_sound_configuration_has_no_errors() -> None:
    assert errors(gate()) == []


@pytest.mark.parametrize(
    ("secret", "fragment"),
    [
        ("short", "is 5 characters"),
        ("a" * 40, "guessable"),
        ("abababababababababababababababababab", "guessable"),
        ([GOOD_SECRET, "old-short"], "secret #2 is 9 characters"),
    ],
)
def test_weak_secrets_are_errors(secret: object, fragment: str) -> None:
    found = errors(gate(secret=secret))
    assert any(fragment in m for m in found), found
    assert not any(GOOD_SECRET in m or "old-short" in m for m in found)  # never printed


def test_a_missing_secret_is_an_error() -> None:
    g = AuthGate(
        AuthConfig(providers=[Credentials(authorize=lambda c, r: None)], url="https://x.io"),
        env={},
    )
    assert any("no secret" in m and "random secret for this process" in m for m in errors(g))
    assert not any("no secret" in m for m in errors(g, {"AUTH_SECRET": GOOD_SECRET}))


def test_host_trust_without_url() -> None:
    dev = gate(url=None, trust_host=True)
    assert any(level == "warning" and "no url" in m for level, m in messages(dev))
    from_env = AuthGate(
        AuthConfig(providers=[Credentials(authorize=lambda c, r: None)], secret=GOOD_SECRET),
        env={"AUTH_TRUST_HOST": "true"},
    )
    assert any("no url" in m and "(AUTH_TRUST_HOST)" in m for _, m in messages(from_env))
    prod = gate(url=None, trust_host=True, production=True)
    assert any("no url" in m for m in errors(prod))


def test_a_configured_url_is_reported_with_the_headers_ignored() -> None:
    found = messages(gate(trust_host=True))
    assert (
        "info",
        "url https://example.com/api/auth: Host / X-Forwarded-* headers are ignored "
        "(trust_host is set, but the configured url wins)",
    ) in found


def test_cookie_security_on_https() -> None:
    assert any("use_secure_cookies=False" in m for m in errors(gate(use_secure_cookies=False)))


def test_plain_http_in_production() -> None:
    assert any("not https" in m for m in errors(gate(url="http://example.com", production=True)))


def test_rate_limit_disabled_is_an_error() -> None:
    assert any("rate limiting is disabled" in m for m in errors(gate(rate_limit=None)))


def test_memory_limiter_under_several_workers_is_an_error() -> None:
    found = errors(gate(), {"WEB_CONCURRENCY": "4"})
    assert any("several workers" in m for m in found)


def test_memory_revocation_store_under_several_workers_is_an_error() -> None:
    store = MemoryRevocationStore()
    found = errors(gate(revocation=store), {"WEB_CONCURRENCY": "4"})
    assert any("in-memory revocation store under several workers" in m for m in found)
    assert ("info", "in-memory revocation store: right for one process only") in messages(
        gate(revocation=store), {}
    )
    assert not any("revocation" in m for _, m in messages(gate(), {}))


def test_debug_is_reported() -> None:
    assert any(level == "warning" and "debug" in m for level, m in messages(gate(debug=True)))
    assert any("debug" in m for m in errors(gate(debug=True, production=True)))


def test_oauth_providers_get_their_callback_url() -> None:
    github = OAuth(
        id="github",
        name="GitHub",
        authorization="https://github.com/login/oauth/authorize",
        token="https://github.com/login/oauth/access_token",
        client_id="id",
        client_secret="secret",
    )
    found = messages(gate(providers=[github]))
    assert (
        "info",
        "register this callback URL with github: https://example.com/api/auth/callback/github",
    ) in found


def test_main_exit_status_and_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_app(
        tmp_path,
        monkeypatch,
        f"""
        gate = AuthGate(AuthConfig(providers=[Credentials(authorize=authorize)],
                        secret="{GOOD_SECRET}", url="https://example.com"))
        config = gate.config
        def factory():
            return gate
        """,
        "doctor_good_app",
    )
    for attr in ("gate", "config", "factory"):
        assert main(["doctor", f"{good}:{attr}"]) == 0
    out = capsys.readouterr().out
    assert "0 error(s)" in out
    assert GOOD_SECRET not in out

    bad = write_app(
        tmp_path,
        monkeypatch,
        """
        gate = AuthGate(AuthConfig(providers=[Credentials(authorize=authorize)],
                        secret="tooshort", url="https://example.com", rate_limit=None))
        """,
        "doctor_bad_app",
    )
    assert main(["doctor", f"{bad}:gate"]) == 1
    out = capsys.readouterr().out
    assert "error: the secret is 8 characters" in out
    assert "rate limiting is disabled" in out
    assert "tooshort" not in out


@pytest.mark.parametrize(
    "target",
    ["no_colon", "doctor_missing_module:gate", "doctor_attr_app:nope", "doctor_attr_app:x"],
)
def test_unloadable_targets_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    write_app(tmp_path, monkeypatch, "x = 3\n", "doctor_attr_app")
    assert main(["doctor", target]) == 2


def test_a_refused_configuration_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = write_app(
        tmp_path,
        monkeypatch,
        """
        config = AuthConfig(providers=[Credentials(authorize=authorize)], production=True)
        """,
        "doctor_refused_app",
    )
    assert main(["doctor", f"{name}:config"]) == 1
    assert "refused at start-up" in capsys.readouterr().out


def test_the_console_script_is_installed(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "authgate"
    assert script.exists()
    (tmp_path / "cli_app.py").write_text(
        "from authgate import AuthConfig, AuthGate\n"
        "from authgate.providers import Credentials\n"
        "gate = AuthGate(AuthConfig(providers=[Credentials(authorize=lambda c, r: None)],"
        " secret='s', url='https://example.com'))\n"
    )
    result = subprocess.run(
        [str(script), "doctor", "cli_app:gate"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1, result.stderr
    assert "error: the secret is 1 characters" in result.stdout


def test_password_accounts_on_jwt_sessions_without_revocation_are_a_warning() -> None:
    from authgate.adapters.memory import MemoryAdapter
    from authgate.providers import Password

    async def send(mail: object) -> None:
        return None

    accounts = {"providers": [Password(send_mail=send)], "adapter": MemoryAdapter()}
    warned = [
        m
        for level, m in messages(gate(**accounts, session=SessionConfig(strategy="jwt")))
        if level == "warning"
    ]
    assert any("a password reset or change cannot end the user's sessions" in m for m in warned)
    for fine in (
        gate(**accounts, session=SessionConfig(strategy="jwt"), revocation=MemoryRevocationStore()),
        gate(**accounts),  # an adapter: database sessions, whose rows are deleted
        gate(session=SessionConfig(strategy="jwt")),  # no password accounts
    ):
        assert not any("password reset" in m for _, m in messages(fine))
