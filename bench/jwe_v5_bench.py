"""Auth.js v5 token decode/encode: authgate's ``_crypto/jwe_v5`` against joserfc.

Run: ``.venv/bin/python bench/jwe_v5_bench.py``. Prints microseconds per call; never asserts.
This is the measurement behind building the v5 JWE on ``cryptography`` (see jwe_v5.py).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from joserfc import jwe
from joserfc.jwk import OctKey

from authgate._crypto.jwe_v5 import V5KeyRing, thumbprint, v5_key

if TYPE_CHECKING:
    from collections.abc import Callable

SALT = "authjs.session-token"
SECRET = "authgate-bench-secret-0123456789abcdef"
CLAIMS = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "picture": "https://example.com/ada.png",
    "sub": "42",
    "iat": 1,
    "exp": 2,
    "jti": "00000000-0000-4000-8000-000000000000",
}
N = 20_000


def per_call(fn: Callable[[], object]) -> float:
    for _ in range(1_000):
        fn()
    start = time.perf_counter()
    for _ in range(N):
        fn()
    return (time.perf_counter() - start) / N * 1e6


def main() -> None:
    ring = V5KeyRing([SECRET], SALT)
    key = OctKey.import_key(v5_key(SECRET, SALT))
    registry = jwe.JWERegistry(algorithms=["dir", "A256CBC-HS512", "A256GCM"])
    header = {"alg": "dir", "enc": "A256CBC-HS512", "kid": thumbprint(v5_key(SECRET, SALT))}
    token = ring.seal_json(CLAIMS)
    rows = {
        "decode authgate": per_call(lambda: ring.open_json(token)),
        "decode joserfc": per_call(
            lambda: json.loads(jwe.decrypt_compact(token, key, registry=registry).plaintext or b"")
        ),
        "encode authgate": per_call(lambda: ring.seal_json(CLAIMS)),
        "encode joserfc": per_call(
            lambda: jwe.encrypt_compact(header, json.dumps(CLAIMS), key, registry=registry)
        ),
    }
    for name, micros in rows.items():
        print(f"{name:18} {micros:7.1f} us")
    print(f"joserfc/authgate decode: {rows['decode joserfc'] / rows['decode authgate']:.1f}x")


if __name__ == "__main__":
    main()
