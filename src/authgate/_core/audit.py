"""Structured log records of what each auth request did: sign-in, sign-out, refusals, faults.

One record per request that changed or tried to change who is signed in, on the logger
``authgate.audit``, at ``INFO`` (``WARNING`` for throttling, ``ERROR`` for faults). The message
reads ``AUTH_SIGNIN action=callback provider=github status=302 client=203.0.113.0/24``; the same
fields are on the record as ``record.authgate`` (a dict) for JSON formatters.

What is never in a record: tokens, cookies, passwords, e-mail addresses, full client addresses
(IPv4 is cut to its /24, IPv6 to its /48), exception messages.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Any

from authgate._core.redirects import ErrorRedirect
from authgate._core.routing import Action
from authgate.ratelimit import THROTTLED_CODE

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.http import AuthResponse

logger = logging.getLogger("authgate.audit")

_FAULTS = frozenset({"Configuration", "SignOut"})
_SIGN_IN_ACTIONS = frozenset({Action.CALLBACK, Action.SIGNIN})


def client_prefix(address: str | None) -> str | None:
    """The network of ``address`` (IPv4 /24, IPv6 /48), never the address itself.

    ``address`` may already be a network (the limiter keys IPv6 clients by their /64).
    """
    if not address:
        return None
    try:
        network = ipaddress.ip_network(address, strict=False)
    except ValueError:
        return "invalid"
    mapped = getattr(network.network_address, "ipv4_mapped", None)
    if mapped is not None:  # ::ffff:192.0.2.1 is an IPv4 client
        network = ipaddress.ip_network(mapped)
    bits = 24 if network.version == 4 else 48
    return str(network.supernet(new_prefix=bits) if network.prefixlen > bits else network)


def client_of(ctx: RequestContext) -> str | None:
    """The network of the request's client, as the audit log records it."""
    limiter = ctx.options.limiter
    address = limiter.client_ip(ctx.request) if limiter is not None else ctx.request.client_host
    return client_prefix(address)


def _signed_in(ctx: RequestContext, response: AuthResponse) -> bool:
    name = ctx.cookies.session_token.name
    return any(
        c.value and (c.name == name or c.name.startswith(name + ".")) for c in response.cookies
    )


def classify(ctx: RequestContext, response: AuthResponse) -> tuple[str, int] | None:
    """The record's event name and level for this answer, or ``None`` when there is none."""
    if isinstance(response, ErrorRedirect):
        if response.code == THROTTLED_CODE:
            return "AUTH_THROTTLED", logging.WARNING
        if response.code in _FAULTS or response.status >= 500:
            return "AUTH_FAULT", logging.ERROR
        return "AUTH_REFUSED", logging.INFO
    if ctx.request.method != "POST" and ctx.action is not Action.CALLBACK:
        return None
    if ctx.action is Action.SIGNOUT:
        return "AUTH_SIGNOUT", logging.INFO
    if ctx.action in _SIGN_IN_ACTIONS and _signed_in(ctx, response):
        return "AUTH_SIGNIN", logging.INFO
    return None


def record(ctx: RequestContext, response: AuthResponse) -> None:
    """Log what this request did, if it signed in, out, or was refused."""
    kind = classify(ctx, response)
    if kind is None:
        return
    event, level = kind
    if not logger.isEnabledFor(level):
        return
    fields: dict[str, Any] = {"event": event, "action": ctx.action.value}
    if ctx.provider_id is not None:
        fields["provider"] = ctx.provider_id
    if isinstance(response, ErrorRedirect):
        fields["code"] = response.code
    fields["status"] = response.status
    client = client_of(ctx)
    if client is not None:
        fields["client"] = client
    text = " ".join(f"{key}={value}" for key, value in fields.items() if key != "event")
    logger.log(level, "%s %s", event, text, extra={"authgate": fields})
