"""RequestContext: everything an action needs, resolved once per request (v4 ``init()``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from authgate import i18n
from authgate._core import callback_url, csrf_token
from authgate._core.body import text_field

if TYPE_CHECKING:
    from authgate._core.cookies import CookieSet
    from authgate._core.csrf_token import CsrfState
    from authgate._core.options import InternalOptions
    from authgate._core.origin import Location
    from authgate._core.routing import Action
    from authgate.http import AuthRequest, Cookie


@dataclass(slots=True)
class RequestContext:
    request: AuthRequest
    options: InternalOptions
    action: Action
    provider_id: str | None
    location: Location
    cookies: CookieSet
    body: dict[str, Any]
    csrf: CsrfState
    callback_url: str
    now: float
    init_cookies: list[Cookie] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.location.url

    @property
    def origin(self) -> str:
        return self.location.origin

    @property
    def language(self) -> i18n.Language:
        """The language of the pages and e-mails of this response."""
        return i18n.for_request(self.options.locale, self.request.headers.get("accept-language"))

    @property
    def json_mode(self) -> bool:
        return self.options.profile.wants_json(self.request, self.body)


async def build(
    *,
    request: AuthRequest,
    options: InternalOptions,
    action: Action,
    provider_id: str | None,
    location: Location,
    body: dict[str, Any],
    now: float | None = None,
) -> RequestContext:
    cookies = options.cookies(
        location.secure if options.use_secure_cookies is None else options.use_secure_cookies
    )
    init_cookies: list[Cookie] = []

    csrf_name = cookies.csrf_token.name
    csrf_cookie = None if csrf_name in request.duplicate_cookies else request.cookies.get(csrf_name)
    csrf = csrf_token.resolve(
        csrf_cookie,
        body.get("csrfToken"),
        key=options.csrf_key,
        is_post=request.method == "POST",
    )
    if csrf.cookie_value is not None:
        init_cookies.append(cookies.csrf_token.make(csrf.cookie_value))

    cb_name = cookies.callback_url.name
    cb_cookie = request.cookies.get(cb_name)
    candidate = text_field(body, "callbackUrl") if body else None  # a GET has no body
    candidate = candidate or request.query.get("callbackUrl") or cb_cookie
    redirect = options.redirect_callback
    if redirect is None:  # the default redirect: a memoised pure function, no coroutine
        resolved = callback_url.resolve_default(candidate, location.origin)
    else:  # a custom redirect callback runs on every request
        resolved = await callback_url.resolve(
            candidate, base_url=location.origin, redirect=redirect
        )
    if resolved != cb_cookie:
        init_cookies.append(cookies.callback_url.make(resolved))

    return RequestContext(  # positional: keywords cost a tenth of building the context
        request,
        options,
        action,
        provider_id,
        location,
        cookies,
        body,
        csrf,
        resolved,
        time.time() if now is None else now,
        init_cookies,
    )
