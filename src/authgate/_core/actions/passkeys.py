"""GET|POST /passkeys: the signed-in user's passkeys (list, name, remove); GET /webauthn.js.

authgate's own pages (Auth.js has none): the list comes from the adapter's ``Authenticator``
rows of the session's user; a change is a CSRF-protected POST that may only touch that user's
own credentials. Adding a passkey is the registration ceremony (``/webauthn-options``, then
``/callback``), started by the page's script.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import TYPE_CHECKING, Any, cast

from authgate._core import link, pages
from authgate._core.outage import StorageUnavailable, failure_name
from authgate._core.redirects import append_query, csrf_refused
from authgate.http import AuthResponse
from authgate.i18n import N_

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.adapters import Adapter, AdapterAuthenticator, AuthenticatorAdapter
    from authgate.providers.passkey import Passkey

logger = logging.getLogger("authgate")

MAX_NAME = 64
_NOT_FOUND = N_("That passkey was not found.")


def _provider(ctx: RequestContext) -> Passkey | None:
    for provider in ctx.options.providers.values():
        if provider.type == "webauthn":
            return provider
    return None


def _not_ours(ctx: RequestContext) -> AuthResponse:
    return AuthResponse.text(
        f"Error: This action with HTTP {ctx.request.method} is not supported by NextAuth.js",
        status=400,
    )


async def script(ctx: RequestContext) -> AuthResponse:
    if _provider(ctx) is None or ctx.provider_id is not None:
        return _not_ours(ctx)
    return pages.render_script()


def _sign_in_first(ctx: RequestContext) -> AuthResponse:
    here = f"{ctx.url}/passkeys"
    custom = ctx.options.pages.sign_in
    target = custom if custom else f"{ctx.url}/signin"
    return AuthResponse.to(append_query(target, {"callbackUrl": here}))


def _view(stored: AdapterAuthenticator) -> pages.PasskeyView:
    return pages.PasskeyView(
        credential_id=stored["credentialID"],
        name=stored.get("name") or "",
        synced=stored.get("credentialDeviceType") == "multiDevice",
        transports=(stored.get("transports") or "").replace(",", ", "),
    )


async def _render(
    ctx: RequestContext, provider: Passkey, user_id: str, notice: str | None, status: int
) -> AuthResponse:
    store = cast("AuthenticatorAdapter", ctx.options.adapter)
    try:
        mine = await store.list_authenticators_by_user_id(user_id)
    except Exception as exc:  # noqa: BLE001 - storage failed: logged, a plain 503
        return _unavailable(exc)
    return pages.render_passkeys(
        theme=ctx.options.theme,
        url=ctx.url,
        provider_id=provider.id,
        csrf_token=ctx.csrf.token,
        passkeys=[_view(a) for a in mine],
        notice=notice,
        status=status,
        lang=ctx.language,
    )


def _unavailable(exc: BaseException) -> AuthResponse:
    logger.error("PASSKEYS_ERROR: the adapter failed (%s)", failure_name(exc))
    return AuthResponse.text("Service unavailable", status=503)


async def get(ctx: RequestContext) -> AuthResponse:
    provider = _provider(ctx)
    if provider is None or ctx.provider_id is not None:
        return _not_ours(ctx)
    try:
        user_id = await link.current_user_id(ctx)
    except StorageUnavailable as exc:
        return _unavailable(exc)
    if user_id is None:
        return _sign_in_first(ctx)
    return await _render(ctx, provider, user_id, None, 200)


def _name(value: Any) -> tuple[bool, str | None]:
    """``(valid, label)``: the new label, ``None`` to clear it."""
    if not isinstance(value, str):
        return False, None
    text = unicodedata.normalize("NFC", value).strip()
    if len(text) > MAX_NAME or any(unicodedata.category(c)[0] == "C" for c in text):
        return False, None
    return True, text or None


async def post(ctx: RequestContext) -> AuthResponse:
    provider = _provider(ctx)
    if provider is None or ctx.provider_id is not None:
        return _not_ours(ctx)
    if not ctx.csrf.verified:
        return csrf_refused(ctx.url, page="passkeys")
    try:
        user_id = await link.current_user_id(ctx)
    except StorageUnavailable as exc:
        return _unavailable(exc)
    if user_id is None:
        return _sign_in_first(ctx)
    op, credential_id = ctx.body.get("op"), ctx.body.get("credentialID")
    valid, name = _name(ctx.body.get("name", ""))
    if op not in ("rename", "remove") or not isinstance(credential_id, str):
        return await _render(ctx, provider, user_id, N_("That request was not understood."), 400)
    if op == "rename" and not valid:
        return await _render(
            ctx,
            provider,
            user_id,
            N_("A name has at most 64 characters, none of them control characters."),
            400,
        )
    adapter = cast("Adapter", ctx.options.adapter)
    store = cast("AuthenticatorAdapter", adapter)
    try:
        stored = await store.get_authenticator(credential_id[:1024])
        if stored is None or str(stored["userId"]) != user_id:  # never another user's
            return await _render(ctx, provider, user_id, _NOT_FOUND, 404)
        if op == "rename":
            await store.rename_authenticator(credential_id, name)
        else:
            async with adapter.transaction() as tx:
                await cast("AuthenticatorAdapter", tx).delete_authenticator(credential_id)
                await tx.unlink_account(provider.id, stored["providerAccountId"])
    except Exception as exc:  # noqa: BLE001 - storage failed: logged, nothing half-done
        logger.error("PASSKEYS_ERROR: the adapter failed (%s)", type(exc).__name__)
        return AuthResponse.text("Service unavailable", status=503)
    return AuthResponse.to(f"{ctx.url}/passkeys")
