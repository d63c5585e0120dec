"""Bearer tokens of the operator API: roles, creation, hashed storage, verification.

A token reads ``zcf_<id>_<secret>``: the id (8 hex digits, not secret) finds the entry, the
secret (32 random bytes) is checked against ``sha256(salt + secret)`` with a constant-time
compare. The secret has 256 bits of entropy, so a fast salted hash is enough: slow password
hashes exist for guessable passwords, and would only add latency to every request.

Entries (one a line in the tokens file, or separated by commas/whitespace in
``ZCF_API_TOKENS``): ``id:role:sha256:salt_hex:digest_hex:created_epoch_s``; ``#`` starts a
comment line. The file is re-read when it changes, so a revoked token stops working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from iiot_core.errors import ConfigError

log = logging.getLogger(__name__)

PREFIX = "zcf"
SCHEME = "sha256"
_ID = re.compile(r"^[0-9a-f]{8}$")
_HEX = re.compile(r"^[0-9a-f]+$")


class Role(StrEnum):
    """What a token may do; each role may do everything the roles before it may."""

    viewer = "viewer"  # read every resource, follow the live stream, scrape /metrics
    operator = "operator"  # + acknowledge alerts, record offsets
    admin = "admin"  # + configuration

    def allows(self, needed: Role) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Role.viewer: 1, Role.operator: 2, Role.admin: 3}


@dataclass(frozen=True, slots=True)
class TokenEntry:
    """The stored form of one token: never the token itself."""

    id: str
    role: Role
    salt: bytes
    digest: bytes
    created: int

    def line(self) -> str:
        return f"{self.id}:{self.role.value}:{SCHEME}:{self.salt.hex()}:{self.digest.hex()}:{self.created}"


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()


def new_token(role: Role, taken: set[str] | frozenset[str] = frozenset()) -> tuple[str, TokenEntry]:
    """A fresh token (to show once) and the entry to store; the id is not one of ``taken``."""
    token_id = secrets.token_hex(4)
    while token_id in taken:
        token_id = secrets.token_hex(4)
    secret, salt = secrets.token_urlsafe(32), secrets.token_bytes(16)
    entry = TokenEntry(token_id, role, salt, _digest(salt, secret), int(time.time()))
    return f"{PREFIX}_{token_id}_{secret}", entry


def parse_entry(text: str, where: str) -> TokenEntry:
    """One stored entry; ConfigError naming ``where`` (file:line or variable) otherwise."""
    parts = text.split(":")
    if len(parts) != 6:
        raise ConfigError(
            [f"{where}: expected id:role:{SCHEME}:salt:digest:created, got {len(parts)} fields"]
        )
    token_id, role, scheme, salt, digest, created = parts
    problems = []
    if not _ID.match(token_id):
        problems.append(f"{where}: id {token_id!r} is not 8 hex digits")
    if role not in Role.__members__:
        problems.append(f"{where}: role {role!r} is not one of {', '.join(Role.__members__)}")
    if scheme != SCHEME:
        problems.append(f"{where}: hash scheme {scheme!r} is not {SCHEME}")
    if not (_HEX.match(salt) and _HEX.match(digest) and len(digest) == 64 and len(salt) % 2 == 0):
        problems.append(f"{where}: salt/digest are not hex (digest: 64 hex digits)")
    if not created.isdigit():
        problems.append(f"{where}: created {created!r} is not epoch seconds")
    if problems:
        raise ConfigError(problems)
    return TokenEntry(token_id, Role(role), bytes.fromhex(salt), bytes.fromhex(digest), int(created))


def parse_entries(text: str, source: str, *, lines: bool) -> list[TokenEntry]:
    """Entries of a file (``lines``: one a line, ``#`` comments) or of an environment value."""
    if not lines:
        return [parse_entry(item, source) for item in re.split(r"[,\s]+", text) if item]
    found = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            found.append(parse_entry(line, f"{source}:{n}"))
    return found


def split_token(token: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed token, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not _ID.match(parts[1]) or not parts[2]:
        return None
    return parts[1], parts[2]


def verify(entries: dict[str, TokenEntry], token: str) -> TokenEntry | None:
    """The entry ``token`` belongs to, or None; the compare takes the same time either way."""
    parsed = split_token(token)
    token_id, secret = parsed if parsed is not None else ("", token)
    entry = entries.get(token_id)
    salt = entry.salt if entry is not None else b"\0" * 16
    expected = entry.digest if entry is not None else b"\0" * 32
    same = hmac.compare_digest(_digest(salt, secret), expected)
    return entry if same and entry is not None else None


class TokenFile:
    """The tokens file: read (and re-read when it changed), appended to, rewritten on revoke."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._entries: list[TokenEntry] = []

    def entries(self) -> list[TokenEntry]:
        """The file's entries; [] when it does not exist (yet)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._entries = None, []
            return []
        # The inode changes on revoke (atomic replace), the size on every append.
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._entries = parse_entries(self.path.read_text(encoding="utf-8"), str(self.path), lines=True)
            self._stamp = stamp
        return self._entries

    def add(self, role: Role) -> tuple[str, TokenEntry]:
        """Create a token, append its entry (file mode 0600); returns the token to show once."""
        token, entry = new_token(role, {e.id for e in self.entries()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(entry.line() + "\n")
        return token, entry

    def revoke(self, token_id: str) -> bool:
        """Drop the entry ``token_id``; False when there is none. Atomic rewrite."""
        kept = [e for e in self.entries() if e.id != token_id]
        if len(kept) == len(self._entries):
            return False
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(e.line() + "\n" for e in kept)
        tmp.replace(self.path)
        return True


class Authenticator:
    """Tokens from the environment plus the tokens file, looked up by id."""

    @classmethod
    def load(cls, env_value: str, path: Path | None) -> Authenticator:
        """Parse both sources now, so that a bad entry stops the start-up (ConfigError)."""
        auth = cls(parse_entries(env_value, "ZCF_API_TOKENS", lines=False), TokenFile(path) if path else None)
        if auth.file is not None:
            auth.file.entries()
        return auth

    def __init__(self, env_entries: list[TokenEntry], file: TokenFile | None) -> None:
        self.env_entries = env_entries
        self.file = file

    def entries(self) -> dict[str, TokenEntry]:
        return {e.id: e for e in [*self.env_entries, *self._file_entries()]}

    def _file_entries(self) -> list[TokenEntry]:
        if self.file is None:
            return []
        try:
            return self.file.entries()
        except (ConfigError, OSError) as exc:
            # Fail closed: a tokens file broken while running lets none of its tokens in.
            log.error("tokens file unreadable, its tokens are refused file=%s error=%s", self.file.path, exc)
            return []

    def check(self, token: str) -> TokenEntry | None:
        """The entry of a valid token, else None."""
        return verify(self.entries(), token)
