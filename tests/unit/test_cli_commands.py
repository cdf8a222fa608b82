"""``authgate secret`` and ``authgate --help`` (the console script, run for real)."""

from __future__ import annotations

import argparse
import base64
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from authgate import AuthConfig, AuthGate
from authgate.cli import diagnose, main, new_secret, parser
from authgate.providers import Credentials

if TYPE_CHECKING:
    import pytest

SCRIPT = Path(sys.executable).parent / "authgate"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )


def _commands(p: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    found: list[str] = []
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix}{name}")
                found += _commands(sub, f"{prefix}{name} ")
    return found


def test_secret_prints_an_env_line() -> None:
    result = run("secret")
    assert result.returncode == 0, result.stderr
    name, _, value = result.stdout.strip().partition("=")
    assert name == "AUTH_SECRET"
    assert len(base64.urlsafe_b64decode(value + "=")) == 32


def test_secret_raw_and_longer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["secret", "--raw", "--bytes", "64"]) == 0
    value = capsys.readouterr().out.strip()
    assert "=" not in value
    assert len(base64.urlsafe_b64decode(value + "==")) == 64


def test_secret_refuses_fewer_than_32_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["secret", "--bytes", "16"]) == 2
    assert "at least 32" in capsys.readouterr().err


def test_secrets_differ_and_pass_the_doctor() -> None:
    values = {new_secret() for _ in range(50)}
    assert len(values) == 50
    for value in values:
        config = AuthConfig(
            providers=[Credentials(authorize=lambda c, r: None)],
            secret=value,
            url="https://example.com",
        )
        findings = diagnose(AuthGate(config, env={}), env={})
        assert not [f for f in findings if "secret" in f.message], findings


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    commands = _commands(parser())
    assert {"secret", "doctor", "db", "db init", "db sql", "db prune"} <= set(commands)
    for command in commands:
        name = command.split()[-1]
        assert name in result.stdout, f"`authgate --help` does not mention {command!r}"


def test_no_command_shows_the_usage() -> None:
    result = run()
    assert result.returncode == 2
    assert "<command>" in result.stderr
