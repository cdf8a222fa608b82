"""The Email provider: passwordless sign-in with a link sent by e-mail ("magic link").

::

    from authgate.providers import Email

    Email(server="smtp://user:password@smtp.example.com:587", from_="Ex <no-reply@example.com>")
    Email(send_verification_request=console_sender)  # development: the link goes to stdout

The link is single use, bound to the address it was sent to, and lives 10 minutes by default
(SECURITY.md, decision 10; next-auth v4: 24 hours). Only an HMAC of the token is stored.
Requires an adapter (``AuthConfig(adapter=...)``) and, for the default sender, ``aiosmtplib``
(``pip install 'authgate[email]'``).
"""

from __future__ import annotations

import ipaddress
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

from authgate._validate import CSS_COLOR
from authgate.errors import ConfigurationError
from authgate.i18n import DEFAULT_LOCALE, language

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

DEFAULT_EMAIL_MAX_AGE = 10 * 60  # SECURITY.md, decision 10: 10 minutes (v4: 24 hours)
DEFAULT_FROM = "authgate <no-reply@example.com>"
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _loopback(host: str) -> bool:
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True, kw_only=True)
class SMTPServer:
    """Where the default sender delivers mail.

    Attributes:
        host: The SMTP server.
        port: 25, 587 (STARTTLS) or 465 (TLS).
        username: Login, if the server wants one.
        password: Its password (never logged or shown in reprs).
        use_tls: Implicit TLS from the first byte (port 465).
        start_tls: ``True`` to require STARTTLS, ``False`` to never use it, ``None``: required
            when TLS is (see ``require_tls``), else when the server offers it.
        require_tls: Refuse to send a link over a connection without TLS (implicit or
            STARTTLS). ``None`` (default): required unless ``host`` is a loopback address, so
            an active attacker between the app and the mail server cannot strip STARTTLS and
            read the links. ``False`` opts out (a relay on a private network you trust).
        cert_bundle: A CA file to verify the server's certificate with (a private CA);
            certificates are always verified.
        timeout: Seconds for connecting and for each SMTP command.
    """

    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    start_tls: bool | None = None
    require_tls: bool | None = None
    cert_bundle: str | None = None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        # SECURITY.md, decision 10: opportunistic STARTTLS would let the links be read.
        required = self.require_tls if self.require_tls is not None else not _loopback(self.host)
        if not required or self.use_tls:
            return
        if self.start_tls is False:
            raise ConfigurationError(
                f"SMTPServer(host={self.host!r}, start_tls=False) would send sign-in links "
                "without TLS: use start_tls=True or use_tls=True (smtps://), or opt out with "
                "require_tls=False on a network you trust"
            )
        object.__setattr__(self, "start_tls", True)

    @classmethod
    def from_url(cls, url: str) -> SMTPServer:
        """``smtp://user:pass@host:587`` (STARTTLS) or ``smtps://...:465`` (TLS).

        STARTTLS is required unless the host is a loopback address; pass an
        :class:`SMTPServer` with ``require_tls=False`` to opt out.
        """
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
        locale: The language of the page the link was asked for (``AuthConfig(locale)`` or
            negotiated from ``Accept-Language``): a catalog code such as ``ko`` or ``pt_BR``.
    """

    identifier: str
    url: str = field(repr=False)
    expires: datetime
    provider: Email
    theme: Theme
    locale: str = DEFAULT_LOCALE


SendVerificationRequest = Callable[[VerificationRequest], Awaitable[None]]
"""``async def send(request: VerificationRequest) -> None``; raise if the mail was not sent."""


def verification_email(
    url: str, theme: Theme | None = None, locale: str = DEFAULT_LOCALE
) -> tuple[str, str, str]:
    """The default e-mail: ``(subject, text, html)`` (v4 layout, no address in it).

    ``locale`` is a catalog code (``ko``, ``pt_BR``; see ``AuthConfig(locale)``).
    """
    _ = language(locale).gettext
    host = urlsplit(url).netloc
    brand = theme.brand_color if theme and theme.brand_color else "#346df1"
    button_text = theme.button_text if theme and theme.button_text else "#fff"
    brand = brand if CSS_COLOR.fullmatch(brand) else "#346df1"
    button_text = button_text if CSS_COLOR.fullmatch(button_text) else "#fff"
    # v4: a zero-width space before each dot keeps mail clients from linking the host.
    shown_host = escape(host).replace(".", "&#8203;.")
    href = escape(url, quote=True)
    subject = _("Sign in to %(host)s") % {"host": host}
    text = f"{subject}\n{url}\n\n"
    heading = escape(_("Sign in to %(host)s")) % {"host": f"<strong>{shown_host}</strong>"}
    sign_in = escape(_("Sign in"))
    ignore = escape(_("If you did not request this email you can safely ignore it."))
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
        f"{heading}</td></tr>\n"
        '<tr><td align="center" style="padding: 20px 0;">'
        '<table border="0" cellspacing="0" cellpadding="0"><tr>'
        f'<td align="center" style="border-radius: 5px;" bgcolor="{brand}">'
        f'<a href="{href}" target="_blank" style="{button}">{sign_in}</a>'
        "</td></tr></table></td></tr>\n"
        '<tr><td align="center" style="padding: 0px 0px 10px 0px; font-size: 16px;'
        f' line-height: 22px; {font} color: #444;">'
        f"{ignore}</td></tr>\n"
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
        cert_bundle=server.cert_bundle,
        timeout=server.timeout,
    )
    if errors:  # v4: rejected recipients are a failure
        raise RuntimeError(f"{len(errors)} recipient(s) rejected")


def smtp_sender(server: SMTPServer, from_: str) -> SendVerificationRequest:
    """A sender delivering the default e-mail through ``server`` with aiosmtplib."""

    async def send(request: VerificationRequest) -> None:
        subject, text, html = verification_email(request.url, request.theme, request.locale)
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
