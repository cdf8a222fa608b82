"""authgate._json.compact_encoder: the same text as json.dumps, the same refusals."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from authgate._json import compact_encoder

VALUES: list[Any] = [
    {"user": {"name": "Ada", "email": "a@example.com", "image": None}, "expires": "2027"},
    {"é": "ü\u2028\ud800", "n": [1, 2.5, -0.0, 10**30, True, False, None], "e": {}, "l": []},
    "just a string \u00e9",
    42,
    1.5,
    None,
    [{"a": [{"b": "c"}]}],
    {3: "int key", 2.5: "float key", None: "null key", False: "bool key"},
]


@pytest.mark.parametrize("value", VALUES)
def test_same_text_as_json_dumps(value: Any) -> None:
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert compact_encoder()(value) == expected
    assert compact_encoder(allow_nan=False)(value) == expected


def test_nan_is_refused_only_when_asked() -> None:
    assert compact_encoder()({"x": math.nan, "y": math.inf}) == '{"x":NaN,"y":Infinity}'
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        compact_encoder(allow_nan=False)({"exp": math.nan})


def test_an_unserialisable_value_is_a_type_error_and_the_encoder_still_works() -> None:
    encode = compact_encoder()
    shared: dict[str, Any] = {"a": 1}
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode({"shared": shared, "bad": object()})
    assert encode({"shared": shared}) == '{"shared":{"a":1}}'  # no stale state


def test_a_self_containing_value_raises() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(RecursionError):
        compact_encoder()(loop)
