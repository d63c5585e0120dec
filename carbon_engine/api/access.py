"""Who may call a route: ``Depends(require(Role.operator))`` on the route or its router.

401 (with ``WWW-Authenticate: Bearer``) when no valid token was sent, 403 when the token's
role is too low. Every refusal is logged with the role and the route, never the token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from carbon_engine.api.auth import Authenticator, Role
from carbon_engine.api.deps import Context

log = logging.getLogger(__name__)

# auto_error=False: a missing header is ours to refuse (and log), not a bare 403 from FastAPI.
_bearer = HTTPBearer(auto_error=False, description="a token from `zcf token create --role ROLE`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="zcf"'}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: a token's id and role, or ``anonymous`` (open read-only mode)."""

    id: str
    role: Role


ANONYMOUS_ID = "anonymous"


def _route(request: Request) -> str:
    template = getattr(request.scope.get("route"), "path", request.url.path)
    return f"{request.method} {template}"


def _refuse(request: Request, status: int, role: str, token_id: str, why: str) -> HTTPException:
    log.warning(
        "API request refused status=%d role=%s token_id=%s route=%s client=%s reason=%s",
        status,
        role,
        token_id,
        _route(request),
        request.client.host if request.client is not None else "-",
        why,
    )
    return HTTPException(status, why, CHALLENGE if status == 401 else None)


def _identify(request: Request, auth: Authenticator, open_read_only: bool, creds: Credentials) -> Caller:
    if creds is None:
        if request.headers.get("authorization"):
            raise _refuse(request, 401, "none", "-", "the Authorization header is not 'Bearer TOKEN'")
        if open_read_only:
            return Caller(ANONYMOUS_ID, Role.viewer)
        raise _refuse(
            request, 401, "none", "-", "this route needs a bearer token (Authorization: Bearer TOKEN)"
        )
    entry = auth.check(creds.credentials)
    if entry is None:
        raise _refuse(request, 401, "none", "-", "the bearer token is not valid (unknown or revoked)")
    return Caller(entry.id, entry.role)


def require(needed: Role) -> Callable[..., Caller]:
    """A dependency that lets in callers whose role allows ``needed``."""

    def check(request: Request, ctx: Context, creds: Credentials) -> Caller:
        caller = _identify(request, ctx.auth, ctx.settings.open_read_only, creds)
        if caller.role.allows(needed):
            return caller
        if caller.id == ANONYMOUS_ID:
            # 401, not 403: the dashboard then asks for a token, and the operator can sign in.
            why = f"this route needs a token with the {needed.value} role; the API is in open read-only mode"
            raise _refuse(request, 401, "anonymous", "-", why)
        why = f"this route needs the {needed.value} role; the token has the {caller.role.value} role"
        raise _refuse(request, 403, caller.role.value, caller.id, why)

    return check


VIEWER = [Depends(require(Role.viewer))]  # for a router's ``dependencies=``
Viewer = Annotated[Caller, Depends(require(Role.viewer))]
Operator = Annotated[Caller, Depends(require(Role.operator))]
Admin = Annotated[Caller, Depends(require(Role.admin))]
