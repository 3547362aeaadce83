"""Where spans and metrics go and how many traces start: the standard OTEL_* variables."""

from __future__ import annotations

import pytest

from sxp_common import tracing


@pytest.mark.unit
def test_the_default_sampler_traces_a_few_roots_a_second_not_every_record() -> None:
    sampler = tracing.RateLimitedSampler(10)
    decisions = [sampler.should_sample(None, n, "x").decision.is_sampled() for n in range(10_000)]
    assert 10 <= sum(decisions) <= 12


@pytest.mark.unit
def test_asking_whether_a_root_would_be_sampled_takes_no_token() -> None:
    sampler = tracing.RateLimitedSampler(3)
    assert all(sampler.has_token() for _ in range(100))
    decisions = [sampler.should_sample(None, n, "x").decision.is_sampled() for n in range(100)]
    assert sum(decisions) == 3
    assert not sampler.has_token()


@pytest.mark.unit
def test_start_trace_under_the_default_sampler_roots_only_what_the_rate_allows() -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=tracing.sampler_from_env({}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install("cli", provider, MeterProvider())
    try:
        headers = [tracing.start_trace("sxp publish", {"n": n}) for n in range(5_000)]
    finally:
        tracing.reset()
    carried = [h for h in headers if h]
    assert 10 <= len(carried) <= 12
    assert all(set(h) == {"traceparent"} for h in carried)
    spans = exporter.get_finished_spans()
    assert len(spans) == len(carried)  # a span for each carried root, none for the others
    assert {s.context.trace_id for s in spans} == {
        int(h["traceparent"].split("-")[1], 16) for h in carried}


@pytest.mark.unit
@pytest.mark.parametrize(("env", "expected"), [
    ({}, ["ConsoleSpanExporter"]),
    ({"OTEL_TRACES_EXPORTER": "none"}, []),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
     ["OTLPSpanExporter"]),
])
def test_exporters_follow_the_standard_otel_variables(env: dict[str, str],
                                                      expected: list[str]) -> None:
    assert [type(e).__name__ for e in tracing.span_exporters_from_env(env)] == expected


@pytest.mark.unit
def test_the_cli_prints_no_spans_unless_asked() -> None:
    assert tracing.span_exporters_from_env({}, default="none") == []
    asked = tracing.span_exporters_from_env({"OTEL_TRACES_EXPORTER": "console"}, default="none")
    assert [type(e).__name__ for e in asked] == ["ConsoleSpanExporter"]


@pytest.mark.unit
def test_an_unknown_exporter_or_sampler_is_refused() -> None:
    with pytest.raises(ValueError, match="zipkin"):
        tracing.span_exporters_from_env({"OTEL_TRACES_EXPORTER": "zipkin"})
    with pytest.raises(ValueError, match="sometimes"):
        tracing.sampler_from_env({"OTEL_TRACES_SAMPLER": "sometimes"})
