"""The carbon engine of one site: the streaming core plus alerts, devices, live events and snapshots.

Implements ``carbon_engine.view.EngineView`` for the operator API. Driven either by the MQTT
service (``service.py``) or directly: ``ingest(msg)``, ``status(...)``, ``advance(now_ms)``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from carbon_engine import snapshot
from carbon_engine.alerts import AlertBook, alert_payload
from carbon_engine.config import PlantCfg, library_of, load_plant
from carbon_engine.core import EngineCore
from carbon_engine.data_alerts import DataAlerts
from carbon_engine.devices import DeviceTracker
from carbon_engine.factors import FactorLibrary
from carbon_engine.freshness import Freshness
from carbon_engine.journal import Journal, Mark
from carbon_engine.live_events import EventHub
from carbon_engine.publication import Publications
from carbon_engine.results import Outbound, WindowResult, live_values, result_series, to_message
from carbon_engine.rules import RuleEngine
from carbon_engine.status import engine_status
from carbon_engine.view import (
    AlertState,
    AlertView,
    DeviceView,
    EngineEvent,
    EngineStatus,
    FactorView,
    LiveValues,
    Node,
    Severity,
)
from iiot_core import topics
from iiot_core.errors import ConfigError
from iiot_core.model import DeviceStatus, Telemetry

log = logging.getLogger(__name__)

STATE_VERSION = 1
SNAPSHOT_FILE = "engine-state.json"
ALERTS_FILE = "alerts.json"


class Engine:
    """``Engine(plant, library, data_dir=None)``; ``Engine.from_file(path)`` loads both.

    Owns the streaming ``core`` and everything around it; every public method takes the lock.
    """

    def __init__(self, plant: PlantCfg, library: FactorLibrary, data_dir: Path | None = None) -> None:
        self.core = EngineCore(plant, library)
        self.plant = plant
        self.library = library
        self.topo = self.core.topo
        self.stats = self.core.stats
        self.site = plant.site.id
        self.data_dir = data_dir
        self.book = AlertBook(data_dir / ALERTS_FILE if data_dir is not None else None)
        self.rules = RuleEngine(plant, self.book)
        self.data = DataAlerts(plant, self.core.topo, self.book)  # plausibility and coverage
        expected = {}
        for m in plant.meters:
            expected[m.device] = f"{self.site}/{m.node}" if m.node else self.site
        self.tracker = DeviceTracker(self.site, expected)
        self.pending_alerts: list[AlertView] = []
        self.started_ms: int | None = None
        self.stopped_ms: int | None = None  # engine clock of a restored snapshot, until the first tick
        self.pub = Publications(self.core.windows)
        # Unacknowledged messages of the service, as saved in the snapshot; taken back at start.
        self.restored_outbox: list[Outbound] = []
        self.journal: Journal | None = None
        self._series: dict[str, tuple[str, str]] | None = None
        self.hub = EventHub()  # live events to API clients
        # FastAPI runs sync endpoints in worker threads: the view side and the feeding side
        # share one lock, held briefly.
        self.lock = threading.RLock()
        self.invalid: Counter[str] = Counter()  # undecodable messages by cause (the service's)
        self.outbox_dropped = 0  # messages the service's full outbox dropped
        self._last_live_ms = 0
        self._nodes = {n.path: n for n in self.topo.nodes}
        self.freshness = Freshness(plant, self.topo)
        if data_dir is not None:
            self.journal = Journal(data_dir, plant.engine.journal_fsync)
            snapshot.restore(self, data_dir / SNAPSHOT_FILE, self.journal)

    @classmethod
    def from_file(cls, plant_path: str | Path, data_dir: Path | None = None) -> Engine:
        """Load the plant file and its factor library (raises ConfigError on any fault)."""
        plant = load_plant(plant_path)
        return cls(plant, library_of(plant, plant_path), data_dir)

    # -- feeding ------------------------------------------------------------------------------

    def ingest(self, msg: Telemetry, now_ms: int | None = None) -> None:
        """One message: ``ingest_many`` of one."""
        self.ingest_many((msg,), now_ms)

    def ingest_many(self, msgs: Sequence[Telemetry], now_ms: int | None = None) -> Sequence[Telemetry]:
        """Messages in arrival order: one routing pass, one tracker update per device; returns this site's."""
        with self.lock:
            mine = self.core.ingest_many(msgs, now_ms)
            if mine:
                self.tracker.telemetry_many(mine, now_ms)
            return mine

    def ingest_arrays(self, chan: np.ndarray, ts: np.ndarray, value: np.ndarray) -> None:
        """Samples already routed: channel indices, source timestamps (ms) and raw values."""
        with self.lock:
            self.core.ingest_arrays(chan, ts, value)

    def flush(self) -> None:
        with self.lock:
            self.core.flush()

    @property
    def max_ts(self) -> int:
        return self.core.max_ts

    @property
    def now_ms(self) -> int:
        return self.core.now_ms

    def results(self, node: str | None = None, size: str | None = None) -> list[WindowResult]:
        """Published results kept in memory (latest revision of each window)."""
        with self.lock:
            return self.core.results(node, size)

    def status(self, topic: str, st: DeviceStatus) -> None:
        """A retained status message from a device or edge agent status topic."""
        with self.lock:
            self._status(topic, st)

    def _status(self, topic: str, st: DeviceStatus) -> None:
        dev = topics.parse_device_topic(topic)
        if dev is not None and dev.site == self.site:
            self.tracker.status(dev.device, f"{dev.site}/{dev.area}/{dev.line}", st)
            return
        agent = topics.parse_agent_status(topic)
        if agent is not None and agent[0] == self.site:
            self.tracker.status(f"agent:{agent[1]}", f"{self.site}/_edge", st)

    def advance(self, now_ms: int) -> list[Outbound]:
        """Move time forward: publish due windows, evaluate alerts; returns the messages to send."""
        with self.lock:
            return self._advance(now_ms)

    def _advance(self, now_ms: int) -> list[Outbound]:
        if self.stopped_ms is not None:
            self._resume(self.stopped_ms, now_ms)
        if self.started_ms is None:
            self.started_ms = now_ms
        self.tracker.arrived(now_ms)
        core = self.core
        results = core.advance_windows(now_ms)
        out = [self._message(r) for r in self.pub.changed(results)]
        changed = self.rules.on_results(results)
        live = core.rolling_minute() if self.rules.needs_live else []
        today = core.today() if self.rules.needs_today else []
        changed += self.rules.on_tick(now_ms, live, today, self.tracker, self.started_ms)
        faults = core.meters.faults
        changed += self.data.on_tick(now_ms, faults.take_events(), core.due_coverage)
        letters = self.data.letters(faults.take_letters(), now_ms)
        out += letters if self.pub.publishing else []  # the active engine of a site sends them
        for a in changed:
            out.append(Outbound(topics.alert(self.site, a.id), alert_payload(self.site, a), retain=True))
            self.hub.push(EngineEvent("alert", a))
        if self.hub.watched and now_ms - self._last_live_ms >= self.plant.engine.live_interval_s * 1000:
            self._last_live_ms = now_ms
            self.hub.push(EngineEvent("live", self.live()))
        return out

    def _resume(self, stopped: int, now_ms: int) -> None:
        """First tick after a restore: arrival times skip the downtime (not idleness, not staleness)."""
        self.stopped_ms = None
        down = max(0, now_ms - stopped)
        if self.core.last_arrival_ms <= stopped:
            self.core.last_arrival_ms += down
        if self.started_ms is not None:
            self.started_ms += down
        self.tracker.resume(stopped, down)

    def _message(self, r: WindowResult) -> Outbound:
        return to_message(self.site, self._nodes[r.node], r, self.pub.next_seq(r))

    # -- durability and standby ---------------------------------------------------------------

    def record(self, payloads: list[bytes]) -> None:
        """Journal raw telemetry payloads before they are acknowledged to the broker."""
        if self.journal is not None:
            self.journal.append(payloads)

    def confirm(self, marks: list[Mark]) -> None:
        """Journal results the broker acknowledged, so a restart does not publish them again."""
        if self.journal is not None and marks:
            self.journal.append([], marks)

    def observe_result(self, topic: str, msg: Telemetry) -> None:
        """A result another engine of this site published (followed while in standby)."""
        series = self.result_series().get(topic)
        if series is None or msg.site != self.site:
            return
        values = {p.name: p.value for p in msg.points if ":" not in p.name}
        mark = Mark(f"{series[0]}|{series[1]}", msg.ts, msg.seq, values)
        with self.lock:
            self.pub.record(mark)
        self.confirm([mark])

    def result_series(self) -> dict[str, tuple[str, str]]:
        """Result topic -> (node path, window size), for every series this engine publishes."""
        if self._series is None:
            self._series = result_series(self.site, self.topo.nodes, self.core.windows.sizes)
        return self._series

    @property
    def publishing(self) -> bool:
        return self.pub.publishing

    def step_down(self) -> None:
        """Become a standby: keep computing, hold results instead of publishing them."""
        with self.lock:
            self.pub.publishing = False

    def take_over(self) -> list[Outbound]:
        """Become the publisher: the held results the active engine never published, as messages."""
        with self.lock:
            return [self._message(r) for r in self.pub.release()]

    # -- EngineView ---------------------------------------------------------------------------

    def tree(self) -> list[Node]:
        return [
            Node(
                n.path,
                n.level,
                n.name,
                n.parent,
                n.label_en,
                n.label_zh,
                self._children(n.path, n.children),
                self.plant.site.timezone if n.level == "site" else "",
            )
            for n in self.topo.nodes
        ]

    def _children(self, path: str, declared: tuple[str, ...]) -> tuple[str, ...]:
        meters = tuple(n.path for n in self.topo.nodes if n.level == "meter" and n.parent == path)
        return declared + meters

    def live(self) -> list[LiveValues]:
        with self.lock:
            return self._live_values()

    def _live_values(self) -> list[LiveValues]:
        rolling = {r.node: r for r in self.core.rolling_minute()}
        today = {r.node: r for r in self.core.today()}
        core = self.core  # rolling_minute flushed the buffer: meters.last_ts is current
        fresh = self.freshness.of_nodes(core.meters.last_ts, core.max_ts, core.now_ms)
        states = core.line_states.current(core.max_ts)
        return [
            live_values(n.path, rolling.get(n.path), today.get(n.path), f, states.get(i))
            for i, (n, f) in enumerate(zip(self.topo.nodes, fresh, strict=True))
        ]

    def alerts(
        self, state: AlertState | None = None, severity: Severity | None = None, node: str | None = None
    ) -> list[AlertView]:
        with self.lock:
            return self.book.list(state, severity, node)

    def ack_alert(self, alert_id: str, by: str) -> AlertView | None:
        with self.lock:
            return self._ack(alert_id, by)

    def _ack(self, alert_id: str, by: str) -> AlertView | None:
        before = self.book.active.get(alert_id)
        view = self.book.ack(alert_id, by, self.core.now_ms)
        if view is not None and before is not None and before.state != view.state:
            self.pending_alerts.append(view)
            self.hub.push(EngineEvent("alert", view))
        return view

    def factors(self) -> list[FactorView]:
        return self.library.views()

    def engine_status(self, now_ms: int) -> EngineStatus:
        with self.lock:
            site = next((v for v in self._live_values() if v.path == self.site), None)
            return engine_status(self, site, now_ms)

    def devices(self) -> list[DeviceView]:
        with self.lock:
            return self.tracker.views()

    def events(self) -> AsyncIterator[EngineEvent]:
        return self.hub.events()

    @property
    def events_dropped(self) -> int:
        """Live events a slow API client's full queue refused."""
        return self.hub.dropped

    # -- acknowledgements made through the API are published by the service ------------------

    def drain_alert_messages(self) -> list[Outbound]:
        """Alert changes made outside ``advance`` (acknowledgements) as messages to publish."""
        with self.lock:
            return self._drain()

    def _drain(self) -> list[Outbound]:
        out = [
            Outbound(topics.alert(self.site, a.id), alert_payload(self.site, a), retain=True)
            for a in self.pending_alerts
        ]
        self.pending_alerts.clear()
        return out

    def to_state(self, journal_gen: int = 0, outbox: Sequence[Outbound] = ()) -> dict[str, Any]:
        """The whole state as a JSON-ready dict: the core's, alert rules, devices, series numbers."""
        with self.lock:
            return {
                "version": STATE_VERSION,
                "site": self.site,
                **self.core.to_state(),
                "started_ms": self.started_ms,
                "rules": self.rules.dump(),
                "data_alerts": self.data.dump(),
                "devices": self.tracker.dump(self.core.now_ms),
                "seq": self.pub.seq,
                "journal_gen": journal_gen,
                "outbox": [m.dump() for m in outbox],
            }

    def from_state(self, data: dict[str, Any]) -> bool:
        """Load ``to_state`` output into this fresh engine; False (nothing changed) if it does not fit."""
        if data.get("version") != STATE_VERSION or data.get("site") != self.site:
            log.warning("engine snapshot is of another version or site; starting fresh")
            return False
        with self.lock:
            try:
                self.core.from_state(data)
            except ConfigError as exc:  # raised before anything is loaded
                log.warning("%s; starting fresh", exc.problems[0])
                return False
            self.started_ms = data.get("started_ms")
            self.rules.load(data.get("rules", {}))
            self.data.load(data.get("data_alerts"))
            self.tracker.load(data.get("devices", {}))
            self.pub.seq.update(data.get("seq", {}))
            self.restored_outbox = [Outbound.load(m) for m in data.get("outbox", [])]
            self.stopped_ms = self.core.now_ms
        return True

    def save_snapshot(self, outbox: Sequence[Outbound] = ()) -> None:
        """Snapshot the state (and the service's unacknowledged ``outbox``); the journal restarts."""
        if self.data_dir is not None:
            with contextlib.suppress(OSError):
                self.data_dir.mkdir(parents=True, exist_ok=True)
            with self.lock:
                gen = self.journal.rotate() if self.journal is not None else 0
                if snapshot.save(self, self.data_dir / SNAPSHOT_FILE, gen, outbox) and self.journal:
                    self.journal.drop_before(gen)
