"""Ingest service: MQTT telemetry in, validated, batched, written to the store, then acked."""
