"""Find the outside components some tests need: Chromium and node's next-auth.

Each finder returns what it found, or ends the test: with ``pytest.skip`` on a
developer's machine, but with ``pytest.fail`` when ``CI=true``, so CI can never
pass by quietly skipping. ``scripts/install`` installs all of them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_INTEROP_DIR = REPO_ROOT / "tests" / "interop" / "node"
NEXTAUTH_VERSION = "4.24.15"
DEFAULT_CHROMIUM = "/usr/bin/chromium"

# Launch Debian's Chromium headless with these (Playwright's bundled browsers are
# never downloaded): chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def in_ci() -> bool:
    """Whether we run under CI (``CI=true``), where missing components are failures."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def missing(what: str) -> NoReturn:
    """End the current test because *what* is missing: fail in CI, skip elsewhere."""
    message = f"{what} (run scripts/install)"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def chromium_path() -> str:
    """Path of the Chromium executable: ``$CHROMIUM_PATH`` or ``/usr/bin/chromium``."""
    path = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        missing(f"Chromium not found at {path}")
    return path


def node_path() -> str:
    """Path of the ``node`` executable."""
    node = shutil.which("node")
    if node is None:
        missing("node is not on PATH")
    return node


def node_interop_dir() -> Path:
    """The folder of ``jwt.mjs``, once its node modules (next-auth) are installed."""
    node_path()
    if not (NODE_INTEROP_DIR / "node_modules" / "next-auth" / "package.json").is_file():
        missing(f"next-auth is not installed in {NODE_INTEROP_DIR}/node_modules")
    return NODE_INTEROP_DIR


def redis_server_path() -> str:
    """Path of Debian's ``redis-server`` executable."""
    path = shutil.which("redis-server")
    if path is None:
        missing("redis-server is not on PATH (Debian package redis-server)")
    return path
