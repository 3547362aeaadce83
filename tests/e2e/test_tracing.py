"""One published profile is one trace across ingest, card-factory and labeler; the metrics
count what the pipeline did; the logs carry the trace ids and never contact data.

The three services run in this process (their FastStream apps, as `python -m` runs them)
against the real test stack, with an in-memory span exporter and metric reader installed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased

from sxp_cli.demo import is_drained, job_counts, pipeline_state
from sxp_cli.processes import services_down, services_up
from sxp_cli.publish import PublishReport, publish_file
from sxp_common import health, tracing
from sxp_common.kafka import InboundRecord
from sxp_common.redaction import contains_contact_data
from sxp_common.telemetry import JsonFormatter
from sxp_common.topics import (
    LEADCARDS_LABELED,
    LEADCARDS_STRUCTURED,
    PROFILES_RAW,
    PROFILES_REJECTED,
    PROFILES_SUBMITTED,
)
from tests.support.pipeline import sxp

PIPELINE = ("ingest", "card_factory", "labeler")
EMAIL, PHONE = "trace.me@example.com", "+1 415 555 0199"


class Captured(logging.Handler):
    """Every log line, formatted exactly as the services write them."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter("test"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class Telemetry:
    """In-memory span exporter and metric reader behind the process's providers."""

    exporter: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)
    reader: InMemoryMetricReader = field(default_factory=InMemoryMetricReader)
    providers: tuple[TracerProvider, MeterProvider] | None = None

    def install(self) -> None:
        """Make these the providers every span and metric of this process goes to."""
        if self.providers is None:
            tracer_provider = TracerProvider(sampler=ParentBased(ALWAYS_ON))
            tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
            self.providers = (tracer_provider, MeterProvider(metric_readers=[self.reader]))
        tracing.install("test", *self.providers)


@pytest.fixture(scope="module")
def telemetry() -> Iterator[Telemetry]:
    """Every span and metric of this process, in memory."""
    installed = Telemetry()
    installed.install()
    yield installed
    tracing.reset()


def profiles_file(path: Path) -> Path:
    """Four profiles (the first with contact data in its bio), a repeat of the second, one
    invalid."""
    tag = uuid.uuid4().hex[:10]
    rows = [
        {"platform": "x", "username": f"tr_{tag}_a", "display_name": "Dana Reyes",
         "bio": f"Agency owner, growth partner. Mail {EMAIL} or call {PHONE}", "followers": 5400},
        {"platform": "tiktok", "username": f"tr_{tag}_b", "bio": "Fitness coach and creator"},
        {"platform": "threads", "username": f"tr_{tag}_c", "bio": "Real estate investor"},
        {"platform": "x", "username": f"tr_{tag}_d", "bio": "Affiliate marketer, SaaS reviews"},
        {"platform": "tiktok", "username": f"tr_{tag}_b", "bio": "Fitness coach and creator"},
        {"platform": "myspace", "username": f"tr_{tag}_e", "bio": "not a supported platform"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def counters(reader: InMemoryMetricReader) -> dict[tuple[str, str, str], float]:
    """Every sum and histogram (count, sum) point as {(metric, service, topic): value}."""
    values: dict[tuple[str, str, str], float] = defaultdict(float)
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    key = (metric.name, str(point.attributes.get("service")),
                           str(point.attributes.get("topic", "")))
                    if hasattr(point, "bucket_counts"):  # a histogram: its count, and its sum
                        values[key] += point.count
                        values[(metric.name + ".sum",) + key[1:]] += point.sum
                    else:
                        values[key] += point.value
    return values


def delta(after: dict, before: dict, metric: str, service: str, topic: str = "") -> float:
    return after.get((metric, service, topic), 0) - before.get((metric, service, topic), 0)


async def wait_until_assigned(contexts: list[Any], timeout_s: float = 60.0) -> None:
    """Until every in-process consumer has joined its group."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        subscribers = [s for ctx in contexts for s in ctx.broker.subscribers]
        if all(health.consumer_state(getattr(s, "consumer", None))[0] for s in subscribers):
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the in-process consumers did not join their groups in time")


async def wait_caught_up(contexts: list[Any], timeout_s: float = 60.0) -> None:
    """Until every in-process consumer has committed up to the end of its partitions,
    so records other tests left on the topics are handled before the counters are read."""
    deadline = time.monotonic() + timeout_s
    consumers = [getattr(s, "consumer", None) for ctx in contexts for s in ctx.broker.subscribers]
    while time.monotonic() < deadline:
        behind = 0
        for consumer in filter(None, consumers):
            partitions = list(consumer.assignment())
            ends = await consumer.end_offsets(partitions) if partitions else {}
            for tp in partitions:
                done = await consumer.committed(tp)  # None: the group never committed here
                done = await consumer.position(tp) if done is None else done
                behind += max(0, ends[tp] - done)
        if behind == 0:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the in-process consumers did not catch up in time")


async def wait_counted(reader: Any, before: dict, stored: int, timeout_s: float = 30.0) -> dict:
    """The counters once the labeler has counted every labeled card it produced."""
    deadline = time.monotonic() + timeout_s
    after = counters(reader)
    while delta(after, before, "sxp.records.produced", "labeler", LEADCARDS_LABELED) < stored:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
        after = counters(reader)
    return after


async def wait_drained(settings: Any, report: PublishReport,
                       timeout_s: float = 120.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout_s
    state = await pipeline_state(settings, report.job_id)
    while not is_drained(state, report.published) and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        state = await pipeline_state(settings, report.job_id)
    assert is_drained(state, report.published), f"pipeline did not drain: {state}"
    return await job_counts(settings, report.job_id)


@pytest.fixture(scope="module")
async def traced_run(test_stack: Any, telemetry: Telemetry, tmp_path_factory: pytest.TempPathFactory
                     ) -> AsyncIterator[dict[str, Any]]:
    """Run the three services in-process, publish the file once, wait for the drain."""
    from services.card_factory.app import create_app as card_factory
    from services.ingest.app import create_app as ingest
    from services.labeler.app import create_app as labeler

    exporter, reader = telemetry.exporter, telemetry.reader
    services_down(test_stack)  # no subprocess instance may take the records
    captured = Captured()
    try:
        async with AsyncExitStack() as stack:
            built = [create(test_stack) for create in (ingest, card_factory, labeler)]
            logging.getLogger().addHandler(captured)
            for app, _ in built:
                await stack.enter_async_context(app.lifespan_context())
                await app.start()
                stack.push_async_callback(app.stop)
            await wait_until_assigned([ctx for _, ctx in built])
            await wait_caught_up([ctx for _, ctx in built])
            before = counters(reader)
            path = profiles_file(tmp_path_factory.mktemp("tracing") / "p.jsonl")
            report = await publish_file(path, test_stack)
            counts = await wait_drained(test_stack, report)
            after = await wait_counted(reader, before, counts["stored"] + counts["new_versions"])
            yield {"report": report, "counts": counts, "before": before, "after": after,
                   "spans": list(exporter.get_finished_spans()), "logs": list(captured.lines)}
    finally:
        logging.getLogger().removeHandler(captured)
        services_up(test_stack, {})


def publish_spans(spans: list[ReadableSpan], job_id: str) -> list[ReadableSpan]:
    return [s for s in spans
            if s.name == "sxp publish" and s.attributes.get("sxp.job_id") == job_id]


def trace_of(spans: list[ReadableSpan], trace_id: int) -> dict[str, ReadableSpan]:
    return {s.name: s for s in spans if s.context.trace_id == trace_id}


@pytest.mark.e2e
def test_a_published_profile_is_one_trace_through_ingest_card_factory_and_labeler(
    traced_run
) -> None:
    roots = publish_spans(traced_run["spans"], traced_run["report"].job_id)
    assert len(roots) == traced_run["report"].published == 6
    first = next(s for s in roots if s.attributes["sxp.source_line"] == 1)
    chain = trace_of(traced_run["spans"], first.context.trace_id)
    assert {"sxp publish", "ingest process", "card_factory process",
            "labeler process"} <= set(chain)
    assert chain["sxp publish"].parent is None
    assert chain["ingest process"].parent.span_id == chain["sxp publish"].context.span_id
    assert chain["card_factory process"].parent.span_id == chain["ingest process"].context.span_id
    assert chain["labeler process"].parent.span_id == chain["card_factory process"].context.span_id


@pytest.mark.e2e
def test_every_profile_has_a_trace_of_its_own_and_a_rejected_one_ends_at_ingest(traced_run) -> None:
    roots = publish_spans(traced_run["spans"], traced_run["report"].job_id)
    assert len({s.context.trace_id for s in roots}) == len(roots)
    reached = {s.attributes["sxp.source_line"]: set(trace_of(traced_run["spans"],
                                                             s.context.trace_id))
               for s in roots}
    assert all("labeler process" in reached[line] for line in (1, 3, 4))
    assert [line for line in (2, 5) if "labeler process" in reached[line]] in ([2], [5])  # a repeat
    assert reached[6] == {"sxp publish", "ingest process"}  # the rejected row
    process_spans = [s for s in traced_run["spans"] if s.name.endswith(" process")
                     and s.context.trace_id in {r.context.trace_id for r in roots}]
    assert all(s.links and s.links[0].context.trace_id != s.context.trace_id
               for s in process_spans), \
        "each record's span links to the batch span it was handled in"


@pytest.mark.e2e
def test_each_batch_is_one_span_of_its_own_linked_to_the_traces_of_its_records(
    traced_run
) -> None:
    """FastStream's middleware: a batch is a trace of its own (`<topic> create`, linked to each
    record's context, and its child `<topic> process`); a record's span links to that batch."""
    spans = traced_run["spans"]
    roots = publish_spans(spans, traced_run["report"].job_id)
    first = next(s for s in roots if s.attributes["sxp.source_line"] == 1)
    chain = trace_of(spans, first.context.trace_id)
    by_id = {s.context.span_id: s for s in spans}
    for topic, upstream, record_span in ((PROFILES_SUBMITTED, "sxp publish", "ingest process"),
                                         (PROFILES_RAW, "ingest process", "card_factory process"),
                                         (LEADCARDS_STRUCTURED, "card_factory process",
                                          "labeler process")):
        batch = by_id[chain[record_span].links[0].context.span_id]
        assert batch.name == f"{topic} process"
        assert batch.attributes["messaging.batch.message_count"] >= 1
        created = by_id[batch.parent.span_id]
        assert created.name == f"{topic} create" and created.parent is None
        linked = {link.context.span_id for link in created.links}
        assert chain[upstream].context.span_id in linked, f"{topic}: no link to the record"
    assert not [s for s in spans if s.name.endswith((" publish", " create"))
                and s.context.trace_id == first.context.trace_id and s.name != "sxp publish"], \
        "publishing adds no span per record to a profile's trace"


@pytest.mark.e2e
def test_metric_counters_match_what_the_pipeline_counted(traced_run) -> None:
    before, after, counts = traced_run["before"], traced_run["after"], traced_run["counts"]
    published = traced_run["report"].published
    stored = counts["stored"] + counts["new_versions"]
    assert counts["received"] == published and counts["stored"] == 4
    assert delta(after, before, "sxp.records.consumed", "ingest") == published
    assert delta(after, before, "sxp.records.produced", "ingest", PROFILES_RAW) == stored
    assert delta(after, before, "sxp.records.produced", "ingest",
                 PROFILES_REJECTED) == counts["rejected"] == 1
    assert delta(after, before, "sxp.records.rejected", "ingest") == counts["rejected"]
    assert delta(after, before, "sxp.records.deduplicated", "ingest") == counts["duplicates"] == 1
    assert delta(after, before, "sxp.records.consumed", "card_factory") == stored
    assert delta(after, before, "sxp.records.produced", "card_factory",
                 LEADCARDS_STRUCTURED) == stored
    assert delta(after, before, "sxp.records.consumed", "labeler") == stored
    assert delta(after, before, "sxp.records.produced", "labeler", LEADCARDS_LABELED) == stored
    for service in PIPELINE:
        consumed = delta(after, before, "sxp.records.consumed", service)
        assert delta(after, before, "sxp.batch.size.sum", service) == consumed
        assert delta(after, before, "sxp.batch.duration", service) >= 1  # batches timed


@pytest.mark.e2e
def test_logs_carry_the_trace_ids_and_no_contact_data(traced_run) -> None:
    roots = publish_spans(traced_run["spans"], traced_run["report"].job_id)
    first = next(s for s in roots if s.attributes["sxp.source_line"] == 1)
    trace_id = f"{first.context.trace_id:032x}"
    lines = [json.loads(line) for line in traced_run["logs"]]
    applied = [line for line in lines
               if line["msg"] == "batch applied" and trace_id in line.get("trace_ids", [])]
    assert {line["logger"] for line in applied} == {f"sxp.{s}" for s in PIPELINE}
    assert all(line.get("trace_id") for line in applied), "each line names its batch's trace too"
    for raw, line in zip(traced_run["logs"], lines, strict=True):
        assert EMAIL not in raw and PHONE not in raw, raw
        texts = [v for k, v in line.items() if k not in ("trace_id", "span_id", "trace_ids")]
        assert not [t for t in strings(texts) if contains_contact_data(t)], raw


@pytest.mark.e2e
def test_sxp_publish_prints_no_span_unless_asked(test_stack: Any, tmp_path: Path) -> None:
    """A user's terminal shows the report, not span JSON; console export is there on demand."""
    path = profiles_file(tmp_path / "quiet.jsonl")
    every_trace = {"OTEL_TRACES_SAMPLER": "parentbased_always_on"}
    quiet = sxp("publish", str(path), **every_trace)
    assert quiet.returncode == 0, quiet.stderr
    assert "published" in quiet.stdout
    assert "span_id" not in quiet.stdout + quiet.stderr, "span JSON on a quiet terminal"
    asked = sxp("publish", str(path), OTEL_TRACES_EXPORTER="console", **every_trace)
    assert asked.returncode == 0, asked.stderr
    assert "span_id" in asked.stderr and '"sxp publish"' in asked.stderr


def strings(value: Any) -> list[str]:
    """Every string inside a JSON value (numbers are ids and times, never contact data)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return strings(list(value.values()))
    return [s for v in value for s in strings(v)] if isinstance(value, list) else []


@pytest.mark.unit
def test_trace_context_round_trips_through_kafka_headers(telemetry: Telemetry) -> None:
    headers = tracing.start_trace("sxp publish")
    record = InboundRecord("t", 0, 7, None, None,
                           tuple((k, v.encode()) for k, v in headers.items()))
    with tracing.batch_scope("ingest", [record]):
        continued = tracing.trace_headers(record)
    version, trace_id, span_id, flags = continued["traceparent"].split("-")
    assert version == "00" and int(flags, 16) & 1, "sampled"
    parts = headers["traceparent"].split("-")
    assert trace_id == parts[1] and span_id != parts[2]
    context = tracing.extract(record.headers)
    from opentelemetry import trace

    assert f"{trace.get_current_span(context).get_span_context().trace_id:032x}" == trace_id


@pytest.mark.unit
def test_a_record_without_trace_context_gets_no_span_and_no_headers(telemetry: Telemetry) -> None:
    exporter = telemetry.exporter
    record = InboundRecord("t", 0, 8, None, None, ())
    exporter.clear()
    with tracing.batch_scope("ingest", [record]):
        assert tracing.trace_headers(record) == {}
    assert exporter.get_finished_spans() == (), "the batch's span is the middleware's, not ours"


@pytest.mark.unit
def test_unsampled_traces_pass_through_without_recording(telemetry: Telemetry) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=tracing.sampler_from_env({}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install("ingest", provider, MeterProvider())
    try:
        record = InboundRecord("t", 1, 2, None, None, (("traceparent", parent.encode()),))
        with tracing.batch_scope("ingest", [record]):
            assert tracing.trace_headers(record) == {"traceparent": parent}
        assert exporter.get_finished_spans() == (), "an unsampled record gets no span"
    finally:
        telemetry.install()
