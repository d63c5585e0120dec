"""A 50 MiB request body against a real ``zcf engine`` process: 413, and its memory stays flat."""

from __future__ import annotations

import select
import socket
import time
from pathlib import Path

import httpx
import pytest

from carbon_engine.api.auth import Role
from tests.carbon_engine.twins import EXAMPLE, EngineProc
from tests.support.api_tokens import api_settings, auth, token
from tests.support.servers import Mosquitto, free_port

BODY = 50 * 1024 * 1024
CHUNK = 256 * 1024
RSS_BOUND = 16 * 1024 * 1024  # far below the body: nothing of it may pile up in the server


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _post(port: int, chunked: bool) -> tuple[bytes, int]:
    """POST 50 MiB (declared, or chunked without a length); the answer and the bytes sent."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY}"
    head = (
        f"POST /api/v1/alerts/none/ack HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        f"{token(Role.operator)}\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    ).encode()
    piece = (f"{CHUNK:x}\r\n".encode() + b" " * CHUNK + b"\r\n") if chunked else b" " * CHUNK
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and b"\r\n\r\n" not in answer:
            readable, writable, _ = select.select([s], [s] if sent < BODY else [], [], 1)
            if readable:
                data = s.recv(65536)
                if not data:
                    break
                answer += data
            elif writable:
                try:
                    s.sendall(piece)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += CHUNK
        if b"\r\n\r\n" in answer:
            s.settimeout(5)
            while len(answer.split(b"\r\n\r\n", 1)[1]) < 10:
                data = s.recv(65536)
                if not data:
                    break
                answer += data
    return answer, sent


@pytest.mark.timeout(180)
def test_a_50_mib_body_is_refused_with_413_and_memory_stays_flat(
    tmp_path: Path, broker: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZCF_API_TOKENS", api_settings().tokens or "")
    port = free_port()
    engine = EngineProc(
        EXAMPLE, tmp_path / "engine", broker.url, "zcf-engine-body", ["--http-port", str(port)]
    )
    engine.start()
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, engine.log.read_text()
            time.sleep(0.2)
        assert engine.proc is not None
        pid = engine.proc.pid
        httpx.get(f"{url}/api/v1/live", headers=auth(Role.viewer), timeout=10)  # warm up the routes
        before = _rss(pid)
        peak = before
        for chunked in (False, True, False, True):
            answer, sent = _post(port, chunked)
            peak = max(peak, _rss(pid))
            assert answer.startswith(b"HTTP/1.1 413"), (chunked, answer[:200])
            assert b"65536 bytes" in answer
            assert sent < BODY, "the server read the whole body instead of refusing it"
        after = _rss(pid)
        print(
            f"engine RSS before {before / 2**20:.1f} MiB, peak {peak / 2**20:.1f}, after {after / 2**20:.1f}"
        )
        assert peak - before < RSS_BOUND, (before, peak)
        assert httpx.get(f"{url}/health", timeout=5).status_code == 200
    finally:
        engine.stop()
