"""A software WebAuthn authenticator: real keys (``cryptography``), real CBOR (``cbor2``).

It answers the options authgate sends with what a browser would post (SimpleWebAuthn's JSON
shape), and lets a test bend any part of it (origin, RP ID, flags, counter, format, algorithm,
client data) to drive each refusal without a browser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftAuthenticator:
    """One credential on one authenticator; ``alg`` -7 (ES256) or -8 (EdDSA)."""

    origin: str
    rp_id: str = "localhost"
    alg: int = -7
    counter: int = 0
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    user_handle: bytes | None = None

    def __post_init__(self) -> None:
        self.key: Any = (
            ed25519.Ed25519PrivateKey.generate()
            if self.alg == -8
            else ec.generate_private_key(ec.SECP256R1())
        )

    def cose_key(self) -> bytes:
        if self.alg == -8:
            raw = self.key.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            return cbor2.dumps({1: 1, 3: -8, -1: 6, -2: raw})
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: self.alg,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def auth_data(
        self, *, flags: int, rp_id: str | None = None, attested: bool = False, counter: int = 0
    ) -> bytes:
        data = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        data += bytes([flags | (AT if attested else 0)]) + struct.pack(">I", counter)
        if attested:
            data += b"\0" * 16 + struct.pack(">H", len(self.credential_id)) + self.credential_id
            data += self.cose_key()
        return data

    def client_data(self, kind: str, challenge: str, changes: dict[str, Any] | None) -> bytes:
        data: dict[str, Any] = {
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": False,
        }
        data.update(changes or {})
        return json.dumps({k: v for k, v in data.items() if v is not None}).encode()

    def register(
        self,
        options: dict[str, Any],
        *,
        flags: int = UP | UV | BE | BS,
        rp_id: str | None = None,
        fmt: str = "none",
        att_stmt: dict[str, Any] | None = None,
        client: dict[str, Any] | None = None,
        transports: list[str] | None = None,
    ) -> dict[str, Any]:
        """A ``navigator.credentials.create()`` response for ``options``."""
        self.user_handle = unb64url(options["user"]["id"])
        client_data = self.client_data("webauthn.create", options["challenge"], client)
        auth_data = self.auth_data(flags=flags, rp_id=rp_id, attested=True, counter=self.counter)
        attestation = cbor2.dumps({"fmt": fmt, "attStmt": att_stmt or {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"] if transports is None else transports,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def sign(self, message: bytes) -> bytes:
        if self.alg == -8:
            signature: bytes = self.key.sign(message)
            return signature
        signature = self.key.sign(message, ec.ECDSA(hashes.SHA256()))
        return signature

    def authenticate(
        self,
        options: dict[str, Any],
        *,
        flags: int = UP | UV | BE | BS,
        rp_id: str | None = None,
        counter: int | None = None,
        client: dict[str, Any] | None = None,
        tamper: bool = False,
    ) -> dict[str, Any]:
        """A ``navigator.credentials.get()`` response for ``options``."""
        if counter is None:
            self.counter += 1 if self.counter else 0
            counter = self.counter
        client_data = self.client_data("webauthn.get", options["challenge"], client)
        auth_data = self.auth_data(flags=flags, rp_id=rp_id, counter=counter)
        signature = self.sign(auth_data + hashlib.sha256(client_data).digest())
        if tamper:
            auth_data = auth_data[:-1] + bytes([auth_data[-1] ^ 1])
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle or b"u"),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
