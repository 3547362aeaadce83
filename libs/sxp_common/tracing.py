"""OpenTelemetry for every process: FastStream's Kafka telemetry middleware on the consuming
side, and what that middleware lacks.

The middleware (`TelemetryMiddleware` with the Kafka attribute provider, which is what
`KafkaTelemetryMiddleware` is) gives each consumed batch a trace of its own: `<topic> create`,
linked to the trace context of every record in the batch, and its child `<topic> process`. One
span per batch, not per record. What it lacks, kept here:

- Providers from the OTEL_* variables with our resource (service name, instance) and the
  rate-limited root sampler (otel_env); the middleware only takes providers.
- A profile's trace across services. On publish the middleware replaces a record's
  `traceparent` with two spans of the batch's trace, so a profile would be a trace per hop,
  joined only by links. It therefore runs on the consuming side only; a record that carries a
  sampled trace gets a `<service> process` span parented on it and linked to the batch, and
  what is produced from the record carries that span (`trace_headers`). Unset, at most
  DEFAULT_ROOTS_PER_SECOND traces start a second, so few records of a batch get a span.
- Metrics by service (services share a process in the tests; the middleware's `messaging.*`
  metrics carry no service), trace ids for the logs, the CLI's root spans (`start_trace`).

OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER: `console` (a service's default: JSON lines on
stderr, its log; the CLI's: `none`), `otlp` (http/protobuf) or `none`. parentbased_always_on
traces everything.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from faststream.kafka.opentelemetry.provider import telemetry_attributes_provider_factory
from faststream.kafka.response import KafkaPublishCommand
from faststream.opentelemetry import TelemetryMiddleware
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ParentBased,
)
from opentelemetry.trace import Link, NonRecordingSpan, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from sxp_common.metrics import Instruments
from sxp_common.otel_env import (  # noqa: F401 - re-exported: callers configure through tracing
    DEFAULT_ROOTS_PER_SECOND,
    RateLimitedRoots,
    RateLimitedSampler,
    metric_exporters_from_env,
    sampler_from_env,
    span_exporters_from_env,
)

TRACEPARENT, TRACESTATE = "traceparent", "tracestate"
MAX_LOGGED_TRACE_IDS = 20
_PROPAGATOR = TraceContextTextMapPropagator()


class RecordLike(Protocol):
    """What a per-record span needs from a consumed record (sxp_common.kafka.InboundRecord)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def headers(self) -> tuple[tuple[str, bytes], ...]: ...


@dataclass
class _State:
    service: str
    tracer: trace.Tracer
    instruments: Instruments
    providers: tuple[TracerProvider, MeterProvider]
    parent_based: bool
    root_gate: RateLimitedSampler | None  # the roots' rate limit, when the sampler has one


_state: _State | None = None
_state_lock = threading.Lock()
_service_var: ContextVar[str | None] = ContextVar("sxp_service", default=None)


def configure(service: str, instance: str | None = None, metrics: bool = True,
              traces_default: str = "console") -> None:
    """Providers from OTEL_* once per process (later calls: no-op); `traces_default` when
    OTEL_TRACES_EXPORTER is unset: console (a service's log) or none (the CLI's terminal)."""
    global _state
    with _state_lock:
        if _state is not None:
            return
        attributes = {"service.namespace": "sxp"}
        if "OTEL_SERVICE_NAME" not in os.environ:
            attributes["service.name"] = "sxp-" + service.replace("_", "-").removeprefix("sxp-")
        if instance:
            attributes["service.instance.id"] = instance
        resource = Resource.create(attributes)
        tracer_provider = TracerProvider(resource=resource, sampler=sampler_from_env())
        for exporter in span_exporters_from_env(default=traces_default):
            tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
        exporters = metric_exporters_from_env() if metrics else []
        readers: list[MetricReader] = [PeriodicExportingMetricReader(e) for e in exporters]
        meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        trace.set_tracer_provider(tracer_provider)
        _state = _make_state(service, tracer_provider, meter_provider)


def install(service: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    """Use these providers from now on (tests: in-memory exporter and reader)."""
    global _state
    with _state_lock:
        _state = _make_state(service, tracer_provider, meter_provider)


def flush() -> None:
    """Export whatever spans and metrics are buffered (e.g. before a CLI exits)."""
    for provider in _state.providers if _state is not None else ():
        provider.force_flush()


def reset() -> None:
    """Flush, then forget the providers (the next configure() reads OTEL_* again)."""
    global _state
    flush()
    with _state_lock:
        _state = None


def _make_state(service: str, tracer_provider: TracerProvider,
                meter_provider: MeterProvider) -> _State:
    return _State(service, tracer_provider.get_tracer("sxp"),
                  Instruments.create(meter_provider.get_meter("sxp")),
                  (tracer_provider, meter_provider),
                  isinstance(tracer_provider.sampler, ParentBased),
                  tracer_provider.sampler.roots
                  if isinstance(tracer_provider.sampler, RateLimitedRoots) else None)


def _current() -> _State:
    if _state is None:
        configure("sxp-" + os.path.basename(sys.argv[0] or "python"), metrics=False,
                  traces_default="none")  # no service gets here, only the CLI: quiet
    return _state  # type: ignore[return-value]  # configure() set it


def current_service() -> str:
    """The service whose batch is being handled, else the process's configured service."""
    return _service_var.get() or (_state.service if _state else "sxp")


def inject(headers: dict[str, str], context: Context | None = None) -> dict[str, str]:
    """Add traceparent (and tracestate) of `context` (default: the current span) to headers."""
    _PROPAGATOR.inject(headers, context=context)
    return headers


def extract(headers: Iterable[tuple[str, bytes | str]] | Mapping[str, bytes | str]) -> Context:
    """The remote trace context carried by Kafka headers (an empty context when none)."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    carrier = {k: v.decode("latin-1") if isinstance(v, bytes) else v for k, v in pairs
               if k in (TRACEPARENT, TRACESTATE)}
    return _PROPAGATOR.extract(carrier)


def _trace_carrier(headers: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    return {k: v.decode("latin-1") for k, v in headers if k in (TRACEPARENT, TRACESTATE)}


def start_trace(name: str, attributes: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Start (and end) the root span of a new trace; the headers that carry it, if sampled."""
    # Unsampled carries nothing: a record without context gets no span downstream, as a
    # parent-based sampler treats an unsampled parent, with no header to write or parse.
    state = _current()
    if state.root_gate is not None and not state.root_gate.has_token():
        return {}  # the rate limit would drop this root: skip the SDK's span bookkeeping
    span = state.tracer.start_span(name, context=Context(), kind=SpanKind.PRODUCER,
                                   attributes=attributes)
    span.end()
    sampled = span.get_span_context().trace_flags.sampled
    return inject({}, trace.set_span_in_context(span)) if sampled else {}


@dataclass
class _BatchTraces:
    """The per-record spans of the batch being handled and the headers their children carry."""

    spans: list[Span] = field(default_factory=list)
    headers: dict[tuple[str, int, int], dict[str, str]] = field(default_factory=dict)
    trace_ids: list[str] = field(default_factory=list)


_batch_var: ContextVar[_BatchTraces | None] = ContextVar("sxp_batch_traces", default=None)


def _record_traces(state: _State, service: str, records: Sequence[RecordLike],
                   links: list[Link]) -> _BatchTraces:
    """Start a span per traced record, parented on the trace its headers carry."""
    traces = _BatchTraces()
    for r in records:
        carrier = _trace_carrier(r.headers) if r.headers else {}
        if not carrier:
            continue
        key = (r.topic, r.partition, r.offset)
        parent = trace.get_current_span(_PROPAGATOR.extract(carrier)).get_span_context()
        if state.parent_based and not parent.trace_flags.sampled:
            traces.headers[key] = carrier  # not sampled upstream: nothing to record, pass it on
            continue
        span = state.tracer.start_span(
            f"{service} process", context=trace.set_span_in_context(NonRecordingSpan(parent)),
            kind=SpanKind.CONSUMER, links=links,
            attributes={"sxp.service": service, "messaging.system": "kafka",
                        "messaging.destination.name": r.topic,
                        "messaging.kafka.destination.partition": r.partition,
                        "messaging.kafka.message.offset": r.offset})
        traces.spans.append(span)
        traces.headers[key] = inject({}, trace.set_span_in_context(span))
        sampled = span.get_span_context().trace_flags.sampled
        if sampled and len(traces.trace_ids) < MAX_LOGGED_TRACE_IDS:
            traces.trace_ids.append(f"{span.get_span_context().trace_id:032x}")
    return traces


def consumer_middleware() -> TelemetryMiddleware[KafkaPublishCommand]:
    """FastStream's Kafka telemetry for a service's broker, on this process's providers, on the
    consuming side only (see the module docstring for why publishing is left to us)."""
    tracer_provider, meter_provider = _current().providers
    return TelemetryMiddleware[KafkaPublishCommand](
        settings_provider_factory=_consumed_only, tracer_provider=tracer_provider,
        meter_provider=meter_provider, include_messages_counters=True)


def _consumed_only(msg: Any) -> Any:
    # KafkaTelemetryMiddleware's own attribute provider for a consumed message; a publish is
    # called with None, and with no provider the middleware passes the message through as is.
    return None if msg is None else telemetry_attributes_provider_factory(msg)


@contextmanager
def batch_scope(service: str, records: Sequence[RecordLike]) -> Iterator[None]:
    """Around one consumed batch, inside the middleware's batch span: a span per sampled record
    (linked to that batch span) and the batch metrics."""
    state = _current()
    started = time.perf_counter()
    attributes = {"service": service}
    service_token = _service_var.set(service)
    batch_context = trace.get_current_span().get_span_context()
    links = [Link(batch_context)] if batch_context.trace_flags.sampled else []
    traces = _record_traces(state, service, records, links)
    token = _batch_var.set(traces)
    try:
        yield
    except BaseException as exc:
        for span in traces.spans:
            span.set_status(trace.StatusCode.ERROR, type(exc).__name__)
        raise
    finally:
        for span in traces.spans:
            span.end()
        _batch_var.reset(token)
        _service_var.reset(service_token)
        state.instruments.consumed.add(len(records), attributes)
        state.instruments.batch_size.record(len(records), attributes)
        state.instruments.batch_duration.record(time.perf_counter() - started, attributes)


def trace_headers(record: RecordLike) -> dict[str, str]:
    """Headers that continue `record`'s trace on a record produced from it (may be empty)."""
    traces = _batch_var.get()
    if traces is not None:
        found = traces.headers.get((record.topic, record.partition, record.offset))
        if found is not None:
            return dict(found)
    return _trace_carrier(record.headers) if record.headers else {}


def count(service: str, increments: Mapping[str, int]) -> None:
    """Add a service's counters (ServiceContext.counters) to their metric instruments."""
    if _state is None:
        return
    attributes = {"service": service}
    for key, value in increments.items():
        instrument = _state.instruments.counter(key)
        if instrument is not None and value:
            instrument.add(value, attributes)


def count_produced(topics: Iterable[str]) -> None:
    """Count published records by topic for the current service."""
    if _state is None:
        return
    service = current_service()
    for topic, n in Tally(topics).items():
        _state.instruments.produced.add(n, {"service": service, "topic": topic})


def add_cost(usd: float, provider: str) -> None:
    """Record enrichment spend in USD for a provider."""
    if _state is not None and usd:
        _state.instruments.cost.add(usd, {"service": current_service(), "provider": provider})


def trace_fields() -> dict[str, Any]:
    """trace_id/span_id of the current sampled span and the batch's record traces, for logs."""
    fields: dict[str, Any] = {}
    context = trace.get_current_span().get_span_context()
    if context.is_valid and context.trace_flags.sampled:
        fields.update(trace_id=f"{context.trace_id:032x}", span_id=f"{context.span_id:016x}")
    traces = _batch_var.get()
    if traces is not None and traces.trace_ids:
        fields["trace_ids"] = list(traces.trace_ids)
    return fields
