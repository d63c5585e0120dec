"""Streaming carbon engine: plant model, factor library, event-time windows, alerts."""
