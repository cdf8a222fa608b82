"""Checking a browser's WebAuthn response: py_webauthn does the cryptography and CBOR/COSE.

Pure functions of the response and what the ceremony expects. Before py_webauthn's full
verification runs, the response is parsed (with py_webauthn's own parsers) to name what is
wrong when it is refused: every refusal is a :class:`Refused` with one of :data:`REASONS`,
which the flow logs as ``WEBAUTHN_<REASON>`` and answers with ``WebAuthnVerificationError``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import (
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_authenticator_data,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.decode_credential_public_key import decode_credential_public_key
from webauthn.helpers.exceptions import WebAuthnException

if TYPE_CHECKING:
    from collections.abc import Sequence

    from webauthn.helpers.structs import CollectedClientData

__all__ = [
    "MAX_CLIENT_DATA_BYTES",
    "MAX_RESPONSE_CHARS",
    "REASONS",
    "Asserted",
    "Assertion",
    "Expected",
    "Refused",
    "Registered",
    "assertion",
    "authentication",
    "credential_id_of",
    "registration",
    "to_base64",
]

MAX_RESPONSE_CHARS: Final = 16 * 1024
"""The JSON ``data`` field (one credential, attestation certificates included)."""
MAX_CLIENT_DATA_BYTES: Final = 2048
"""``clientDataJSON`` (browsers send ~150-400 bytes)."""

REASONS: Final = frozenset(
    {
        "malformed",  # not JSON, wrong shape, too big, undecodable fields
        "challenge",  # no / expired / replayed / other ceremony's challenge, or not the one signed
        "origin",  # an origin not configured, crossOrigin true, a topOrigin
        "rp-id",  # the authenticator data is for another RP ID
        "user-verification",  # UV (or UP) flag missing where required
        "attestation",  # a format not accepted, or a statement that does not verify
        "algorithm",  # a key algorithm that was not offered
        "unknown-credential",  # no stored credential with this id (or its account is gone)
        "credential-taken",  # registration of a credential id that is stored already
        "counter",  # the signature counter went backwards: a cloned authenticator
        "signature",  # the assertion's signature does not verify
        "session",  # registration for a user whose session has ended or changed
    }
)


_DEVICE_TYPES: Final = {"single_device": "singleDevice", "multi_device": "multiDevice"}


class Refused(Exception):  # noqa: N818 - a verdict, not a failure of ours
    """The response is refused; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Expected:
    """What the ceremony expects: the challenge and the relying party."""

    challenge: bytes
    rp_id: str
    origins: tuple[str, ...]
    user_verification: bool


@dataclass(frozen=True, slots=True)
class Registered:
    """A verified new credential, in Auth.js's storage encoding (standard base64)."""

    credential_id: str
    public_key: str
    counter: int
    device_type: str
    backed_up: bool
    transports: str | None


@dataclass(frozen=True, slots=True)
class Asserted:
    """A verified assertion: the credential's new counter."""

    counter: int


def to_base64(raw: bytes) -> str:
    """Standard base64 with padding: how ``@auth/core`` stores ids and keys."""
    return base64.b64encode(raw).decode("ascii")


def _b64_any(value: object) -> bytes:
    """base64url or base64, padded or not (Auth.js reads ids with Node's lenient decoder)."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise Refused("malformed", "a credential id must be a non-empty string")
    text = value.replace("-", "+").replace("_", "/").rstrip("=")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Refused("malformed", "a credential id that is not base64") from exc


def _load(data: object) -> dict[str, Any]:
    if not isinstance(data, str) or not data:
        raise Refused("malformed", "no data field")
    if len(data) > MAX_RESPONSE_CHARS:  # pragma: no cover - body.py caps every field at this size
        raise Refused("malformed", "the response is too large")
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise Refused("malformed", "data is not JSON") from exc
    if not isinstance(parsed, dict) or not isinstance(parsed.get("id"), str):
        raise Refused("malformed", "data is not a credential")
    response = parsed.get("response")
    if not isinstance(response, dict):
        raise Refused("malformed", "the credential has no response")
    client_data = response.get("clientDataJSON")
    if not isinstance(client_data, str) or len(client_data) > MAX_CLIENT_DATA_BYTES * 4 // 3 + 4:
        raise Refused("malformed", "clientDataJSON is missing or too large")
    return parsed


def credential_id_of(data: object) -> tuple[dict[str, Any], str]:
    """The parsed response and its credential id in storage encoding."""
    parsed = _load(data)
    return parsed, to_base64(_b64_any(parsed["id"]))


def _client_data(raw: bytes, expected: Expected, kind: str) -> CollectedClientData:
    if len(raw) > MAX_CLIENT_DATA_BYTES:
        raise Refused("malformed", "clientDataJSON is too large")
    try:
        client = parse_client_data_json(raw)
        extra = json.loads(raw)
    except (WebAuthnException, ValueError, TypeError) as exc:
        raise Refused("malformed", "clientDataJSON does not parse") from exc
    if client.type != kind:
        raise Refused("malformed", f"clientDataJSON.type is not {kind}")
    if client.challenge != expected.challenge:
        raise Refused("challenge", "the response signs another challenge")
    # Exact match, one of the configured origins; never from a frame of another site.
    if not isinstance(client.origin, str) or client.origin not in expected.origins:
        raise Refused("origin", f"origin {str(client.origin)[:100]!r} is not configured")
    if extra.get("crossOrigin") not in (None, False) or "topOrigin" in extra:
        raise Refused("origin", "a cross-origin ceremony")
    return client


def _rp_and_flags(auth_data: Any, expected: Expected) -> None:
    if auth_data.rp_id_hash != hashlib.sha256(expected.rp_id.encode()).digest():
        raise Refused("rp-id", "the authenticator data is for another RP ID")
    if not auth_data.flags.up:
        raise Refused("user-verification", "the user was not present")
    if expected.user_verification and not auth_data.flags.uv:
        raise Refused("user-verification", "the user was not verified")


def registration(
    data: object,
    expected: Expected,
    *,
    algorithms: Sequence[int],
    formats: Sequence[str],
) -> Registered:
    """Verify a ``navigator.credentials.create()`` response.

    Raises:
        Refused: It does not verify; ``reason`` says why.
    """
    parsed, _ = credential_id_of(data)
    try:
        credential = parse_registration_credential_json(parsed)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise Refused("malformed", "not a registration response") from exc
    _client_data(credential.response.client_data_json, expected, "webauthn.create")
    try:
        attestation = parse_attestation_object(credential.response.attestation_object)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise Refused("malformed", "attestationObject does not parse") from exc
    if attestation.fmt not in formats:
        raise Refused("attestation", f"format {str(attestation.fmt)[:32]!r} is not accepted")
    _rp_and_flags(attestation.auth_data, expected)
    attested = attestation.auth_data.attested_credential_data
    if attested is None:
        raise Refused("malformed", "no attested credential data")
    try:
        alg = decode_credential_public_key(attested.credential_public_key).alg
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise Refused("malformed", "the public key does not parse") from exc
    if alg not in algorithms:
        raise Refused("algorithm", f"algorithm {alg} was not offered")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=expected.challenge,
            expected_rp_id=expected.rp_id,
            expected_origin=list(expected.origins),
            require_user_verification=expected.user_verification,
            supported_pub_key_algs=[COSEAlgorithmIdentifier(a) for a in algorithms],
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise Refused("attestation", type(exc).__name__) from exc
    transports = parsed["response"].get("transports")
    names = (
        [t for t in transports if isinstance(t, str) and t.isascii() and len(t) <= 32][:8]
        if isinstance(transports, list)
        else []
    )
    return Registered(
        credential_id=to_base64(verified.credential_id),
        public_key=to_base64(verified.credential_public_key),
        counter=verified.sign_count,
        # SimpleWebAuthn's (and so Auth.js's) spelling: "singleDevice" / "multiDevice".
        device_type=_DEVICE_TYPES.get(verified.credential_device_type.value, "singleDevice"),
        backed_up=verified.credential_backed_up,
        transports=",".join(n for n in names if "," not in n) or None,
    )


@dataclass(frozen=True, slots=True)
class Assertion:
    """A parsed assertion whose client data, RP ID and flags are checked (not its signature)."""

    credential: Any
    sign_count: int


def assertion(data: dict[str, Any], expected: Expected) -> Assertion:
    """Everything about a ``navigator.credentials.get()`` response that needs no stored key.

    Raises:
        Refused: It is malformed, for another challenge, origin or RP ID, or lacks UV.
    """
    try:
        credential = parse_authentication_credential_json(data)
        auth_data = parse_authenticator_data(credential.response.authenticator_data)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise Refused("malformed", "not an authentication response") from exc
    _client_data(credential.response.client_data_json, expected, "webauthn.get")
    _rp_and_flags(auth_data, expected)
    return Assertion(credential, auth_data.sign_count)


def authentication(
    checked: Assertion, expected: Expected, *, public_key: str, counter: int
) -> Asserted:
    """Verify the assertion's signature and counter against the stored credential.

    Raises:
        Refused: It does not verify; ``reason`` says why (``counter`` for a regression).
    """
    if (checked.sign_count or counter) and checked.sign_count <= counter:
        raise Refused("counter", f"counter {checked.sign_count} after {counter}")
    try:
        verified = verify_authentication_response(
            credential=checked.credential,
            expected_challenge=expected.challenge,
            expected_rp_id=expected.rp_id,
            expected_origin=list(expected.origins),
            credential_public_key=base64.b64decode(public_key),
            credential_current_sign_count=counter,
            require_user_verification=expected.user_verification,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise Refused("signature", type(exc).__name__) from exc
    return Asserted(counter=verified.new_sign_count)
