"""Regenerate ``tests/interop/vectors/nextauth-v4.json``: tokens minted by the real next-auth.

How to regenerate (needs node and ``tests/interop/node/node_modules``, see ``scripts/install``)::

    .venv/bin/python tests/interop/make_vectors.py

then commit the JSON. ``tests/unit/test_vectors.py`` decodes these tokens with authgate alone,
without node, so the interop contract is checked on every run.

Each vector records what next-auth's own ``decode()`` returned for the token (``claims``, which
include ``iat``, ``exp`` and ``jti``), the ``secret`` and ``salt`` it was made with, and a
``now`` inside its validity (``iat + 60``) to pass to ``authgate.jwt.decode(..., now=now)``,
because next-auth sets ``exp = now + maxAge`` and the committed tokens would otherwise expire.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
OUTPUT = TESTS / "interop" / "vectors" / "nextauth-v4.json"

# name, token claims, secret, salt (None = next-auth's default ""), maxAge (None = 30 days)
CASES: list[tuple[str, dict[str, Any], str, str | None, int | None]] = [
    (
        "session-default",
        {"name": "U", "email": "u@x.com", "picture": "http://i", "sub": "1"},
        "vector-secret-0123456789abcdef",
        None,
        None,
    ),
    (
        "session-custom-claims",
        {
            "sub": "42",
            "role": "admin",
            "groups": ["eng", "ops"],
            "nested": {"a": 1, "b": [True, None, 2.5]},
            "unicode": "héllo wörld ✓ 漢字 🚀",
        },
        "vector-secret-0123456789abcdef",
        None,
        3600,
    ),
    (
        "session-unicode-secret",
        {"sub": "7", "name": "Zoë"},
        "sécret-ünïcode-✓-🔑",
        None,
        86400,
    ),
    (
        "session-empty-claims",
        {},
        "a",
        None,
        60,
    ),
    (
        "session-large",
        {"sub": "9", "blob": "x" * 4000},
        "vector-secret-0123456789abcdef",
        None,
        None,
    ),
    (
        "state-salt",
        {"value": "b64-state-value"},
        "vector-secret-0123456789abcdef",
        "next-auth.state",
        900,
    ),
    (
        "pkce-salt-secure-name",
        {"value": "code-verifier-abcdefghijklmnopqrstuvwxyz0123456789"},
        "vector-secret-0123456789abcdef",
        "__Secure-next-auth.pkce.code_verifier",
        900,
    ),
    (
        "nonce-salt",
        {"value": "nonce-123"},
        "other-secret",
        "next-auth.nonce",
        900,
    ),
]


def main() -> None:
    sys.path.insert(0, str(TESTS))
    from interop import nextauth_node

    version = json.loads(
        (TESTS / "interop" / "node" / "node_modules" / "next-auth" / "package.json").read_text()
    )["version"]
    vectors = []
    for name, claims, secret, salt, max_age in CASES:
        token = nextauth_node.encode(claims, secret, max_age, salt=salt)
        decoded = nextauth_node.decode(token, secret, salt=salt)
        assert decoded is not None
        vectors.append(
            {
                "name": name,
                "secret": secret,
                "salt": salt or "",
                "max_age": max_age if max_age is not None else 30 * 24 * 60 * 60,
                "token": token,
                "claims": decoded,
                "now": decoded["iat"] + 60,
            }
        )
    document = {
        "generator": "tests/interop/make_vectors.py",
        "next_auth_version": version,
        "vectors": vectors,
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {OUTPUT.relative_to(TESTS.parent)}")


if __name__ == "__main__":
    main()
