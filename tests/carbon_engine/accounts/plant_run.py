"""The example plant run in event time: the simulators' scenario feeds a live Engine and a store.

Telemetry goes to the store as ingest writes it (validated by ingest's ``Validator``, written
by the store writer), and so do the engine's published results: what a real deployment keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from carbon_engine.config import PlantCfg, factor_file, load_plant
from carbon_engine.engine import Engine
from carbon_engine.factors import FactorLibrary, load_library
from carbon_engine.results import Outbound
from iiot_core import topics
from iiot_core.codec import encode
from iiot_core.model import Telemetry
from iiot_core.store import Record, StoreWriter
from ingest_service.validation import Validator
from tests.support.plant_feed import PlantFeed

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "deploy" / "examples" / "plant.toml"
DAY_MS = 86_400_000
Edit = Callable[[int, list[Telemetry]], list[Telemetry]]


def example(path: Path = EXAMPLE) -> tuple[PlantCfg, FactorLibrary]:
    plant = load_plant(path)
    lib = load_library(plant.site.timezone, factor_file(plant, path), plant.site.grid_region, str(path))
    return plant, lib


@dataclass
class PlantRun:
    plant: PlantCfg
    library: FactorLibrary
    writer: StoreWriter
    engine: Engine = field(init=False)
    validator: Validator = field(default_factory=Validator)
    pending: list[Record] = field(default_factory=list)
    messages: int = 0
    # Result series stored (None: all); a week of 1-minute results is a lot to write for nothing.
    result_sizes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        self.engine = Engine(self.plant, self.library)

    async def play(
        self, start_s: int, seconds: int, step_s: int, edit: Edit | None = None, sim_step_s: float = 2.0
    ) -> None:
        """Poll every device each ``step_s`` from ``start_s`` for ``seconds``, then flush all windows.

        ``edit(t_ms, msgs)`` may drop or change a poll's messages (gaps, outages)."""
        feed = PlantFeed(start_s, now_s=start_s, step_s=sim_step_s)
        last = start_s * 1000
        for s in range(0, seconds, step_s):
            t = (start_s + s) * 1000
            msgs = feed.messages(start_s + s)
            if edit is not None:
                msgs = edit(t, msgs)
            self.engine.ingest_many(msgs, t)
            self._telemetry(msgs, t)
            self._results(self.engine.advance(t), t)
            last = t
            if len(self.pending) >= 20_000:
                await self.flush()
        self._results(self.engine.advance(last + 2 * DAY_MS), last)
        await self.flush()

    def _telemetry(self, msgs: Iterable[Telemetry], now: int) -> None:
        for m in msgs:
            topic = topics.telemetry(m.site, m.area, m.line, m.device)
            self.pending.append(self.validator.check(topic, encode(m), now))
            self.messages += 1

    def _results(self, out: Iterable[Outbound], now: int) -> None:
        sizes = self.result_sizes
        for o in out:
            if not o.topic.endswith("/result"):
                continue
            series = o.topic.rsplit("/", 2)[1].split(".")[0]  # carbon-1h or carbon-1h.{meter}
            if sizes is None or series.removeprefix("carbon-") in sizes:
                self.pending.append(self.validator.check(o.topic, o.payload, now))

    async def flush(self) -> None:
        if self.pending:
            await self.writer.write(self.pending)
            self.pending = []
