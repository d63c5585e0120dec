"""Shared core of the zero-carbon factory service: wire model, topics, config, MQTT and stores."""

__version__ = "0.1.0"
