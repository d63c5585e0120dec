"""Alert rules on the engine's outputs and on device health.

Window rules (threshold, rate of change) run on each newly published result in event time; a
rate of change compares a window only with the one just before it (ending where it starts).
live thresholds, daily budgets, stale data and offline devices run on every tick.
A threshold raises once its condition held for ``hold_s`` and clears only past the hysteresis band.
"""

from __future__ import annotations

from dataclasses import dataclass

from carbon_engine.alerts import AlertBook
from carbon_engine.config import (
    AlertRule,
    BudgetRule,
    OfflineRule,
    PlantCfg,
    RateRule,
    StaleRule,
    ThresholdRule,
)
from carbon_engine.devices import DeviceTracker
from carbon_engine.node_paths import relative_node
from carbon_engine.results import WindowResult
from carbon_engine.view import AlertView


@dataclass(slots=True)
class _State:
    pending_since: int | None = None
    last_start: int = -1
    last_value: float | None = None
    last_end: int = -1


class RuleEngine:
    """Evaluates the plant's alert rules into an AlertBook; returns the alerts that changed."""

    def __init__(self, plant: PlantCfg, book: AlertBook) -> None:
        self.site = plant.site.id
        self.rules = plant.alerts
        self.book = book
        self.state: dict[str, _State] = {}
        # Live and today's values cost a computation per tick: only when a rule reads them.
        self.needs_live = any(isinstance(r, ThresholdRule) and r.window == "live" for r in self.rules)
        self.needs_today = any(isinstance(r, BudgetRule) for r in self.rules)

    def _node(self, node: str) -> str:
        rel = relative_node(self.site, node)
        return f"{self.site}/{rel}" if rel else self.site

    def _st(self, rule: str, subject: str) -> _State:
        return self.state.setdefault(f"{rule}|{subject}", _State())

    # -- window results -----------------------------------------------------------------------

    def on_results(self, results: list[WindowResult]) -> list[AlertView]:
        out: list[AlertView | None] = []
        for rule in self.rules:
            if isinstance(rule, ThresholdRule | RateRule) and rule.window != "live":
                node = self._node(rule.node)
                for r in results:
                    if r.node == node and r.size == rule.window and rule.point in r.values:
                        out.append(self._window(rule, r))
        return [a for a in out if a is not None]

    def _window(self, rule: ThresholdRule | RateRule, r: WindowResult) -> AlertView | None:
        st = self._st(rule.id, r.node)
        if r.start < st.last_start:
            return None  # a correction of an older window: the newest state stands
        value = r.values[rule.point]
        if isinstance(rule, ThresholdRule):
            st.last_start = r.start
            return self.threshold(rule, r.node, value, r.end, since=r.start)
        prev, prev_end = st.last_value, st.last_end
        st.last_start, st.last_end, st.last_value = r.start, r.end, value
        if prev is None or prev_end != r.start:
            return None  # a correction of the same window, or windows apart: no rate to speak of
        change = abs(value - prev)
        if change > rule.max_change:
            return self.book.raise_(rule.id, r.node, rule.severity, _msg(rule, change), change, r.end)
        if change < rule.max_change - rule.hysteresis:
            return self.book.clear(rule.id, r.node, r.end, change)
        return None

    def threshold(
        self, rule: ThresholdRule, subject: str, value: float, ts: int, since: int | None = None
    ) -> AlertView | None:
        """Hold time before raising; hysteresis before clearing.

        ``since``: from when a value over the threshold says the condition held (a window's
        start); a live value only says it holds now, at ``ts``.
        """
        st = self._st(rule.id, subject)
        if rule.above is not None:
            on, off = value > rule.above, value < rule.above - rule.hysteresis
        else:
            assert rule.below is not None
            on, off = value < rule.below, value > rule.below + rule.hysteresis
        if self.book.is_active(rule.id, subject):
            st.pending_since = None
            return (
                self.book.clear(rule.id, subject, ts, value)
                if off
                else self.book.raise_(rule.id, subject, rule.severity, _msg(rule, value), value, ts)
            )
        if not on:
            st.pending_since = None
            return None
        if st.pending_since is None:
            st.pending_since = ts if since is None else since
        if ts - st.pending_since >= rule.hold_s * 1000:
            return self.book.raise_(rule.id, subject, rule.severity, _msg(rule, value), value, ts)
        return None

    # -- ticks --------------------------------------------------------------------------------

    def on_tick(
        self,
        now_ms: int,
        live: list[WindowResult],
        today: list[WindowResult],
        devices: DeviceTracker,
        started_ms: int,
    ) -> list[AlertView]:
        out: list[AlertView | None] = []
        live_by = {r.node: r for r in live}
        today_by = {r.node: r for r in today}
        for rule in self.rules:
            if isinstance(rule, ThresholdRule) and rule.window == "live":
                r = live_by.get(self._node(rule.node))
                if r is not None and rule.point in r.values:
                    out.append(self.threshold(rule, r.node, r.values[rule.point], r.end))
            elif isinstance(rule, BudgetRule):
                out.append(self._budget(rule, today_by.get(self._node(rule.node))))
            elif isinstance(rule, StaleRule):
                out += self._stale(rule, devices, now_ms, started_ms)
            elif isinstance(rule, OfflineRule):
                out += self._offline(rule, devices, now_ms)
        return [a for a in out if a is not None]

    def _budget(self, rule: BudgetRule, r: WindowResult | None) -> AlertView | None:
        if r is None or rule.point not in r.values:
            return None
        elapsed = r.end - r.start
        day = 86_400_000
        if elapsed < rule.min_elapsed_s * 1000:
            return None
        projected = r.values[rule.point] * day / elapsed
        if projected > rule.budget:
            msg = _texts(
                rule,
                f"{rule.point} projected {projected:.0f} > budget {rule.budget:.0f}",
                f"{rule.point} 预计 {projected:.0f} 超出今日预算 {rule.budget:.0f}",
            )
            return self.book.raise_(rule.id, r.node, rule.severity, msg, projected, r.end)
        if projected < rule.budget * (1 - rule.hysteresis):
            return self.book.clear(rule.id, r.node, r.end, projected)
        return None

    def _stale(
        self, rule: StaleRule, devices: DeviceTracker, now: int, started: int
    ) -> list[AlertView | None]:
        names = devices.expected if rule.device == "*" else {rule.device}
        out = []
        for name in sorted(names):
            info = devices.info.get(name)
            last = info.last_arrival if info is not None and info.last_arrival is not None else started
            age = now - last
            if age > rule.stale_s * 1000:
                s = age / 1000
                msg = _texts(rule, f"no data from {name} for {s:.0f} s", f"{name} 已 {s:.0f} 秒无数据")
                out.append(self.book.raise_(rule.id, name, rule.severity, msg, age / 1000, now))
            else:
                out.append(self.book.clear(rule.id, name, now))
        return out

    def _offline(self, rule: OfflineRule, devices: DeviceTracker, now: int) -> list[AlertView | None]:
        out = []
        for name, info in sorted(devices.info.items()):
            if rule.device not in ("*", name):
                continue
            if info.state == "offline":
                msg = _texts(rule, f"{name} is offline", f"{name} 离线")
                out.append(self.book.raise_(rule.id, name, rule.severity, msg, None, now))
            elif info.state == "online":
                out.append(self.book.clear(rule.id, name, now))
        return out

    # -- snapshot -----------------------------------------------------------------------------

    def dump(self) -> dict[str, list[object]]:
        return {k: [s.pending_since, s.last_start, s.last_value, s.last_end] for k, s in self.state.items()}

    def load(self, data: dict[str, list[object]]) -> None:
        for k, (p, ls, lv, *le) in data.items():  # older snapshots have no last_end
            self.state[k] = _State(
                int(p) if isinstance(p, int) else None,
                int(ls) if isinstance(ls, int) else -1,
                float(lv) if isinstance(lv, int | float) else None,
                int(le[0]) if le and isinstance(le[0], int) else -1,
            )


def _texts(rule: AlertRule, en: str, zh: str) -> tuple[str, str]:
    """The rule's own message in both languages, each falling back to the built-in text."""
    return rule.message or en, rule.message_zh or zh


def _msg(rule: ThresholdRule | RateRule, value: float) -> tuple[str, str]:
    return _texts(rule, f"{rule.point} = {value:.4g}", f"{rule.point} 当前值 {value:.4g}")
