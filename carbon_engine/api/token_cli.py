"""``zcf token create --role ROLE | list | revoke ID``: the operator API's bearer tokens.

The tokens file holds salted hashes only (see carbon_engine.api.auth); ``create`` prints the
token once on stdout. The file is ``--file``, else ``ZCF_API_TOKENS_FILE``, else
``data/api-tokens`` (the file ``zcf engine`` reads under its default data dir). A running
engine re-reads the file when it changes: a new token works, a revoked one stops, at once.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from carbon_engine.api.auth import Role, TokenFile
from iiot_core.errors import ConfigError
from iiot_core.runner import EXIT_FAILED, EXIT_OK, print_problems

DEFAULT_FILE = Path("data") / "api-tokens"


class TokensEnv(BaseSettings):
    """``ZCF_API_TOKENS_FILE``, shared with the engine's API settings."""

    model_config = SettingsConfigDict(env_prefix="ZCF_API_", frozen=True, extra="ignore")

    tokens_file: Path | None = None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zcf token", description=__doc__.splitlines()[0])
    p.add_argument("--file", type=Path, help=f"tokens file (env ZCF_API_TOKENS_FILE; default {DEFAULT_FILE})")
    sub = p.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="create a token, print it once, store its hash")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    sub.add_parser("list", help="ids, roles and creation times (never the tokens)")
    revoke = sub.add_parser("revoke", help="remove a token by id")
    revoke.add_argument("id")
    return p


def tokens_file(given: Path | None) -> Path:
    """``--file`` > ``ZCF_API_TOKENS_FILE`` > ``data/api-tokens``."""
    return given or TokensEnv().tokens_file or DEFAULT_FILE


def main(argv: list[str] | None = None) -> int:
    """Entry point; 2 for a malformed tokens file (every fault printed), 1 for an unknown id."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    file = TokenFile(tokens_file(args.file))
    try:
        if args.action == "create":
            return _create(file, Role(args.role))
        if args.action == "list":
            return _list(file)
        return _revoke(file, args.id)
    except ConfigError as exc:
        return print_problems(exc)


def _create(file: TokenFile, role: Role) -> int:
    token, entry = file.add(role)
    print(token)
    print(
        f"token {entry.id} role={role.value} added to {file.path}; it is shown only now: "
        "keep it in a password manager (send it as Authorization: Bearer TOKEN)",
        file=sys.stderr,
    )
    return EXIT_OK


def _list(file: TokenFile) -> int:
    entries = file.entries()
    if not entries:
        print(f"no tokens in {file.path}", file=sys.stderr)
    for e in entries:
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(e.created))
        print(f"{e.id}  {e.role.value:<8}  {created}")
    return EXIT_OK


def _revoke(file: TokenFile, token_id: str) -> int:
    if not file.revoke(token_id):
        print(f"zcf token: no token {token_id!r} in {file.path}", file=sys.stderr)
        return EXIT_FAILED
    print(f"token {token_id} revoked in {file.path}", file=sys.stderr)
    return EXIT_OK
