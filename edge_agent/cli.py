"""``zcf edge --config FILE``: run an edge agent until SIGINT/SIGTERM (see iiot_core.runner)."""

from __future__ import annotations

import argparse

from edge_agent import config
from edge_agent.agent import Agent
from iiot_core import runner
from iiot_core.errors import ConfigError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zcf edge", description="Poll devices, publish telemetry over MQTT.")
    p.add_argument("--config", "-c", required=True, help="edge agent TOML file")
    p.add_argument(
        "--data-dir", default="data", help="where relative buffer/certificate paths live (default: data)"
    )
    p.add_argument(
        "--client-id", help="MQTT client id (env ZCF_MQTT_CLIENT_ID, [mqtt] client_id; default zcf-edge-ID)"
    )
    p.add_argument("--check", action="store_true", help="validate the config and exit")
    p.add_argument("--log-level", default=None, help="DEBUG, INFO (default), WARNING, ...")
    return p


def main(argv: list[str]) -> int:
    """Entry point; 2 on a bad config (one line per fault on stderr), 1 on a runtime failure."""
    args = _parser().parse_args(argv)
    try:
        cfg = config.load(args.config)
        cfg = cfg.model_copy(update={"mqtt": cfg.mqtt.with_client_id(args.client_id)})
    except ConfigError as exc:
        return runner.print_problems(exc)
    if args.check:
        print(f"{args.config}: OK ({len(cfg.devices)} devices)")
        return 0
    return runner.run(
        "zcf edge", lambda: Agent(config.with_data_dir(cfg, args.data_dir)), log_level=args.log_level
    )
