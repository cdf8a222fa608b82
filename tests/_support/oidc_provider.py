"""Start the real OpenID provider (``oidc-provider``, tests/oidc/node) for a test, stop it by PID.

``scripts/install`` runs ``npm ci`` in tests/oidc/node. Without node or the package the tests
skip, or fail when ``CI=true`` (``_support.components.missing``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from _support.components import REPO_ROOT, missing, node_path

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

OIDC_NODE_DIR = REPO_ROOT / "tests" / "oidc" / "node"
CLIENT_ID = "authgate-test"
CLIENT_SECRET = "authgate-test-secret-0123456789abcdef"


@contextmanager
def oidc_provider(redirect_uris: Sequence[str], *, port: int = 0, **extra: str) -> Iterator[str]:
    """Run the provider with one client allowed to redirect to ``redirect_uris``; yields its
    issuer (``http://127.0.0.1:<port>``). ``port``: a fixed one (a restart), else a free one."""
    node = node_path()
    if not (OIDC_NODE_DIR / "node_modules" / "oidc-provider" / "package.json").is_file():
        missing(f"oidc-provider is not installed in {OIDC_NODE_DIR}/node_modules")
    config: dict[str, object] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": list(redirect_uris),
        "port": port,
        **extra,
    }
    env = {**os.environ, "OIDC_TEST_CONFIG": json.dumps(config), "NODE_ENV": "test"}
    process = subprocess.Popen(
        [node, str(OIDC_NODE_DIR / "provider.mjs")],
        cwd=OIDC_NODE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    drains: list[threading.Thread] = []
    try:
        assert process.stdout is not None
        # The first line says where it listens; a dead process gives an empty line.
        timer = threading.Timer(20, process.kill)
        timer.start()
        try:
            line = process.stdout.readline().strip()
        finally:
            timer.cancel()
        if not line.startswith("listening "):
            stderr = process.stderr.read() if process.stderr else ""
            raise RuntimeError(f"oidc-provider did not start: {line!r} {stderr[-2000:]}")
        # Keep draining its output so it never blocks on a full pipe.
        drains += [
            threading.Thread(target=stream.read, daemon=True)
            for stream in (process.stdout, process.stderr)
            if stream is not None
        ]
        for drain in drains:
            drain.start()
        yield line.removeprefix("listening ")
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for drain in drains:
            drain.join(timeout=5)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
