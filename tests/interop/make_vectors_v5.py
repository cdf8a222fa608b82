"""Regenerate ``tests/interop/vectors/authjs-v5.json``: tokens minted by the real @auth/core.

How to regenerate (needs node and ``tests/interop/node/node_modules``, see ``scripts/install``)::

    .venv/bin/python tests/interop/make_vectors_v5.py

then commit the JSON. ``tests/unit/test_vectors_v5.py`` decodes them with authgate alone.
Each vector records what @auth/core's own ``decode()`` returned (``claims``), the ``secret``
(a string or a rotation list) and ``salt`` it was made with, the secrets to decode with, and a
``now`` inside its validity (``iat + 60``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
OUTPUT = TESTS / "interop" / "vectors" / "authjs-v5.json"
SECRET = "vector-secret-0123456789abcdef"

# name, claims, encode secret(s), salt, maxAge (None = 30 days), decode secret(s)
CASES: list[tuple[str, dict[str, Any], Any, str, int | None, Any]] = [
    (
        "session-default",
        {"name": "U", "email": "u@x.com", "picture": "http://i", "sub": "1"},
        SECRET,
        "authjs.session-token",
        None,
        SECRET,
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
        SECRET,
        "authjs.session-token",
        3600,
        SECRET,
    ),
    (
        "session-secure-cookie",
        {"sub": "7", "name": "Zoë"},
        "sécret-ünïcode-✓-🔑",
        "__Secure-authjs.session-token",
        86400,
        "sécret-ünïcode-✓-🔑",
    ),
    (
        "session-rotated",
        {"sub": "8"},
        ["new-secret", "old-secret"],
        "authjs.session-token",
        None,
        ["old-secret", "new-secret"],
    ),
    ("session-empty-claims", {}, "a", "authjs.session-token", 60, "a"),
    (
        "session-large",
        {"sub": "9", "blob": "x" * 4000},
        SECRET,
        "authjs.session-token",
        None,
        SECRET,
    ),
    ("state-check-cookie", {"value": "state-123"}, SECRET, "authjs.state", 900, SECRET),
]


def main() -> None:
    sys.path.insert(0, str(TESTS))
    from interop.authjs_node import batch

    node = TESTS / "interop" / "node" / "node_modules"
    version = json.loads((node / "@auth" / "core" / "package.json").read_text())["version"]
    encoded = batch(
        [
            {"op": "encode", "profile": "authjs-v5", "token": claims, "secret": secret}
            | {"salt": salt}
            | ({"maxAge": max_age} if max_age is not None else {})
            for _, claims, secret, salt, max_age, _ in CASES
        ]
    )
    decoded = batch(
        [
            {"op": "decode", "profile": "authjs-v5", "jwt": answer["jwt"]}
            | {"secret": case[5], "salt": case[3]}
            for case, answer in zip(CASES, encoded, strict=True)
        ]
    )
    vectors = []
    for (name, _, secret, salt, max_age, decode_with), enc, dec in zip(
        CASES, encoded, decoded, strict=True
    ):
        claims = dec["token"]
        vectors.append(
            {
                "name": name,
                "secret": secret,
                "decode_secret": decode_with,
                "salt": salt,
                "max_age": max_age if max_age is not None else 30 * 24 * 60 * 60,
                "token": enc["jwt"],
                "claims": claims,
                "now": claims["iat"] + 60,
            }
        )
    document = {
        "generator": "tests/interop/make_vectors_v5.py",
        "auth_core_version": version,
        "vectors": vectors,
    }
    OUTPUT.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {OUTPUT.relative_to(TESTS.parent)}")


if __name__ == "__main__":
    main()
