"""Call the real next-auth/jwt ``encode``/``decode`` through ``node/jwt.mjs``.

Skips (or, with ``CI=true``, fails) the calling test when node or next-auth is
missing; see ``_support.components``.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from _support.components import node_interop_dir, node_path

TIMEOUT_SECONDS = 30


class NextAuthError(Exception):
    """next-auth refused the request, e.g. it could not decrypt or verify a JWT."""


def _call(request: dict[str, Any]) -> dict[str, Any]:
    folder = node_interop_dir()
    proc = subprocess.run(
        [node_path(), str(folder / "jwt.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"jwt.mjs exited {proc.returncode}: {proc.stderr.strip()}")
    answer: dict[str, Any] = json.loads(proc.stdout)
    if "error" in answer:
        raise NextAuthError(answer["error"])
    return answer


def encode(
    token: dict[str, Any], secret: str, max_age: int | None = None, *, salt: str | None = None
) -> str:
    """Encrypt *token* as next-auth does (``max_age`` in seconds; default 30 days)."""
    request: dict[str, Any] = {"op": "encode", "token": token, "secret": secret}
    if max_age is not None:
        request["maxAge"] = max_age
    if salt is not None:
        request["salt"] = salt
    jwt: str = _call(request)["jwt"]
    return jwt


def decode(jwt: str, secret: str, *, salt: str | None = None) -> dict[str, Any] | None:
    """Decrypt *jwt* as next-auth does; raises `NextAuthError` when it refuses it.

    Returns None for an empty *jwt*, as next-auth does.
    """
    request: dict[str, Any] = {"op": "decode", "jwt": jwt, "secret": secret}
    if salt is not None:
        request["salt"] = salt
    token: dict[str, Any] | None = _call(request)["token"]
    return token
