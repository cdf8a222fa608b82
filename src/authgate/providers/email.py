"""The Email provider: passwordless sign-in with a link sent by e-mail ("magic link").

::

    from authgate.providers import Email

    Email(server="smtp://user:password@smtp.example.com:587", from_="Ex <no-reply@example.com>")
    Email(send_verification_request=console_sender)  # development: the link goes to stdout

The link is single use, bound to the address it was sent to, and lives 10 minutes by default
(security decision 10; next-auth v4: 24 hours). Only ``sha256(token + secret)`` is stored.
Requires an adapter (``AuthConfig(adapter=...)``) and, for the default sender, ``aiosmtplib``
(``pip install 'authgate[email]'``).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from html import escape
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from authgate.errors import ConfigurationError

if TYPE_CHECKING:
    from datetime import datetime

    from authgate.config import Theme

__all__ = [
    "DEFAULT_EMAIL_MAX_AGE",
    "Email",
    "SMTPServer",
    "SendVerificationRequest",
    "VerificationRequest",
    "console_sender",
    "smtp_sender",
    "verification_email",
]

logger = logging.getLogger("authgate")

DEFAULT_EMAIL_MAX_AGE = 10 * 60  # security decision 10: 10 minutes (v4: 24 hours)
DEFAULT_FROM = "authgate <no-reply@example.com>"
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|(?:rgb|hsl)a?\([0-9.,% ]{1,40}\)")


@dataclass(frozen=True, slots=True, kw_only=True)
class SMTPServer:
    """Where the default sender delivers mail.

    Attributes:
        host: The SMTP server.
        port: 25 (plain, then STARTTLS when offered), 587 (STARTTLS) or 465 (TLS).
        username: Login, if the server wants one.
        password: Its password (never logged or shown in reprs).
        use_tls: Implicit TLS from the first byte (port 465).
        start_tls: ``True`` to require STARTTLS, ``False`` to never use it, ``None``: when the
            server offers it.
        timeout: Seconds for connecting and for each SMTP command.
    """

    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    start_tls: bool | None = None
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str) -> SMTPServer:
        """``smtp://user:pass@host:587`` (STARTTLS when offered) or ``smtps://...:465`` (TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigurationError("Email(server=...) must be smtp://host[:port] or smtps://...")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=tls,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VerificationRequest:
    """What a sender gets: where to send which link.

    Attributes:
        identifier: The (normalised) address.
        url: The sign-in link.
        expires: When the link stops working.
        provider: The Email provider.
        theme: The configured theme (for the default e-mail's colours).
    """

    identifier: str
    url: str = field(repr=False)
    expires: datetime
    provider: Email
    theme: Theme


SendVerificationRequest = Callable[[VerificationRequest], Awaitable[None]]
"""``async def send(request: VerificationRequest) -> None``; raise if the mail was not sent."""


def verification_email(url: str, theme: Theme | None = None) -> tuple[str, str, str]:
    """The default e-mail: ``(subject, text, html)`` (v4 layout, no address in it)."""
    host = urlsplit(url).netloc
    brand = theme.brand_color if theme and theme.brand_color else "#346df1"
    button_text = theme.button_text if theme and theme.button_text else "#fff"
    brand = brand if _COLOR.fullmatch(brand) else "#346df1"
    button_text = button_text if _COLOR.fullmatch(button_text) else "#fff"
    # v4: a zero-width space before each dot keeps mail clients from linking the host.
    shown_host = escape(host).replace(".", "&#8203;.")
    href = escape(url, quote=True)
    subject = f"Sign in to {host}"
    text = f"Sign in to {host}\n{url}\n\n"
    font = "font-family: Helvetica, Arial, sans-serif;"
    button = (
        f"font-size: 18px; {font} color: {button_text}; text-decoration: none; "
        f"border-radius: 5px; padding: 10px 20px; border: 1px solid {brand}; "
        "display: inline-block; font-weight: bold;"
    )
    html = (
        '<body style="background: #f9f9f9;">\n'
        '<table width="100%" border="0" cellspacing="20" cellpadding="0" style="background: #fff;'
        ' max-width: 600px; margin: auto; border-radius: 10px;">\n'
        f'<tr><td align="center" style="padding: 10px 0px; font-size: 22px; {font} color: #444;">'
        f"Sign in to <strong>{shown_host}</strong></td></tr>\n"
        '<tr><td align="center" style="padding: 20px 0;">'
        '<table border="0" cellspacing="0" cellpadding="0"><tr>'
        f'<td align="center" style="border-radius: 5px;" bgcolor="{brand}">'
        f'<a href="{href}" target="_blank" style="{button}">Sign in</a>'
        "</td></tr></table></td></tr>\n"
        '<tr><td align="center" style="padding: 0px 0px 10px 0px; font-size: 16px;'
        f' line-height: 22px; {font} color: #444;">'
        "If you did not request this email you can safely ignore it.</td></tr>\n"
        "</table>\n</body>\n"
    )
    return subject, text, html


def compose(*, to: str, sender: str, subject: str, text: str, html: str) -> EmailMessage:
    """A text + HTML mail."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


async def deliver(server: SMTPServer, message: EmailMessage) -> None:
    """Send ``message`` through ``server`` with aiosmtplib; raise when it was not accepted."""
    try:
        import aiosmtplib
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("sending mail needs: pip install 'authgate[email]'") from exc
    errors, _ = await aiosmtplib.send(
        message,
        hostname=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        use_tls=server.use_tls,
        start_tls=server.start_tls,
        timeout=server.timeout,
    )
    if errors:  # v4: rejected recipients are a failure
        raise RuntimeError(f"{len(errors)} recipient(s) rejected")


def smtp_sender(server: SMTPServer, from_: str) -> SendVerificationRequest:
    """A sender delivering the default e-mail through ``server`` with aiosmtplib."""

    async def send(request: VerificationRequest) -> None:
        subject, text, html = verification_email(request.url, request.theme)
        message = compose(
            to=request.identifier, sender=from_, subject=subject, text=text, html=html
        )
        await deliver(server, message)

    return send


async def console_sender(request: VerificationRequest) -> None:
    """Development only: print the sign-in link to standard output instead of mailing it."""
    print(
        f"\n[authgate] sign-in link for {request.identifier} "
        f"(valid until {request.expires:%H:%M:%S} UTC):\n  {request.url}\n",
        file=sys.stdout,
        flush=True,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Email:
    """Sign in with a link sent by e-mail.

    Attributes:
        server: The SMTP server of the default sender: an ``smtp://`` / ``smtps://`` URL or
            an :class:`SMTPServer`.
        from_: The ``From`` address of the default sender.
        max_age: Seconds a link works (default 600).
        send_verification_request: Your own sender (any mail API), or
            :func:`console_sender` in development. Default: the e-mail of
            :func:`verification_email` sent to ``server``.
        normalize_identifier: ``(address) -> address``; raise to refuse an address.
            Default: NFKC, trimmed, lower-cased, exactly one ``@``, no quotes, no lists.
        generate_verification_token: ``() -> str`` for your own tokens (at least 128 bits
            of randomness); default 256 bits from :mod:`secrets`.
        secret: Hashes the stored tokens; default the configuration's secret.
        confirm: Make the link open a confirmation page whose button (a CSRF-protected POST)
            signs in, so mail scanners that follow links cannot use the token up.
        id: The provider id in URLs (``/signin/email``).
        name: Shown on the sign-in button.
    """

    server: str | SMTPServer | None = None
    from_: str = DEFAULT_FROM
    max_age: int = DEFAULT_EMAIL_MAX_AGE
    send_verification_request: SendVerificationRequest | None = None
    normalize_identifier: Callable[[str], str] | None = None
    generate_verification_token: Callable[[], str] | None = None
    secret: str | None = field(default=None, repr=False)
    confirm: bool = False
    id: str = "email"
    name: str = "Email"
    type: Literal["email"] = "email"

    def __post_init__(self) -> None:
        if self.type != "email":
            raise ConfigurationError(f"Email(type={self.type!r}) must be 'email'")
        if not _ID.fullmatch(self.id or ""):
            raise ConfigurationError(f"Email(id={self.id!r}): use 1-64 letters, digits, - or _")
        if not isinstance(self.max_age, int) or self.max_age <= 0:
            raise ConfigurationError("Email(max_age) must be a positive number of seconds")
        if self.send_verification_request is None and self.server is None:
            raise ConfigurationError(
                "Email needs server='smtp://...' or send_verification_request=... "
                "(console_sender in development)"
            )
        if isinstance(self.server, str):
            object.__setattr__(self, "server", SMTPServer.from_url(self.server))
        name, address = parseaddr(self.from_)
        if "@" not in address or any(c in self.from_ for c in "\r\n"):
            raise ConfigurationError(f"Email(from_={self.from_!r}) is not an e-mail address")
        object.__setattr__(self, "from_", formataddr((name, address)) if name else address)
        for label in ("normalize_identifier", "generate_verification_token"):
            value = getattr(self, label)
            if value is not None and not callable(value):
                raise ConfigurationError(f"Email({label}) must be callable")

    @property
    def sender(self) -> SendVerificationRequest:
        """The function that delivers the link."""
        if self.send_verification_request is not None:
            return self.send_verification_request
        assert isinstance(self.server, SMTPServer)  # noqa: S101 - checked in __post_init__
        return smtp_sender(self.server, self.from_)
