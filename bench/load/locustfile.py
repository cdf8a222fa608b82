"""The users `make load` simulates (locust, started by ``bench/load/run.py``).

Each simulated user owns one seeded account (``load-<n>@example.com``, an argon2id hash in
PostgreSQL) and a browser (a cookie jar). It keeps a database session and mostly reads it
(``GET /api/auth/session``) or calls the API behind the session dependency (``GET /api/me``);
now and then it signs out (and checks the old cookie is dead), signs in with its password,
signs in a new address by e-mail (the link is read from the mail the SMTP server got) or signs
in at the OpenID provider. Every operation is one record in ``LOAD_RECORDS`` (JSON lines:
``op``, ``t0``, ``t1``, ``outcome``: ``"ok"`` or what went wrong), plus the facts the
consistency check needs (``kind``: ``session`` / ``revoked`` / ``email``).

``LOAD_MIX=reads`` keeps only the session reads (the scaling runs).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import gevent
import requests
from locust import User, between, constant, task

PASSWORD = "load test password 0123"
SESSION = "next-auth.session-token"
MIX = os.environ.get("LOAD_MIX", "full")
SPOOL = Path(os.environ.get("LOAD_SPOOL", "."))
_records = open(os.environ.get("LOAD_RECORDS", os.devnull), "a", buffering=1)  # noqa: SIM115
_numbers = itertools.count()


def record(**fields: Any) -> None:
    _records.write(json.dumps(fields) + "\n")


class OpFailedError(Exception):
    """An operation that did not end as it should; the message is its outcome code."""


def answer_code(response: requests.Response) -> str:
    """What a refusal said: ``error:<code>`` from a JSON ``url``, else ``status:<n>``."""
    try:
        url = response.json().get("url", "")
    except ValueError:
        url = ""
    error = dict(parse_qsl(urlsplit(url).query)).get("error") if url else None
    return f"error:{error}" if error else f"status:{response.status_code}"


class Browser(User):  # type: ignore[misc]
    """One person with a password account, a browser and a database session."""

    wait_time = constant(0) if MIX == "reads" else between(0.05, 0.4)

    def on_start(self) -> None:
        self.number = next(_numbers)
        self.email = f"load-{self.number}@example.com"
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"
        self.base = self.host.rstrip("/")
        self.signed_in = False
        self.retry_at = 0.0  # a refused sign-in is retried after a pause, as a person would
        while not self.signed_in:
            self.sign_in_again()

    def on_stop(self) -> None:
        self.http.close()

    # ---- plumbing --------------------------------------------------------------------

    def op(self, name: str, action: Any) -> None:
        """Run ``action``, time it, record it, and tell locust."""
        t0 = time.time()
        outcome, error = "ok", None
        try:
            action()
        except OpFailedError as failed:
            outcome, error = str(failed), failed
        except requests.RequestException as failed:
            outcome, error = f"transport:{type(failed).__name__}", OpFailedError(str(failed))
        t1 = time.time()
        record(op=name, t0=t0, t1=t1, outcome=outcome, user=self.number)
        self.environment.events.request.fire(
            request_type="op",
            name=name,
            response_time=(t1 - t0) * 1000,
            response_length=0,
            exception=error,
            context={},
        )

    def csrf(self, http: requests.Session) -> str:
        answer = http.get(f"{self.base}/api/auth/csrf", timeout=30)
        if answer.status_code != 200:
            raise OpFailedError(f"csrf:status:{answer.status_code}")
        return str(answer.json()["csrfToken"])

    def read_session(self, http: requests.Session, email: str) -> None:
        answer = http.get(f"{self.base}/api/auth/session", timeout=30)
        if answer.status_code != 200:
            raise OpFailedError(f"status:{answer.status_code}")
        body = answer.json()
        if not body:
            raise OpFailedError("no-session")
        if body.get("user", {}).get("email") != email:
            raise OpFailedError("wrong-user")

    # ---- the mix ---------------------------------------------------------------------

    def sign_in_again(self) -> None:
        """Sign in, honouring the ``Retry-After`` of a refusal (at least a second's pause)."""
        gevent.sleep(max(0.0, self.retry_at - time.time()))
        self.op("credentials", self.sign_in)
        if not self.signed_in:
            self.retry_at = time.time() + max(1.0, min(30.0, self.retry_after))

    @task(60)
    def session(self) -> None:
        if not self.signed_in:
            self.sign_in_again()
            return
        self.op("session", lambda: self.read_session(self.http, self.email))

    @task(25 if MIX == "full" else 0)
    def api(self) -> None:
        if not self.signed_in:
            self.sign_in_again()
            return
        self.op("api", self.call_api)

    @task(6 if MIX == "full" else 0)
    def sign_out_and_in(self) -> None:
        if self.signed_in:
            self.op("signout", self.sign_out)
        if not self.signed_in:
            self.sign_in_again()

    @task(2 if MIX == "full" else 0)
    def email_sign_in(self) -> None:
        self.op("email", self.email_flow)

    @task(2 if MIX == "full" else 0)
    def oauth_sign_in(self) -> None:
        self.op("oauth", self.oauth_flow)

    # ---- operations ------------------------------------------------------------------

    def call_api(self) -> None:
        answer = self.http.get(f"{self.base}/api/me", timeout=30)
        if answer.status_code != 200:
            raise OpFailedError(f"status:{answer.status_code}")
        if answer.json()["user"].get("email") != self.email:
            raise OpFailedError("wrong-user")

    def sign_in(self) -> None:
        self.retry_after = 0.0
        form = {"csrfToken": self.csrf(self.http), "email": self.email, "password": PASSWORD}
        answer = self.http.post(
            f"{self.base}/api/auth/callback/credentials", data={**form, "json": "true"}, timeout=30
        )
        token = self.http.cookies.get(SESSION)
        if answer.status_code != 200 or "error=" in answer.text or not token:
            with contextlib.suppress(ValueError):
                self.retry_after = float(answer.headers.get("retry-after", "0"))
            raise OpFailedError(answer_code(answer))
        self.signed_in = True
        record(kind="session", token=token, email=self.email)

    def sign_out(self) -> None:
        token = self.http.cookies.get(SESSION)
        form = {"csrfToken": self.csrf(self.http), "json": "true"}
        answer = self.http.post(f"{self.base}/api/auth/signout", data=form, timeout=30)
        if answer.status_code != 200 or "error=" in answer.text:
            raise OpFailedError(answer_code(answer))
        if self.http.cookies.get(SESSION):
            raise OpFailedError("cookie-kept")
        self.signed_in = False
        record(kind="revoked", token=token, email=self.email)
        # The copy of the cookie someone kept must be dead from the next read on.
        copy = requests.get(
            f"{self.base}/api/auth/session", cookies={SESSION: token or ""}, timeout=30
        )
        if copy.status_code != 200 or copy.json():
            raise OpFailedError("outlived-sign-out")

    def email_flow(self) -> None:
        address = f"mail-{uuid.uuid4().hex[:16]}@example.com"
        with requests.Session() as browser:
            form = {"csrfToken": self.csrf(browser), "email": address, "json": "true"}
            answer = browser.post(f"{self.base}/api/auth/signin/email", data=form, timeout=30)
            if answer.status_code != 200 or "error=" in answer.text:
                raise OpFailedError(f"send:{answer_code(answer)}")
            mail = SPOOL / f"{address}.link"
            deadline = time.monotonic() + 15
            while not mail.exists():
                if time.monotonic() > deadline:
                    raise OpFailedError("mail-missing")
                gevent.sleep(0.02)
            record(kind="email", email=address, stage="clicked")
            landed = browser.get(mail.read_text().strip(), allow_redirects=False, timeout=30)
            token = browser.cookies.get(SESSION)
            if landed.status_code not in (302, 303) or "error=" in landed.headers.get(
                "location", ""
            ):
                raise OpFailedError(f"click:{redirect_code(landed)}")
            if not token:
                raise OpFailedError("click:no-cookie")
            record(kind="session", token=token, email=address)
            record(kind="email", email=address, stage="signed-in")
            self.read_session(browser, address)

    def oauth_flow(self) -> None:
        login = f"oidc{self.number % 50}"
        with requests.Session() as browser, requests.Session() as provider:
            form = {"csrfToken": self.csrf(browser), "callbackUrl": self.base, "json": "true"}
            answer = browser.post(f"{self.base}/api/auth/signin/oidc", data=form, timeout=30)
            url = answer.json().get("url", "") if answer.status_code == 200 else ""
            if not url or "error=" in url:
                raise OpFailedError(f"start:{answer_code(answer)}")
            callback = play_provider(provider, url, login, f"{self.base}/api/auth/callback/oidc")
            landed = browser.get(callback, allow_redirects=False, timeout=30)
            token = browser.cookies.get(SESSION)
            if landed.status_code not in (302, 303) or "error=" in landed.headers.get(
                "location", ""
            ):
                raise OpFailedError(f"callback:{redirect_code(landed)}")
            if not token:
                raise OpFailedError("callback:no-cookie")
            record(kind="session", token=token, email=f"{login}@example.com")
            self.read_session(browser, f"{login}@example.com")


def redirect_code(response: requests.Response) -> str:
    location = response.headers.get("location", "")
    error = dict(parse_qsl(urlsplit(location).query)).get("error")
    return f"error:{error}" if error else f"status:{response.status_code}"


def play_provider(provider: requests.Session, url: str, login: str, callback: str) -> str:
    """The provider's login and consent pages, up to the redirect back to ``callback``."""
    for _ in range(12):
        try:
            response = provider.get(url, allow_redirects=False, timeout=30)
        except requests.RequestException as failed:
            raise OpFailedError(f"provider:transport:{type(failed).__name__}") from failed
        if response.status_code in (302, 303):
            url = urljoin(url, response.headers["location"])
            if url.startswith(callback):
                return url
            continue
        if response.status_code != 200 or "<form" not in response.text:
            raise OpFailedError(f"provider:status:{response.status_code}")
        action = urljoin(url, form_action(response.text))
        form = (
            {"prompt": "login", "login": login, "password": "anything"}
            if 'name="login"' in response.text
            else {"prompt": "consent"}
        )
        try:
            posted = provider.post(action, data=form, allow_redirects=False, timeout=30)
        except requests.RequestException as failed:
            raise OpFailedError(f"provider:transport:{type(failed).__name__}") from failed
        if posted.status_code not in (302, 303):
            raise OpFailedError(f"provider:status:{posted.status_code}")
        url = urljoin(action, posted.headers["location"])
        if url.startswith(callback):
            return url
    raise OpFailedError("provider:no-redirect")


def form_action(html: str) -> str:
    start = html.index('action="') + len('action="')
    return html[start : html.index('"', start)].replace("&amp;", "&")
