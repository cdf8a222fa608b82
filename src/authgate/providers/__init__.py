"""Sign-in providers: Credentials, Email, Passkey, generic OAuth / OIDC and one preset per service.

Presets take their client id and secret from the arguments or, when left out, from
``AUTH_<ID>_ID`` / ``AUTH_<ID>_SECRET`` (and ``AUTH_<ID>_ISSUER``) when the gate is built::

    GitHub(client_id="...", client_secret="...")
"""

from __future__ import annotations

from authgate.providers.apple import Apple
from authgate.providers.auth0 import Auth0
from authgate.providers.authentik import Authentik
from authgate.providers.bitbucket import Bitbucket
from authgate.providers.cognito import Cognito
from authgate.providers.credentials import Authorize, Credentials
from authgate.providers.discord import Discord
from authgate.providers.email import Email, SMTPServer, VerificationRequest, console_sender
from authgate.providers.facebook import Facebook
from authgate.providers.github import GitHub
from authgate.providers.gitlab import GitLab
from authgate.providers.google import Google
from authgate.providers.keycloak import Keycloak
from authgate.providers.linkedin import LinkedIn
from authgate.providers.microsoft_entra_id import MicrosoftEntraID
from authgate.providers.oauth import OIDC, OAuth, ProviderStyle
from authgate.providers.okta import Okta
from authgate.providers.passkey import Passkey
from authgate.providers.password import Password, PasswordMail, console_mail
from authgate.providers.reddit import Reddit
from authgate.providers.slack import Slack
from authgate.providers.spotify import Spotify
from authgate.providers.twitch import Twitch
from authgate.providers.twitter import Twitter
from authgate.providers.zitadel import Zitadel

__all__ = [
    "OIDC",
    "Apple",
    "Auth0",
    "Authentik",
    "Authorize",
    "Bitbucket",
    "Cognito",
    "Credentials",
    "Discord",
    "Email",
    "Facebook",
    "GitHub",
    "GitLab",
    "Google",
    "Keycloak",
    "LinkedIn",
    "MicrosoftEntraID",
    "OAuth",
    "Okta",
    "Passkey",
    "Password",
    "PasswordMail",
    "Provider",
    "ProviderStyle",
    "Reddit",
    "SMTPServer",
    "Slack",
    "Spotify",
    "Twitch",
    "Twitter",
    "VerificationRequest",
    "Zitadel",
    "console_mail",
    "console_sender",
]

Provider = Credentials | OAuth | Email | Passkey | Password
"""Any provider authgate knows."""

PRESETS: tuple[type[OAuth], ...] = (
    Apple,
    Auth0,
    Authentik,
    Bitbucket,
    Cognito,
    Discord,
    Facebook,
    GitHub,
    GitLab,
    Google,
    Keycloak,
    LinkedIn,
    MicrosoftEntraID,
    Okta,
    Reddit,
    Slack,
    Spotify,
    Twitch,
    Twitter,
    Zitadel,
)
"""Every OAuth / OIDC preset."""
