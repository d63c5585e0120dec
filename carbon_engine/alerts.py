"""Alert lifecycle: raised -> acknowledged -> cleared, one active alert per rule and subject.

Rule evaluation lives in ``rules.py``; this module keeps the alerts, deduplicates them and
persists them (a JSON file under the data dir) so that a restart keeps the active ones.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, replace
from pathlib import Path

from carbon_engine.view import AlertState, AlertView, Severity

log = logging.getLogger(__name__)

KEEP_CLEARED = 200


def alert_id(rule: str, subject: str) -> str:
    """Stable id of the alert of ``rule`` on ``subject`` (a node path or a device), topic-safe."""
    safe = "".join(ch if ch.isalnum() or ch in "_.-" else "." for ch in subject)
    return f"{rule}.{safe}"


class AlertBook:
    """Active and recently cleared alerts; every change is returned for publishing."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.active: dict[str, AlertView] = {}
        self.cleared: list[AlertView] = []
        self.deduplicated = 0
        if path is not None and path.exists():
            self._load(path)

    def raise_(
        self,
        rule: str,
        subject: str,
        severity: Severity,
        message: tuple[str, str],
        value: float | None,
        ts: int,
    ) -> AlertView | None:
        """Raise, unless already active (then only the value is refreshed: no new event).

        ``message``: the text in English and in Chinese.
        """
        aid = alert_id(rule, subject)
        cur = self.active.get(aid)
        if cur is not None:
            self.deduplicated += 1
            self.active[aid] = replace(cur, value=value)
            return None
        en, zh = message
        view = AlertView(aid, rule, subject, severity, "raised", en, value, ts, message_zh=zh)
        self.active[aid] = view
        self._save()
        log.info("alert raised id=%s value=%s", aid, value)
        return view

    def clear(self, rule: str, subject: str, ts: int, value: float | None = None) -> AlertView | None:
        cur = self.active.pop(alert_id(rule, subject), None)
        if cur is None:
            return None
        view = replace(cur, state="cleared", cleared_ts=ts, value=value if value is not None else cur.value)
        self.cleared = ([view, *self.cleared])[:KEEP_CLEARED]
        self._save()
        log.info("alert cleared id=%s", view.id)
        return view

    def ack(self, aid: str, by: str, ts: int) -> AlertView | None:
        """Acknowledge an active alert; an acknowledged one stays as it is."""
        cur = self.active.get(aid)
        if cur is None:
            return None
        if cur.state == "acknowledged":
            return cur
        view = replace(cur, state="acknowledged", acked_ts=ts, acked_by=by)
        self.active[aid] = view
        self._save()
        log.info("alert acknowledged id=%s by=%s", aid, by)
        return view

    def is_active(self, rule: str, subject: str) -> bool:
        return alert_id(rule, subject) in self.active

    def list(
        self, state: AlertState | None = None, severity: Severity | None = None, node: str | None = None
    ) -> list[AlertView]:
        items = list(self.active.values()) + self.cleared
        return [
            a
            for a in items
            if (state is None or a.state == state)
            and (severity is None or a.severity == severity)
            and (node is None or a.node == node or a.node.startswith(node + "/"))
        ]

    # -- persistence --------------------------------------------------------------------------

    def _save(self) -> None:
        if self.path is None:
            return
        data = {
            "active": [asdict(a) for a in self.active.values()],
            "cleared": [asdict(a) for a in self.cleared],
        }
        tmp = self.path.with_suffix(".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(data))
            os.replace(tmp, self.path)
        except OSError as exc:
            log.error("cannot persist alerts path=%s error=%s", self.path, exc)

    def _load(self, path: Path) -> None:
        try:
            data = json.loads(path.read_text())
            self.active = {a["id"]: AlertView(**a) for a in data.get("active", [])}
            self.cleared = [AlertView(**a) for a in data.get("cleared", [])]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.error("cannot read persisted alerts path=%s error=%s; starting empty", path, exc)
        else:
            log.info("alerts restored active=%d path=%s", len(self.active), path)


def alert_payload(site: str, a: AlertView) -> bytes:
    """JSON payload of ``zcf/v1/{site}/_alerts/{id}``: the alert view plus site and schema."""
    return json.dumps({"schema": 1, "site": site, **asdict(a)}, separators=(",", ":")).encode()
