"""The demo app: FastAPI + authgate's Credentials, Email and Password providers, one SQLite file.

The file holds the credentials users (``demo_credentials``, argon2id hashes) and the Auth.js
tables of :class:`~authgate.adapters.sqlalchemy.SQLAlchemyAdapter` (``users``, ``accounts``,
``sessions``, ``verification_token``) where e-mail sign-in keeps its users and tokens. Sign-in
links are printed to the console (``console_sender``) unless an SMTP server is given.

Routes:

- ``/``: the session, or a sign-in link.
- ``/dashboard``: a page behind :class:`~authgate.integrations.starlette.ProtectMiddleware`
  (no session: a redirect to the sign-in page with a ``callbackUrl`` back here).
- ``/api/me``: a JSON API behind ``session_dependency`` (no session: ``401`` JSON).
- ``/auth/signin``: a custom sign-in page built the next-auth way (``getProviders()`` and
  ``getCsrfToken()``), posting to ``/api/auth/callback/credentials``.
- ``/api/auth/*``: the NextAuth REST API and its built-in pages (``AuthApp``).

Build it with :func:`create_app`; ``python -m examples.demo`` serves it with uvicorn.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from starlette.staticfiles import StaticFiles

from authgate import (  # Session: FastAPI reads it
    AuthConfig,
    AuthGate,
    PagesConfig,
    Session,
    SessionConfig,
    Theme,
    TwoFactor,
)
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.integrations.asgi import AuthApp
from authgate.integrations.fastapi import session_dependency
from authgate.integrations.starlette import (
    ProtectMiddleware,
    get_csrf_token,
    get_session,
    sign_in_url,
)
from authgate.providers import (
    Credentials,
    Email,
    Password,
    SMTPServer,
    console_mail,
    console_sender,
)

if TYPE_CHECKING:
    from authgate import AuthRequest, User

__all__ = [
    "BRAND_COLOR",
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "UserStore",
    "create_app",
    "resolve_db_path",
]

DEMO_USERNAME = "demo"
# A published demo account: its password is printed at start.
DEMO_PASSWORD = "demo-password-123"
DEMO_NAME = "Demo User"
DEMO_EMAIL = "demo@example.com"
BRAND_COLOR = "#c2410c"
LOGO_PATH = "/static/logo.svg"
DB_ENV = "AUTHGATE_DEMO_DB"

# Longer inputs are refused before hashing: nobody types a 1 KiB username or password, and
# argon2 should not be handed megabytes from an anonymous form.
MAX_FIELD_LENGTH = 1024

HERE = Path(__file__).resolve().parent

SIGN_IN_MESSAGES = {
    "CredentialsSignin": "Sign in failed. Check the details you provided are correct.",
    "SessionRequired": "Please sign in to access this page.",
}
"""Messages for the ``?error=`` codes this page expects; any other code gets a generic one
(the code itself is never echoed)."""

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, **context: Any) -> str:
    """Render one of the demo's templates (autoescaped)."""
    return _TEMPLATES.get_template(template).render(brand_color=BRAND_COLOR, **context)


CREDENTIALS_TABLE = "demo_credentials"


class UserStore:
    """Users in a SQLite file (table ``demo_credentials``), passwords hashed with argon2id.

    Earlier demos kept them in ``users``; that name now belongs to the Auth.js tables of the
    adapter, so an old file's table is renamed on first start.

    Every check costs one argon2 verification, whether the user exists or not: an unknown
    username is verified against a dummy hash, so response times do not tell which usernames
    exist.
    """

    def __init__(self, path: str | os.PathLike[str], hasher: PasswordHasher | None = None):
        self.path = Path(path)
        self._hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))
        with closing(self._connect()) as db, db:
            legacy = {row[1] for row in db.execute("PRAGMA table_info(users)")}
            if "password_hash" in legacy:  # the pre-adapter demo's table
                db.execute(f"ALTER TABLE users RENAME TO {CREDENTIALS_TABLE}")
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {CREDENTIALS_TABLE} ("
                " id INTEGER PRIMARY KEY,"
                " username TEXT NOT NULL UNIQUE,"
                " name TEXT NOT NULL,"
                " email TEXT NOT NULL,"
                " password_hash TEXT NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        # One connection per call: authorize runs in worker threads, and sqlite3 connections
        # must not be shared across threads.
        return sqlite3.connect(self.path)

    def add_user(self, username: str, password: str, *, name: str, email: str) -> bool:
        """Create a user unless the username is taken; ``True`` when it was created."""
        password_hash = self._hasher.hash(password)
        with closing(self._connect()) as db, db:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO {CREDENTIALS_TABLE} (username, name, email, password_hash)"
                " VALUES (?, ?, ?, ?)",
                (username, name, email, password_hash),
            )
            return cursor.rowcount == 1

    def ensure_demo_user(self) -> bool:
        """Create the demo user on first start; ``True`` when it was created now."""
        with closing(self._connect()) as db:
            row = db.execute(
                f"SELECT 1 FROM {CREDENTIALS_TABLE} WHERE username = ?", (DEMO_USERNAME,)
            )
            if row.fetchone() is not None:
                return False
        return self.add_user(DEMO_USERNAME, DEMO_PASSWORD, name=DEMO_NAME, email=DEMO_EMAIL)

    def check_password(self, username: object, password: object) -> User | None:
        """The user whose username and password these are, or ``None``."""
        valid_input = (
            isinstance(username, str)
            and isinstance(password, str)
            and 0 < len(username) <= MAX_FIELD_LENGTH
            and 0 < len(password) <= MAX_FIELD_LENGTH
        )
        row = None
        if valid_input:
            with closing(self._connect()) as db:
                row = db.execute(
                    f"SELECT id, name, email, password_hash FROM {CREDENTIALS_TABLE}"
                    " WHERE username = ?",
                    (username,),
                ).fetchone()
        stored = row[3] if row is not None else self._dummy_hash
        try:
            # Always verify, also for an unknown user or invalid input: equal time.
            self._hasher.verify(stored, password if valid_input else "")  # type: ignore[arg-type]
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if self._hasher.check_needs_rehash(stored):
            self._rehash(row[0], password)  # type: ignore[arg-type]
        return {"id": str(row[0]), "name": row[1], "email": row[2]}

    def _rehash(self, user_id: int, password: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute(
                f"UPDATE {CREDENTIALS_TABLE} SET password_hash = ? WHERE id = ?",
                (self._hasher.hash(password), user_id),
            )


def resolve_db_path(db_path: str | os.PathLike[str] | None = None) -> Path:
    """The database file: the argument, else ``$AUTHGATE_DEMO_DB``, else ``./demo.db``."""
    return Path(db_path or os.environ.get(DB_ENV) or "demo.db")


def resolve_secret(secret: str | None = None) -> str:
    """The secret: the argument, else ``AUTH_SECRET``, else a random one with a warning."""
    secret = secret or os.environ.get("AUTH_SECRET") or os.environ.get("NEXTAUTH_SECRET")
    if secret:
        return secret
    print(
        "WARNING: AUTH_SECRET is not set; using a random development secret (demo only).\n"
        "         Sessions end when the server restarts. Set AUTH_SECRET for anything real:\n"
        "         export AUTH_SECRET=$(openssl rand -base64 32)",
        file=sys.stderr,
    )
    return secrets.token_urlsafe(32)


def create_app(
    *,
    db_path: str | os.PathLike[str] | None = None,
    secret: str | None = None,
    url: str | None = None,
    theme: Theme | None = None,
    custom_sign_in: bool = False,
    smtp: SMTPServer | None = None,
) -> FastAPI:
    """Build the demo app.

    Args:
        db_path: SQLite file of the users (default ``$AUTHGATE_DEMO_DB`` or ``./demo.db``);
            created with the demo user when missing.
        secret: The auth secret (default ``AUTH_SECRET``, else a random dev secret).
        url: The canonical URL of the auth API, e.g. ``http://127.0.0.1:8000/api/auth``
            (default ``AUTH_URL``; without either the gate refuses to start, it never trusts
            the request's Host header).
        theme: Look of the built-in pages (default: auto scheme, orange brand, the logo).
        custom_sign_in: Make ``/auth/signin`` *the* sign-in page (``pages.sign_in``): the
            built-in one and failed sign-ins then redirect there.
        smtp: Mail sign-in links through this server; by default they are printed.
    """
    path = resolve_db_path(db_path)
    store = UserStore(path)
    # The adapter's tables go into the same file, created on first use.
    adapter = SQLAlchemyAdapter(path)
    created = store.ensure_demo_user()

    def authorize(credentials: dict[str, Any], request: AuthRequest) -> User | None:
        # Sync on purpose: authgate runs it in a worker thread, so argon2 does not block.
        return store.check_password(credentials.get("username"), credentials.get("password"))

    auth = AuthGate(
        AuthConfig(
            secret=resolve_secret(secret),
            url=url,
            providers=[
                Credentials(
                    name="Username",
                    credentials={
                        "username": {
                            "label": "Username",
                            "type": "text",
                            "placeholder": DEMO_USERNAME,
                            "autocomplete": "username",
                            "required": True,
                        },
                        "password": {
                            "label": "Password",
                            "type": "password",
                            "autocomplete": "current-password",
                            "required": True,
                        },
                    },
                    authorize=authorize,
                ),
                Email(
                    server=smtp,
                    from_="authgate demo <demo@example.com>",
                    send_verification_request=None if smtp else console_sender,
                ),
                # Accounts authgate stores itself: /api/auth/signup, forgot / reset password.
                Password(
                    name="Email and password",
                    server=smtp,
                    from_="authgate demo <demo@example.com>",
                    send_mail=None if smtp else console_mail,
                ),
            ],
            # Anyone signed in can enrol TOTP at /api/auth/two-factor-setup; then every
            # password sign-in asks for the code.
            two_factor=TwoFactor(issuer="authgate demo"),
            adapter=adapter,
            # Database sessions are one line away (SessionConfig(strategy="database") and
            # Credentials(database_session=True)); the demo keeps its JWT sessions.
            session=SessionConfig(strategy="jwt"),
            pages=PagesConfig(sign_in="/auth/signin" if custom_sign_in else None),
            theme=theme or Theme(color_scheme="auto", brand_color=BRAND_COLOR, logo=LOGO_PATH),
        )
    )
    current_session = session_dependency(auth)

    app = FastAPI(title="authgate demo", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.auth = auth
    app.state.store = store
    app.state.demo_user_created = created
    app.state.adapter = adapter
    app.add_middleware(ProtectMiddleware, gate=auth, protect=["/dashboard"])
    # /admin needs a session that proved a second factor (step-up, not sign-out).
    app.add_middleware(ProtectMiddleware, gate=auth, protect=["/admin"], require_two_factor=True)
    app.mount(auth.base_path, AuthApp(auth))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(HERE / "static" / "logo.svg", media_type="image/svg+xml")

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> str:
        session = await get_session(request, auth)
        return render(
            "home.html",
            session=session,
            session_json=json.dumps(session, indent=2) if session else "",
            builtin_sign_in=sign_in_url(auth, "/"),
            sign_out=f"{auth.base_path}/signout",
        )

    @app.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request) -> str:
        session: Session = request.state.session  # set by ProtectMiddleware
        return render(
            "dashboard.html", session=session, sign_out=f"{auth.base_path}/signout", admin=False
        )

    @app.get("/admin", response_class=HTMLResponse)
    async def admin(request: Request) -> str:
        session: Session = request.state.session  # a session with a second factor
        return render(
            "dashboard.html", session=session, sign_out=f"{auth.base_path}/signout", admin=True
        )

    # Not `Annotated[Session, Depends(current_session)]`: with `from __future__ import
    # annotations` FastAPI evaluates that string in the module's globals, where this local
    # `current_session` does not exist, and would silently treat `session` as a query parameter.
    @app.get("/api/me")
    async def me(session: Session = Depends(current_session)) -> dict[str, Any]:  # noqa: B008
        return dict(session)

    @app.get("/auth/signin", response_class=HTMLResponse)
    async def custom_sign_in_page(
        request: Request,
        response: Response,
        callbackUrl: str | None = None,  # noqa: N803 - next-auth's query parameter
        error: str | None = None,
    ) -> str:
        # next-auth: getProviders() + getCsrfToken(context). The CSRF cookie (when the browser
        # has none yet) is set on `response`, which FastAPI merges into the page's response.
        providers = auth.get_providers()
        csrf_token = get_csrf_token(request, response, auth)
        message = None
        if error:
            message = SIGN_IN_MESSAGES.get(error, "Unable to sign in.")
        return render(
            "signin.html",
            providers=[p for p in providers.values() if p["id"] == "credentials"],
            csrf_token=csrf_token,
            callback_url=callbackUrl,
            message=message,
        )

    return app
