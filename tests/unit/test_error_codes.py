"""Issue 9: error codes are one typed set (``authgate.errors.ErrorCode``), not string literals."""

from __future__ import annotations

import ast
from pathlib import Path

from authgate import errors
from authgate.errors import CustomCode, ErrorCode, code_of

SRC = Path(__file__).resolve().parents[2] / "src" / "authgate"


def _to_error_literals() -> list[str]:
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "to_error"):
                continue
            values = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "error_type")]
            found += [
                f"{path.relative_to(SRC)}:{node.lineno}"
                for v in values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
    return found


def test_no_error_code_is_a_string_literal() -> None:
    assert _to_error_literals() == []


def test_the_codes_are_their_wire_values() -> None:
    assert ErrorCode.CredentialsSignin == "CredentialsSignin"
    assert str(ErrorCode.ConfigurationPage) == "configuration"  # v4's lowercase quirk
    assert f"{ErrorCode.OAuthAccountNotLinked}" == "OAuthAccountNotLinked"
    assert all(member.value.isidentifier() for member in ErrorCode)


def test_sign_in_errors_carry_typed_codes() -> None:
    assert errors.CredentialsSigninError.code is ErrorCode.CredentialsSignin
    assert errors.AccessDeniedError.code is ErrorCode.AccessDenied
    assert errors.CallbackError.code is ErrorCode.Callback


def test_code_of_keeps_application_codes() -> None:
    assert code_of("AccessDenied") is ErrorCode.AccessDenied
    assert code_of("Banned") == CustomCode("Banned")
    assert not isinstance(code_of("Banned"), ErrorCode)
