"""``zcf engine --plant FILE [--data-dir DIR] [--http-port 8080]``: the carbon engine service.

The broker comes from ``ZCF_MQTT_URL`` (and ``ZCF_MQTT_*``); the history store of the API
from ``--store`` or ``ZCF_STORE_URL`` (default: the embedded SQLite file under the data dir).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import sys
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from carbon_engine.engine import Engine
from carbon_engine.service import EngineService
from iiot_core import runner
from iiot_core.errors import ConfigError
from iiot_core.mqtt_config import MqttConfig
from iiot_core.settings import CoreEnv, from_env

log = logging.getLogger(__name__)

DB_FILE = "zcf.db"
TOKENS_FILE = "api-tokens"  # under the data dir, where `zcf token create` writes by default


class EngineSettings(BaseSettings):
    """Hot standby, from ``--lease-s``/``--standby`` or ``ZCF_ENGINE_LEASE_S``/``ZCF_ENGINE_STANDBY``."""

    model_config = SettingsConfigDict(env_prefix="ZCF_ENGINE_", frozen=True)

    lease_s: float | None = Field(default=None, gt=0)
    standby: bool = False


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zcf engine", description=__doc__)
    p.add_argument("--plant", type=Path, required=True, help="plant model file (TOML)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="state and alerts (default ./data)")
    # No argparse defaults for what the environment may set: a default would always win over it.
    p.add_argument(
        "--http-port", type=int, help="operator API port (env ZCF_API_PORT; default 8080; -1 disables)"
    )
    p.add_argument("--http-host", help="operator API address (env ZCF_API_HOST; default 127.0.0.1)")
    p.add_argument(
        "--tokens-file",
        type=Path,
        help="API bearer tokens (hashed), from `zcf token create` "
        "(env ZCF_API_TOKENS_FILE; default DATA_DIR/api-tokens)",
    )
    p.add_argument(
        "--open-read-only",
        action="store_true",
        default=None,
        help="DEMO ONLY: let anyone read the API without a token (writes still need one) "
        "(env ZCF_API_OPEN_READ_ONLY=1)",
    )
    p.add_argument(
        "--api-docs",
        action="store_true",
        default=None,
        help="serve /docs, the API's Swagger UI from local files (env ZCF_API_DOCS=1; default off)",
    )
    p.add_argument("--store", metavar="URL", help="store URL for API history (env ZCF_STORE_URL)")
    p.add_argument(
        "--client-id",
        help="MQTT client id, the persistent session's key (env ZCF_MQTT_CLIENT_ID; default zcf-engine-SITE)",
    )
    p.add_argument(
        "--lease-s",
        type=float,
        help="hot standby: engines of a site share a lease; the holder publishes, another takes over "
        "after this many seconds without its renewal (env ZCF_ENGINE_LEASE_S; default off)",
    )
    p.add_argument(
        "--standby",
        action="store_true",
        default=None,
        help="with --lease-s: start as the standby (env ZCF_ENGINE_STANDBY=1)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (2 for a bad plant file, with every fault printed)."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return runner.run("zcf engine", lambda: EngineProcess(args), refusals=(ValueError,))


class EngineProcess:
    """The engine service and, beside it in the same loop, the operator API."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Read the settings (command line > environment > default) and the plant file."""
        self.mqtt = MqttConfig().with_env().with_client_id(args.client_id)
        standby = from_env(EngineSettings, lease_s=args.lease_s, standby=args.standby)
        self.store_url = from_env(CoreEnv, {"store_url": "--store"}, store_url=args.store).store_url
        self.api = None if args.http_port == -1 else _api_settings(args)
        args.data_dir.mkdir(parents=True, exist_ok=True)
        self.args = args
        self.engine = Engine.from_file(args.plant, args.data_dir / "engine")
        self.service = EngineService(self.engine, self.mqtt, lease_s=standby.lease_s, standby=standby.standby)

    def stop(self) -> None:
        self.service.stop()

    async def run(self) -> None:
        engine, args = self.engine, self.args
        log.info("engine starting site=%s plant=%s broker=%s", engine.site, args.plant, self.mqtt.host)
        link = self.service.conn.health
        server = None
        if self.api is not None:
            server = _api_server(self.api, engine, self._reader(), link, args.plant, self._history_url())
        api_task = asyncio.create_task(server.serve()) if server is not None else None
        try:
            await self.service.run()
        finally:
            if server is not None and api_task is not None:
                server.should_exit = True
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(5):
                        await api_task

    def _history_url(self) -> str:
        return self.store_url or f"sqlite:///{(self.args.data_dir / DB_FILE).resolve()}"

    def _reader(self) -> Any:
        """A store reader for the API's history, or None when none can be opened."""
        url = self._history_url()
        try:
            from iiot_core.store.registry import open_reader

            return open_reader(url)
        except (ImportError, ConfigError) as exc:
            log.warning("API history unavailable: %s", exc)
            return None


def _api_settings(args: argparse.Namespace) -> Any:
    """The API's settings (``--http-*`` > ``ZCF_API_*`` > default); None when the API is not installed."""
    try:
        api = importlib.import_module("carbon_engine.api")
    except ImportError as exc:
        log.warning("operator API not available (%s); running without HTTP", exc)
        return None
    flags = {
        "host": "--http-host",
        "port": "--http-port",
        "tokens_file": "--tokens-file",
        "docs": "--api-docs",
    }
    given = {"tokens_file": args.tokens_file, "open_read_only": args.open_read_only, "docs": args.api_docs}
    settings = from_env(api.ApiSettings, flags, host=args.http_host, port=args.http_port, **given)
    if settings.tokens_file is None:
        settings = settings.model_copy(update={"tokens_file": args.data_dir / TOKENS_FILE})
    return settings


def _api_server(
    settings: Any, engine: Engine, reader: Any, mqtt: Any, plant_path: Path, store_url: str | None = None
) -> Any:
    """The operator API under uvicorn, in this event loop."""
    import uvicorn  # only needed with the API

    from carbon_engine.accounts.offsets import ledger_for
    from carbon_engine.api import create_app

    ledger = ledger_for(engine.plant.accounts.offsets, plant_path)
    app = create_app(
        settings, engine, reader, mqtt, offsets_ledger=ledger, plant_path=plant_path, store_url=store_url
    )
    # A short graceful timeout: open live streams (SSE) would otherwise hold Ctrl-C for uvicorn's default.
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    log.info("operator API on http://%s:%d", settings.host, settings.port)
    return uvicorn.Server(config)


if __name__ == "__main__":
    sys.exit(main())
