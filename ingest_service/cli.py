"""``zcf ingest``: store the MQTT telemetry (and engine results) in the time-series store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from iiot_core import runner
from iiot_core.config_errors import format_settings
from iiot_core.errors import ConfigError, StoreError
from iiot_core.mqtt_config import MqttConfig
from iiot_core.settings import CoreEnv, from_env
from ingest_service.config import IngestSettings
from ingest_service.service import IngestService


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="zcf ingest",
        description="Subscribe to telemetry (QoS 1, persistent session), validate, batch and "
        "write it to the store; ack each message only once it is written. The broker comes "
        "from ZCF_MQTT_URL (default mqtt://127.0.0.1:1883); options win over the environment.",
    )
    p.add_argument(
        "--store",
        metavar="URL",
        help="store URL (env ZCF_STORE_URL); default: "
        "sqlite:///DATA_DIR/zcf.db. Also influxdb-v1://[user:pw@]host:port/db[?rp=] "
        "and influxdb-v2://[token@]host:port/org/bucket",
    )
    p.add_argument(
        "--share",
        metavar="GROUP",
        help="join the MQTT v5 shared subscription "
        "$share/GROUP/... so that several ingest processes split the stream",
    )
    p.add_argument(
        "--client-id", help="MQTT client id, the persistent session's key (env ZCF_MQTT_CLIENT_ID)"
    )
    p.add_argument(
        "--http-port", type=int, default=8081, help="port of /health and /metrics (default 8081; -1 disables)"
    )
    p.add_argument("--http-host", default="127.0.0.1", help="address of /health and /metrics")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="default ./data")
    fields = IngestSettings.model_fields
    points, age = fields["batch_max_points"].default, fields["batch_max_age_s"].default
    p.add_argument(
        "--batch-points", type=int, default=points, help=f"max points per batch (default {points})"
    )
    p.add_argument("--batch-age", type=float, default=age, help=f"max batch age in seconds (default {age})")
    p.add_argument(
        "--max-queued-points",
        type=int,
        default=300_000,
        help="points held unwritten before ingest stops reading from the broker (default 300000)",
    )
    p.add_argument(
        "--status-interval", type=float, default=30.0, help="seconds between status lines in the log"
    )
    return p


# The option that sets each IngestSettings field, to name it in an error.
FLAGS = {
    "store_url": "--store",
    "batch_max_points": "--batch-points",
    "batch_max_age_s": "--batch-age",
    "status_interval_s": "--status-interval",
}


def settings_from_args(args: argparse.Namespace) -> IngestSettings:
    """Settings from the options, with ZCF_STORE_URL and ZCF_MQTT_* from the environment."""
    values = {
        "mqtt": MqttConfig().with_env().with_client_id(args.client_id),
        "store_url": from_env(CoreEnv, FLAGS, store_url=args.store).store_url,
        "data_dir": args.data_dir,
        "share": args.share,
        "client_id": args.client_id,
        "http_host": args.http_host,
        "http_port": None if args.http_port < 0 else args.http_port,
        "batch_max_points": args.batch_points,
        "batch_max_age_s": args.batch_age,
        "max_queued_points": args.max_queued_points,
        "status_interval_s": args.status_interval,
    }
    try:
        return IngestSettings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError([f"zcf ingest: {line}" for line in format_settings(exc, _flag)]) from exc


def _flag(field: str) -> str:
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def _service(args: argparse.Namespace) -> IngestService:
    settings = settings_from_args(args)
    settings.topic_filters()  # checks the share group name
    return IngestService(settings)


def main(argv: list[str]) -> int:
    """Entry point of ``zcf ingest``; 0 on a clean stop, 2 on a bad or unreachable store."""
    args = build_parser().parse_args(argv)
    # A store that cannot be opened is refused like a bad config; OSError: the HTTP port is in use.
    return runner.run("zcf ingest", lambda: _service(args), refusals=(StoreError, ValueError, OSError))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
