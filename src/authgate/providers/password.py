"""The Password provider: accounts with an e-mail address and a password, stored by authgate.

::

    Password(server="smtp://localhost:587")  # sign-up, verify e-mail, reset, change password
    Password(send_mail=console_mail)  # development: the links go to stdout

Needs an adapter with the :class:`~authgate.adapters.PasswordStore` capability (both shipped
adapters have it) and ``pip install 'authgate[passwords]'`` (argon2-cffi). The routes, under
the base path: ``/signup``, ``/verify-email``, ``/forgot-password``, ``/reset-password``,
``/change-password`` (pages, or JSON with ``json=true``), and the usual ``/callback/<id>`` to
sign in. Passwords follow NIST SP 800-63B-4 §3.1.1.2: a minimum length (15 by default, as for
a single factor), at least 64 characters allowed, any Unicode character (NFKC-normalised), no
composition rules, no expiry, and a check against a shipped list of common passwords.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from authgate.errors import ConfigurationError
from authgate.i18n import DEFAULT_LOCALE, N_, language
from authgate.providers.email import DEFAULT_FROM, SMTPServer, compose, deliver

if TYPE_CHECKING:
    from datetime import datetime

    from authgate.config import Theme

__all__ = ["MailKind", "Password", "PasswordMail", "SendPasswordMail", "console_mail"]

MailKind = Literal["verify-email", "reset-password", "account-exists", "no-account"]

MAX_RESET_AGE = 60 * 60  # the issue and OWASP: reset links live at most an hour
MIN_LENGTH_FLOOR = 8  # NIST SP 800-63B-4: never below 8


def default_hash_concurrency() -> int:
    """``2 * os.cpu_count()`` (4 when unknown): argon2id runs at once per process by default."""
    cpus = os.cpu_count()
    return 2 * cpus if cpus else 4


MAX_LENGTH_FLOOR = 64  # ... and at least 64 must be allowed
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordMail:
    """A mail about a password account.

    Attributes:
        kind: ``verify-email`` (confirm the address), ``reset-password`` (the reset link),
            ``account-exists`` (someone tried to sign up with an address that has an account:
            the owner is told instead of the visitor), ``no-account`` (a reset was asked for
            an address without an account).
        to: The (normalised) address.
        url: The link of the mail (the sign-in or forgot-password page for the last two).
        expires: When the link stops working (``None`` when it has no token).
        site: The host the mail speaks for.
        theme: The configured theme.
        locale: The language of the page the mail was asked from (a catalog code).
    """

    kind: MailKind
    to: str
    url: str = field(repr=False)
    expires: datetime | None
    site: str
    theme: Theme | None = None
    locale: str = DEFAULT_LOCALE


SendPasswordMail = Callable[[PasswordMail], Awaitable[None]]
"""``async def send(mail: PasswordMail) -> None``; raise if the mail was not sent."""

_TEXTS: Mapping[str, tuple[str, str, str]] = {
    # kind: (subject, what the mail says, the button)
    "verify-email": (
        N_("Confirm your e-mail address for %(site)s"),
        N_("Confirm this address to finish creating your account."),
        N_("Confirm address"),
    ),
    "reset-password": (
        N_("Reset your password for %(site)s"),
        N_(
            "Someone (hopefully you) asked to reset the password of your account. "
            "The link works once, for one hour."
        ),
        N_("Choose a new password"),
    ),
    "account-exists": (
        N_("Your account at %(site)s"),
        N_(
            "Someone tried to create an account with this address, which already has one. "
            "If it was you, sign in or reset your password."
        ),
        N_("Sign in"),
    ),
    "no-account": (
        N_("Password reset for %(site)s"),
        N_(
            "Someone asked to reset a password for this address, but it has no account here. "
            "If it was not you, ignore this mail."
        ),
        N_("Create an account"),
    ),
}


def password_email(mail: PasswordMail) -> tuple[str, str, str]:
    """The default mail: ``(subject, text, html)``, in the mail's language."""
    _ = language(mail.locale).gettext
    subject, body, button = (_(text) for text in _TEXTS[mail.kind])
    subject = subject % {"site": mail.site}
    ignore = _("If you did not ask for this, ignore this mail.")
    text = f"{body}\n\n{button}: {mail.url}\n\n{ignore}\n"
    html = (
        '<body style="background: #f9f9f9; font-family: Helvetica, Arial, sans-serif;">'
        '<table width="100%" cellpadding="20" style="background: #fff; max-width: 600px; '
        'margin: auto; border-radius: 10px;">'
        f'<tr><td style="color: #444; font-size: 16px;">{escape(body)}</td></tr>'
        f'<tr><td align="center"><a href="{escape(mail.url, quote=True)}" '
        'style="background: #346df1; color: #fff; padding: 10px 20px; border-radius: 5px; '
        f'text-decoration: none; font-weight: bold;">{escape(button)}</a></td></tr>'
        f'<tr><td style="color: #444; font-size: 14px;">{escape(ignore)}</td></tr>'
        "</table></body>"
    )
    return subject, text, html


def smtp_mail(server: SMTPServer, from_: str) -> SendPasswordMail:
    """A sender delivering the default mails through ``server`` with aiosmtplib."""

    async def send(mail: PasswordMail) -> None:
        subject, text, html = password_email(mail)
        await deliver(
            server, compose(to=mail.to, sender=from_, subject=subject, text=text, html=html)
        )

    return send


async def console_mail(mail: PasswordMail) -> None:
    """Development only: print the mail's link to standard output instead of mailing it."""
    print(
        f"\n[authgate] {mail.kind} mail for {mail.to}:\n  {mail.url}\n", file=sys.stdout, flush=True
    )


def _default_fields() -> dict[str, dict[str, Any]]:
    return {
        "email": {
            "label": "Email",
            "type": "email",
            "autocomplete": "username",
            "required": True,
        },
        "password": {
            "label": "Password",
            "type": "password",
            "autocomplete": "current-password",
            "required": True,
        },
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Password:
    """Accounts with an e-mail address and a password (argon2id), managed by authgate.

    Attributes:
        id: The provider id (``/callback/<id>`` signs in).
        name: Shown on the sign-in button.
        server: SMTP server of the default mails (an ``smtp://`` URL or :class:`SMTPServer`).
        from_: ``From`` of the default mails.
        send_mail: Your own sender instead (any mail API), or :func:`console_mail` in
            development.
        min_length: The shortest password accepted, in characters after NFKC (at least 8;
            default 15, NIST's minimum when the password is the only factor).
        max_length: The longest (at least 64; default 256).
        require_verified_email: Refuse sign-in until the address is confirmed (default on).
        sign_in_after_sign_up: Sign in right after sign-up (only without
            ``require_verified_email``). It tells a visitor whether an address was free, so it
            gives up the sign-up page's enumeration resistance; off by default.
        reset_max_age: Seconds a reset link works (at most 3600).
        verify_max_age: Seconds an address-confirmation link works (default one day).
        blocklist: More passwords to refuse (e.g. the site's name), on top of the shipped list.
        max_concurrent_hashes: How many argon2id hashes or verifications run at once in this
            process (each takes 64 MiB while it runs); the others wait their turn without a
            thread. Default ``2 * os.cpu_count()`` (4 when unknown). With several Password
            providers the smallest bound holds for all of them.
        credentials: The fields of the built-in sign-in page (``email`` and ``password``).
        type: ``"credentials"``: next-auth's client signs in with it as with Credentials.
    """

    id: str = "password"
    name: str = "Password"
    server: str | SMTPServer | None = None
    from_: str = DEFAULT_FROM
    send_mail: SendPasswordMail | None = field(default=None, repr=False)
    min_length: int = 15
    max_length: int = 256
    require_verified_email: bool = True
    sign_in_after_sign_up: bool = False
    reset_max_age: int = MAX_RESET_AGE
    verify_max_age: int = 24 * 60 * 60
    blocklist: frozenset[str] = frozenset()
    max_concurrent_hashes: int | None = None
    credentials: Mapping[str, Mapping[str, Any]] = field(default_factory=_default_fields)
    type: Literal["credentials"] = "credentials"

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id or ""):
            raise ConfigurationError(f"Password(id={self.id!r}): use 1-64 letters, digits, - or _")
        if self.type != "credentials":
            raise ConfigurationError("Password(type) must be 'credentials'")
        if self.send_mail is None and self.server is None:
            raise ConfigurationError(
                f"Password(id={self.id!r}) sends mail: set server='smtp://...' or "
                "send_mail=... (console_mail in development)"
            )
        if isinstance(self.server, str):
            object.__setattr__(self, "server", SMTPServer.from_url(self.server))
        for label, value in (("min_length", self.min_length), ("max_length", self.max_length)):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigurationError(f"Password({label}) must be an int")
        if self.min_length < MIN_LENGTH_FLOOR:
            raise ConfigurationError("Password(min_length) must be at least 8 (NIST SP 800-63B)")
        if self.max_length < max(MAX_LENGTH_FLOOR, self.min_length):
            raise ConfigurationError("Password(max_length) must be at least 64 and min_length")
        bound = self.max_concurrent_hashes
        if bound is not None and (type(bound) is not int or bound < 1):
            raise ConfigurationError("Password(max_concurrent_hashes) must be a positive int")
        if not (0 < self.reset_max_age <= MAX_RESET_AGE):
            raise ConfigurationError("Password(reset_max_age) must be 1-3600 seconds")
        if not (self.verify_max_age > 0):
            raise ConfigurationError("Password(verify_max_age) must be positive")
        if self.sign_in_after_sign_up and self.require_verified_email:
            raise ConfigurationError(
                "Password(sign_in_after_sign_up=True) needs require_verified_email=False"
            )
        if not callable(self.send_mail) and self.send_mail is not None:
            raise ConfigurationError("Password(send_mail) must be an async function")

    @property
    def account_pages(self) -> bool:
        """The sign-in page links to sign-up and forgot-password for this provider."""
        return True

    @property
    def database_session(self) -> bool:
        """Password users are stored users: database sessions work without an opt-in."""
        return True

    @property
    def sender(self) -> SendPasswordMail:
        """The function that sends this provider's mails."""
        if self.send_mail is not None:
            return self.send_mail
        assert isinstance(self.server, SMTPServer)  # noqa: S101 - checked at construction
        return smtp_mail(self.server, self.from_)


def site_of(url: str) -> str:
    """The host a mail speaks for."""
    return urlsplit(url).netloc
