"""After a run: the database holds nothing orphaned or half-written, and no ended session.

Reads the facts the locust users recorded (``kind``: ``session``, ``revoked``, ``email``) and
the tables, with asyncpg. Each check is a name and the number of rows that break it.
"""

from __future__ import annotations

from typing import Any

import asyncpg

ORPHANS = {
    "accounts without a user": (
        'SELECT count(*) FROM accounts a LEFT JOIN users u ON u.id = a."userId" WHERE u.id IS NULL'
    ),
    "sessions without a user": (
        'SELECT count(*) FROM sessions s LEFT JOIN users u ON u.id = s."userId" WHERE u.id IS NULL'
    ),
    "passwords without a user": (
        'SELECT count(*) FROM authgate_passwords p LEFT JOIN users u ON u.id = p."userId" '
        "WHERE u.id IS NULL"
    ),
    "session methods without a session": (
        "SELECT count(*) FROM authgate_session_methods m "
        'LEFT JOIN sessions s ON s."sessionToken" = m."sessionToken" '
        'WHERE s."sessionToken" IS NULL'
    ),
    "session devices without a session": (
        "SELECT count(*) FROM authgate_session_devices d "
        'LEFT JOIN sessions s ON s."sessionToken" = d."sessionToken" '
        'WHERE s."sessionToken" IS NULL'
    ),
    # Every user came from somewhere: a seeded password account, an OAuth account, or an
    # e-mail link (verified). Anything else is a sign-up that stopped half-way.
    "users from nowhere (half-written sign-ups)": (
        'SELECT count(*) FROM users u WHERE u."emailVerified" IS NULL '
        'AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a."userId" = u.id) '
        'AND NOT EXISTS (SELECT 1 FROM authgate_passwords p WHERE p."userId" = u.id)'
    ),
}


async def check(
    database_url: str, facts: list[dict[str, Any]], sessions: str = "database"
) -> dict[str, int]:
    """``{check: rows that break it}``; all zeros when the database is consistent.

    JWT sessions have no rows: whether a signed-out one was refused is checked live by the
    users (a read with a kept copy of the cookie), not here.
    """
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        found = {name: int(await connection.fetchval(sql)) for name, sql in ORPHANS.items()}
        if sessions == "jwt":
            found.update(await _email_links(connection, facts, jwt=True))
            return found
        revoked = {f["token"] for f in facts if f.get("kind") == "revoked" and f.get("token")}
        issued = {f["token"] for f in facts if f.get("kind") == "session"} - revoked
        stored = {
            row[0]
            for row in await connection.fetch(
                'SELECT "sessionToken" FROM sessions WHERE "sessionToken" = ANY($1::text[])',
                sorted(revoked | issued),
            )
        }
        found["sessions that outlived their sign-out"] = len(revoked & stored)
        found["sessions answered as signed in but not stored"] = len(issued - stored)
        found.update(await _email_links(connection, facts))
        return found
    finally:
        await connection.close()


async def _email_links(
    connection: Any, facts: list[dict[str, Any]], *, jwt: bool = False
) -> dict[str, int]:
    """A followed link either signed its address in (token used, a session stored) or failed
    leaving the token unused: never a used token without a session (with JWT sessions:
    without a verified user)."""
    stages: dict[str, set[str]] = {}
    for fact in facts:
        if fact.get("kind") == "email":
            stages.setdefault(fact["email"], set()).add(fact["stage"])
    signed_in = sorted(a for a, s in stages.items() if "signed-in" in s)
    failed = sorted(a for a, s in stages.items() if "signed-in" not in s)
    tokens_left = {
        row[0]
        for row in await connection.fetch(
            "SELECT identifier FROM verification_token WHERE identifier = ANY($1::text[])",
            signed_in + failed,
        )
    }
    signed_up = (
        'SELECT u.email FROM users u WHERE u."emailVerified" IS NOT NULL '
        "AND u.email = ANY($1::text[])"
        if jwt
        else 'SELECT DISTINCT u.email FROM users u JOIN sessions s ON s."userId" = u.id '
        "WHERE u.email = ANY($1::text[])"
    )
    with_session = {row[0] for row in await connection.fetch(signed_up, signed_in + failed)}
    return {
        "e-mail links used twice (token left after sign-in)": len(tokens_left & set(signed_in)),
        "e-mail tokens used up without a session": len(
            {a for a in failed if a not in tokens_left and a not in with_session}
        ),
    }
