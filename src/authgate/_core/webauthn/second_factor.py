"""A security key as the second factor (``TwoFactor(security_keys=True)``), amr ``hwk``.

Options: ``GET /webauthn-options/:id?action=two-factor`` for the user of the pending sign-in
(the two-factor cookie) or, without one, of the session (a step-up). The request options list
that user's credentials only, ask for user verification as ``preferred`` and come with a
challenge cookie bound to the action, the user and the pending sign-in's id (SECURITY.md,
decision 18). The answer is the ``data`` field of ``POST /two-factor``, checked by
:func:`check` from :func:`authgate._core.two_factor.step.check_answer`, so it is throttled,
used once and finished like a code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core.two_factor import pending, security_keys, signed_in
from authgate._core.webauthn import ceremony, challenge, flow, verify

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.adapters import Adapter
    from authgate.http import AuthResponse
    from authgate.providers.passkey import Passkey

__all__ = ["METHOD", "check", "options"]

METHOD = "hwk"
"""RFC 8176: proof of possession of a hardware-secured key."""

ACTION = "two-factor"


async def _whose(ctx: RequestContext) -> tuple[str, str | None] | None:
    """``(user, pending sign-in id)`` of the request: the pending sign-in, else the session."""
    waiting = pending.read(ctx)
    if waiting is not None:
        return waiting.subject, waiting.jti
    current = await signed_in.current(ctx)
    return None if current is None else (current.subject, None)


async def options(ctx: RequestContext, provider: Passkey) -> AuthResponse:
    """The request options of a second factor, or a JSON ``400`` / ``503``."""
    config = ctx.options.two_factor
    if config is None or not config.security_keys:
        return flow.invalid("Invalid action")
    try:
        whose = await _whose(ctx)
        if whose is None:
            return flow.invalid("No sign-in to confirm")
        subject, bound = whose
        credentials = await security_keys.store(ctx.options).list_authenticators_by_user_id(subject)
        if not credentials:
            return flow.invalid("No security key")
        issued, cookie = await challenge.issue(
            ctx, provider, action=ACTION, user_id=subject, bound=bound
        )
    except Exception as exc:  # noqa: BLE001 - storage failed: logged, a 503, no challenge
        return flow.options_unavailable(exc)
    rp_id, _, _ = flow.relying_party(ctx, provider)
    body = ceremony.second_factor_options(
        provider, challenge=issued, rp_id=rp_id, credentials=credentials
    )
    return flow.options_response(ACTION, body, cookie)


async def check(
    ctx: RequestContext, subject: str, bound: str | None, data: str, tx: Adapter | None = None
) -> str | None:
    """``hwk`` when ``data`` is a valid assertion of one of ``subject``'s credentials.

    ``None`` when it is refused (logged as ``WEBAUTHN_<REASON>``, a counter regression
    included). The challenge is used up first, whatever follows; ``tx``: the transaction to
    use it up and store the counter in (default: the configured adapter).

    Raises:
        Exception: The adapter failed (the caller answers it).
    """
    provider = security_keys.provider(ctx.options)
    if provider is None:
        return None
    try:
        return await _check(ctx, provider, subject, bound, data, tx)
    except verify.Refused as refused:
        flow.log_refusal(refused.reason, refused.detail)
        return None


async def _check(
    ctx: RequestContext,
    provider: Passkey,
    subject: str,
    bound: str | None,
    data: str,
    tx: Adapter | None,
) -> str:
    found = await challenge.consume(ctx, provider, ACTION, tx)
    if found is None:
        raise verify.Refused("challenge", "missing, expired, used or for another ceremony")
    if found.user_id != subject or found.bound != bound:
        raise verify.Refused("challenge", "issued for another sign-in")
    rp_id, _, origins = flow.relying_party(ctx, provider)
    expected = verify.Expected(
        challenge=found.challenge, rp_id=rp_id, origins=origins, user_verification=False
    )
    parsed, credential_id = verify.credential_id_of(data)
    checked = verify.assertion(parsed, expected)
    store = security_keys.store(ctx.options, tx)
    stored = await store.get_authenticator(credential_id)
    if stored is None or str(stored["userId"]) != subject:
        raise verify.Refused("unknown-credential", "not a credential of this user")
    asserted = verify.authentication(
        checked, expected, public_key=stored["credentialPublicKey"], counter=stored["counter"]
    )
    await store.update_authenticator_counter(credential_id, asserted.counter)
    return METHOD
