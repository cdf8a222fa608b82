"""Passkey ceremonies: ``GET /webauthn-options/:id`` and ``POST /callback/:id`` (Auth.js's routes).

Options: ``?action=authenticate`` (default without a session) gives request options for any
discoverable credential; ``?action=register`` gives creation options for the signed-in user
or, with ``Passkey(allow_sign_up=True)`` and ``?email=``, for a new user with that address.
The answer is ``{"action", "options"}`` plus the challenge cookie (:mod:`.challenge`).

Callback: ``action`` and ``data`` (the browser's response, JSON) in the form. The challenge is
used up first, whatever follows; then the response is verified (:mod:`.verify`). Every refusal
is ``WebAuthnVerificationError`` (logged as ``WEBAUTHN_<REASON>``), never a session and never
a write. Authentication signs the credential's user in through the adapter flow; registration
adds the credential (an account of type ``webauthn`` and an ``Authenticator`` row, one
transaction) to the signed-in user, keeping the session, or creates the new user and signs
them in.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from authgate._core import link
from authgate._core.email.normalize import InvalidEmailError, normalize_email
from authgate._core.events import fire
from authgate._core.outage import StorageUnavailable, failure_name
from authgate._core.redirects import to_error
from authgate._core.sign_in_flow import FirstFactor, complete_sign_in
from authgate._core.webauthn import ceremony, challenge, verify
from authgate.errors import ErrorCode
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.adapters import (
        Adapter,
        AdapterAccount,
        AdapterAuthenticator,
        AdapterUser,
        AuthenticatorAdapter,
    )
    from authgate.providers.passkey import Passkey

logger = logging.getLogger("authgate")

__all__ = ["callback", "options", "relying_party"]

ERROR_CODE = ErrorCode.WebAuthnVerificationError


def relying_party(ctx: RequestContext, provider: Passkey) -> tuple[str, str, tuple[str, ...]]:
    """``(rp_id, rp_name, origins)``: the provider's, else from the configured URL."""
    fixed = ctx.options.fixed_url
    return provider.relying_party(fixed.origin if fixed is not None else ctx.origin)


def _store(ctx: RequestContext) -> AuthenticatorAdapter:
    # config.py refuses a Passkey provider without this capability.
    return cast("AuthenticatorAdapter", ctx.options.adapter)


def invalid(message: str = "Invalid request") -> AuthResponse:
    """A bad options request: a JSON ``400``."""
    return AuthResponse.json({"error": message}, status=400, no_store=True)


async def options(ctx: RequestContext, provider: Passkey) -> AuthResponse:
    """``GET /webauthn-options/:id``: the ceremony's options and its challenge cookie."""
    query = ctx.request.query
    action = query.get("action")
    if action == "two-factor":
        from authgate._core.webauthn import second_factor

        return await second_factor.options(ctx, provider)
    if action not in (None, "register", "authenticate"):
        return invalid("Invalid action")
    try:
        user_id = await link.current_user_id(ctx) if action != "authenticate" else None
    except StorageUnavailable as exc:
        return options_unavailable(exc)
    raw_email = query.get("email")
    sign_up = action != "authenticate" and user_id is None and provider.allow_sign_up
    if action == "register" and user_id is None and not (sign_up and raw_email):
        return invalid()
    if action is None and user_id is not None:
        return invalid()  # as Auth.js: a signed-in user asks for "register" explicitly
    rp_id, rp_name, _ = relying_party(ctx, provider)
    try:
        if user_id is not None:
            return await _registration(ctx, provider, rp_id, rp_name, user_id=user_id)
        if sign_up and raw_email:
            try:
                email = normalize_email(raw_email)
            except InvalidEmailError:
                return invalid("Invalid email")
            return await _registration(ctx, provider, rp_id, rp_name, email=email)
        issued, cookie = await challenge.issue(ctx, provider, action="authenticate")
    except Exception as exc:  # noqa: BLE001 - storage failed: logged, a 503, no challenge
        return options_unavailable(exc)
    body = ceremony.authentication_options(provider, challenge=issued, rp_id=rp_id)
    return options_response("authenticate", body, cookie)


def options_unavailable(exc: BaseException) -> AuthResponse:
    """Storage failed while issuing options: logged, a JSON ``503``, no challenge."""
    logger.error("WEBAUTHN_OPTIONS_ERROR: the adapter failed (%s)", failure_name(exc))
    return AuthResponse.json({"error": "Service unavailable"}, status=503)


async def _registration(
    ctx: RequestContext,
    provider: Passkey,
    rp_id: str,
    rp_name: str,
    *,
    user_id: str | None = None,
    email: str | None = None,
) -> AuthResponse:
    existing: list[AdapterAuthenticator] = []
    name = email or ""
    if user_id is not None:
        user = await cast("Adapter", ctx.options.adapter).get_user(user_id)
        if user is None:
            return invalid()
        existing = await _store(ctx).list_authenticators_by_user_id(user_id)
        name = user.get("email") or user.get("name") or user_id
    issued, cookie = await challenge.issue(
        ctx, provider, action="register", user_id=user_id, email=email
    )
    body = ceremony.registration_options(
        provider,
        challenge=issued,
        rp_id=rp_id,
        rp_name=rp_name,
        user_name=name,
        display_name=name,
        existing=existing,
    )
    return options_response("register", body, cookie)


def options_response(action: str, body: dict[str, Any], cookie: Any) -> AuthResponse:
    """``{"action", "options"}`` with the challenge cookie, never cached."""
    response = AuthResponse.json({"action": action, "options": body}, no_store=True)
    response.cookies.append(cookie)
    return response


def log_refusal(reason: str, detail: str = "") -> None:
    """Log a refused response as ``WEBAUTHN_<REASON>`` (a counter regression as a warning)."""
    tag = reason.upper().replace("-", "_")
    if reason == "counter":
        logger.warning("WEBAUTHN_COUNTER: signature counter regression (%s): cloned key?", detail)
    else:
        logger.warning("WEBAUTHN_%s: %s", tag, detail or reason)


def refuse(ctx: RequestContext, reason: str, detail: str = "") -> AuthResponse:
    """The answer to a refused response: logged with its reason, one public code."""
    log_refusal(reason, detail)
    return to_error(ctx.url, ERROR_CODE, status=401, error_type=ERROR_CODE)


def _storage_failed(ctx: RequestContext, exc: BaseException) -> AuthResponse:
    # 503 in JSON mode, as webauthn-options and the passkeys page answer an outage.
    logger.error("CALLBACK_WEBAUTHN_ERROR: the adapter failed (%s)", failure_name(exc))
    return to_error(ctx.url, ErrorCode.Callback, status=503)


async def callback(ctx: RequestContext, provider: Passkey) -> AuthResponse:
    """``POST /callback/:id``: verify the response, then sign in or store the new passkey."""
    response = await _callback(ctx, provider)
    response.cookies.append(challenge.clear(ctx))
    return response


async def _callback(ctx: RequestContext, provider: Passkey) -> AuthResponse:
    action = ctx.body.get("action")
    if action not in ("authenticate", "register"):
        return refuse(ctx, "malformed", "action must be authenticate or register")
    try:
        found = await challenge.consume(ctx, provider, action)
    except Exception as exc:  # noqa: BLE001
        return _storage_failed(ctx, exc)
    if found is None:
        return refuse(ctx, "challenge", "missing, expired, used or for another ceremony")
    rp_id, _, origins = relying_party(ctx, provider)
    expected = verify.Expected(
        challenge=found.challenge,
        rp_id=rp_id,
        origins=origins,
        user_verification=provider.user_verification == "required",
    )
    try:
        if action == "authenticate":
            return await _authenticate(ctx, provider, expected)
        return await _register(ctx, provider, expected, found)
    except verify.Refused as refused:
        return refuse(ctx, refused.reason, refused.detail)
    except StorageUnavailable as exc:  # who registers cannot be read: an outage
        return _storage_failed(ctx, exc)


async def _stored_meanwhile(ctx: RequestContext, credential_id: str) -> bool:
    try:
        return await _store(ctx).get_authenticator(credential_id) is not None
    except Exception:  # noqa: BLE001 - the storage is failing: not "taken"
        return False


def _account(provider: Passkey, credential_id: str) -> AdapterAccount:
    return {"type": "webauthn", "provider": provider.id, "providerAccountId": credential_id}  # type: ignore[typeddict-item]


async def _authenticate(
    ctx: RequestContext, provider: Passkey, expected: verify.Expected
) -> AuthResponse:
    parsed, credential_id = verify.credential_id_of(ctx.body.get("data"))
    checked = verify.assertion(parsed, expected)  # before any lookup: garbage costs no query
    adapter = cast("Adapter", ctx.options.adapter)
    try:
        stored = await _store(ctx).get_authenticator(credential_id)
    except Exception as exc:  # noqa: BLE001
        return _storage_failed(ctx, exc)
    if stored is None:
        raise verify.Refused("unknown-credential", "no stored credential with this id")
    asserted = verify.authentication(
        checked, expected, public_key=stored["credentialPublicKey"], counter=stored["counter"]
    )
    try:
        user = await adapter.get_user_by_account(provider.id, stored["providerAccountId"])
        if user is None or str(user["id"]) != str(stored["userId"]):
            raise verify.Refused("unknown-credential", "the credential's account is gone")
        await _store(ctx).update_authenticator_counter(credential_id, asserted.counter)
    except verify.Refused:
        raise
    except Exception as exc:  # noqa: BLE001
        return _storage_failed(ctx, exc)
    account = dict(_account(provider, stored["providerAccountId"]))
    first = FirstFactor(user=dict(user), account=account, denied_status=403)
    return await complete_sign_in(ctx, first)


async def _register(
    ctx: RequestContext,
    provider: Passkey,
    expected: verify.Expected,
    found: challenge.Ceremony,
) -> AuthResponse:
    if found.user_id is not None:
        if await link.current_user_id(ctx) != found.user_id:
            raise verify.Refused("session", "the session ended or changed during registration")
    elif found.email is None or not provider.allow_sign_up:
        raise verify.Refused("session", "a registration without a user")
    registered = verify.registration(
        ctx.body.get("data"),
        expected,
        algorithms=provider.algorithms,
        formats=provider.attestation_formats,
    )
    adapter = cast("Adapter", ctx.options.adapter)
    key = registered.credential_id
    try:
        taken = await _store(ctx).get_authenticator(key) is not None or (
            await adapter.get_user_by_account(provider.id, key) is not None
        )
    except Exception as exc:  # noqa: BLE001
        return _storage_failed(ctx, exc)
    if taken:
        # Credential ids are public: registering one must never sign in as its owner.
        raise verify.Refused("credential-taken", "this credential is stored already")
    account = _account(provider, key)

    async def store(tx: Adapter, user: AdapterUser) -> None:
        await cast("AuthenticatorAdapter", tx).create_authenticator(
            {
                "credentialID": key,
                "userId": str(user["id"]),
                "providerAccountId": key,
                "credentialPublicKey": registered.public_key,
                "counter": registered.counter,
                "credentialDeviceType": registered.device_type,
                "credentialBackedUp": registered.backed_up,
                "transports": registered.transports,
            }
        )

    if found.user_id is None:  # sign-up: a new user, then signed in
        first = FirstFactor(user={"email": found.email}, account=dict(account), store_with=store)
        return await complete_sign_in(ctx, first)
    return await _add_to_user(ctx, found.user_id, account, store)


async def _add_to_user(
    ctx: RequestContext,
    user_id: str,
    account: AdapterAccount,
    store: Any,
) -> AuthResponse:
    """A signed-in user's new passkey: account + authenticator; the session stays as it is."""
    adapter = cast("Adapter", ctx.options.adapter)
    try:
        async with adapter.transaction() as tx:
            user = await tx.get_user(user_id)
            if user is None:
                raise verify.Refused("session", "the user is gone")
            linked: AdapterAccount = {**account, "userId": str(user["id"])}
            await tx.link_account(linked)
            await store(tx, user)
    except verify.Refused:
        raise
    except Exception as exc:
        if await _stored_meanwhile(ctx, account["providerAccountId"]):
            # A parallel registration of the same credential committed first.
            raise verify.Refused("credential-taken", "stored by a parallel request") from exc
        return _storage_failed(ctx, exc)
    await fire(ctx.options, "link_account", user=user, account=dict(linked), profile=None)
    return AuthResponse.to(ctx.callback_url)
