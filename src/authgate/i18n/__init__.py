"""Languages of the built-in pages and e-mails: catalogs, ``Accept-Language`` negotiation.

The messages live in gettext catalogs under ``locales/<code>/LC_MESSAGES/authgate.po``; the
compiled ``.mo`` files are committed next to them so a clone and a wheel work without a build
step (``scripts/i18n`` extracts, updates and compiles them with Babel; CONTRIBUTING.md says
how). English is the source language: it needs no catalog. At run time only the standard
library's :mod:`gettext` reads the catalogs.

A page's language is ``AuthConfig(locale=...)`` when set, else the best match of the request's
``Accept-Language`` header (then the response carries ``Vary: Accept-Language``), else English.
"""

from __future__ import annotations

import functools
import gettext
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "N_",
    "Language",
    "direction",
    "language",
    "negotiate",
    "normalize",
]

DOMAIN: Final = "authgate"
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locales"
DEFAULT_LOCALE: Final = "en"
LOCALES: Final[tuple[str, ...]] = ("en", "de", "es", "fr", "ja", "ko", "pt_BR", "zh_Hans")
"""Every language with a catalog; codes as the catalog directories spell them."""

_HTML_LANG: Final = {"pt_BR": "pt-BR", "zh_Hans": "zh-Hans"}
# Scripts written right to left (ISO 639 primary subtags), for catalogs added later.
_RTL: Final = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ps", "sd", "ug", "ur", "yi"})
# Chinese written in Traditional characters: no catalog yet, so no match (not Simplified).
_TRADITIONAL_REGIONS: Final = frozenset({"tw", "hk", "mo"})
_TAG: Final = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,7}")
_QUALITY: Final = re.compile(r"q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")
# A real header lists a handful of languages; a hostile one must not cost more than this.
_MAX_HEADER: Final = 1024
_MAX_RANGES: Final = 32


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message


def normalize(tag: str) -> str | None:
    """The catalog for a language tag (``ko-KR``, ``zh_CN``, ``pt``), or ``None``.

    The primary subtag decides, except for Chinese (Simplified only: ``zh``, ``zh-CN``,
    ``zh-SG``, ``zh-Hans``; ``zh-TW``/``zh-HK``/``zh-Hant`` have no catalog) and Portuguese
    (every ``pt`` gets the Brazilian catalog, the only one).
    """
    if not isinstance(tag, str) or not _TAG.fullmatch(tag):
        return None
    subtags = tag.replace("_", "-").lower().split("-")
    primary = subtags[0]
    if primary == "zh":
        rest = subtags[1:]
        if "hant" in rest or (rest and rest[0] in _TRADITIONAL_REGIONS and "hans" not in rest):
            return None
        return "zh_Hans"
    if primary == "pt":
        return "pt_BR"
    return primary if primary in LOCALES else None


def negotiate(header: str | None) -> str | None:
    """The catalog best matching an ``Accept-Language`` header (RFC 9110 §12.5.4), or ``None``.

    Ranges are taken by quality, then in the order given; ``q=0`` excludes one, a malformed
    range is skipped, ``*`` matches nothing in particular (English then).
    """
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header[:_MAX_HEADER].split(",")[:_MAX_RANGES]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params:
            match = _QUALITY.fullmatch(params.strip().replace(" ", ""))
            if match is None:
                continue
            quality = float(match.group(1))
        code = normalize(tag.strip())
        if code is not None and quality > 0:
            ranked.append((-quality, index, code))
    return min(ranked)[2] if ranked else None


def direction(code: str) -> str:
    """``"rtl"`` for languages written right to left, else ``"ltr"``."""
    return "rtl" if code.replace("_", "-").split("-")[0].lower() in _RTL else "ltr"


@functools.cache
def _catalog(code: str) -> gettext.NullTranslations:
    if code == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    with (LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as fp:
        return gettext.GNUTranslations(fp)


@dataclass(frozen=True, slots=True)
class Language:
    """The language one response is rendered in.

    Attributes:
        code: The catalog code (``ko``, ``zh_Hans``).
        html_lang: The BCP 47 tag for ``<html lang>`` (``zh-Hans``).
        dir: ``"ltr"`` or ``"rtl"``.
        translations: The catalog.
        negotiated: Chosen from ``Accept-Language``: the response varies with that header.
    """

    code: str
    html_lang: str
    dir: str
    translations: gettext.NullTranslations
    negotiated: bool = False

    def gettext(self, message: str) -> str:
        """``message`` in this language (itself when the catalog lacks it)."""
        return self.translations.gettext(message)


def language(code: str, *, negotiated: bool = False) -> Language:
    """The :class:`Language` of a catalog code or language tag; English when none matches."""
    code = normalize(code) or DEFAULT_LOCALE
    return Language(
        code=code,
        html_lang=_HTML_LANG.get(code, code),
        dir=direction(code),
        translations=_catalog(code),
        negotiated=negotiated,
    )


ENGLISH: Final = language(DEFAULT_LOCALE)


def for_request(fixed: str | None, accept_language: str | None) -> Language:
    """The language of a response: the configured one, else negotiated, else English."""
    if fixed is not None:
        return language(fixed)
    return language(negotiate(accept_language) or DEFAULT_LOCALE, negotiated=True)
