"""The one-pass read of a v4 token and the one-``urandom`` seal (bench/README.md section 3f).

``KeyRing.open_json`` reads a well-formed token in one pass and sends everything else to the
checked path (``_open_checked``, the reader of earlier releases): both must accept exactly the
same tokens and refuse the others with the same reason. ``_claims`` reads the usual payload with
the JSON scanner alone and must agree with ``json.loads``. A seal draws the ``jti`` and the IV
from one ``os.urandom`` call; the ``jti`` is still a UUID v4 as ``uuid`` formats it.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from authgate import jwt as agjwt
from authgate._core.session_reader import SessionRead
from authgate._crypto import jwe
from authgate._crypto.jwe import JWEError, KeyRing, _claims, _not_json
from authgate._crypto.jwe_v5 import V5KeyRing
from authgate._crypto.keys import v4_key

SECRET = "fast-path-secret-0123456789abcdef"
NOW = 1_800_000_000
CLAIMS = {"name": "Ada", "email": "ada@example.com", "picture": "https://x/a.png", "sub": "1"}


def outcome(read: Any, token: str) -> tuple[str, Any]:
    try:
        return "ok", read(token)
    except JWEError as exc:
        return "error", str(exc)


RING = KeyRing([v4_key(SECRET), v4_key("an older secret")])
OLD_RING = KeyRing([v4_key("an older secret")])
TOKEN = RING.seal_json({**CLAIMS, "iat": NOW, "exp": NOW + 60})
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. é\x00"


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(TOKEN)),
            st.sampled_from(["replace", "insert", "delete"]),
            st.sampled_from(ALPHABET),
        ),
        max_size=3,
    )
)
def test_the_one_pass_read_accepts_and_refuses_exactly_what_the_checked_read_does(
    edits: list[tuple[int, str, str]],
) -> None:
    token = TOKEN
    for index, edit, char in edits:
        index = min(index, len(token))
        if edit == "replace":
            token = token[:index] + char + token[index + 1 :]
        elif edit == "insert":
            token = token[:index] + char + token[index:]
        else:
            token = token[:index] + token[index + 1 :]
    assert outcome(RING.open_json, token) == outcome(RING._open_checked, token)


@pytest.mark.parametrize(
    "token",
    [
        TOKEN,
        OLD_RING.seal_json({"sub": "old key"}),  # the second key of the ring opens it
        TOKEN.replace("-", "+").replace("_", "/"),  # the standard alphabet: accepted by both
        TOKEN + "=",
        TOKEN[:-1],
        TOKEN.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAA==",  # a tag of 22 characters, 15 bytes
        TOKEN.split(".", 3)[0] + ".." + "AAAAAAAAAAAAAA==" + "." + TOKEN.split(".", 3)[3],
        TOKEN.replace(".", "..", 1),
        "",
        "A" * (jwe.MAX_TOKEN_CHARS + 1),
    ],
)
def test_edge_tokens_have_the_same_answer_on_both_paths(token: str) -> None:
    assert outcome(RING.open_json, token) == outcome(RING._open_checked, token)


def reference_claims(payload: bytes) -> Any:
    # What the reader did before the scanner-only path: json.loads, then "an object?".
    try:
        claims = json.loads(payload, parse_constant=_not_json)
    except (ValueError, RecursionError):
        return "error", "payload is not JSON"
    if not isinstance(claims, dict):
        return "error", "payload is not a JSON object"
    return "ok", claims


@pytest.mark.parametrize(
    "payload",
    [
        b'{"sub":"1"}',
        b'{"sub":"1"} ',
        b'{"sub":"1"}\n\t',
        b'{"sub":"1"}x',
        b'{"sub":"1"}{}',
        b'{"sub":}',
        b'{"sub":NaN}',
        b'{"sub":Infinity}',
        b'{"sub":"\xff"}',
        b'{"sub":"\xed\xa0\x80"}',  # an encoded surrogate: json.loads accepts it
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b'{"',
        b"{}",
        b" {}",
        b"[1]",
        b'"x"',
        b"\xef\xbb\xbf{}",
        '{"sub":"1"}'.encode("utf-16-le"),
        '{"sub":"1"}'.encode("utf-16"),
        b"",
    ],
)
def test_the_scanner_only_json_path_agrees_with_json_loads(payload: bytes) -> None:
    assert outcome(lambda p: _claims(p.encode("latin-1")), payload.decode("latin-1")) == (
        reference_claims(payload)
    )


@given(st.dictionaries(st.text(), st.one_of(st.none(), st.booleans(), st.integers(), st.text())))
def test_any_flat_object_reads_as_json_loads_reads_it(claims: dict[str, Any]) -> None:
    payload = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    assert ("ok", _claims(payload)) == reference_claims(payload)


@given(st.binary(min_size=16, max_size=32))
def test_the_jti_is_the_uuid_module_s_version_4_string(fresh: bytes) -> None:
    assert agjwt._uuid4(fresh) == str(uuid.UUID(bytes=fresh[:16], version=4))


@pytest.mark.parametrize(("profile", "iv_bytes"), [("nextauth-v4", 12), ("authjs-v5", 16)])
def test_a_seal_takes_its_jti_and_iv_from_one_urandom_call(
    monkeypatch: pytest.MonkeyPatch, profile: Any, iv_bytes: int
) -> None:
    calls: list[bytes] = []
    real = os.urandom

    def urandom(n: int) -> bytes:  # every os.urandom call of the process (jwt's and jwe's)
        calls.append(real(n))
        return calls[-1]

    codec = agjwt.JWTCodec(SECRET, salt="authjs.session-token", profile=profile, remember=8)
    monkeypatch.setattr("os.urandom", urandom)
    token = codec.encode(CLAIMS, now=NOW)
    monkeypatch.undo()
    assert [len(c) for c in calls] == [16 + iv_bytes], "one call: the jti's 16 bytes and the IV"
    fresh = calls[0]
    assert jwe.b64url_decode(token.split(".")[2]) == fresh[16:]
    codec.forget()
    assert codec.decode(token, now=NOW)["jti"] == str(uuid.UUID(bytes=fresh[:16], version=4))


def test_two_seals_never_share_an_iv_or_a_jti() -> None:
    codec = agjwt.JWTCodec(SECRET)
    tokens = [codec.encode(CLAIMS, now=NOW) for _ in range(64)]
    assert len({t.split(".")[2] for t in tokens}) == 64
    assert len({codec.decode(t, now=NOW)["jti"] for t in tokens}) == 64


def test_a_given_iv_must_have_the_cipher_s_size() -> None:
    with pytest.raises(ValueError, match="12-byte"):
        KeyRing([v4_key(SECRET)]).seal_json({"sub": "1"}, b"\x00" * 16)
    with pytest.raises(ValueError, match="16-byte"):
        V5KeyRing([SECRET], "authjs.session-token").seal_json({"sub": "1"}, b"\x00" * 12)


def test_the_one_encoding_of_iv_and_ciphertext_is_the_two_encodings_joined() -> None:
    for size in range(40):  # every ciphertext length modulo 3
        token = KeyRing([v4_key(SECRET)]).seal_json({"p": "x" * size})
        _, _, iv, ciphertext, tag = token.split(".")
        assert len(jwe.b64url_decode(iv)) == 12
        assert len(jwe.b64url_decode(tag)) == 16
        for part in (iv, ciphertext, tag):  # each part its own canonical base64url
            assert jwe.b64url_encode(jwe.b64url_decode(part)) == part
        assert KeyRing([v4_key(SECRET)]).open_json(token) == {"p": "x" * size}


def test_session_read_records_the_outcome_read_outcome_names() -> None:
    pytest.importorskip("opentelemetry")
    from authgate._core.telemetry import Telemetry, read_outcome

    recorded: list[tuple[str, dict[str, str]]] = []

    class Recorder:
        def __init__(self, kind: str) -> None:
            self.kind = kind

        def add(self, amount: int, attributes: dict[str, str]) -> None:
            recorded.append((self.kind, attributes))

        def record(self, amount: float, attributes: dict[str, str]) -> None:
            recorded.append((self.kind, attributes))

    telemetry = Telemetry()
    telemetry._reads = Recorder("count")  # type: ignore[assignment]
    telemetry._read_time = Recorder("time")  # type: ignore[assignment]
    reads = [
        SessionRead(),
        SessionRead("t", "c", {"sub": "1"}),
        SessionRead("t", "c", None, (object(), object())),  # type: ignore[arg-type]
        SessionRead("t", "c"),
        SessionRead("t", "c", unavailable=True),
    ]
    for strategy in ("jwt", "database"):
        for found in reads:
            recorded.clear()
            telemetry.session_read(strategy, found, 0.0)
            expected = {
                "authgate.session.strategy": strategy,
                "authgate.outcome": read_outcome(found),
            }
            assert recorded == [("count", expected), ("time", expected)]
