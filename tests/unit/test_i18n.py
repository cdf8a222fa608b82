"""Languages: every catalog complete and compiled, templates without untranslated text,
``Accept-Language`` parsing, right-to-left rendering, the translated e-mail."""

# Translations use their languages' own punctuation (full-width marks, typographic quotes).
# ruff: noqa: RUF001

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from authgate import AuthConfig, i18n
from authgate._core import pages
from authgate.config import Theme
from authgate.errors import ConfigurationError
from authgate.providers import Credentials
from authgate.providers.email import verification_email

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "authgate"
TEMPLATES = sorted(SRC.rglob("templates/*.html"))
TRANSLATED = [code for code in i18n.LOCALES if code != i18n.DEFAULT_LOCALE]


def _extracted() -> dict[str, set[str]]:
    """msgid -> flags, as `scripts/i18n extract` finds them (babel.cfg)."""
    with (ROOT / "babel.cfg").open() as fp:
        method_map, options_map = parse_mapping_cfg(fp, "babel.cfg")  # type: ignore[no-untyped-call]
    found: dict[str, set[str]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        SRC,
        method_map,
        options_map,
        directory_filter=lambda d: not Path(d).name.startswith(".") and "__pycache__" not in d,
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, set())
    return found


EXTRACTED = _extracted()


def _po(code: str) -> Path:
    return i18n.LOCALE_DIR / code / "LC_MESSAGES" / "authgate.po"


def test_the_catalog_directories_are_the_declared_locales() -> None:
    on_disk = sorted(p.name for p in i18n.LOCALE_DIR.iterdir() if p.is_dir())
    assert on_disk == sorted(TRANSLATED)


def test_the_extraction_finds_the_page_and_mail_strings() -> None:
    # Guards the test below against an extraction that silently finds nothing.
    for msgid in ("Sign in with %(name)s", "Check your email", "Sign in to %(host)s"):
        assert msgid in EXTRACTED
    assert "Too many sign-in attempts. Try again later." in EXTRACTED  # an N_() in Python


def test_the_committed_template_is_up_to_date() -> None:
    with (SRC / "i18n" / "authgate.pot").open("rb") as fp:
        pot = {m.id for m in read_po(fp) if m.id}
    assert pot == set(EXTRACTED), "run scripts/i18n update"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_catalog_translates_every_message(code: str) -> None:
    with _po(code).open("rb") as fp:
        catalog = read_po(fp)
    messages = {m.id: m for m in catalog if m.id}
    missing = sorted(set(EXTRACTED) - set(messages))
    assert not missing, f"{code}: run scripts/i18n update, then translate {missing}"
    untranslated = sorted(k for k, m in messages.items() if not m.string)
    assert not untranslated, f"{code}: untranslated {untranslated}"
    fuzzy = sorted(k for k, m in messages.items() if m.fuzzy)
    assert not fuzzy, f"{code}: fuzzy (check, then remove the flag) {fuzzy}"
    stale = sorted(set(messages) - set(EXTRACTED))
    assert not stale, f"{code}: no longer used {stale}"
    # Placeholders: the same %(name)s in the translation as in the source.
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert not problems, problems
    for msgid, message in messages.items():
        assert set(re.findall(r"%\((\w+)\)s", str(msgid))) == set(
            re.findall(r"%\((\w+)\)s", str(message.string))
        ), (code, msgid)
        assert "%" not in re.sub(r"%\(\w+\)s", "", str(message.string)), (code, msgid)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_compiled_catalog_matches_its_source(code: str) -> None:
    with _po(code).open("rb") as fp:
        catalog = read_po(fp)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    committed = _po(code).with_suffix(".mo").read_bytes()
    assert committed == compiled.getvalue(), f"{code}: run scripts/i18n compile"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_reads_back_translated_at_run_time(code: str) -> None:
    language = i18n.language(code)
    with _po(code).open("rb") as fp:
        catalog = read_po(fp)
    for message in catalog:
        if message.id:
            assert language.gettext(str(message.id)) == message.string, (code, message.id)
    assert language.gettext("Sign in") != "Sign in"


class _LiteralText(HTMLParser):
    """Natural-language text left in a template once its Jinja2 parts are removed."""

    ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label", "label"})

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        self.found += [v for k, v in attrs if k in self.ATTRIBUTES and v and _words(v)]

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style and _words(data):
            self.found.append(data.strip())


def _words(text: str) -> bool:
    return re.search(r"[^\W\d_]", text) is not None


def _without_jinja(source: str) -> str:
    for pattern in (
        r"\{#.*?#\}",
        r"\{%-?\s*trans\b.*?endtrans\s*-?%\}",
        r"\{\{.*?\}\}",
        r"\{%.*?%\}",
    ):
        source = re.sub(pattern, " ", source, flags=re.DOTALL)
    return source


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_hold_no_untranslated_text(template: Path) -> None:
    parser = _LiteralText()
    parser.feed(_without_jinja(template.read_text(encoding="utf-8")))
    assert not parser.found, f"{template.name}: wrap in {{{{ _('...') }}}}: {parser.found}"


def test_the_literal_text_check_can_fail() -> None:
    parser = _LiteralText()
    parser.feed(_without_jinja('<p>{{ _("ok") }}</p><p>Forgot?</p><img alt="Logo">'))
    assert parser.found == ["Forgot?", "Logo"]


# --------------------------------------------------------------------------------------------
# Negotiation.


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("ko", "ko"),
        ("ko-KR", "ko"),
        ("ja-JP", "ja"),
        ("JA", "ja"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh_CN", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh-Hans", "zh_Hans"),
        ("zh-Hans-TW", "zh_Hans"),
        ("zh-TW", None),
        ("zh-HK", None),
        ("zh-Hant", None),
        ("zh-Hant-CN", None),
        ("pt", "pt_BR"),
        ("pt-BR", "pt_BR"),
        ("pt_BR", "pt_BR"),
        ("pt-PT", "pt_BR"),
        ("de-AT", "de"),
        ("fr-CA", "fr"),
        ("es-419", "es"),
        ("ar", None),
        ("x", None),
        ("", None),
        ("*", None),
        ("ko;", None),
        ("e\u0301n", None),
        ("\ud800", None),
        ("a" * 9, None),
    ],
)
def test_normalize(tag: str, code: str | None) -> None:
    assert i18n.normalize(tag) == code


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, None),
        ("", None),
        ("ko", "ko"),
        ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("it, ja;q=0.5", "ja"),  # no Italian: the next one
        ("de;q=0.5, fr;q=0.9", "fr"),  # by quality, not by order
        ("de;q=0.5, fr;q=0.5", "de"),  # equal quality: in order
        ("ja;q=0, en;q=0.1", "en"),  # q=0: not acceptable
        ("ja;q=0", None),
        ("ja;q=2, ko", "ko"),  # malformed quality: skipped
        ("ja;q=abc, ko;q=0.3", "ko"),
        ("ja; q=0.5, ko; q = 0.4", "ja"),
        ("*", None),
        ("*;q=0.5, es", "es"),
        ("zh-TW, zh-CN;q=0.5", "zh_Hans"),
        ("zh-TW", None),
        ("pt-BR", "pt_BR"),
        (",,,;;;,", None),
        ("ko" + ",x" * 100, "ko"),
        ("x," * 40 + "ja", None),  # past 32 ranges: not read
        ("ja;q=0.001", "ja"),
        ("ja;q=1.000", "ja"),
        ("ja;q=1.0001", None),
        ("\x00ko", None),
    ],
)
def test_negotiate(header: str | None, code: str | None) -> None:
    assert i18n.negotiate(header) == code


def test_negotiate_reads_a_bounded_prefix_of_a_huge_header() -> None:
    assert i18n.negotiate("en;q=0.1," + "x" * 100_000 + ",ko") == "en"


def test_for_request() -> None:
    assert i18n.for_request(None, "ja").code == "ja"
    assert i18n.for_request(None, "ja").negotiated
    assert i18n.for_request(None, "it").code == "en"
    assert i18n.for_request(None, None).negotiated
    fixed = i18n.for_request("de", "ja")
    assert (fixed.code, fixed.negotiated) == ("de", False)


def test_language_tags() -> None:
    assert i18n.language("zh_Hans").html_lang == "zh-Hans"
    assert i18n.language("pt_BR").html_lang == "pt-BR"
    assert i18n.language("ko").html_lang == "ko"
    assert i18n.language("nonsense").code == "en"


@pytest.mark.parametrize("code", ["ar", "he", "fa-IR", "ur_PK", "ckb"])
def test_right_to_left_languages(code: str) -> None:
    assert i18n.direction(code) == "rtl"


@pytest.mark.parametrize("code", [*i18n.LOCALES, "tr", "hi"])
def test_left_to_right_languages(code: str) -> None:
    assert i18n.direction(code) == "ltr"


def test_pages_render_right_to_left() -> None:
    # No right-to-left catalog ships yet: a catalog added later gets dir="rtl" from its code.
    arabic = i18n.Language(
        code="ar", html_lang="ar", dir=i18n.direction("ar"), translations=i18n.ENGLISH.translations
    )
    response = pages.render_signout(theme=Theme(), url="/api/auth", csrf_token="t", lang=arabic)
    assert '<html lang="ar" dir="rtl">' in response.body.decode()
    # The stylesheet aligns with the writing direction, never a fixed side.
    css = (SRC / "_core" / "pages" / "styles.css").read_text()
    assert not re.search(r"\b(left|right)\b", css)


# --------------------------------------------------------------------------------------------
# Configuration and rendering.


@pytest.mark.parametrize(
    ("value", "code"), [("ko", "ko"), ("zh-CN", "zh_Hans"), ("pt-BR", "pt_BR"), ("en", "en")]
)
def test_config_locale(value: str, code: str) -> None:
    assert AuthConfig(providers=[], locale=value).locale == code


@pytest.mark.parametrize("value", ["it", "zh-TW", "", "ko;q=1", 3])
def test_config_locale_without_catalog_is_refused(value: object) -> None:
    with pytest.raises(ConfigurationError, match=r"AuthConfig\(locale=.*pt_BR"):
        AuthConfig(providers=[], locale=value)  # type: ignore[arg-type]


def test_translated_values_stay_escaped() -> None:
    provider = Credentials(
        authorize=lambda c, r: None,
        credentials={"u": {"label": "U"}},
        name='<b onmouseover="x">',
    )
    response = pages.render_signin(
        theme=Theme(),
        url="/api/auth",
        providers=[provider],
        csrf_token="t",
        callback_url="/",
        error=None,
        email=None,
        lang=i18n.language("ko"),
    )
    body = response.body.decode()
    assert "&lt;b onmouseover=&#34;x&#34;&gt;(으)로 로그인" in body
    assert "<b " not in body


@pytest.mark.parametrize(
    ("code", "subject", "button", "closing"),
    [
        ("en", "Sign in to a.example", "Sign in", "If you did not request this email"),
        ("ko", "a.example에 로그인", "로그인", "이 이메일을 요청하지 않았다면"),
        ("ja", "a.example にサインイン", "サインイン", "このメールに心当たりがない場合"),
        ("zh_Hans", "登录 a.example", "登录", "如果你没有请求此邮件"),
        ("de", "Bei a.example anmelden", "Anmelden", "Falls Sie diese E-Mail"),
        ("fr", "Se connecter à a.example", "Se connecter", "Si vous n’avez pas demandé"),
        ("es", "Iniciar sesión en a.example", "Iniciar sesión", "Si no solicitaste"),
        ("pt_BR", "Entrar em a.example", "Entrar", "Se você não solicitou"),
    ],
)
def test_the_email_in_every_language(code: str, subject: str, button: str, closing: str) -> None:
    url = "https://a.example/api/auth/callback/email?token=t"
    got_subject, text, html = verification_email(url, None, code)
    assert got_subject == subject
    assert text.startswith(f"{subject}\n{url}\n")
    assert f">{button}</a>" in html
    assert closing in html
    assert "<strong>a&#8203;.example</strong>" in html


def test_the_email_escapes_the_host_inside_the_translation() -> None:
    _, _, html = verification_email("https://a.example/x", None, "ko")
    assert "<strong>a&#8203;.example</strong>에 로그인" in html
