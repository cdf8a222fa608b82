"""Parse POST bodies (urlencoded or JSON) with limits, before any other work is done."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

MAX_BODY_BYTES = 64 * 1024
"""Bodies above this are refused with 413 (the ASGI app stops reading there too)."""
MAX_FIELDS = 64
MAX_JSON_DEPTH = 16
MAX_FIELD_NAME_CHARS = 256
MAX_FIELD_VALUE_CHARS = 16 * 1024  # a top-level string value; nested JSON is bounded by the body


class BodyError(ValueError):
    """The body cannot be accepted; ``status`` is the HTTP answer (400, 413, 415)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated key is ambiguous (which value would a check see?), exactly like a repeated
    # form field: refused at every level.
    data = dict(pairs)
    if len(data) != len(pairs):
        raise BodyError("a JSON field is repeated")
    return data


def _unicode(value: str) -> None:
    # JSON's \ud800 escapes can carry lone UTF-16 surrogates, which are not Unicode text:
    # they cannot be encoded, hashed or stored. Refused here so no later step meets one.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BodyError("JSON body contains a lone UTF-16 surrogate") from exc


def _walk(value: Any, limit: int) -> None:
    """Refuse nesting deeper than ``limit`` and strings that are not Unicode text."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise BodyError("JSON body is nested too deeply")
        if isinstance(item, str):
            _unicode(item)
        elif isinstance(item, dict):
            for key in item:
                _unicode(key)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _check_fields(fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if len(key) > MAX_FIELD_NAME_CHARS:
            raise BodyError(f"a field name is longer than {MAX_FIELD_NAME_CHARS} characters")
        if isinstance(value, str) and len(value) > MAX_FIELD_VALUE_CHARS:
            raise BodyError(f"a field is longer than {MAX_FIELD_VALUE_CHARS} characters")


def parse(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """Parse a request body into a mapping.

    Urlencoded fields are strings; a repeated field or JSON key is refused (it is ambiguous
    which value a check would see). JSON must be an object of Unicode text (no lone surrogates).
    An empty body is an empty mapping; a body without a ``Content-Type`` is refused (415).
    """
    if len(raw) > MAX_BODY_BYTES:
        raise BodyError(f"request body larger than {MAX_BODY_BYTES} bytes", 413)
    if not raw.strip():
        return {}
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError("request body is not valid UTF-8") from exc
    if media_type == "application/json" or media_type.endswith("+json"):
        return _json(text)
    if media_type == "application/x-www-form-urlencoded":
        return _form(text)
    if not media_type:
        raise BodyError("a request body needs a Content-Type", 415)
    raise BodyError(f"unsupported content type {media_type!r}", 415)


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text, object_pairs_hook=_unique_object)
    except BodyError:
        raise
    except (ValueError, RecursionError) as exc:
        raise BodyError("request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise BodyError("JSON body must be an object")
    if len(data) > MAX_FIELDS:
        raise BodyError("too many fields")
    _walk(data, MAX_JSON_DEPTH)
    _check_fields(data)
    return data


def _form(text: str) -> dict[str, Any]:
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError as exc:
        raise BodyError("form field is not valid UTF-8") from exc
    except ValueError as exc:
        raise BodyError("too many fields") from exc
    form: dict[str, Any] = {}
    for key, value in pairs:
        if key in form:
            raise BodyError("a form field is repeated")
        form[key] = value
    _check_fields(form)
    return form


def text_field(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) else None
