"""The ``authgate`` command: ``authgate doctor module:attr`` checks a configuration before use.

``authgate secret`` prints a new random secret for ``AUTH_SECRET`` (like ``npx auth secret``).
``authgate db init <database>`` creates the SQL adapter's tables (a SQLite path or a URL such
as ``postgresql://app@db/app``); ``authgate db sql`` prints them as SQL for a migration tool;
``authgate db prune <database>`` deletes expired sessions (with their device rows) and e-mail
tokens, and the device rows of sessions already gone (run it daily).

``module:attr`` names the app's :class:`~authgate.AuthGate` (or its
:class:`~authgate.AuthConfig`), e.g. ``authgate doctor myapp.auth:gate``. The report lists
errors (the exit status is then 1) and warnings; nothing secret is printed.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import math
import os
import secrets
import sys
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import anyio

from authgate.config import AuthConfig
from authgate.errors import ConfigurationError
from authgate.gate import AuthGate
from authgate.providers.password import Password
from authgate.ratelimit import MemoryBackend, several_workers
from authgate.revocation import MemoryRevocationStore

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from authgate._core.options import FixedURL

__all__ = ["Finding", "diagnose", "main", "new_secret", "parser"]

MIN_SECRET_CHARS = 32
MIN_SECRET_BITS = 128.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report."""

    level: Literal["error", "warning", "info"]
    message: str


def _entropy_bits(secret: str) -> float:
    """Shannon entropy of the characters times the length: a rough upper bound on strength."""
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_char * len(secret)


def _secret_findings(config: AuthConfig, env: Mapping[str, str]) -> list[Finding]:
    secret = config.secret or env.get("AUTH_SECRET") or env.get("NEXTAUTH_SECRET")
    if not secret:
        return [
            Finding(
                "error",
                "no secret: set AUTH_SECRET (python -c 'import secrets; "
                "print(secrets.token_hex(32))'); a random secret for this process is in use: "
                "sessions end on every restart and other workers cannot read them",
            )
        ]
    found = []
    for index, value in enumerate([secret] if isinstance(secret, str) else list(secret)):
        label = "the secret" if isinstance(secret, str) else f"secret #{index + 1}"
        if len(value) < MIN_SECRET_CHARS:
            found.append(
                Finding("error", f"{label} is {len(value)} characters; use at least 32 random ones")
            )
        elif _entropy_bits(value) < MIN_SECRET_BITS or len(set(value)) < 8:
            found.append(
                Finding("error", f"{label} looks guessable (repetitive); use secrets.token_hex(32)")
            )
    return found


def _url_findings(
    config: AuthConfig, fixed: FixedURL | None, *, trust_host: bool, production: bool
) -> list[Finding]:
    found: list[Finding] = []
    if fixed is None:
        level: Literal["error", "warning"] = "error" if production else "warning"
        source = "trust_host=True" if config.trust_host else "AUTH_TRUST_HOST"
        found.append(
            Finding(
                level,
                f"no url: every URL, including the links mailed to users, is built from the "
                f"Host / X-Forwarded-* headers ({source}). Set AuthConfig(url=...) or AUTH_URL, "
                "or make sure a proxy you control overwrites those headers",
            )
        )
    else:
        found.append(
            Finding(
                "info",
                f"url {fixed.origin}{config.base_path or fixed.path}: Host / X-Forwarded-* "
                "headers are ignored"
                + (" (trust_host is set, but the configured url wins)" if trust_host else ""),
            )
        )
        if not fixed.secure and production:
            found.append(Finding("error", f"the url {fixed.origin} is not https in production"))
        if fixed.secure and config.use_secure_cookies is False:
            found.append(
                Finding(
                    "error",
                    "use_secure_cookies=False with an https url: cookies lose Secure and the "
                    "__Secure-/__Host- prefixes",
                )
            )
    if fixed is None and config.use_secure_cookies is False and production:
        found.append(Finding("error", "use_secure_cookies=False in production"))
    return found


def _rate_limit_findings(
    config: AuthConfig, env: Mapping[str, str], *, fixed_url: bool, production: bool
) -> list[Finding]:
    found: list[Finding] = []
    rate_limit = config.rate_limit
    if rate_limit is None:
        found.append(
            Finding("error", "rate limiting is disabled (rate_limit=None): credential stuffing")
        )
    elif isinstance(rate_limit.backend, MemoryBackend):
        reason = several_workers(env)
        if reason is not None:
            found.append(
                Finding(
                    "error",
                    f"in-memory rate limiter under several workers ({reason}): each process "
                    "counts alone; use RateLimit(backend=RedisBackend(url=...))",
                )
            )
        elif production:
            found.append(
                Finding(
                    "info",
                    "in-memory rate limiter: right for one process; use RedisBackend for several",
                )
            )
    if rate_limit is not None and rate_limit.trusted_proxies and not fixed_url:
        found.append(
            Finding("info", "trusted_proxies is set: X-Forwarded-For is read for the client IP")
        )
    return found


def _revocation_findings(config: AuthConfig, env: Mapping[str, str]) -> list[Finding]:
    if config.revocation is None:
        passwords = any(isinstance(p, Password) for p in config.providers)
        if passwords and config.session_strategy == "jwt":
            return [
                Finding(
                    "warning",
                    "password accounts with JWT sessions and no revocation store: a password "
                    "reset or change cannot end the user's sessions on other devices (they last "
                    "until they expire); set AuthConfig(revocation=RedisRevocationStore(url=...))",
                )
            ]
        return []
    if not isinstance(config.revocation, MemoryRevocationStore):
        return []
    reason = several_workers(env)
    if reason is None:
        return [Finding("info", "in-memory revocation store: right for one process only")]
    return [
        Finding(
            "error",
            f"in-memory revocation store under several workers ({reason}): a session ended "
            "in one process stays valid in the others; use RedisRevocationStore(url=...)",
        )
    ]


def diagnose(gate: AuthGate, env: Mapping[str, str] | None = None) -> list[Finding]:
    """Everything wrong or risky in ``gate``'s configuration, most serious first."""
    env = os.environ if env is None else env
    config = gate.config
    options = gate._options  # the doctor reads the resolved options
    production = config.production
    if production is None:
        production = any(
            env.get(name, "").strip().lower() == "production"
            for name in ("AUTHGATE_ENV", "ENV", "NODE_ENV")
        )
    found = _secret_findings(config, env)

    fixed = options.fixed_url
    found += _url_findings(config, fixed, trust_host=options.trust_host, production=production)
    found += _rate_limit_findings(config, env, fixed_url=fixed is not None, production=production)
    found += _revocation_findings(config, env)

    if config.debug:
        found.append(Finding("error" if production else "warning", "debug logging is on"))

    base = (fixed.origin if fixed else "<your origin>") + options.base_path
    for provider in options.providers.values():
        if getattr(provider, "type", None) == "oauth":
            found.append(
                Finding(
                    "info",
                    f"register this callback URL with {provider.id}: {base}/callback/{provider.id}",
                )
            )
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda f: order[f.level])


def load(target: str) -> AuthGate:
    """Import ``module:attr`` and return the AuthGate it names (an AuthConfig is built)."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"{target!r}: expected module:attribute, e.g. myapp.auth:gate")
    sys.path.insert(0, os.getcwd())
    obj: object = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if callable(obj) and not isinstance(obj, (AuthGate, AuthConfig)):
        obj = obj()
    if isinstance(obj, AuthConfig):
        obj = AuthGate(obj)
    if not isinstance(obj, AuthGate):
        raise TypeError(f"{target} is a {type(obj).__name__}, not an AuthGate or AuthConfig")
    return obj


def _doctor(target: str, env: Mapping[str, str]) -> int:
    try:
        gate = load(target)
    except ConfigurationError as exc:
        print(f"error: the configuration is refused at start-up: {exc}")
        return 1
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        print(
            f"authgate doctor: cannot load {target}: {type(exc).__name__}: {exc}", file=sys.stderr
        )
        return 2
    findings = diagnose(gate, env)
    for finding in findings:
        print(f"{finding.level}: {finding.message}")
    errors = sum(1 for f in findings if f.level == "error")
    warnings = sum(1 for f in findings if f.level == "warning")
    print(f"{errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def _db(args: argparse.Namespace) -> int:
    try:
        from sqlalchemy.schema import CreateIndex, CreateTable

        from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
        from authgate.adapters.sqlalchemy.schema import build_tables
    except ImportError:
        print("authgate db: install the extra: pip install 'authgate[sqlalchemy]'", file=sys.stderr)
        return 2
    if args.db_command == "sql":
        from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
        from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

        dialect = (
            PGDialect_asyncpg()  # type: ignore[no-untyped-call]
            if args.dialect == "postgresql"
            else SQLiteDialect_aiosqlite()
        )
        schema = build_tables(prefix=args.prefix, schema=args.schema)
        for table in schema.metadata.sorted_tables:
            print(f"{str(CreateTable(table).compile(dialect=dialect)).strip()};\n")
            for index in sorted(table.indexes, key=lambda i: str(i.name)):
                print(f"{CreateIndex(index).compile(dialect=dialect)};\n")
        return 0
    database = args.database or os.environ.get("AUTHGATE_DATABASE_URL")
    if not database:
        print(
            f"authgate db {args.db_command}: give a database URL or path (or AUTHGATE_DATABASE_URL)"
        )
        return 2
    if args.db_command == "prune":
        return _prune(database, args)

    async def init() -> None:
        adapter = SQLAlchemyAdapter(
            database, create=True, table_prefix=args.prefix, schema=args.schema
        )
        try:
            await adapter.create_tables()
        finally:
            await adapter.close()

    try:
        anyio.run(init)
    except Exception as exc:  # noqa: BLE001 - reported, never a traceback with a password in it
        print(f"authgate db init: failed: {type(exc).__name__}", file=sys.stderr)
        return 1
    names = ", ".join(t.name for t in build_tables(prefix=args.prefix).metadata.sorted_tables)
    print(f"tables ready: {names}")
    return 0


def _prune(database: str, args: argparse.Namespace) -> int:
    from authgate.adapters.sqlalchemy import Pruned, SQLAlchemyAdapter

    if "://" not in database and database != ":memory:" and not os.path.isfile(database):
        print(f"authgate db prune: no such SQLite file: {database}", file=sys.stderr)
        return 1
    pruned = Pruned(0, 0)

    async def prune() -> None:
        nonlocal pruned
        adapter = SQLAlchemyAdapter(
            database, create=False, table_prefix=args.prefix, schema=args.schema
        )
        try:
            pruned = await adapter.delete_expired()
        finally:
            await adapter.close()

    try:
        anyio.run(prune)
    except Exception as exc:  # noqa: BLE001 - reported, never a traceback with a password in it
        print(f"authgate db prune: failed: {type(exc).__name__}", file=sys.stderr)
        return 1
    print(
        f"deleted {pruned.sessions} expired session(s), "
        f"{pruned.verification_tokens} expired verification token(s) and "
        f"{pruned.session_rows} device or sign-in-method row(s) of sessions already gone"
    )
    return 0


SECRET_BYTES = 32


def new_secret(n_bytes: int = SECRET_BYTES) -> str:
    """A random secret: ``n_bytes`` from the OS's CSPRNG, base64url without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(n_bytes)).rstrip(b"=").decode()


def _secret(args: argparse.Namespace) -> int:
    if args.bytes < SECRET_BYTES:
        print(f"authgate secret: --bytes must be at least {SECRET_BYTES}", file=sys.stderr)
        return 2
    value = new_secret(args.bytes)
    print(value if args.raw else f"AUTH_SECRET={value}")
    return 0


_EPILOG = """examples:
  authgate secret >> .env              a new AUTH_SECRET
  authgate doctor myapp.auth:gate      check a configuration before deploying it
  authgate db init ./app.db            create the adapter's tables
  authgate <command> --help            a command's options
"""


def parser() -> argparse.ArgumentParser:
    """The ``authgate`` argument parser, every command in it."""
    parser = argparse.ArgumentParser(
        prog="authgate",
        description="Authentication for Python web apps, the NextAuth.js way.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(
        dest="command", required=True, title="commands", metavar="<command>"
    )
    secret = commands.add_parser(
        "secret", help="print a new random secret for AUTH_SECRET (like `npx auth secret`)"
    )
    secret.add_argument("--raw", action="store_true", help="print only the value")
    secret.add_argument(
        "--bytes",
        type=int,
        default=SECRET_BYTES,
        help=f"random bytes (default and minimum {SECRET_BYTES})",
    )
    doctor = commands.add_parser("doctor", help="check a configuration before deployment")
    doctor.add_argument("target", help="module:attr of your AuthGate or AuthConfig")
    db = commands.add_parser(
        "db", help="the SQL adapter's tables (Auth.js schema): db init | db sql | db prune"
    )
    db_commands = db.add_subparsers(dest="db_command", required=True)
    init = db_commands.add_parser("init", help="create the missing tables")
    init.add_argument(
        "database", nargs="?", help="a SQLite path or a URL (default $AUTHGATE_DATABASE_URL)"
    )
    sql = db_commands.add_parser("sql", help="print the CREATE TABLE statements")
    sql.add_argument("--dialect", choices=["postgresql", "sqlite"], default="postgresql")
    prune = db_commands.add_parser(
        "prune", help="delete expired sessions and verification tokens (run it daily)"
    )
    prune.add_argument(
        "database", nargs="?", help="a SQLite path or a URL (default $AUTHGATE_DATABASE_URL)"
    )
    for command in (init, sql, prune):
        command.add_argument("--prefix", default="", help="table name prefix (default none)")
        command.add_argument("--schema", default=None, help="database schema (PostgreSQL)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``authgate`` console script."""
    args = parser().parse_args(argv)
    if args.command == "secret":
        return _secret(args)
    if args.command == "db":
        return _db(args)
    return _doctor(args.target, os.environ)


if __name__ == "__main__":  # pragma: no cover - python -m authgate.cli
    raise SystemExit(main())
