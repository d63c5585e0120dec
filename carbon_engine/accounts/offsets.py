"""The offsets ledger (a JSON-lines file) and the reduce-first rule that decides "zero carbon".

An offset is a retired credit (CCER, VCS, Gold Standard, other international) recorded once,
against the reporting period it is retired for. ``OffsetLedger.add`` refuses a serial already
recorded, in any period; ``apply_offsets`` keeps gross, reduction, offsets and net apart and
lists every rule that stops the period from being called zero carbon.

OffsetError
├── OffsetFileError   a line of the ledger file is not a valid record (file:line)
└── DuplicateSerial   the serial was recorded before (where and when)
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from carbon_engine.accounts.config import BaseYearCfg, OffsetRuleCfg
from iiot_core.errors import ZcfError

OffsetKind = Literal["ccer", "vcs", "gs", "other"]
# The reporting period an offset is retired against: a year, a quarter or a month.
PERIOD_KEY = r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$"
_EPS_T = 1e-9  # tonnes: below this, a difference is rounding


class OffsetError(ZcfError):
    """An offset could not be read or recorded."""


class OffsetFileError(OffsetError):
    """A line of the ledger file is not a valid record; the message names file and line."""


class DuplicateSerial(OffsetError):
    """The serial is already in the ledger: an offset is retired once."""

    def __init__(self, serial: str, first: OffsetRecord, where: str) -> None:
        self.serial = serial
        self.first = first
        when = dt.datetime.fromtimestamp(first.recorded_at_ms / 1000, dt.UTC).isoformat(timespec="seconds")
        super().__init__(
            f"offset serial {serial!r} is already recorded ({where}, retired against period "
            f"{first.period}, recorded {when} by {first.recorded_by}): an offset is retired once"
        )


class Offset(BaseModel):
    """One retired credit, as the operator enters it (API body, file)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    serial: str = Field(min_length=1, max_length=200, pattern=r"^[^\s\x00-\x1f]+$")
    registry: str = Field(min_length=1, max_length=200)  # e.g. "CCER registry", "Verra"
    kind: OffsetKind
    vintage: int = Field(ge=1990, le=2100)  # the year the reduction happened
    tco2e: float = Field(gt=0, le=1e9)
    retired_on: dt.date
    period: str = Field(pattern=PERIOD_KEY, description="reporting period: 2026, 2026-Q4 or 2026-11")
    evidence: str = Field(min_length=1, max_length=1000)  # retirement certificate, registry URL

    @field_validator("retired_on")
    @classmethod
    def _not_future(cls, v: dt.date) -> dt.date:
        if v > dt.date.today() + dt.timedelta(days=1):
            raise ValueError("a retirement date in the future is not a retirement")
        return v

    @model_validator(mode="after")
    def _vintage_before_retirement(self) -> Offset:
        if self.vintage > self.retired_on.year:
            raise ValueError(f"vintage {self.vintage} is after the retirement date {self.retired_on}")
        return self


class OffsetRecord(Offset):
    """An offset as stored: plus when and by whom it was recorded."""

    recorded_at_ms: int
    recorded_by: str = Field(min_length=1, max_length=200)


def serial_key(serial: str) -> str:
    """Serials compare without case: ``ABC-1`` and ``abc-1`` are the same credit."""
    return serial.strip().casefold()


def period_contains(outer: str, inner: str) -> bool:
    """Whether the period ``inner`` (year, quarter or month key) lies within ``outer``."""
    if outer == inner or (len(outer) == 4 and inner[:4] == outer):
        return True
    if re.fullmatch(r"\d{4}-Q[1-4]", outer) and re.fullmatch(r"\d{4}-\d{2}", inner):
        return inner[:4] == outer[:4] and (int(inner[5:]) - 1) // 3 + 1 == int(outer[6])
    return False


class OffsetLedger:
    """The ledger file: read whole (every line checked), appended to under a lock, fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # the file lock (flock) covers other processes

    def load(self) -> list[OffsetRecord]:
        """Every record in file order; [] when the file does not exist yet."""
        return [r for _, r in self._numbered(self._text())]

    def _text(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
        except (OSError, UnicodeDecodeError) as exc:
            raise OffsetFileError(f"{self.path}: unreadable: {exc}") from exc

    def _numbered(self, text: str) -> list[tuple[int, OffsetRecord]]:
        if text and not text.endswith("\n"):
            n = text.count("\n") + 1
            why = "the last line is incomplete (no newline): fix or remove it"
            raise OffsetFileError(f"{self.path}:{n}: {why}")
        lines = enumerate(text.splitlines(), start=1)
        return [(n, self._record(line, n)) for n, line in lines if line.strip()]

    def _record(self, line: str, n: int) -> OffsetRecord:
        try:
            return OffsetRecord.model_validate_json(line)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            raise OffsetFileError(f"{self.path}:{n}: {where}: {first['msg']}") from exc

    def for_period(self, key: str) -> list[OffsetRecord]:
        """Offsets retired against ``key`` or a period within it (a year holds its months)."""
        return [r for r in self.load() if period_contains(key, r.period)]

    def add(self, offset: Offset, by: str, now_ms: int | None = None) -> OffsetRecord:
        """Append ``offset``; DuplicateSerial when its serial is in the file (any period)."""
        record = OffsetRecord(
            **offset.model_dump(),
            recorded_at_ms=int(time.time() * 1000) if now_ms is None else now_ms,
            recorded_by=by,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        with self._lock, self.path.open("a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # released when the file closes
            fh.seek(0)
            try:
                text = fh.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise OffsetFileError(f"{self.path}: unreadable: {exc}") from exc
            self.refuse_known(record.serial, self._numbered(text))
            fh.write((record.model_dump_json() + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        if created:  # the new file's directory entry must survive a power cut too
            _fsync_dir(self.path.parent)
        return record

    def refuse_known(self, serial: str, existing: Sequence[tuple[int, OffsetRecord]] | None = None) -> None:
        """DuplicateSerial naming the line where ``serial`` was recorded, if it was."""
        if existing is None:
            existing = self._numbered(self._text())
        key = serial_key(serial)
        for n, r in existing:
            if serial_key(r.serial) == key:
                raise DuplicateSerial(serial, r, f"{self.path.name}:{n}")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ledger_for(rule: OffsetRuleCfg, plant_path: str | Path) -> OffsetLedger | None:
    """The ledger named by ``[accounts.offsets] file`` (relative to the plant file), or None."""
    if rule.file is None:
        return None
    return OffsetLedger(Path(plant_path).parent / rule.file)


# -- reduce first -------------------------------------------------------------------------------

RuleId = Literal["base_year_missing", "require_reduction", "max_share", "exceeds_residual"]
Failure = tuple[RuleId, str]


@dataclass(frozen=True, slots=True)
class NetResult:
    """A period's gross, reduction, offsets and net, apart, and whether it may be called zero carbon."""

    gross_t: float
    base_gross_t: float | None  # the base year's gross for a period of this length
    reduction_t: float | None  # base - gross (negative: emissions rose); None without a base year
    offsets_t: float  # retired against the period
    applied_t: float  # offsets counted against gross: never more than gross
    net_t: float  # gross - applied, never below zero
    zero_carbon: bool
    failed_rules: list[RuleId]
    reasons: list[str]  # one sentence per failed rule, then what remains when net > 0


def base_gross_t(base: BaseYearCfg | None, share_of_year: float = 1.0) -> float | None:
    """Base-year Scope 1 + Scope 2 market-based, for a period that is ``share_of_year`` of a year.

    None when the base year or either figure is not configured.
    """
    if base is None or base.scope1_t is None or base.scope2_market_t is None:
        return None
    return (base.scope1_t + base.scope2_market_t) * share_of_year


def apply_offsets(
    gross_t: float, base_t: float | None, offsets: Iterable[Offset] | float, rule: OffsetRuleCfg
) -> NetResult:
    """Reduce first: net = gross - offsets (not below zero), and the rules the period fails."""
    offsets_t = offsets if isinstance(offsets, float | int) else sum(o.tco2e for o in offsets)
    offsets_t = float(offsets_t)
    applied = min(offsets_t, max(gross_t, 0.0))
    net = max(gross_t - applied, 0.0)
    failed: list[Failure] = []
    if offsets_t > 0:
        failed = _failures(gross_t, base_t, offsets_t, rule)
    reasons = [why for _, why in failed]
    if net > _EPS_T:
        reasons.append(f"net emissions of {net:.3f} t remain after {applied:.3f} t of offsets")
    return NetResult(
        gross_t=gross_t,
        base_gross_t=base_t,
        reduction_t=None if base_t is None else base_t - gross_t,
        offsets_t=offsets_t,
        applied_t=applied,
        net_t=net,
        zero_carbon=not failed and net <= _EPS_T,
        failed_rules=[rid for rid, _ in failed],
        reasons=reasons,
    )


def _failures(gross: float, base: float | None, offsets: float, rule: OffsetRuleCfg) -> list[Failure]:
    failed: list[Failure] = []
    if rule.require_reduction or rule.share_of == "base_year":
        failed += _base_year_rules(gross, base, offsets, rule)
    cap_of = gross if rule.share_of == "gross" else base
    if (rule.share_of, rule.max_share) == ("gross", 1.0):
        cap_of = None  # 100% of gross is the residual rule below: said once, not twice
    cap = None if cap_of is None else rule.max_share * cap_of
    if cap is not None and offsets > cap + _EPS_T:
        why = f"offsets of {offsets:.3f} t exceed {rule.max_share:.0%} of the {_of(rule)} ({cap:.3f} t)"
        failed.append(("max_share", why))
    if offsets > gross + _EPS_T:
        why = f"offsets of {offsets:.3f} t exceed the residual gross emissions of {gross:.3f} t"
        failed.append(("exceeds_residual", why + ": net is reported as 0, not below"))
    return failed


def _base_year_rules(gross: float, base: float | None, offsets: float, rule: OffsetRuleCfg) -> list[Failure]:
    if base is None:
        needs = "reduce first cannot be shown" if rule.require_reduction else "max_share is a share of it"
        why = "offsets are used but no base year is configured ([accounts.base_year] scope1_t and "
        return [("base_year_missing", why + f"scope2_market_t): {needs}")]
    if rule.require_reduction and gross >= base - _EPS_T:
        why = f"offsets of {offsets:.3f} t are used while gross emissions ({gross:.3f} t) did not fall "
        return [("require_reduction", why + f"versus the base year ({base:.3f} t)")]
    return []


def _of(rule: OffsetRuleCfg) -> str:
    return "period's gross emissions" if rule.share_of == "gross" else "base year's gross emissions"
