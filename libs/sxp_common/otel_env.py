"""Where traces and metrics go and how many are kept, read from the OTEL_* environment.

sxp_common.tracing builds its providers from these; they live apart so that module stays
about spans and context.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping
from types import SimpleNamespace
from typing import IO, Any, cast

from opentelemetry.context import Context
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, MetricExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import SpanKind

DEFAULT_ROOTS_PER_SECOND = 10.0


class RateLimitedSampler(Sampler):
    """Samples at most `per_second` new traces a second (token bucket, burst of one second)."""

    def __init__(self, per_second: float) -> None:
        self.per_second = max(per_second, 0.0)
        self._tokens = max(self.per_second, 1.0)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def should_sample(self, parent_context: Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Any = None,
                      links: Any = None, trace_state: Any = None) -> SamplingResult:
        """Sample while tokens are left; refill at `per_second`."""
        with self._lock:
            now = time.monotonic()
            refill = (now - self._updated) * self.per_second
            self._tokens, self._updated = min(max(self.per_second, 1.0), self._tokens + refill), now
            sampled = self._tokens >= 1.0
            self._tokens -= 1.0 if sampled else 0.0
        return SamplingResult(Decision.RECORD_AND_SAMPLE if sampled else Decision.DROP,
                              attributes if sampled else None)

    def has_token(self) -> bool:
        """Whether should_sample would sample a root now (takes no token): a caller can skip
        building a span the sampler is sure to drop."""
        with self._lock:
            refill = (time.monotonic() - self._updated) * self.per_second
            return min(max(self.per_second, 1.0), self._tokens + refill) >= 1.0

    def get_description(self) -> str:
        """The sampler's name as the SDK reports it."""
        return f"RateLimitedSampler{{{self.per_second}/s}}"


class RateLimitedRoots(ParentBased):
    """ParentBased over a RateLimitedSampler for roots, which it names (`roots`)."""

    def __init__(self, per_second: float) -> None:
        self.roots = RateLimitedSampler(per_second)
        super().__init__(self.roots)


def sampler_from_env(env: Mapping[str, str] | None = None) -> Sampler:
    """OTEL_TRACES_SAMPLER (+ _ARG) as the specification names them; unset: rate-limited roots."""
    env = os.environ if env is None else env
    name = env.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    arg = env.get("OTEL_TRACES_SAMPLER_ARG", "").strip()
    if not name:
        return RateLimitedRoots(DEFAULT_ROOTS_PER_SECOND)
    ratio = float(arg) if arg else 1.0
    known: dict[str, Sampler] = {
        "always_on": ALWAYS_ON, "always_off": ALWAYS_OFF, "traceidratio": TraceIdRatioBased(ratio),
        "parentbased_always_on": ParentBased(ALWAYS_ON),
        "parentbased_always_off": ParentBased(ALWAYS_OFF),
        "parentbased_traceidratio": ParentBased(TraceIdRatioBased(ratio))}
    if name not in known:
        raise ValueError(f"OTEL_TRACES_SAMPLER={name!r} is not one of {', '.join(known)}")
    return known[name]


def _exporter_names(variable: str, env: Mapping[str, str], default: str = "console") -> list[str]:
    names = [n.strip().lower() for n in env.get(variable, default).split(",") if n.strip()]
    unknown = [n for n in names if n not in ("console", "otlp", "none")]
    if unknown:
        raise ValueError(f"{variable}: unsupported exporter(s) {', '.join(unknown)}")
    signal = variable.split("_")[1]  # TRACES or METRICS
    if "otlp" in names:
        protocol = env.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL") or env.get(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        if protocol != "http/protobuf":
            raise ValueError(f"OTLP protocol {protocol!r} is not installed; use http/protobuf")
    return [n for n in names if n != "none"]


def _console_line(item: Any) -> str:
    return str(item.to_json(indent=None)) + "\n"


_STDERR = cast(IO[str], SimpleNamespace(  # sys.stderr at each write: a redirection holds
    write=lambda text: sys.stderr.write(text), flush=lambda: sys.stderr.flush()))


def span_exporters_from_env(env: Mapping[str, str] | None = None, default: str = "console"
                            ) -> list[SpanExporter]:
    """The span exporters OTEL_TRACES_EXPORTER names (`default` when unset)."""
    names = _exporter_names("OTEL_TRACES_EXPORTER", os.environ if env is None else env, default)
    if "otlp" in names:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return [OTLPSpanExporter() if name == "otlp" else
            ConsoleSpanExporter(out=_STDERR, formatter=_console_line) for name in names]


def metric_exporters_from_env(env: Mapping[str, str] | None = None) -> list[MetricExporter]:
    """The metric exporters OTEL_METRICS_EXPORTER names (console when unset)."""
    names = _exporter_names("OTEL_METRICS_EXPORTER", os.environ if env is None else env)
    if "otlp" in names:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    return [OTLPMetricExporter() if name == "otlp" else
            ConsoleMetricExporter(out=_STDERR, formatter=_console_line) for name in names]
