"""Store contracts: the writer and reader Protocols and the value types they exchange."""

from __future__ import annotations

from array import array
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from iiot_core.errors import StoreError
from iiot_core.model import Telemetry

MEASUREMENT_TELEMETRY = "telemetry"
MEASUREMENT_CARBON = "carbon"
SEQ_FIELD = "seq"
QUALITY_SUFFIX = "_q"
TAGS = ("site", "area", "line", "device")

# (measurement, message): what a writer stores. A plain tuple keeps the hot path cheap.
Record = tuple[str, Telemetry]


class StoreRejected(StoreError):
    """The store refused the data itself (type conflict, bad line, too large); retrying is futile."""


def is_outage(exc: BaseException) -> bool:
    """True if ``exc`` says the store is down or unreachable, so the same batch is retried.

    Anything else a writer raises is about the data: a refusal (StoreRejected) or an error
    nobody foresaw (say ``OverflowError`` while binding a value). Retrying those would stop
    ingest on one message, so ingest splits the batch and dead-letters what fails alone.
    Raw ``OSError`` and ``TimeoutError`` count as outages: a writer that forgot to wrap a
    connection error must not dead-letter a whole batch."""
    if isinstance(exc, StoreRejected):
        return False
    return isinstance(exc, StoreError | OSError | TimeoutError)


@dataclass(frozen=True, slots=True)
class SeriesKey:
    """One stored series: measurement, asset path and field (the point name)."""

    measurement: str
    site: str
    area: str
    line: str
    device: str
    field: str


@dataclass(frozen=True, slots=True)
class Selector:
    """Which series a query covers; ``None`` matches any value, ``fields=None`` every field."""

    measurement: str = MEASUREMENT_TELEMETRY
    site: str | None = None
    area: str | None = None
    line: str | None = None
    device: str | None = None
    fields: tuple[str, ...] | None = None

    def tag_filters(self) -> list[tuple[str, str]]:
        """The (tag, value) pairs that are set, in TAGS order."""
        pairs = [("site", self.site), ("area", self.area), ("line", self.line)]
        pairs.append(("device", self.device))
        return [(k, v) for k, v in pairs if v is not None]


@dataclass(frozen=True, slots=True)
class LatestValue:
    """The newest sample of one series; ``ts`` in ms; ``quality`` is ``good`` unless stored."""

    key: SeriesKey
    ts: int
    value: float
    quality: str


@dataclass(frozen=True, slots=True)
class Bucket:
    """Aggregates of one series over ``[ts, ts + interval)``; ``ts`` = origin + k x interval."""

    ts: int
    mean: float
    min: float
    max: float
    last: float
    count: int


@dataclass(frozen=True, slots=True)
class History:
    """Aggregated history of one series, buckets in time order (empty buckets left out)."""

    key: SeriesKey
    buckets: list[Bucket]


# A raw sample's quality as a small code (``RawPage.quality``): its index here; 0 = good.
QUALITY_CODES: tuple[str, ...] = ("good", "bad", "stale", "estimated")
_QUALITY_CODE = {q: i for i, q in enumerate(QUALITY_CODES)}
RAW_PAGE_MS = 600_000


def quality_code(stored: str | None) -> int:
    """The code of a stored quality (``None`` or missing = good; an unknown one counts as bad)."""
    return 0 if stored is None else _QUALITY_CODE.get(stored, 1)


@dataclass(frozen=True, slots=True)
class RawPage:
    """Raw samples of one time slice, in time order: columns, ``series`` indexes ``keys``.

    Compact typed arrays (no object per sample): ``numpy.frombuffer`` reads them without a copy.
    """

    start_ms: int
    end_ms: int
    keys: list[SeriesKey]
    series: array[int]  # 'l'
    ts: array[int]  # 'q', ms
    value: array[float]  # 'd'
    quality: array[int]  # 'B', codes of QUALITY_CODES

    def __len__(self) -> int:
        return len(self.ts)


def bucket_offset(origin_ms: int, interval_ms: int) -> int:
    """Where buckets of ``interval_ms`` starting at ``origin_ms`` fall past the epoch's: [0, interval)."""
    return origin_ms % interval_ms


def is_point_field(name: str) -> bool:
    """True for a field that holds a point value (not ``seq``, not a ``*_q`` quality)."""
    return name != SEQ_FIELD and not name.endswith(QUALITY_SUFFIX)


class StoreWriter(Protocol):
    """Writes batches of telemetry; idempotent, so a replayed sample overwrites itself."""

    @property
    def description(self) -> str:
        """The store URL without secrets, for logs."""
        ...

    async def check(self) -> None:
        """Raise StoreError with a clear message if the store is unreachable or unusable."""
        ...

    async def write(self, batch: Sequence[Record]) -> int:
        """Durably write ``batch``; return the number of points. StoreRejected = bad data."""
        ...

    async def close(self) -> None: ...


class StoreReader(Protocol):
    """Queries for the operator API (latest values, aggregated history) and raw samples for recomputation."""

    @property
    def description(self) -> str: ...

    async def check(self) -> None:
        """Raise StoreError with a clear message if the store cannot be queried."""
        ...

    async def fields(self, measurement: str = MEASUREMENT_TELEMETRY) -> list[str]:
        """Names of the point fields stored under ``measurement``, sorted."""
        ...

    async def latest(self, sel: Selector, since_ms: int | None = None) -> list[LatestValue]:
        """Newest value of every selected series (optionally only samples at or after since_ms)."""
        ...

    async def history(
        self, sel: Selector, start_ms: int, end_ms: int, interval_ms: int, origin_ms: int = 0
    ) -> list[History]:
        """Mean, min, max, last and count per ``interval_ms`` bucket over [start_ms, end_ms).

        Buckets start at ``origin_ms + k * interval_ms`` (the epoch by default; pass ``start_ms``
        to align them to the start of the range)."""
        ...

    def raw(
        self, sel: Selector, start_ms: int, end_ms: int, page_ms: int = RAW_PAGE_MS
    ) -> AsyncIterator[RawPage]:
        """Every sample of the selected series in [start_ms, end_ms), with its quality.

        Pages of ``page_ms`` (or less), each in time order, pages in order: a year is
        streamed a slice at a time, never held at once."""
        ...

    async def close(self) -> None: ...
