"""DISPATCH: the one table of every endpoint, ``(method, action) -> handler``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from authgate._core.actions import (
    callback,
    csrf,
    error,
    log,
    passkeys,
    providers,
    session,
    signin,
    signout,
    verify_request,
    webauthn_options,
)
from authgate._core.routing import Action

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate.http import AuthResponse

Handler = Callable[["RequestContext"], Awaitable["AuthResponse"]]

DISPATCH: Final[Mapping[tuple[str, Action], Handler]] = {
    ("GET", Action.PROVIDERS): providers.get,
    ("GET", Action.CSRF): csrf.get,
    ("GET", Action.SESSION): session.get,
    ("POST", Action.SESSION): session.post,
    ("GET", Action.SIGNIN): signin.get,
    ("POST", Action.SIGNIN): signin.post,
    ("GET", Action.CALLBACK): callback.get,
    ("POST", Action.CALLBACK): callback.post,
    ("GET", Action.SIGNOUT): signout.get,
    ("POST", Action.SIGNOUT): signout.post,
    ("GET", Action.ERROR): error.get,
    ("GET", Action.VERIFY_REQUEST): verify_request.get,
    ("POST", Action.LOG): log.post,
    ("GET", Action.WEBAUTHN_OPTIONS): webauthn_options.get,
    ("GET", Action.PASSKEYS): passkeys.get,
    ("POST", Action.PASSKEYS): passkeys.post,
    ("GET", Action.WEBAUTHN_SCRIPT): passkeys.script,
}

# next-auth v4 attaches the csrf/callback-url cookies to every response but these.
WITHOUT_INIT_COOKIES: Final = frozenset({Action.PROVIDERS, Action.LOG, Action.WEBAUTHN_SCRIPT})
