"""The language of the built-in pages over the wire: ``Accept-Language`` x page, ``Vary``, and
``AuthConfig(locale=...)``."""

# Translations use their languages' own punctuation (full-width marks, typographic quotes).
# ruff: noqa: RUF001

from __future__ import annotations

import re
from typing import Any

import pytest

from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Email, VerificationRequest

from .conftest import Client, make_gate

pytestmark = pytest.mark.anyio

# What each page says, by language: (html lang, a text only that language's page has).
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "/signin": {
        "en": ("en", "Sign in with Credentials"),
        "ko": ("ko", "Credentials(으)로 로그인"),
        "ja": ("ja", "Credentials でサインイン"),
        "zh_Hans": ("zh-Hans", "使用 Credentials 登录"),
        "de": ("de", "Mit Credentials anmelden"),
        "fr": ("fr", "Se connecter avec Credentials"),
        "es": ("es", "Iniciar sesión con Credentials"),
        "pt_BR": ("pt-BR", "Entrar com Credentials"),
    },
    "/error?error=Verification": {
        "en": ("en", "The sign in link is no longer valid."),
        "ko": ("ko", "로그인 링크가 더 이상 유효하지 않습니다."),
        "ja": ("ja", "このサインインリンクはもう有効ではありません。"),
        "zh_Hans": ("zh-Hans", "登录链接已失效。"),
        "de": ("de", "Der Anmeldelink ist nicht mehr gültig."),
        "fr": ("fr", "Le lien de connexion n’est plus valide."),
        "es": ("es", "El enlace de inicio de sesión ya no es válido."),
        "pt_BR": ("pt-BR", "O link de acesso não é mais válido."),
    },
    "/verify-request": {
        "en": ("en", "Check your email"),
        "ko": ("ko", "이메일을 확인하세요"),
        "ja": ("ja", "メールを確認してください"),
        "zh_Hans": ("zh-Hans", "请查收邮件"),
        "de": ("de", "Prüfen Sie Ihre E-Mails"),
        "fr": ("fr", "Consultez vos e-mails"),
        "es": ("es", "Revisa tu correo electrónico"),
        "pt_BR": ("pt-BR", "Verifique seu e-mail"),
    },
    "/signout": {
        "en": ("en", "Are you sure you want to sign out?"),
        "ko": ("ko", "로그아웃하시겠습니까?"),
        "ja": ("ja", "サインアウトしてもよろしいですか？"),
        "zh_Hans": ("zh-Hans", "确定要退出登录吗？"),
        "de": ("de", "Möchten Sie sich wirklich abmelden?"),
        "fr": ("fr", "Voulez-vous vraiment vous déconnecter\u00a0?"),
        "es": ("es", "¿Seguro que quieres cerrar sesión?"),
        "pt_BR": ("pt-BR", "Tem certeza de que deseja sair?"),
    },
}

# Accept-Language as browsers send it -> the catalog chosen.
HEADERS: list[tuple[str | None, str]] = [
    (None, "en"),
    ("en-US,en;q=0.9", "en"),
    ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
    ("ja,en-US;q=0.9,en;q=0.8", "ja"),
    ("zh-CN,zh;q=0.9", "zh_Hans"),
    ("zh-TW,zh;q=0.9,en;q=0.8", "zh_Hans"),  # zh (any script) is accepted after zh-TW
    ("zh-TW", "en"),  # Traditional only: no catalog, English
    ("de-DE,de;q=0.9,en;q=0.8", "de"),
    ("fr-CA,fr;q=0.9", "fr"),
    ("es-419,es;q=0.9", "es"),
    ("pt-BR,pt;q=0.9,en;q=0.8", "pt_BR"),
    ("it-IT,it;q=0.9", "en"),  # nothing matches: English
    ("it,ja;q=0.5", "ja"),
    ("en;q=0.1,ko;q=0.9", "ko"),
    ("ko;q=0,*;q=0.5", "en"),
    ("\u00ff\u00fe;;,q=", "en"),
]


def _lang_and_text(body: bytes) -> tuple[str, str]:
    html = body.decode()
    match = re.search(r'<html lang="([^"]+)" dir="ltr">', html)
    assert match is not None
    return match.group(1), html


@pytest.mark.parametrize("path", list(EXPECTED))
@pytest.mark.parametrize(("header", "code"), HEADERS)
async def test_accept_language_matrix(path: str, header: str | None, code: str) -> None:
    client = Client(make_gate())
    route, _, query = path.partition("?")
    response = await client.get(
        route, query=query, headers=[("accept-language", header)] if header else []
    )
    lang, html = _lang_and_text(response.body)
    html_lang, text = EXPECTED[path][code]
    assert lang == html_lang
    assert text in html
    assert response.header("vary") == "Accept-Language"
    if code != "en":  # nothing English left on the page but the provider's own name
        assert EXPECTED[path]["en"][1] not in html


@pytest.mark.parametrize("path", list(EXPECTED))
async def test_a_fixed_locale_ignores_the_header(path: str) -> None:
    client = Client(make_gate(locale="ko"))
    route, _, query = path.partition("?")
    response = await client.get(route, query=query, headers=[("accept-language", "ja,en;q=0.9")])
    lang, html = _lang_and_text(response.body)
    assert (lang, EXPECTED[path]["ko"][1] in html) == ("ko", True)
    assert response.header("vary") is None  # the same page for everyone


async def test_the_sign_in_error_message_is_translated() -> None:
    client = Client(make_gate())
    response = await client.get(
        "/signin", query={"error": "CredentialsSignin"}, headers=[("accept-language", "ja")]
    )
    assert (
        "サインインに失敗しました。入力内容が正しいか確認してください。" in response.body.decode()
    )


async def test_json_and_redirects_do_not_vary() -> None:
    client = Client(make_gate())
    for path in ("/csrf", "/providers", "/session"):
        response = await client.get(path, headers=[("accept-language", "ko")])
        assert response.header("vary") is None, path


class Outbox:
    def __init__(self) -> None:
        self.sent: list[VerificationRequest] = []

    async def __call__(self, request: VerificationRequest) -> None:
        self.sent.append(request)


@pytest.mark.parametrize(
    ("config", "header", "code"),
    [({}, "ko-KR,ko;q=0.9", "ko"), ({}, None, "en"), ({"locale": "de"}, "ja", "de")],
)
async def test_the_email_goes_out_in_the_page_language(
    config: dict[str, Any], header: str | None, code: str
) -> None:
    outbox = Outbox()
    provider = Email(send_verification_request=outbox)
    client = Client(make_gate(providers=[provider], adapter=MemoryAdapter(), **config))
    headers = [("accept-language", header)] if header else []
    csrf = await client.csrf()
    response = await client.post(
        "/signin/email", form={"csrfToken": csrf, "email": "ada@example.com"}, headers=headers
    )
    assert response.status == 302
    assert [r.locale for r in outbox.sent] == [code]
