"""Security headers on every response, including errors the framework produces itself.

The sandbox answers no cross-origin request (no CORS headers, preflights refused), as an app
whose pages and APIs share one origin should. The seeded defect `cors_reflects_origin` is the
common misconfiguration: a CORS layer that echoes any Origin with credentials allowed.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS: dict[str, str] = {
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
}


class SecurityHeadersMiddleware:
    """Adds the fixed headers; `Cache-Control: no-store` unless a handler chose otherwise."""

    def __init__(self, app: ASGIApp, reflect_origin: bool = False) -> None:
        self.app = app
        self.reflect_origin = reflect_origin  # the seeded defect cors_reflects_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = Headers(scope=scope).get("origin") if self.reflect_origin else None
        cors = ({"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
                 "Vary": "Origin"} if origin is not None and scope["path"].startswith("/api/") else {})
        if cors and scope["method"] == "OPTIONS":  # the defect admits any preflight too
            allowed = {"Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
                       "Access-Control-Allow-Headers": "Content-Type, Authorization"}
            await Response(status_code=204, headers={**SECURITY_HEADERS, **cors, **allowed})(
                scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in {**SECURITY_HEADERS, **cors}.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
