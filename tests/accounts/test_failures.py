"""Storage and mail failures on the new routes: a clear error, never a 500 page or a session.

The adapter is a MemoryAdapter whose chosen methods raise (a database that went away); the
mail sender may raise too (SMTP down). Fast: memory, JWT sessions.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import pytest

from authgate import SessionConfig, TwoFactor
from authgate.adapters.memory import MemoryAdapter
from authgate.revocation import MemoryRevocationStore, RevocationUnavailableError
from blackbox.conftest import NOW, SESSION, Client, make_gate, query_of

from .conftest import EMAIL, STRONG, Mailbox, Setup, answer, code_at, enrol, sign_in, sign_up

pytestmark = pytest.mark.anyio


class Broken(MemoryAdapter):
    """Raises from the methods named in ``broken`` (switched on after set-up).

    The set lives with the tables, so the adapters ``transaction()`` yields share it.
    """

    @property
    def broken(self) -> set[str]:
        tables = object.__getattribute__(self, "_t")
        return tables.__dict__.setdefault("broken", set())  # type: ignore[no-any-return]

    @broken.setter
    def broken(self, value: set[str]) -> None:
        object.__getattribute__(self, "_t").__dict__["broken"] = value

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name == "broken" or name.startswith("_") or not inspect.iscoroutinefunction(value):
            return value

        # Decided at call time: the gate's adapter wrapper (telemetry) keeps bound methods.
        async def checked(*args: Any, **kwargs: Any) -> Any:
            if name in self.broken:
                raise ConnectionError("database down")
            return await value(*args, **kwargs)

        return checked


class FlakyMail(Mailbox):
    fail: bool = False

    async def __call__(self, mail: Any) -> None:
        if self.fail:
            raise ConnectionError("SMTP down")
        await super().__call__(mail)


class SilentStore(MemoryRevocationStore):
    """A revocation store that stops answering reads when ``down`` is set."""

    down = False

    async def is_ended(self, user_id: str, session_id: str | None, started: float) -> bool:
        if self.down:
            raise RevocationUnavailableError("ConnectionError")
        return await super().is_ended(user_id, session_id, started)


def broken_setup(
    strategy: str = "jwt", *, revocation: MemoryRevocationStore | None = None, **provider: Any
) -> Setup:
    from authgate.providers import Password

    adapter, mailbox = Broken(), FlakyMail()
    gate = make_gate(
        adapter=adapter,
        providers=[Password(send_mail=mailbox, **provider)],
        session=SessionConfig(strategy=strategy),  # type: ignore[arg-type]
        two_factor=TwoFactor(),
        revocation=revocation,
    )
    return Setup(gate, adapter, mailbox, strategy)


async def ready(setup: Setup) -> Client:
    client = setup.client()
    await sign_up(client)
    params = setup.mailbox.link_params("verify-email")
    assert (await client.get("/verify-email", query=params)).status == 200
    assert (await sign_in(client)).status == 302
    return client


def error_of(response: Any) -> str:
    return query_of(response.redirect or "")["error"][0]


async def test_sign_up_when_the_database_is_down() -> None:
    setup = broken_setup()
    setup.adapter.broken = {"get_user_by_email"}
    response = await sign_up(setup.client())
    assert error_of(response) == "Callback"
    setup.adapter.broken = {"create_user"}
    response = await sign_up(setup.client())
    assert error_of(response) == "Callback"
    assert setup.adapter.dump()["users"] == []


async def test_mail_failures_answer_like_success() -> None:
    setup = broken_setup()
    mailbox = setup.mailbox
    assert isinstance(mailbox, FlakyMail)
    mailbox.fail = True
    response = await sign_up(setup.client())
    assert response.redirect == "http://localhost:3000/api/auth/signup?sent=1&provider=password"
    mailbox.fail = False
    setup.adapter.broken = {"create_verification_token"}
    await sign_up(setup.client(), "second@example.com")
    assert setup.mailbox.sent == [], "no token, no link"


async def test_routes_when_the_database_is_down() -> None:
    setup = broken_setup()
    client = await ready(setup)
    token = await client.csrf()
    setup.adapter.broken = {"get_user_by_email", "get_password_hash", "get_user"}
    forgot = await client.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    assert error_of(forgot) == "Callback"
    assert error_of(await sign_in(setup.client())) == "Callback"
    form = {"csrfToken": token, "currentPassword": STRONG, "newPassword": STRONG + "!"}
    change = await client.post("/change-password", form=form)
    assert error_of(change) == "Callback", "the user cannot be read: an outage, not signed out"
    assert change.status == 302
    assert error_of(await client.get("/change-password")) == "Callback"
    setup.adapter.broken = {"get_password_hash"}
    assert error_of(await client.post("/change-password", form=form)) == "Callback"
    setup.adapter.broken = {"set_password_hash"}
    assert error_of(await client.post("/change-password", form=form)) == "Callback"
    verify = await client.get("/verify-email", query={"email": EMAIL, "token": "x" * 40})
    assert error_of(verify) in ("Verification", "Callback")


async def test_reset_when_the_database_fails_midway_writes_nothing() -> None:
    setup = broken_setup()
    client = await ready(setup)
    token = await client.csrf()
    await client.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    params = setup.mailbox.link_params("reset-password")
    before = setup.adapter.dump()["passwords"]
    setup.adapter.broken = {"set_password_hash"}
    form = {"csrfToken": token, **params, "password": "another long passphrase"}
    assert error_of(await client.post("/reset-password", form=form)) == "Callback"
    assert setup.adapter.dump()["passwords"] == before
    setup.adapter.broken = set()
    assert (await client.post("/reset-password", form=form)).status == 302, "the link survived"


async def test_two_factor_fails_closed() -> None:
    setup = broken_setup()
    owner = await ready(setup)
    secret, _ = await enrol(owner)
    client = setup.client(now=NOW + 30)
    setup.adapter.broken = {"get_two_factor"}
    assert error_of(await sign_in(client)) == "Callback", "no session without the check"
    assert SESSION not in client.jar
    setup.adapter.broken = set()
    await sign_in(client)
    setup.adapter.broken = {"use_totp_step"}
    assert error_of(await answer(client, code=code_at(secret, NOW + 30))) == "Callback"
    assert SESSION not in client.jar
    setup.adapter.broken = {"get_two_factor", "count_recovery_codes"}
    assert error_of(await owner.get("/two-factor-setup")) == "Callback"


async def test_change_password_refusals() -> None:
    setup = broken_setup()
    client = await ready(setup)
    token = await client.csrf()
    missing = await client.post("/change-password", form={"csrfToken": token, "json": "true"})
    assert missing.status == 400
    weak = await client.post(
        "/change-password",
        form={"csrfToken": token, "currentPassword": STRONG, "newPassword": "short"},
    )
    assert weak.status == 400
    assert b"Use a longer password." in weak.body


async def test_routes_without_a_password_provider_are_unknown() -> None:
    gate = make_gate(adapter=MemoryAdapter(), session=SessionConfig(strategy="jwt"))
    client = Client(gate)
    for path in (
        "/signup",
        "/forgot-password",
        "/reset-password",
        "/verify-email",
        "/change-password",
        "/two-factor",
        "/two-factor-setup",
    ):
        response = await client.get(path)
        assert response.status == 400, path
        assert b"is not supported by NextAuth.js" in response.body


async def test_two_factor_with_database_sessions_fails_closed_when_the_session_write_fails() -> (
    None
):
    setup = broken_setup("database")
    owner = await ready(setup)
    secret, _ = await enrol(owner)
    client = setup.client(now=NOW + 30)
    await sign_in(client)
    setup.adapter.broken = {"create_session"}
    assert error_of(await answer(client, code=code_at(secret, NOW + 30))) == "Callback"
    assert SESSION not in client.jar
    setup.adapter.broken = set()
    await sign_in(client)
    assert (await answer(client, code=code_at(secret, NOW + 60))).status == 302
    assert SESSION in client.jar


async def test_a_second_factor_the_database_could_not_store_is_not_used_up() -> None:
    """The answer, the pending sign-in and the session commit together (or none of them)."""
    setup = broken_setup("database")
    owner = await ready(setup)
    secret, codes = await enrol(owner)
    user = await setup.adapter.get_user_by_email(EMAIL)
    client = setup.client(now=NOW + 30)
    await sign_in(client)
    setup.adapter.broken = {"create_session"}
    assert error_of(await answer(client, recoveryCode=codes[0])) == "Callback"
    assert error_of(await answer(client, code=code_at(secret, NOW + 30))) == "Callback"
    assert SESSION not in client.jar
    assert await setup.adapter.count_recovery_codes(user["id"]) == 10, "no recovery code used"
    setup.adapter.broken = set()
    done = await answer(client, code=code_at(secret, NOW + 30))
    assert done.status == 302, "the same pending sign-in and the same code work"
    assert SESSION in client.jar

    # A second answer on a copy of a pending cookie that was used meanwhile: refused, and its
    # recovery code stays unused.
    first = setup.client(now=NOW + 90)
    await sign_in(first)
    twin = setup.client(now=NOW + 90)
    twin.jar.update(first.jar)
    assert (await answer(first, recoveryCode=codes[0])).status == 302
    assert error_of(await answer(twin, recoveryCode=codes[1])) == "Verification"
    assert await setup.adapter.count_recovery_codes(user["id"]) == 9, "only the first one used"

    # A step-up of a live session whose methods cannot be stored keeps the code too.
    setup.adapter.broken = {"set_session_methods"}
    assert error_of(await answer(owner, recoveryCode=codes[1])) == "Callback"
    setup.adapter.broken = set()
    assert await setup.adapter.count_recovery_codes(user["id"]) == 9
    assert (await answer(owner, recoveryCode=codes[1])).status == 302
    assert await setup.adapter.count_recovery_codes(user["id"]) == 8


async def test_a_failed_rehash_still_signs_in_with_the_old_hash() -> None:
    from argon2 import PasswordHasher

    setup = broken_setup()
    await ready(setup)
    user = await setup.adapter.get_user_by_email(EMAIL)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(STRONG)
    await setup.adapter.set_password_hash(user["id"], weak)
    setup.adapter.broken = {"set_password_hash"}
    client = setup.client()
    assert (await sign_in(client)).status == 302
    assert SESSION in client.jar, "the old hash still matches: the user signs in"
    assert await setup.adapter.get_password_hash(user["id"]) == weak, "nothing half-written"
    setup.adapter.broken = set()
    assert (await sign_in(setup.client())).status == 302
    assert await setup.adapter.get_password_hash(user["id"]) != weak, "rehashed when it can be"


async def test_sign_in_with_a_malformed_address_is_refused() -> None:
    setup = broken_setup()
    await ready(setup)
    client = setup.client()
    assert error_of(await sign_in(client, email="not an address")) == "CredentialsSignin"
    assert SESSION not in client.jar


async def test_two_factor_answers_refused_before_any_check() -> None:
    gate = make_gate(adapter=MemoryAdapter(), session=SessionConfig(strategy="jwt"))
    unsupported = await Client(gate).post("/two-factor", form={"code": "123456"})
    assert unsupported.status == 400
    assert b"is not supported by NextAuth.js" in unsupported.body
    setup = broken_setup()
    await enrol(await ready(setup))
    client = setup.client(now=NOW + 30)
    assert (await sign_in(client)).redirect == "http://localhost:3000/api/auth/two-factor"
    no_csrf = await client.post("/two-factor", form={"code": "123456"})
    assert no_csrf.redirect == "http://localhost:3000/api/auth/two-factor?csrf=true"
    assert SESSION not in client.jar
    empty = await answer(client)
    assert empty.status == 400, "neither a code nor a recovery code"
    assert b"Fill in every field." in empty.body
    assert SESSION not in client.jar


async def test_confirming_an_address_when_storage_fails_or_the_user_is_gone() -> None:
    setup = broken_setup()
    client = setup.client()
    await sign_up(client)
    params = setup.mailbox.link_params("verify-email")
    setup.adapter.broken = {"update_user"}
    assert error_of(await client.get("/verify-email", query=params)) == "Callback"
    setup.adapter.broken = set()
    user = await setup.adapter.get_user_by_email(EMAIL)
    assert user["emailVerified"] is None, "nothing half-written"
    assert (await client.get("/verify-email", query=params)).status == 200, "the link survived"
    user = await setup.adapter.get_user_by_email(EMAIL)
    assert user["emailVerified"] is not None
    assert error_of(await client.get("/verify-email", query=params)) == "Verification", "once"
    await sign_up(client, "gone@example.com")
    params = setup.mailbox.link_params("verify-email")
    gone = await setup.adapter.get_user_by_email("gone@example.com")
    await setup.adapter.delete_user(gone["id"])
    assert error_of(await client.get("/verify-email", query=params)) == "Verification"


async def test_forgot_password_refuses_a_missing_or_malformed_address() -> None:
    setup = broken_setup()
    client = await ready(setup)
    token = await client.csrf()
    sent = len(setup.mailbox.sent)
    missing = await client.post("/forgot-password", form={"csrfToken": token})
    assert missing.status == 400
    assert b"Fill in every field." in missing.body
    malformed = await client.post("/forgot-password", form={"csrfToken": token, "email": "nope"})
    assert malformed.status == 400
    assert b"Enter one e-mail address." in malformed.body
    signup = await sign_up(setup.client(), "a@b@example.com")
    assert signup.status == 400
    assert b"Enter one e-mail address." in signup.body
    assert len(setup.mailbox.sent) == sent, "no mail for any"
    assert len(setup.adapter.dump()["users"]) == 1


async def test_reset_links_without_a_token_a_password_or_a_user_are_refused() -> None:
    setup = broken_setup()
    client = await ready(setup)
    bare = await client.get("/reset-password", query={"email": EMAIL})
    assert error_of(bare) == "Verification"
    token = await client.csrf()
    await client.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    params = setup.mailbox.link_params("reset-password")
    empty = await client.post("/reset-password", form={"csrfToken": token, **params})
    assert empty.status == 400
    assert b"Fill in every field." in empty.body
    user = await setup.adapter.get_user_by_email(EMAIL)
    await setup.adapter.delete_user(user["id"])
    form = {"csrfToken": token, **params, "password": "another long passphrase"}
    assert error_of(await client.post("/reset-password", form=form)) == "Verification"
    assert setup.adapter.dump()["passwords"] == {}, "no password for nobody"


async def test_change_password_done_page_for_the_signed_in_user() -> None:
    setup = broken_setup()
    client = await ready(setup)
    done = await client.get("/change-password", query={"done": "1"})
    assert done.status == 200
    assert b"Your password is changed. Your other sessions have ended." in done.body


@pytest.mark.parametrize("broken", ["get_user", "create_session"])
async def test_two_factor_answers_503_when_the_session_cannot_be_issued(broken: str) -> None:
    """The code was right, then storage failed: ``Callback`` (``503``), no session."""
    setup = broken_setup("database")
    owner = await ready(setup)
    secret, _ = await enrol(owner)
    client = setup.client(now=NOW + 30)
    await sign_in(client)
    setup.adapter.broken = {broken}
    response = await answer(client, code=code_at(secret, NOW + 30), json="true")
    assert response.status == 503, response.body
    assert "error=Callback" in response.body.decode()
    assert SESSION not in client.jar
    setup.adapter.broken = set()
    await sign_in(client)
    assert (await answer(client, code=code_at(secret, NOW + 60), now=NOW + 60)).status == 302
    assert SESSION in client.jar


async def test_a_step_up_answers_503_when_the_method_cannot_be_recorded() -> None:
    setup = broken_setup("database")
    owner = await ready(setup)
    secret, _ = await enrol(owner)
    setup.adapter.broken = {"set_session_methods"}
    response = await answer(owner, code=code_at(secret, NOW + 30), now=NOW + 30, json="true")
    assert response.status == 503, response.body
    assert "error=Callback" in response.body.decode()


@pytest.mark.parametrize("outage", ["database session", "revocation store", "user lookup"])
async def test_routes_that_need_the_signed_in_user_answer_an_outage(
    outage: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Who is signed in cannot be read: ``Callback`` (503 in JSON mode), never "signed out"
    (``SessionRequired``, a sign-in page) and never a 500; once storage is back, it works."""
    store = SilentStore() if outage == "revocation store" else None
    setup = broken_setup("database" if outage == "database session" else "jwt", revocation=store)
    owner = await ready(setup)
    secret, _ = await enrol(owner)
    token = await owner.csrf()
    change = {"csrfToken": token, "currentPassword": STRONG, "newPassword": STRONG + "!"}
    setup_form = {"csrfToken": token, "op": "regenerate", "code": code_at(secret, NOW)}
    step_up = {"csrfToken": token, "code": code_at(secret, NOW)}

    def down(on: bool) -> None:
        if store is not None:
            store.down = on
        elif outage == "database session":
            setup.adapter.broken = {"get_session_and_user"} if on else set()
        else:  # the JWT names a user the adapter cannot read
            setup.adapter.broken = {"get_user"} if on else set()

    down(True)
    with caplog.at_level(logging.ERROR, logger="authgate"):
        answers = {
            "GET change-password": await owner.get("/change-password"),
            "POST change-password": await owner.post("/change-password", form=change),
            "POST change-password json": await owner.post(
                "/change-password", form={**change, "json": "true"}
            ),
        }
        if outage != "user lookup":  # the two-factor routes read the user from the session
            answers["GET two-factor-setup"] = await owner.get("/two-factor-setup")
            answers["POST two-factor-setup"] = await owner.post(
                "/two-factor-setup", form=setup_form
            )
            answers["GET two-factor"] = await owner.get("/two-factor")
            answers["POST two-factor"] = await owner.post("/two-factor", form=step_up)
    for what, response in answers.items():
        if what.endswith("json"):
            assert response.status == 503, (what, response.body)
            assert query_of(response.redirect or body_url(response))["error"] == ["Callback"]
        else:
            assert error_of(response) == "Callback", (what, response.status, response.redirect)
        assert not [c for c in response.cookies if c.name == SESSION], what
    assert "the adapter failed" in caplog.text
    assert "CHANGE_PASSWORD_ERROR" in caplog.text

    down(False)
    assert (await owner.get("/change-password")).status == 200
    assert (await owner.get("/two-factor-setup")).status == 200
    assert (await owner.post("/change-password", form=change)).status == 302


def body_url(response: Any) -> str:
    import json

    return str(json.loads(response.body)["url"])
