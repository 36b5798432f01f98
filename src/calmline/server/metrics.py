"""Prometheus metrics: turns processed, turn latency, alerts by kind, WebSocket clients."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

TURNS = Counter("calmline_turns_processed", "Turns analysed and stored.", ["speaker"])
TURN_LATENCY = Histogram(
    "calmline_turn_latency_seconds",
    "Time from a turn's request to its response (analysis and storage).",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
ALERTS = Counter("calmline_alerts", "Alerts raised, by kind.", ["kind"])
WEBSOCKET_CLIENTS = Gauge(
    "calmline_websocket_clients", "Open WebSocket streams.", multiprocess_mode="livesum"
)


def exposition() -> tuple[bytes, str]:
    """The metrics page; with several workers (PROMETHEUS_MULTIPROC_DIR set) summed over all of them."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
