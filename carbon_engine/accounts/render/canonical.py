"""RFC 8785 JSON Canonicalization Scheme (JCS) and the report digest.

The digest of a report is ``sha256(JCS(report without its "digest" member))``, hex. JCS
(https://www.rfc-editor.org/rfc/rfc8785) fixes the bytes of a JSON value: object members
sorted by the UTF-16 code units of their names, no whitespace, strings escaped as
ECMAScript's ``JSON.stringify`` does, numbers written as ECMAScript writes a double (the
shortest string that reads back to the same value). Any JCS library, in any language,
recomputes it from the report file.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

DIGEST_MEMBER = "digest"
ALGORITHM = "sha256"
COVERS = 'RFC 8785 (JCS) canonical JSON of the report without its "digest" member, UTF-8'


def _number(x: float) -> str:
    """ECMAScript Number::toString of a finite double (RFC 8785 section 3.2.2.3)."""
    if not math.isfinite(x):
        raise ValueError(f"a report cannot hold {x!r}: JSON has no NaN or infinity")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr gives the shortest digits that read back to x (the same digits ECMAScript picks).
    mantissa, _, exp = repr(abs(x)).partition("e")
    whole, _, frac = mantissa.partition(".")
    raw = whole + frac
    significant = raw.lstrip("0")
    n = len(whole) + int(exp or 0) - (len(raw) - len(significant))  # x = 0.DIGITS x 10**n
    digits = significant.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    body = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{body}e{'+' if e >= 0 else '-'}{abs(e)}"


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be", "surrogatepass")


def _write(value: Any, out: list[str]) -> None:
    if value is None or value is True or value is False:
        out.append(json.dumps(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(_number(float(value)) if abs(value) >= 2**53 else str(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, name in enumerate(sorted(value, key=_utf16_key)):
            if not isinstance(name, str):
                raise TypeError(f"JSON object keys must be strings, not {name!r}")
            out.append(("," if i else "") + json.dumps(name, ensure_ascii=False) + ":")
            _write(value[name], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


def canonical(value: Any) -> bytes:
    """The JCS bytes (UTF-8) of a JSON-ready value."""
    out: list[str] = []
    _write(value, out)
    return "".join(out).encode("utf-8")


def content_digest(report: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``report`` without its ``digest`` member."""
    content = {k: v for k, v in report.items() if k != DIGEST_MEMBER}
    return hashlib.sha256(canonical(content)).hexdigest()


def seal(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` with its ``digest`` member set (any old one replaced)."""
    content = {k: v for k, v in report.items() if k != DIGEST_MEMBER}
    return {
        **content,
        DIGEST_MEMBER: {"algorithm": ALGORITHM, "value": content_digest(content), "covers": COVERS},
    }


def verify(report: dict[str, Any]) -> bool:
    """True when the report's stored digest matches its content."""
    stored = report.get(DIGEST_MEMBER)
    return isinstance(stored, dict) and stored.get("value") == content_digest(report)
