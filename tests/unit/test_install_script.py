"""``scripts/install --runtime`` (what ``make demo`` runs) installs only the runtime; the full
install (``make test``) everything. Read from the script's own dry run."""

from __future__ import annotations

import os
import re
import subprocess

from _support.components import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "install"


def plan(*args: str) -> str:
    result = subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "AUTHGATE_INSTALL_DRY_RUN": "1"},
    )
    return result.stdout


def test_the_runtime_install_has_no_test_toolchain() -> None:
    out = plan("--runtime")
    syncs = re.findall(r"would run: \S+ sync (.*)", out)
    assert syncs == ["--frozen --no-dev --extra demo --inexact"]
    assert "apt-get" not in out
    assert "npm" not in out


def test_the_full_install_has_everything() -> None:
    out = plan()
    assert re.search(r"would run: \S+ sync --frozen --all-extras --group dev", out)
    apt = re.search(r"would run: apt-get install (.*)", out)
    assert apt is not None
    assert {"chromium", "postgresql", "redis-server", "fonts-noto-cjk"} <= set(apt.group(1).split())
    assert out.count("would run: npm ci") == 3  # interop (v4, v5 passkey client), oidc


def test_unknown_options_are_refused() -> None:
    result = subprocess.run([str(SCRIPT), "--fast"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "usage" in result.stderr


def test_make_demo_installs_only_the_runtime() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    demo = re.search(r"^demo:(.*)\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert demo is not None
    assert "install" not in demo.group(1).split()  # not the full `install` target
    assert "scripts/install --runtime" in demo.group(2)
    test = re.search(r"^test:(.*)$", makefile, re.MULTILINE)
    assert test is not None
    assert "install" in test.group(1).split()
