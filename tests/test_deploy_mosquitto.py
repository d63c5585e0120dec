"""The shipped Mosquitto ACL and password recipe, against a real Mosquitto: the real flow
passes, forged results, alerts and another site's telemetry are refused."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from edge_agent.config import load
from iiot_core import topics
from iiot_core.mqtt import MqttConnection, Subscription, Will
from iiot_core.mqtt_config import MqttConfig
from tests.support.servers import Mosquitto, free_port, running

MOSQ = Path(__file__).resolve().parents[1] / "deploy" / "mosquitto"
EXAMPLE_EDGE = Path("deploy/examples/edge.toml")
SITE = "plant1"


def make_acl() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_acl", MOSQ / "make_acl.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_acl_is_what_the_helper_makes_of_the_examples() -> None:
    root = MOSQ.parents[1]
    expected = make_acl().render([(str(EXAMPLE_EDGE), load(root / EXAMPLE_EDGE))])
    assert (MOSQ / "acl").read_text() == expected, "regenerate deploy/mosquitto/acl with make_acl.py"
    assert "acl_file /etc/mosquitto/acl" in (MOSQ / "mosquitto.conf").read_text()


@pytest.fixture
def acl_broker(tmp_path: Path) -> Iterator[tuple[Mosquitto, Path]]:
    """Mosquitto with the shipped ACL and a password file made by the shipped recipe."""
    passwd, secrets = tmp_path / "passwd", tmp_path / "secrets"
    subprocess.run([MOSQ / "make_passwd.sh", MOSQ / "acl", passwd, secrets], check=True, timeout=30)
    auth = f"allow_anonymous false\npassword_file {passwd}\nacl_file {MOSQ / 'acl'}\n"
    with running(Mosquitto(tmp_path, free_port(), extra_config=auth)) as broker:
        yield broker, secrets


class Clients:
    """One connection per ACL user, each logged in with the password the recipe made for it."""

    def __init__(self, url: str, secrets: Path) -> None:
        self.url, self.secrets = url, secrets
        self.conns: list[MqttConnection] = []

    async def connect(
        self, user: str, subs: list[str] | None = None, client_id: str | None = None, **kw: object
    ) -> MqttConnection:
        pw = (self.secrets / f"{user}.password").read_text()
        cfg = MqttConfig(url=self.url, username=user, password=pw, client_id=client_id)
        conn = MqttConnection(
            cfg, f"acl-test-{user}", subscriptions=[Subscription(s) for s in subs or []], **kw
        )  # type: ignore[arg-type]
        await conn.start(wait_s=10)
        self.conns.append(conn)
        return conn

    async def close(self) -> None:
        for conn in self.conns:
            await conn.stop()


@pytest.fixture
async def clients(acl_broker: tuple[Mosquitto, Path]) -> AsyncIterator[Clients]:
    broker, secrets = acl_broker
    c = Clients(broker.url, secrets)
    yield c
    await c.close()


def collector(into: dict[str, list[tuple[str, bytes]]], name: str) -> object:
    into[name] = []
    return lambda msg: into[name].append((msg.topic, msg.payload))


async def until(cond: object, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not cond():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def test_real_flow_passes_and_forgeries_are_refused(clients: Clients) -> None:
    got: dict[str, list[tuple[str, bytes]]] = {}
    viewer = await clients.connect("viewer", [f"{topics.ROOT}/#"], on_message=collector(got, "viewer"))
    ingest = await clients.connect(
        "ingest", [topics.TELEMETRY_FILTER, topics.RESULT_FILTER], on_message=collector(got, "ingest")
    )
    engine = await clients.connect(
        f"engine-{SITE}",
        [topics.TELEMETRY_FILTER, topics.DEVICE_STATUS_FILTER],
        on_message=collector(got, "engine"),
    )
    will = Will(topics.agent_status(SITE, "edge1"), b"offline")
    shared = [f"$share/ingest/{f}" for f in (topics.TELEMETRY_FILTER, topics.RESULT_FILTER)]
    await clients.connect(
        "ingest", shared, client_id="acl-test-ingest-shared", on_message=collector(got, "shared")
    )
    # Mosquitto 2.0 grants any subscription and checks each delivery against `read`.
    edge = await clients.connect("edge1", [f"{topics.ROOT}/#"], will=will, on_message=collector(got, "edge"))
    await asyncio.sleep(0.2)  # the SUBACKs
    assert not any(c.refused for c in (viewer, ingest, engine))

    telemetry = topics.telemetry(SITE, "utilities", "incomer", "main-meter")
    result = topics.result(SITE, "assembly", "line1", "carbon-1m")
    alert = topics.alert(SITE, "line1-power-high")
    real = [(edge, telemetry), (edge, topics.agent_status(SITE, "edge1")), (engine, result), (engine, alert)]
    forged = [
        (edge, result),  # a result that the engine never computed
        (edge, topics.alert(SITE, "forged")),
        (edge, topics.telemetry("plant2", "utilities", "incomer", "main-meter")),  # another site
        (edge, topics.telemetry(SITE, "assembly", "line9", "not-mine")),  # not one of its devices
        (ingest, topics.alert(SITE, "forged-by-ingest")),
        (engine, topics.alert("plant2", "other-site")),
        (engine, topics.telemetry(SITE, "utilities", "incomer", "main-meter")),
    ]
    # Forgeries first: once the real messages arrive, forgeries would have arrived too.
    for conn, topic in forged:
        await asyncio.wait_for(conn.publish(topic, b"forged"), 5)
    for conn, topic in real:
        await asyncio.wait_for(conn.publish(topic, b"real"), 5)
    await until(lambda: {(t, b"real") for _, t in real} <= set(got["viewer"]) and len(got["shared"]) >= 2)

    leaked = sorted(t for t, payload in got["viewer"] if payload == b"forged")
    assert not leaked, f"forged messages delivered: {leaked}"
    assert {(telemetry, b"real"), (result, b"real")} <= set(got["ingest"])
    assert (telemetry, b"real") in got["engine"]
    assert {(telemetry, b"real"), (result, b"real")} <= set(got["shared"]), "ingest workers on $share"
    assert got["edge"] == [], "an agent may read nothing of the plant's traffic"
    # MQTT 5: Mosquitto says "not authorised" in the PUBACK of each refused publish.
    assert edge.publish_refused == 4 and ingest.publish_refused == 1 and engine.publish_refused == 2


async def test_agent_with_wrong_password_gets_no_session(acl_broker: tuple[Mosquitto, Path]) -> None:
    broker, _ = acl_broker
    conn = MqttConnection(MqttConfig(url=broker.url, username="edge1", password="guess"), "acl-test-bad")
    await conn.start()
    await asyncio.sleep(1.5)
    assert not conn.is_connected and conn.outage.last_cause is not None
    assert conn.outage.last_cause.startswith("refused: ")
    await conn.stop()
