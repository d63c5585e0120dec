"""Store URLs: one string picks the backend and everything needed to reach it.

    sqlite:///relative/file.db          sqlite:////absolute/file.db   (SQLAlchemy style)
    sqlite:///file.db?retention_days=400  (samples older than that are deleted; 0 keeps all)
    influxdb-v1://[user:password@]host[:port]/database[?rp=POLICY&tls=1]
    influxdb-v2://[token@]host[:port]/org/bucket[?tls=1]
    influxdb-v2://user:password@host:8086/-/database/rp   (InfluxDB 1.8's v2 API)

Secrets may be percent-encoded; ``redacted()`` hides them for logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from iiot_core.errors import ConfigError
from iiot_core.masking import mask, remember_url

SCHEMES = ("sqlite", "influxdb-v1", "influxdb-v2")
# Raw telemetry kept by the embedded store: a year's report can be recomputed a month after it ends.
DEFAULT_RETENTION_DAYS = 400.0
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """A parsed store URL. ``database`` is the v1 database or the v2 bucket."""

    scheme: str
    path: Path | None = None
    host: str = ""
    port: int = 8086
    tls: bool = False
    user: str | None = None
    password: str | None = None
    token: str | None = None
    org: str = ""
    database: str = ""
    rp: str | None = None
    retention_days: float = DEFAULT_RETENTION_DAYS  # the embedded store's own retention

    @property
    def http_base(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def redacted(self) -> str:
        """The URL with secrets replaced by ``***``."""
        if self.scheme == "sqlite":
            keep = (
                ""
                if self.retention_days == DEFAULT_RETENTION_DAYS
                else f"?retention_days={self.retention_days:g}"
            )
            return f"sqlite:///{self.path}{keep}"
        auth = "***@" if (self.user or self.token) else ""
        where = f"{self.org}/{self.database}" if self.scheme == "influxdb-v2" else self.database
        rp = f"?rp={self.rp}" if self.rp else ""
        return f"{self.scheme}://{auth}{self.host}:{self.port}/{where}{rp}"


def _fail(url: str, why: str) -> ConfigError:
    return ConfigError([f"store URL {mask(url)!r}: {why}"])


def _retention(url: str, query: str) -> float:
    options = {k: v[-1] for k, v in parse_qs(query).items()}
    if set(options) - {"retention_days"}:
        raise _fail(
            url,
            f"unknown option(s) {', '.join(sorted(set(options) - {'retention_days'}))} "
            "(known: retention_days)",
        )
    raw = options.get("retention_days", str(DEFAULT_RETENTION_DAYS))
    try:
        days = float(raw)
    except ValueError:
        raise _fail(url, f"retention_days must be a number of days, got {raw!r}") from None
    if not days >= 0:
        raise _fail(url, f"retention_days must be 0 (keep everything) or more, got {raw!r}")
    return days


def parse_store_url(url: str) -> StoreUrl:
    """Parse and check a store URL; raise ConfigError saying what is wrong."""
    remember_url(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _fail(url, f"unknown scheme {parts.scheme!r}; use one of {', '.join(SCHEMES)}")
    if scheme == "sqlite":
        if parts.netloc:
            raise _fail(url, "write sqlite:///relative/path.db or sqlite:////absolute/path.db")
        path = unquote(parts.path)[1:]
        if not path:
            raise _fail(url, "no file path")
        return StoreUrl("sqlite", path=Path(path), retention_days=_retention(url, parts.query))
    if not parts.hostname:
        raise _fail(url, "no host")
    try:
        port = parts.port or 8086
    except ValueError as exc:
        raise _fail(url, f"bad port: {exc}") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"rp", "tls"}
    if unknown:
        raise _fail(url, f"unknown option(s) {', '.join(sorted(unknown))} (known: rp, tls)")
    segments = [unquote(s) for s in parts.path.strip("/").split("/") if s]
    host, tls = parts.hostname, query.get("tls", "").lower() in _TRUE
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if scheme == "influxdb-v1":
        if len(segments) != 1:
            raise _fail(url, "expected influxdb-v1://[user:password@]host:port/database")
        return StoreUrl(
            scheme,
            host=host,
            port=port,
            tls=tls,
            user=user,
            password=password,
            database=segments[0],
            rp=query.get("rp"),
        )
    if len(segments) not in (2, 3) or "rp" in query:
        raise _fail(url, "expected influxdb-v2://[token@]host:port/org/bucket")
    # InfluxDB 1.8's v2 API takes "user:password" as the token and "db/rp" as the bucket.
    token = f"{user}:{password}" if password is not None else user
    bucket = "/".join(segments[1:])
    return StoreUrl(scheme, host=host, port=port, tls=tls, token=token, org=segments[0], database=bucket)
