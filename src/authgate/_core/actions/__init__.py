"""DISPATCH: the one table of every endpoint, ``(method, action) -> handler``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from authgate._core.actions import (
    callback,
    change_password,
    csrf,
    error,
    forgot_password,
    log,
    passkeys,
    providers,
    reset_password,
    session,
    sessions,
    signin,
    signout,
    signup,
    two_factor,
    two_factor_setup,
    verify_email,
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
    # Password accounts: 400 like an unknown action unless a Password provider is configured.
    ("GET", Action.SIGNUP): signup.get,
    ("POST", Action.SIGNUP): signup.post,
    ("GET", Action.VERIFY_EMAIL): verify_email.get,
    ("GET", Action.FORGOT_PASSWORD): forgot_password.get,
    ("POST", Action.FORGOT_PASSWORD): forgot_password.post,
    ("GET", Action.RESET_PASSWORD): reset_password.get,
    ("POST", Action.RESET_PASSWORD): reset_password.post,
    ("GET", Action.CHANGE_PASSWORD): change_password.get,
    ("POST", Action.CHANGE_PASSWORD): change_password.post,
    # Two-factor: 400 like an unknown action unless AuthConfig(two_factor=...) is set.
    ("GET", Action.TWO_FACTOR): two_factor.get,
    ("POST", Action.TWO_FACTOR): two_factor.post,
    ("GET", Action.TWO_FACTOR_SETUP): two_factor_setup.get,
    ("POST", Action.TWO_FACTOR_SETUP): two_factor_setup.post,
    ("GET", Action.WEBAUTHN_OPTIONS): webauthn_options.get,
    ("GET", Action.SESSIONS): sessions.get,
    ("POST", Action.SESSIONS): sessions.post,
    ("GET", Action.PASSKEYS): passkeys.get,
    ("POST", Action.PASSKEYS): passkeys.post,
    ("GET", Action.WEBAUTHN_SCRIPT): passkeys.script,
}

# next-auth v4 attaches the csrf/callback-url cookies to every response but these.
WITHOUT_INIT_COOKIES: Final = frozenset({Action.PROVIDERS, Action.LOG, Action.WEBAUTHN_SCRIPT})
