"""User-style code that `mypy --strict` must accept (run by scripts/check, not by pytest)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI

from authgate import AuthConfig, AuthGate, AuthRequest, Callbacks, PagesConfig, Session, Theme
from authgate.integrations.asgi import AuthApp
from authgate.integrations.fastapi import session_dependency
from authgate.jwt import JWTCodec, decode, encode
from authgate.providers import Credentials


async def authorize(credentials: dict[str, Any], request: AuthRequest) -> dict[str, Any] | None:
    if credentials.get("password") == "pw":
        return {"id": "1", "name": "Ada", "email": "ada@example.com"}
    return None


def jwt_callback(token: dict[str, Any], user: dict[str, Any] | None = None) -> dict[str, Any]:
    if user:
        token["role"] = "admin"
    return token


auth = AuthGate(
    AuthConfig(
        secret=["new-secret", "old-secret"],
        url="https://example.com/api/auth",
        providers=[
            Credentials(
                credentials={"username": {"label": "Username"}, "password": {"type": "password"}},
                authorize=authorize,
            )
        ],
        pages=PagesConfig(sign_in="/auth/signin"),
        theme=Theme(color_scheme="dark", brand_color="#346df1"),
        callbacks=Callbacks(jwt=jwt_callback),
    )
)
app = FastAPI()
app.mount("/api/auth", AuthApp(auth))
current_session = session_dependency(auth)


@app.get("/me")
async def me(session: Session = Depends(current_session)) -> dict[str, Any]:  # noqa: B008
    return dict(session.get("user", {}))


token: str = encode({"sub": "1"}, "secret", max_age=60)
claims: dict[str, Any] = decode(token, "secret")
codec = JWTCodec(["a", "b"])
