"""Which OPC UA servers the agent trusts: a trust list directory, checked at every session.

A server certificate is trusted when the trust directory holds that very certificate (DER
or PEM) or the CA certificate that signed it. Anything else is refused before a session is
activated (so no password is sent), and the server's certificate is saved under
``rejected/`` in the trust directory for review: moving it one level up trusts it. With
``trust_on_first_use`` the first certificate a device presents is pinned as
``{device}.der``; a different one later is refused like any untrusted certificate.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

from asyncua import ua
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import Encoding

log = logging.getLogger(__name__)

_CERT_SUFFIXES = (".der", ".pem", ".crt", ".cer")


class UntrustedServerCertificate(ua.UaError):
    """The server's certificate is not in the trust list; the message names the file to trust."""


def _load(path: Path) -> x509.Certificate | None:
    data = path.read_bytes()
    try:
        return (
            x509.load_pem_x509_certificate(data)
            if b"-----BEGIN" in data
            else x509.load_der_x509_certificate(data)
        )
    except ValueError:
        log.warning("not a certificate, ignored in the OPC UA trust list file=%s", path)
        return None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    if cert.issuer != ca.subject or not _is_ca(ca):
        return False
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


class ServerTrust:
    """asyncua's ``certificate_validator`` for one device: raises if the server is not trusted."""

    def __init__(self, trust_dir: str | Path, device: str, endpoint: str, trust_on_first_use: bool) -> None:
        self.dir = Path(trust_dir)
        self.device = device
        self.endpoint = endpoint
        self.tofu = trust_on_first_use

    @property
    def pin(self) -> Path:
        return self.dir / f"{self.device}.der"

    async def __call__(self, cert: x509.Certificate, _server: ua.ApplicationDescription) -> None:
        await asyncio.to_thread(self.check, cert)

    def check(self, cert: x509.Certificate) -> None:
        """Return if ``cert`` is trusted (or pinned now, on first use); else save it and raise."""
        self.dir.mkdir(parents=True, exist_ok=True)
        if self._trusted(cert):
            return
        der = cert.public_bytes(Encoding.DER)
        if self.tofu and not self.pin.exists():
            self.pin.write_bytes(der)
            log.warning(
                "OPC UA server certificate trusted on first use device=%s endpoint=%s sha256=%s pinned=%s",
                self.device, self.endpoint, hashlib.sha256(der).hexdigest(), self.pin,
            )  # fmt: skip
            return
        raise UntrustedServerCertificate(self._refusal(cert, der))

    def _trusted(self, cert: x509.Certificate) -> bool:
        for path in sorted(self.dir.iterdir()):
            if not path.is_file() or path.suffix.lower() not in _CERT_SUFFIXES:
                continue
            known = _load(path)
            if known is not None and (known == cert or _signed_by(cert, known)):
                return True
        return False

    def _refusal(self, cert: x509.Certificate, der: bytes) -> str:
        digest = hashlib.sha256(der).hexdigest()
        saved = self.dir / "rejected" / f"{self.device}-{digest[:16]}.der"
        saved.parent.mkdir(exist_ok=True)
        saved.write_bytes(der)
        why = f"differs from the one pinned in {self.pin}" if self.pin.exists() else "is not trusted"
        return (
            f"OPC UA {self.endpoint}: server certificate {why} (subject {cert.subject.rfc4514_string()}, "
            f"sha256 {digest}); saved to {saved}: check it, then move it to {self.dir}/ to trust it"
        )
