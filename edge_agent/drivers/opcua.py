"""OPC UA driver (asyncua): a subscription keeping the latest values, or plain polling.

Every (re)connect builds a fresh ``Client`` and recreates the subscription: asyncua's own
reconnect is off, the agent's poll loop decides when to retry (with backoff). Status codes
map to quality: Good -> good, Uncertain -> estimated, Bad -> bad; a value not updated for
more than three poll intervals is stale. A non-Good status without a number (servers null
the value of a Bad one) is published as bad with the node's last number since connecting.
A state point (``states``, or a string value) is published as its state's code
(``edge_agent/states.py``); an unrecognised state as -1 with quality bad.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
from dataclasses import dataclass
from typing import Any

from asyncua import Client, Node, ua
from asyncua.client.ua_client import UaClientState
from asyncua.common.subscription import DataChangeNotif
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

from edge_agent.config_devices import OpcuaDevice, OpcuaPoint
from edge_agent.drivers.base import DriverContext, OnceLogger
from edge_agent.drivers.opcua_enums import enum_names
from edge_agent.drivers.opcua_security import application_uri, ensure_client_certificate
from edge_agent.drivers.opcua_trust import ServerTrust, UntrustedServerCertificate
from edge_agent.states import StateMap
from iiot_core.clock import now_ms
from iiot_core.errors import DriverError
from iiot_core.model import Point, Quality

log = logging.getLogger(__name__)

STALE_AFTER_INTERVALS = 3
_MIN_INTERVAL_S = 0.5  # staleness and publishing interval floor when polling "as fast as possible"


@dataclass(frozen=True, slots=True)
class Latest:
    """The last known value of a node, with its source timestamp and when it last changed."""

    value: float | None
    quality: Quality
    src_ts: int
    changed_at: float  # monotonic seconds
    code: bool = False  # a state's code: published as it is, without scale and offset
    state: str = ""  # the state's name (a state point)


def quality_of(status: ua.StatusCode | None) -> Quality:
    """OPC UA status code -> quality flag."""
    if status is None or status.is_good():
        return Quality.GOOD
    if status.is_uncertain():
        return Quality.ESTIMATED
    return Quality.BAD


def number_of(variant: Any) -> float | None:
    """A Variant's value as a float, or None if it is not a finite number."""
    v = getattr(variant, "Value", variant)
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, int | float):
        f = float(v)
        return f if math.isfinite(f) else None
    return None


def _ms(dv: ua.DataValue) -> int:
    ts = dv.SourceTimestamp or dv.ServerTimestamp
    return int(ts.timestamp() * 1000) if ts is not None else now_ms()


class _Handler:
    """asyncua subscription callbacks, forwarded to the driver."""

    def __init__(self, driver: OpcuaDriver) -> None:
        self._driver = driver

    def datachange_notification(self, node: Node, val: Any, data: DataChangeNotif) -> None:
        self._driver.on_change(node.nodeid.to_string(), data.monitored_item.Value, changed=True)

    def status_change_notification(self, status: ua.StatusChangeNotification) -> None:
        self._driver.lost(f"subscription status {status.Status}")


class OpcuaDriver:
    """Reads the configured nodes of one OPC UA server."""

    def __init__(self, dev: OpcuaDevice, ctx: DriverContext) -> None:
        self.dev = dev
        self._agent_id = ctx.agent_id
        self._left_out = ctx.left_out
        self._client: Client | None = None
        self._nodes: list[Node] = []
        self._by_node: dict[str, OpcuaPoint] = {}
        self._latest: dict[str, Latest] = {}
        self.states: dict[str, StateMap] = {}  # node key -> its state map (every point has one)
        self._lost: str | None = None
        self._interval = max(dev.poll_interval_s, _MIN_INTERVAL_S)
        self._once = OnceLogger(log)

    # -- lifecycle -------------------------------------------------------------------------

    async def connect(self) -> None:
        """A fresh client, session, node resolution and (subscription mode) subscription."""
        await self.close()
        client = Client(self.dev.endpoint, timeout=self.dev.timeout_s, watchdog_intervall=self._interval)
        client.application_uri = application_uri(self._agent_id)
        client.name = f"zcf edge {self._agent_id}"
        client.connection_lost_callback = self._on_connection_lost
        self._client, self._lost, self._latest = client, None, {}
        try:
            async with asyncio.timeout(self.dev.timeout_s * 4):
                await self._configure(client)
                await client.connect()
                self._nodes = await self._resolve(client)
                await self._state_maps(client)
                if self.dev.mode == "subscription":
                    sub = await client.create_subscription(self._interval * 1000, _Handler(self))
                    await sub.subscribe_data_change(self._nodes)
                await self._read_nodes(self._nodes)
        except UntrustedServerCertificate as exc:
            await self.close()
            raise DriverError(str(exc)) from exc
        except (TimeoutError, OSError, ua.UaError, ConnectionError, ValueError) as exc:
            await self.close()
            raise DriverError(f"OPC UA {self.dev.endpoint}: cannot connect: {exc!r}") from exc

    async def _configure(self, client: Client) -> None:
        dev = self.dev
        if dev.security_policy != "None":
            cert, key = await ensure_client_certificate(dev.cert_dir, self._agent_id)
            await client.set_security(
                SecurityPolicyBasic256Sha256,
                str(cert),
                str(key),
                mode=getattr(ua.MessageSecurityMode, dev.security_mode),
            )
            # Checked in CreateSession, before ActivateSession sends the password.
            client.certificate_validator = ServerTrust(
                dev.trust_dir, dev.name, dev.endpoint, dev.trust_on_first_use
            )
        if dev.username is not None:
            client.set_user(dev.username)
        password = dev.password
        if dev.password_env is not None:
            password = os.environ.get(dev.password_env)
        if password is not None:
            client.set_password(password)

    async def _resolve(self, client: Client) -> list[Node]:
        nodes, self._by_node = [], {}
        ns: dict[str, int] = {}
        for p in self.dev.points:
            node_id = p.node_id
            if node_id.startswith("nsu="):
                # Namespace indexes may change when a server restarts: resolve on every connect.
                uri, _, rest = node_id[4:].partition(";")
                if uri not in ns:
                    ns[uri] = await client.get_namespace_index(uri)
                node_id = f"ns={ns[uri]};{rest}"
            node = client.get_node(node_id)
            nodes.append(node)
            self._by_node[node.nodeid.to_string()] = p
        return nodes

    async def _state_maps(self, client: Client) -> None:
        """A state map per point; a point with ``states`` learns its node's enumeration names."""
        maps = {}
        for node in self._nodes:
            key = node.nodeid.to_string()
            p = self._by_node[key]
            old = self.states.get(key)
            sm = StateMap(self.dev.name, p.name, p.states, unrecognised=old.unrecognised if old else 0)
            if p.states is not None:
                sm.enum_names = await enum_names(client, node)
            maps[key] = sm
        self.states = maps

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            async with asyncio.timeout(self.dev.timeout_s):
                await client.disconnect()
        except Exception as exc:  # the server may be gone already: nothing to tell it
            log.debug("OPC UA disconnect failed endpoint=%s: %r", self.dev.endpoint, exc)
        finally:
            with contextlib.suppress(Exception):
                client.disconnect_socket()

    # -- reading ---------------------------------------------------------------------------

    async def read(self) -> list[Point]:
        """The current values; polling mode reads every node, subscription mode only stale ones."""
        client = self._client
        if client is None:
            raise DriverError(f"OPC UA {self.dev.endpoint}: not connected")
        if self._lost is not None or client.uaclient.state is not UaClientState.CONNECTED:
            raise DriverError(f"OPC UA {self.dev.endpoint}: connection lost ({self._lost or 'transport'})")
        now = time.monotonic()
        if self.dev.mode == "polling":
            await self._read_nodes(self._nodes)
        else:
            # A server may report only value changes: re-read what has been quiet too long.
            quiet = [n for n in self._nodes if self._is_stale(n.nodeid.to_string(), now)]
            if quiet:
                await self._read_nodes(quiet)
        return self._points(time.monotonic())

    async def _read_nodes(self, nodes: list[Node]) -> None:
        client = self._client
        if client is None or not nodes:
            return
        try:
            async with asyncio.timeout(self.dev.timeout_s):
                dvs = await client.read_attributes(nodes)
        except (TimeoutError, OSError, ua.UaError, ConnectionError) as exc:
            raise DriverError(f"OPC UA {self.dev.endpoint}: read failed: {exc!r}") from exc
        for node, dv in zip(nodes, dvs, strict=True):
            self.on_change(node.nodeid.to_string(), dv, changed=False)

    def on_change(self, key: str, dv: ua.DataValue, changed: bool) -> None:
        """Record a value; a read counts as a change only if value, status or timestamp moved."""
        value, quality = number_of(dv.Value), quality_of(dv.StatusCode)
        prev = self._latest.get(key)
        raw = getattr(dv.Value, "Value", None)
        state = self.states.get(key)
        is_code = state is not None and (state.active or isinstance(getattr(raw, "Text", raw), str))
        name = ""
        if state is not None and is_code and raw is not None:
            got = state.recognise(raw)
            value, quality, name = got.code, (quality if got.known else Quality.BAD), got.name
        elif value is None and quality is not Quality.GOOD:
            # A Bad (or Uncertain) status without a number: the point is still published, bad,
            # holding the node's last number; a 0 would look like a counter reset.
            value, quality = (prev.value if prev is not None else None), Quality.BAD
            name = prev.state if prev is not None else ""
        latest = Latest(value, quality, _ms(dv), time.monotonic(), is_code, name)
        if (
            not changed
            and prev is not None
            and (prev.value, prev.quality, prev.src_ts)
            == (
                latest.value,
                latest.quality,
                latest.src_ts,
            )
        ):
            latest = prev
        self._latest[key] = latest

    def _is_stale(self, key: str, now: float) -> bool:
        latest = self._latest.get(key)
        return latest is None or now - latest.changed_at > STALE_AFTER_INTERVALS * self._interval

    def _points(self, now: float) -> list[Point]:
        out = []
        for key, p in self._by_node.items():
            latest = self._latest.get(key)
            if latest is None or latest.value is None:
                # No number to publish (missing, non-numeric or NaN): left out, never sent as NaN.
                self._once.problem(
                    f"novalue:{key}", "no numeric value device=%s point=%s", self.dev.name, p.name
                )
                self._left_out[(self.dev.name, "no_value")] += 1
                continue
            self._once.cleared(f"novalue:{key}", "value back device=%s point=%s", self.dev.name, p.name)
            quality = latest.quality
            if quality is Quality.GOOD and self._is_stale(key, now):
                quality = Quality.STALE
            value = latest.value if latest.code else latest.value * p.scale + p.offset
            out.append(Point(p.name, value, latest.src_ts, p.unit, quality, latest.state))
        return out

    @property
    def unrecognised_states(self) -> int:
        return sum(s.unrecognised for s in self.states.values())

    # -- connection loss -------------------------------------------------------------------

    def lost(self, why: str) -> None:
        self._lost = why

    async def _on_connection_lost(self, exc: Exception) -> None:
        self._lost = repr(exc)
