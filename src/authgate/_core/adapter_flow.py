"""The adapter's part of a sign-in: who the user is, the policy steps, the database session.

:func:`run` opens one transaction that uses up the first factor's proof (an e-mail link's
token, ``FirstFactor.claim``), finds or creates the stored user and links the account (the
rules are :mod:`authgate._core.accounts`), runs the policy steps with that transaction, and
stores the database session. It commits together or not at all: a failure leaves no user,
account or session, and the link usable. A step that answers (two-factor: "not yet") commits
what the sign-in stored so far, without a session. ``create_user``, ``update_user`` and
``link_account`` fire once the transaction committed.

Two sign-ins of a new user at once (a double click) race to create the same user or account;
the loser's transaction fails on a unique constraint (SQLite: on the write lock) and is rolled
back. The transaction then runs again (up to ``ATTEMPTS`` times), finds what the winner stored
and continues with it: the same outcome as if the requests had come one after the other.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from authgate._core import db_session
from authgate._core.accounts import AccountNotLinkedError, CreateUserError, Resolved
from authgate._core.accounts import resolve as resolve_accounts
from authgate._core.events import fire
from authgate._core.outage import UNAVAILABLE
from authgate._core.redirects import to_error
from authgate.errors import ErrorCode

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.sign_in_flow import FirstFactor
    from authgate.adapters import Adapter, AdapterUser
    from authgate.http import AuthResponse, Cookie

__all__ = ["ATTEMPTS", "Stored", "known_user", "open_session", "run"]

logger = logging.getLogger("authgate")

_CREATE_ERRORS = {"oauth": ErrorCode.OAuthCreateAccount, "email": ErrorCode.EmailCreateAccount}
ATTEMPTS = 3  # a retry sees what a parallel sign-in committed (SQLite may need two)

Steps = Callable[[Resolved, "Adapter"], Awaitable["AuthResponse | None"]]
"""The policy steps, run inside the transaction with the resolved user."""


class _StoringError(Exception):
    """Finding, creating or linking failed: maybe a parallel sign-in won a race."""


class _ClaimedError(Exception):
    """The first factor's proof was used up meanwhile (a parallel click on one link)."""


@dataclass(slots=True)
class Stored:
    """What the transaction committed: the user, the answer of a step, the session cookies."""

    resolved: Resolved
    answer: AuthResponse | None
    cookies: list[Cookie] | None


def _adapter(ctx: RequestContext) -> Adapter:
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - sign_in_flow only comes here with one
    return adapter


async def known_user(ctx: RequestContext, first: FirstFactor) -> AdapterUser | AuthResponse | None:
    """The stored user of ``first.account``, if the account is linked already."""
    account = first.account
    try:
        return await _adapter(ctx).get_user_by_account(
            account["provider"], account["providerAccountId"]
        )
    except Exception as exc:  # noqa: BLE001 - storage failed: logged, answered Callback
        logger.error("CALLBACK_ERROR: adapter failed (%s)", type(exc).__name__)
        return to_error(ctx.url, ErrorCode.Callback, status=first.denied_status)


async def run(ctx: RequestContext, first: FirstFactor, steps: Steps) -> Stored | AuthResponse:
    """Resolve the user, run ``steps``, store the session: one transaction (see the module)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            stored = await _transaction(ctx, first, steps)
        except AccountNotLinkedError:
            # Under READ COMMITTED a parallel first sign-in may commit its user and account
            # between our two reads (account: none yet; e-mail: taken): read once more.
            if attempt < ATTEMPTS:
                continue
            return to_error(ctx.url, ErrorCode.OAuthAccountNotLinked, status=first.denied_status)
        except _ClaimedError:
            return to_error(ctx.url, ErrorCode.Verification, status=first.denied_status)
        except _StoringError as exc:
            cause = exc.__cause__
            if attempt < ATTEMPTS:  # most likely a parallel sign-in stored it first
                logger.info(
                    "SIGNIN_RETRY: storing the %s sign-in failed (%s); reading again",
                    first.kind,
                    type(cause.__cause__ or cause).__name__ if cause else "?",
                )
                continue
            if isinstance(cause, CreateUserError):
                logger.error("CREATE_USER_ERROR: the adapter failed (%s)", cause)
                return to_error(
                    ctx.url,
                    _CREATE_ERRORS.get(first.kind, ErrorCode.Callback),
                    status=first.denied_status,
                )
            return _failed(ctx, first, cause or exc)
        except Exception as exc:  # noqa: BLE001 - a step or the session write: logged
            return _failed(ctx, first, exc)
        for name, params in stored.resolved.events:
            await fire(ctx.options, name, **params)
        return stored
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


def _failed(
    ctx: RequestContext, first: FirstFactor, exc: BaseException, *, status: int | None = None
) -> AuthResponse:
    logger.error(
        "CALLBACK_%s_ERROR: the adapter failed (%s)",
        first.kind.upper(),
        type(exc).__name__,
        exc_info=exc,
    )
    return to_error(ctx.url, ErrorCode.Callback, status=status or first.denied_status)


async def _transaction(ctx: RequestContext, first: FirstFactor, steps: Steps) -> Stored:
    provider = ctx.options.providers.get(str(first.account.get("provider")))
    async with _adapter(ctx).transaction() as tx:
        try:
            if first.claim is not None and not await first.claim(tx):
                raise _ClaimedError
            resolved = await resolve_accounts(
                tx,
                user=first.user,
                account=first.account,
                profile=first.profile,
                email_verified=_vouched(provider, first),
                allow_email_linking=bool(
                    getattr(provider, "allow_dangerous_email_account_linking", False)
                ),
                link_to=first.link_to,
                now=ctx.now,
            )
            if first.store_with is not None:
                await first.store_with(tx, resolved.user)
        except (AccountNotLinkedError, _ClaimedError):
            raise
        except Exception as exc:
            raise _StoringError from exc
        answer = await steps(resolved, tx)
        cookies = None
        if answer is None and ctx.options.session_strategy == "database" and not first.link_to:
            _, cookies = await db_session.create(ctx, tx, resolved.user["id"])
        return Stored(resolved, answer, cookies)


def _vouched(provider: object, first: FirstFactor) -> bool:
    """Whether the address of ``first.user`` is verified by whoever vouched for the user.

    OAuth: the provider's ``is_email_verified(raw_profile)``, or ``email_verified`` in what
    ``profile()`` returned. Credentials: the app's ``authorize`` says so (``email_verified``
    true, or an ``emailVerified`` date). The e-mail link proves it itself (accounts._email).
    """
    mapped = first.user.get("email_verified")
    if mapped is True or (isinstance(mapped, str) and mapped.lower() == "true"):
        return True
    if first.kind == "credentials":
        return first.user.get("emailVerified") not in (None, False, "")
    check = getattr(provider, "is_email_verified", None)
    return bool(
        first.kind == "oauth" and check and first.profile is not None and check(first.profile)
    )


async def open_session(
    ctx: RequestContext, user_id: str, first: FirstFactor
) -> list[Cookie] | AuthResponse:
    """Store a database session for ``user_id`` later (a step deferred it); its cookies."""
    try:
        async with _adapter(ctx).transaction() as tx:
            _, cookies = await db_session.create(ctx, tx, user_id)
    except Exception as exc:  # noqa: BLE001 - logged, answered Callback
        # The first factor was accepted minutes ago: this is an outage, as on /two-factor.
        return _failed(ctx, first, exc, status=UNAVAILABLE)
    return cookies
