"""Structured JSON logs and in-process counters; never contact data.

Log records carry ids (job, batch, lead card) as `extra={"sxp": {...}}`; the
formatter writes one JSON object a line, with the trace id of the current span and
the sampled traces of the records in the batch being handled (`trace_ids`).
Counters are also OpenTelemetry metrics (sxp_common.tracing).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from typing import Any

from sxp_common import tracing

_RESERVED = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, message and the record's ids."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update(tracing.trace_fields())
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_") and key not in payload:
                payload[key] = value
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> logging.Logger:
    """Route every logger to stderr as JSON lines for `service`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "faststream", "kafka"):
        logging.getLogger(noisy).setLevel("WARNING")
    return logging.getLogger(f"sxp.{service}")


class Counters:
    """Monotonic counters a service keeps about what it did (logged per batch)."""

    def __init__(self, service: str = "") -> None:
        self.service = service
        self.values: Counter[str] = Counter()
        self.started = time.monotonic()

    def add(self, **increments: int) -> None:
        """Add to named counters (and to their metrics, when the service is named)."""
        self.values.update({k: v for k, v in increments.items() if v})
        if self.service:
            tracing.count(self.service, increments)

    def snapshot(self) -> dict[str, int]:
        """The counters as a plain dict."""
        return dict(self.values)
