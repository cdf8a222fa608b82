"""Sign a user in for a test without going through the sign-in pages.

::

    from authgate.testing import session_cookies

    async def test_profile_page(client):  # an httpx.AsyncClient on your app
        client.cookies.update(await session_cookies(gate, {"id": "1", "name": "Ada"}))
        assert (await client.get("/profile")).status_code == 200

The cookies are exactly those a real sign-in sets: with JWT sessions the ``jwt`` callback runs
(``trigger="signIn"``) and the token is encrypted with the gate's secret and chunked as usual;
with database sessions the user is looked up (or created) and a session row is stored through
the gate's adapter. Only for tests: nothing checks a password or asks a provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from authgate._core import db_session, jwt_session
from authgate._core.cookies import expires_in, write_session

if TYPE_CHECKING:
    from authgate.adapters import Adapter, AdapterUser
    from authgate.gate import AuthGate
    from authgate.http import Cookie

__all__ = ["session_cookies"]


async def session_cookies(
    gate: AuthGate,
    user: Mapping[str, Any],
    *,
    secure: bool | None = None,
    account: Mapping[str, Any] | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """The cookies (name -> value) of a session of ``user``, as a sign-in would set them.

    Args:
        gate: Your app's gate (its secret, strategy, callbacks and adapter are used).
        user: ``{"id", "name", "email", "image"}`` as ``authorize`` returns it. With database
            sessions a user whose ``id`` the adapter does not know is created from it (the
            new id replaces the given one).
        secure: ``__Secure-`` cookie names, as on https; default: as the gate's ``url`` says
            (plain names when it has none).
        account: The ``account`` the ``jwt`` callback receives (default a ``credentials``
            account named ``testing``).
        now: The sign-in time (Unix seconds); default the current time.

    Returns:
        Cookie names to values: pass them to your test client (``client.cookies.update``).
    """
    if not isinstance(user, Mapping):
        raise TypeError("session_cookies(user) must be a mapping such as {'id': '1'}")
    options = gate._options  # the testing helpers are part of the package
    moment = datetime.now(UTC).timestamp() if now is None else now
    if secure is None:
        secure = bool(options.use_secure_cookies) or (
            options.use_secure_cookies is None
            and options.fixed_url is not None
            and options.fixed_url.secure
        )
    spec = options.cookies(secure).session_token
    cookies: list[Cookie]
    if options.session_strategy == "database":
        assert options.adapter is not None
        stored = await _stored_user(options.adapter, user)
        expires = expires_in(options.session_max_age, moment)
        session = await options.adapter.create_session(
            {"sessionToken": db_session.new_token(), "userId": stored["id"], "expires": expires}
        )
        cookies = [spec.make(session["sessionToken"], expires=session["expires"])]
    else:
        token: Any = jwt_session.default_token(user)
        if options.jwt_callback is not None:
            account = account or {
                "provider": "testing",
                "type": "credentials",
                "providerAccountId": str(user.get("id", "")),
            }
            token = await options.jwt_callback(
                token=token,
                user=user,
                account=account,
                profile=None,
                is_new_user=False,
                trigger="signIn",
                session=None,
            )
            if not token:
                raise ValueError("the jwt callback refused this user (it returned no token)")
        encoded = options.session_codec(spec.name).encode(
            token, max_age=options.jwt_max_age, now=moment
        )
        cookies = write_session(
            spec,
            encoded,
            expires=expires_in(options.session_max_age, moment),
            present={},
            chunk_size=options.profile.chunk_size,
        )
    return {cookie.name: cookie.value for cookie in cookies}


async def _stored_user(adapter: Adapter, user: Mapping[str, Any]) -> AdapterUser:
    user_id = user.get("id")
    if user_id is not None:
        found = await adapter.get_user(str(user_id))
        if found is not None:
            return found
    return await adapter.create_user(
        {
            "email": user.get("email"),
            "emailVerified": user.get("emailVerified"),
            "name": user.get("name"),
            "image": user.get("image"),
        }
    )
