"""Run many requests against ``node/jwt.mjs`` in one node process (``op: batch``).

The real ``next-auth/jwt`` (v4) and ``@auth/core/jwt`` (Auth.js v5, with ``"profile":
"authjs-v5"``). Skips (or, with ``CI=true``, fails) when node or the packages are missing.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from _support.components import missing, node_interop_dir, node_path

TIMEOUT_SECONDS = 60
AUTH_CORE_VERSION = "0.41.3"


def auth_core_dir() -> Any:
    folder = node_interop_dir()
    if not (folder / "node_modules" / "@auth" / "core" / "package.json").is_file():
        missing(f"@auth/core is not installed in {folder}/node_modules")
    return folder


def batch(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answers of jwt.mjs, one per request (``{"error": ...}`` when the package refused)."""
    folder = auth_core_dir()
    proc = subprocess.run(
        [node_path(), str(folder / "jwt.mjs")],
        input=json.dumps({"op": "batch", "requests": requests}),
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"jwt.mjs exited {proc.returncode}: {proc.stderr.strip()}")
    answer = json.loads(proc.stdout)
    if "answers" not in answer:
        raise RuntimeError(f"jwt.mjs: {answer}")
    answers: list[dict[str, Any]] = answer["answers"]
    return answers
