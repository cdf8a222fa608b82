"""Who is signing in, with an adapter: next-auth v4's ``core/lib/callback-handler.ts``.

:func:`resolve` finds or creates the stored user for a provider's user and account, inside the
transaction it is given, and returns the events to fire once that transaction committed.

Linking rules (SECURITY.md, decision 9, stricter than v4):

- A known provider account signs in as its user.
- An address counts as *verified* only when a provider vouched for it (``email_verified``, see
  ``OAuth.is_email_verified``) or a magic link proved it; a stored user's address is verified
  when its ``emailVerified`` is set. An unverified address never finds, links to or signs in
  a user: it is stored on a new user with ``emailVerified`` null, and that is all.
- An unknown account is linked to an existing user with the same e-mail address **only** when
  the provider opts in (``allow_dangerous_email_account_linking``) **and** both addresses are
  verified; otherwise ``OAuthAccountNotLinked``.
- A magic link signs in the user whose address is verified. A user that merely *claims* the
  address (``emailVerified`` null: an OAuth provider that did not vouch for it, a credentials
  user) loses it to whoever proves it: the address is taken off that user (``update_user``)
  and a new user is created for the link (account pre-hijacking, issue 9).
- A session in the browser never causes a link (v4 links to the signed-in user); linking to
  a signed-in user happens only through an explicit ``link_to`` (a CSRF-protected "link
  account" action).
- Otherwise a new user is created and the account linked to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate.adapters import Adapter, AdapterAccount, AdapterUser, NewUser

__all__ = [
    "AccountNotLinkedError",
    "CreateUserError",
    "Resolved",
    "account_key",
    "address_verified",
    "resolve",
]

MAX_ACCOUNT_KEY = 255  # the providerAccountId column is VARCHAR(255)

_ACCOUNT_KEYS = (
    "refresh_token",
    "access_token",
    "expires_at",
    "token_type",
    "scope",
    "id_token",
    "session_state",
)


class AccountNotLinkedError(Exception):
    """The account belongs to another user, or would be linked by e-mail without consent."""


class CreateUserError(Exception):
    """``adapter.create_user`` failed (``OAuthCreateAccount`` / ``EmailCreateAccount``)."""


@dataclass(slots=True)
class Resolved:
    """The stored user, whether it was created now, and the events to fire after commit."""

    user: AdapterUser
    is_new_user: bool
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def account_key(value: object) -> str | None:
    """The provider account id ``value`` names, or ``None`` when it cannot name exactly one.

    Only a non-blank string (as it is) or an integer (its decimal digits) names an account.
    ``None``, ``""``, blanks, booleans, floats, containers and strings that do not encode
    (lone surrogates) or do not fit the column would all collapse many users onto one key
    (``"None"``, ``"True"``, ``"1.0"``...), so they name none.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ACCOUNT_KEY:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _key(account: Mapping[str, Any]) -> str:
    key = account_key(account.get("providerAccountId"))
    if key is None:  # the pipeline refuses these first; never store or look one up
        raise ValueError("the account has no usable providerAccountId")
    return key


def address_verified(user: Mapping[str, Any]) -> bool:
    """Whether a stored user's address was ever proven (its ``emailVerified`` is set)."""
    return user.get("emailVerified") is not None


def _new_user(user: Mapping[str, Any], verified_at: datetime | None) -> NewUser:
    new: dict[str, Any] = {"email": user.get("email"), "emailVerified": verified_at}
    for key in ("name", "image"):
        if key in user:
            new[key] = user[key]
    return cast("NewUser", new)


def _account(account: Mapping[str, Any], user_id: str) -> AdapterAccount:
    stored: dict[str, Any] = {
        "userId": user_id,
        "type": account["type"],
        "provider": account["provider"],
        "providerAccountId": _key(account),
    }
    for key in _ACCOUNT_KEYS:
        if key in account:
            stored[key] = account[key]
    if isinstance(stored.get("scope"), list):
        stored["scope"] = " ".join(stored["scope"])
    return cast("AdapterAccount", stored)


async def _create(tx: Adapter, new: NewUser) -> AdapterUser:
    try:
        return await tx.create_user(new)
    except Exception as exc:
        raise CreateUserError(type(exc).__name__) from exc


async def resolve(
    tx: Adapter,
    *,
    user: Mapping[str, Any],
    account: Mapping[str, Any],
    profile: Mapping[str, Any] | None = None,
    email_verified: bool = False,
    allow_email_linking: bool = False,
    link_to: str | None = None,
    now: float,
) -> Resolved:
    """Find or create the stored user for ``user`` / ``account`` (see the module rules)."""
    kind = account["type"]
    if kind == "email":
        return await _email(tx, user, now)
    provider, provider_account_id = account["provider"], _key(account)
    events: list[tuple[str, dict[str, Any]]] = []

    known = await tx.get_user_by_account(provider, provider_account_id)
    if known is not None:
        if link_to is not None and known["id"] != link_to:
            raise AccountNotLinkedError("the account belongs to another user")
        return Resolved(known, False)

    if link_to is not None:
        target = await tx.get_user(link_to)
        if target is None:
            raise AccountNotLinkedError("the user to link to does not exist")
        stored = _account(account, target["id"])
        await tx.link_account(stored)
        events.append(("link_account", {"user": target, "account": stored, "profile": profile}))
        return Resolved(target, False, events)

    email = user.get("email")
    if email:
        same_email = await tx.get_user_by_email(email)
        if same_email is not None:
            # SECURITY.md, decision 9: the provider's opt-in and both addresses verified.
            linkable = allow_email_linking and email_verified and address_verified(same_email)
            if kind == "credentials" or not linkable:
                raise AccountNotLinkedError("a user with this e-mail address exists")
            stored = _account(account, same_email["id"])
            await tx.link_account(stored)
            events.append(
                ("link_account", {"user": same_email, "account": stored, "profile": profile})
            )
            return Resolved(same_email, False, events)

    verified_at = datetime.fromtimestamp(now, UTC) if email_verified else None
    created = await _create(tx, _new_user(user, verified_at if email else None))
    events.append(("create_user", {"user": created}))
    stored = _account(account, created["id"])
    await tx.link_account(stored)
    events.append(("link_account", {"user": created, "account": stored, "profile": profile}))
    return Resolved(created, True, events)


async def _email(tx: Adapter, user: Mapping[str, Any], now: float) -> Resolved:
    # v4 callbackHandler, email branch: the link proved the address.
    email = user["email"]
    verified = datetime.fromtimestamp(now, UTC)
    existing = await tx.get_user_by_email(email)
    if existing is not None and address_verified(existing):
        updated = await tx.update_user({"id": existing["id"], "emailVerified": verified})
        return Resolved(updated, False, [("update_user", {"user": updated})])
    events: list[tuple[str, dict[str, Any]]] = []
    if existing is not None:  # it only claimed the address; the link proves it (module rules)
        released = await tx.update_user({"id": existing["id"], "email": None})
        events.append(("update_user", {"user": released}))
    created = await _create(tx, {"email": email, "emailVerified": verified})
    events.append(("create_user", {"user": created}))
    return Resolved(created, True, events)
