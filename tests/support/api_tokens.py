"""Bearer tokens for tests of the operator API: one per role, in ``ZCF_API_TOKENS`` form."""

from __future__ import annotations

import functools
from typing import Any

from carbon_engine.api import ApiSettings
from carbon_engine.api.auth import Role, new_token


@functools.cache
def _issued() -> tuple[dict[Role, str], str]:
    tokens, entries = {}, []
    for role in Role:
        token, entry = new_token(role, {e.split(":")[0] for e in entries})
        tokens[role] = token
        entries.append(entry.line())
    return tokens, ",".join(entries)


def token(role: Role) -> str:
    return _issued()[0][role]


def auth(role: Role = Role.operator) -> dict[str, str]:
    """The Authorization header of the test token of ``role``."""
    return {"Authorization": f"Bearer {token(role)}"}


def api_settings(**overrides: Any) -> ApiSettings:
    """ApiSettings that know the test tokens (hashed, as the engine stores them)."""
    return ApiSettings(tokens=_issued()[1], **overrides)
