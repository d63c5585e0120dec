"""OPC UA client identity: the application certificate, generated on first start when missing."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

from asyncua.crypto.cert_gen import setup_self_signed_certificate
from cryptography.x509.oid import ExtendedKeyUsageOID

log = logging.getLogger(__name__)


def application_uri(agent_id: str) -> str:
    """The ApplicationUri of this agent; it must match the certificate's SubjectAltName."""
    return f"urn:zcf:edge:{agent_id}"


async def ensure_client_certificate(cert_dir: str | Path, agent_id: str) -> tuple[Path, Path]:
    """(certificate DER, private key PEM) in ``cert_dir``, created if missing or invalid."""
    cert, key, existed = _prepare(Path(cert_dir), agent_id)
    await setup_self_signed_certificate(
        key,
        cert,
        application_uri(agent_id),
        socket.gethostname(),
        [ExtendedKeyUsageOID.CLIENT_AUTH],
        {"countryName": "CN", "organizationName": "zcf", "commonName": f"zcf-edge-{agent_id}"},
    )
    if not existed:
        log.info("OPC UA client certificate created cert=%s (trust it on the servers)", cert)
    key.chmod(0o600)
    return cert, key


def _prepare(d: Path, agent_id: str) -> tuple[Path, Path, bool]:
    d.mkdir(parents=True, exist_ok=True)
    cert, key = d / f"{agent_id}-cert.der", d / f"{agent_id}-key.pem"
    return cert, key, cert.is_file() and key.is_file()
