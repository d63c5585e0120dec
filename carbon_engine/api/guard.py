"""ASGI middleware in front of every route: security headers, and a cap on request bodies.

The body cap answers 413 from the ``Content-Length`` header before anything is read; a
chunked body is counted as it arrives and refused once it passes the cap.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carbon_engine.api.schemas import Problem

# The dashboard loads nothing from elsewhere and has no inline script or style; ``data:``
# images are the empty favicon. frame-ancestors is the CSP form of X-Frame-Options.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a chunked body passes the cap: an HTTPException, so that
    FastAPI's body parsing passes it on and the error handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class Guard:
    """Adds the security headers to every response; refuses bodies over ``max_body`` bytes."""

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        if _declared_length(scope) > self.max_body:
            await self._too_large(send_headers)
            return
        try:
            await self.app(scope, self._counting(receive), send_headers)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(send_headers)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        return wrapped

    async def _too_large(self, send: Send) -> None:
        body = Problem(detail=BodyTooLarge(self.max_body).detail).model_dump_json().encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),  # the unread body must not be taken for the next request
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # the server refuses a malformed length itself
    return 0
