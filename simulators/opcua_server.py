"""Simulated OPC UA PLCs (asyncua 2.1 ``Server``), one per production line.

Values are written from the live model every ``tick_s`` with source timestamps, so both
reads and subscriptions see them. A status fault makes a variable report a non-Good status
code; with a Bad one the server sends no value (OPC UA Part 4, 7.7.1: the value is null).
Security is optional: without it the server offers only
NoSecurity + anonymous (fast to start); with it, NoSecurity plus Basic256Sha256 Sign and
SignAndEncrypt (or a chosen subset) with a self-signed certificate, and an optional
username/password.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any, Literal

from asyncua import Server, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.user_managers import UserManager
from cryptography.x509.oid import ExtendedKeyUsageOID

from simulators.live import LiveModel
from simulators.profiles import STATE_NAMES
from simulators.register_maps import NAMESPACE_URI, OpcuaServerSpec

log = logging.getLogger(__name__)

VARIANT_TYPES = {
    "UInt32": ua.VariantType.UInt32,
    "Int32": ua.VariantType.Int32,
    "Double": ua.VariantType.Double,
    "String": ua.VariantType.String,  # a state, shown by its name
}
SecurityMode = Literal["None", "Sign", "SignAndEncrypt"]
SECURE_POLICIES: dict[SecurityMode, ua.SecurityPolicyType] = {
    "None": ua.SecurityPolicyType.NoSecurity,
    "Sign": ua.SecurityPolicyType.Basic256Sha256_Sign,
    "SignAndEncrypt": ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
}


@dataclass(frozen=True, slots=True)
class OpcuaSecurity:
    """Enable Basic256Sha256 (certificate kept in ``cert_dir``) and optional user login.

    ``modes`` are the security modes offered; a test offering one proves the client used it.
    """

    cert_dir: Path
    username: str | None = None
    password: str | None = None
    allow_anonymous: bool = True
    modes: tuple[SecurityMode, ...] = ("None", "Sign", "SignAndEncrypt")


class PasswordUserManager(UserManager):
    """Accept one username/password pair and, if allowed, anonymous sessions."""

    def __init__(self, username: str | None, password: str | None, allow_anonymous: bool) -> None:
        self._username = username
        self._password = password
        self._allow_anonymous = allow_anonymous

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | None = None,
        certificate: Any = None,
    ) -> User | None:
        if username is None:
            # Anonymous and application-certificate sessions (the server already accepts
            # any client certificate) are allowed together, or not at all.
            return User(role=UserRole.User) if self._allow_anonymous else None
        if self._username is not None and (username, password) == (self._username, self._password):
            return User(role=UserRole.User, name=username)
        return None


async def ensure_certificate(cert_dir: Path, name: str, app_uri: str) -> tuple[Path, Path]:
    """Create (once) and return the server's certificate (DER) and private key (PEM)."""
    await asyncio.to_thread(cert_dir.mkdir, parents=True, exist_ok=True)
    cert, key = cert_dir / f"{name}-cert.der", cert_dir / f"{name}-key.pem"
    await setup_self_signed_certificate(
        key,
        cert,
        app_uri,
        socket.gethostname(),
        [ExtendedKeyUsageOID.SERVER_AUTH],
        {"organizationName": "zcf simulated plant", "countryName": "CN"},
    )
    return cert, key


class PlcServer:
    """One OPC UA PLC: start, stop, restart on the same port with the same node ids."""

    def __init__(
        self,
        spec: OpcuaServerSpec,
        live: LiveModel,
        host: str,
        port: int,
        security: OpcuaSecurity | None = None,
        tick_s: float = 0.1,
    ) -> None:
        self.spec = spec
        self.host = host
        self.port = port
        self.security = security
        self.tick_s = tick_s
        self._live = live
        self._server: Server | None = None
        self._nodes: list[tuple[ua.NodeId, str, ua.VariantType]] = []
        self._task: asyncio.Task[None] | None = None
        self.status_faults: dict[str, int] = {}  # point -> ua.StatusCodes value; kept across restarts
        self.text_faults: dict[str, str] = {}  # String point -> the text it shows instead

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://{self.host}:{self.port}{self.spec.path}"

    @property
    def running(self) -> bool:
        return self._server is not None

    async def _configure(self, server: Server) -> None:
        app_uri = f"urn:zcf:sim:{self.spec.name}"
        await server.set_application_uri(app_uri)
        server.set_server_name(f"zcf simulated {self.spec.name}")
        server.set_endpoint(self.endpoint)
        sec = self.security
        if sec is None:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
            server.set_identity_tokens([ua.AnonymousIdentityToken])
            return
        cert, key = await ensure_certificate(sec.cert_dir, self.spec.name, app_uri)
        await server.load_certificate(cert)
        await server.load_private_key(key)
        server.set_security_policy([SECURE_POLICIES[m] for m in sec.modes])
        tokens: list[type] = [ua.AnonymousIdentityToken] if sec.allow_anonymous else []
        if sec.username is not None:
            tokens.append(ua.UserNameIdentityToken)
        server.set_identity_tokens(tokens)

    async def _add_nodes(self, server: Server) -> None:
        idx = await server.register_namespace(NAMESPACE_URI)
        prefix = self.spec.prefix
        folder = await server.nodes.objects.add_object(
            ua.NodeId.from_string(f"ns={idx};s={prefix}"), ua.QualifiedName(prefix, idx)
        )
        points = self._live.points[self.spec.name]
        self._nodes = []
        for n in self.spec.nodes:
            node_id = ua.NodeId.from_string(f"ns={idx};s={prefix}.{n.suffix}")
            vtype = VARIANT_TYPES[n.vtype]
            variant = ua.Variant(_convert(points[n.point], vtype), vtype)
            await folder.add_variable(node_id, ua.QualifiedName(n.suffix, idx), variant)
            self._nodes.append((node_id, n.point, vtype))

    def _user_manager(self) -> PasswordUserManager | None:
        sec = self.security
        if sec is None:
            return None
        return PasswordUserManager(sec.username, sec.password, sec.allow_anonymous)

    async def start(self) -> None:
        """Build the address space, listen and start publishing values."""
        if self._server is not None:
            return
        server = Server(user_manager=self._user_manager())
        await server.init()
        await self._configure(server)
        await self._add_nodes(server)
        await self._publish(server)
        await server.start()
        self._server = server
        self._task = asyncio.create_task(self._run(server), name=f"opcua-{self.spec.name}")
        log.info(
            "opcua server=%s endpoint=%s secure=%s", self.spec.name, self.endpoint, self.security is not None
        )

    async def stop(self) -> None:
        """Stop publishing and close the server with its sessions."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        server, self._server = self._server, None
        if server is not None:
            await server.stop()
            log.info("opcua server=%s stopped", self.spec.name)

    async def restart(self) -> None:
        """Stop and start again on the same port with the same node ids."""
        await self.stop()
        await self.start()

    async def _publish(self, server: Server) -> None:
        self._live.refresh()
        points = self._live.points[self.spec.name]
        now = ua.DateTime.now(UTC)
        for node_id, point, vtype in self._nodes:
            shown = self.text_faults.get(point) if vtype == ua.VariantType.String else None
            value = ua.Variant(_convert(points[point], vtype) if shown is None else shown, vtype)
            status = ua.StatusCode(ua.UInt32(self.status_faults.get(point, ua.StatusCodes.Good)))
            await server.write_attribute_value(
                node_id,
                ua.DataValue(Value=value, StatusCode=status, SourceTimestamp=now, ServerTimestamp=now),
            )

    async def _run(self, server: Server) -> None:
        while True:
            await self._publish(server)
            await asyncio.sleep(self.tick_s)


def _convert(value: float, vtype: ua.VariantType) -> int | float | str:
    if vtype == ua.VariantType.String:
        return STATE_NAMES[int(value)]
    return float(value) if vtype == ua.VariantType.Double else int(value)
