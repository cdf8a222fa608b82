"""OpenID Connect id_token verification (OIDC Core §3.1.3.7), on joserfc.

The caller fetches the provider's JWKS; this module picks the key, checks the signature under an
algorithm allow-list and validates the claims. It does no I/O: an unknown ``kid`` raises
:class:`UnknownKeyError` so the caller can refresh the JWKS once and try again.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet, OctKey

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "IdTokenError",
    "UnknownKeyError",
    "verify_id_token",
]

ASYMMETRIC_ALGORITHMS: frozenset[str] = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
        "Ed25519",
    }
)
SYMMETRIC_ALGORITHMS: frozenset[str] = frozenset({"HS256", "HS384", "HS512"})
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
MAX_ID_TOKEN = 16 * 1024
TENANT_TEMPLATE = "{tenantid}"


class IdTokenError(Exception):
    """The id_token is not acceptable; the message names the check, never the token."""


class UnknownKeyError(IdTokenError):
    """No key of the JWKS matches the token's ``kid`` (refresh the JWKS and retry once)."""


def _header(token: str) -> dict[str, Any]:
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise IdTokenError("id_token is not a compact JWS") from exc
    return dict(header)


def _candidates(jwks: Mapping[str, Any], kid: object, alg: str) -> list[Key]:
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    except (JoseError, KeyError, TypeError, ValueError) as exc:
        raise IdTokenError("the provider's JWKS is not usable") from exc
    wanted = _KEY_TYPES.get(alg[:2])
    usable = [
        k
        for k in keys
        if k.key_type == wanted and k.get("use") in (None, "sig") and k.get("alg") in (None, alg)
    ]
    if isinstance(kid, str):
        usable = [k for k in usable if k.kid == kid]
    elif kid is not None:
        raise IdTokenError("id_token kid is not a string")
    if not usable:
        raise UnknownKeyError("no key in the provider's JWKS matches the id_token")
    return usable


def verify_id_token(
    token: str,
    *,
    jwks: Mapping[str, Any] | None,
    algorithms: Collection[str],
    issuer: str,
    client_id: str,
    now: float,
    nonce: str | None,
    client_secret: str | None = None,
    leeway: int = 10,
) -> dict[str, Any]:
    """Verify ``token`` and return its claims.

    Args:
        token: The compact JWS from the token response.
        jwks: The provider's JSON Web Key Set (``None`` for HS* with the client secret).
        algorithms: The allow-list (``none`` is never accepted; ``HS*`` only with
            ``client_secret``).
        issuer: The exact expected ``iss``.
        client_id: Must be in ``aud``; ``azp`` must equal it when present or when there are
            several audiences.
        now: The current time (epoch seconds).
        nonce: The expected ``nonce``; ``None`` when the nonce check is off (then a token
            carrying a nonce is still accepted).
        client_secret: Key for ``HS*`` id_tokens, if the provider uses them.
        leeway: Seconds of clock skew accepted on ``exp`` / ``iat`` / ``nbf``
            (openid-client's 10 s in next-auth v4).

    Raises:
        UnknownKeyError: No JWKS key matches (retry after a refresh).
        IdTokenError: Anything else is wrong.
    """
    if len(token) > MAX_ID_TOKEN:
        raise IdTokenError("id_token is too large")
    header = _header(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise IdTokenError("id_token alg is not allowed")
    keys: list[Key]
    if alg in SYMMETRIC_ALGORITHMS:
        if not client_secret:
            raise IdTokenError("id_token alg is not allowed")
        keys = [OctKey.import_key(client_secret)]
    elif alg in ASYMMETRIC_ALGORITHMS:
        if jwks is None:
            raise UnknownKeyError("the provider has no JWKS")
        keys = _candidates(jwks, header.get("kid"), alg)
    else:
        raise IdTokenError("id_token alg is not allowed")

    decoded = None
    for key in keys:
        try:
            with warnings.catch_warnings():
                # joserfc warns about short HMAC keys; the client secret is what the provider
                # chose, and a warning must not fail a sign-in.
                warnings.simplefilter("ignore")
                decoded = jwt.decode(token, key, algorithms=[alg])
            break
        except JoseError:
            continue
    if decoded is None:
        raise IdTokenError("id_token signature is invalid")
    claims: dict[str, Any] = dict(decoded.claims)
    _check_claims(claims, issuer=issuer, client_id=client_id, now=now, nonce=nonce, leeway=leeway)
    return claims


def _check_claims(
    claims: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    now: float,
    nonce: str | None,
    leeway: int,
) -> None:
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "sub": {"essential": True},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    if TENANT_TEMPLATE in issuer:
        # Entra ID's multi-tenant issuer: the tenant is the token's own ``tid``.
        tid = claims.get("tid")
        if not isinstance(tid, str) or not tid or "/" in tid:
            raise IdTokenError("id_token claim check failed: tid")
        options["iss"]["value"] = issuer.replace(TENANT_TEMPLATE, tid)
    registry = jwt.JWTClaimsRegistry(now=int(now), leeway=leeway, **options)
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise IdTokenError(f"id_token claim check failed: {exc.error}") from exc
    if nonce is not None and not isinstance(claims.get("nonce"), str):  # pragma: no cover
        # Defence in depth: the registry above already required nonce == the expected string.
        raise IdTokenError("id_token claim check failed: nonce")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    azp = claims.get("azp")
    # OIDC Core §3.1.3.7 items 4 and 5.
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise IdTokenError("id_token claim check failed: azp")
