"""The one masking function for every message a user sees: errors, logs, ``zcf check``, /health.

Two kinds of secret are hidden, both shown as ``***``:

- credentials inside a URL, wherever the URL appears in a text: ``mqtt://edge:pw@host`` and
  ``influxdb-v2://token@host`` become ``mqtt://***@host`` and ``influxdb-v2://***@host``;
- secret values this process has been given: passwords, tokens and keys read from a config
  file (keys named like ``password``, ``token``, ``secret``) or from a ``ZCF_*`` variable so
  named, and the credentials of every URL in them. They are remembered when read
  (``remember_config``, ``remember_env``), so a message that quotes one anywhere - a library's
  exception text, a validator's message - still shows ``***``.

``ConfigError`` masks its lines, and the log formatter that ``iiot_core.logs`` installs masks
every record, so a caller needs nothing more.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

SECRET_KEY = re.compile(r"password|passwd|token|secret|private|(^|_)key($|_)", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s/@'\"<>]+@")
_MIN_LEN = 4  # shorter values would mask ordinary words; no real secret is that short
_known: set[str] = set()


def mask(text: str) -> str:
    """``text`` with URL credentials and every remembered secret replaced by ``***``."""
    text = _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "***")
    return text


def is_secret_key(name: str) -> bool:
    """Whether a config key or variable name holds a secret (``password``, ``ZCF_API_TOKENS``).

    A file or directory (``key_file``, ``ZCF_API_TOKENS_FILE``) is a path, not the secret in it."""
    low = name.lower()
    return bool(SECRET_KEY.search(name)) and not low.endswith(("_file", "_dir", "_path"))


def remember(value: object) -> None:
    """Keep ``value`` (and its percent-encoded forms) to be masked in every later message."""
    if not isinstance(value, str) or len(value) < _MIN_LEN:
        return
    for form in (value, quote(value, safe=""), unquote(value)):
        if len(form) >= _MIN_LEN:
            _known.add(form)


def remember_url(url: object) -> None:
    """Remember the credentials inside a URL: the password, or an InfluxDB v2 token before ``@``
    (a lone user name elsewhere, ``mqtt://edge@host``, is not a secret)."""
    if not isinstance(url, str) or "://" not in url:
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        return
    if "@" not in parts.netloc:
        return
    userinfo = parts.netloc.rsplit("@", 1)[0]
    user, sep, password = userinfo.partition(":")
    if sep:
        remember(password)
        remember(userinfo)
    elif parts.scheme.lower() == "influxdb-v2":
        remember(user)


def remember_config(data: object, key: str = "") -> None:
    """Walk a parsed config file: values under secret keys, and URL credentials anywhere."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            remember_config(v, str(k))
    elif isinstance(data, list):
        for item in data:
            remember_config(item, key)
    elif isinstance(data, str):
        if is_secret_key(key):
            remember(data)
        remember_url(data)


def remember_env(environ: Mapping[str, str] | None = None) -> None:
    """Remember the secrets of ``ZCF_*`` variables (secret names, URLs with credentials)."""
    env = os.environ if environ is None else environ
    for name, value in env.items():
        if not name.startswith("ZCF_"):
            continue
        if is_secret_key(name):
            remember(value)
            for part in value.split(","):  # ZCF_API_TOKENS: comma-separated entries
                remember(part.strip())
        remember_url(value)


class MaskingFormatter(logging.Formatter):
    """A log formatter whose output (message, arguments and traceback) goes through ``mask``."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def mask_obj(value: Any) -> Any:
    """``mask`` applied to every string inside a JSON-like value (for /health answers)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, Mapping):
        return {k: mask_obj(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_obj(v) for v in value]
    return value
