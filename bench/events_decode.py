"""Typed events at the edge: frozen dataclasses vs pydantic models, 10,000 records per topic.

Times, per topic, the codec alone (bytes -> dict), the codec plus the dataclass the
services use (sxp_common.events), and the codec plus an equivalent pydantic v2 model
generated from the same dataclass; then each model alone from already-decoded records,
and for flat records the dataclass's own __init__ the decoder bypasses. No stack needed.
Run: PYTHONPATH=libs:. python bench/events_decode.py [--count 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from sxp_common import avro, events
from sxp_common.kafka import InboundRecord
from tests.contract.samples import SAMPLES

TOPICS = ("sxp.profiles.submitted.v1", "sxp.profiles.raw.v1", "sxp.audit.v1",
          "sxp.leadcards.labeled.v1",
          "sxp.enrichment.requested.v1")


def pydantic_twin(model: type, cache: dict[type, type[BaseModel]]) -> type[BaseModel]:
    """A frozen pydantic model with the dataclass's fields (nested records twinned too)."""
    if model in cache:
        return cache[model]
    hints = typing.get_type_hints(model)

    def twin(annotation: Any) -> Any:
        if dataclasses.is_dataclass(annotation):
            return pydantic_twin(annotation, cache)  # type: ignore[arg-type]
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is list:
            return list[twin(args[0])]  # type: ignore[misc]
        if args and type(None) in args:
            return twin(next(a for a in args if a is not type(None))) | None
        return annotation

    fields = {f.name: (twin(hints[f.name]), ...) for f in dataclasses.fields(model)
              if f.name != "record"}
    extra: dict[str, Any] = {"record": (Any, None)} if issubclass(model,
                                                                   events.ConsumedEvent) else {}
    built = create_model(f"P{model.__name__}", __config__=ConfigDict(frozen=True),
                         **fields, **extra)  # type: ignore[call-overload]
    cache[model] = built
    return built


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(topic: str, count: int, repeat: int, twins: dict[type, type[BaseModel]]) -> None:
    """Print one topic's line: codec, codec + each model, each model alone."""
    sample = SAMPLES[topic]
    if topic == "sxp.enrichment.requested.v1":
        sample = {**sample, "items": sample["items"] * 5}
    value = avro.encode(topic, sample)
    records = [InboundRecord(topic, 0, i, b"k", value) for i in range(count)]
    model, twin = events.MODELS[topic], pydantic_twin(events.MODELS[topic], twins)
    decoded = [{**avro.decode(topic, r.value), "record": r} for r in records]
    copies = [[dict(d) for d in decoded] for _ in range(repeat)]  # the builder fills its dict
    builder = events._builder(model)
    codec = best(lambda: [avro.decode(topic, r.value) for r in records], repeat)
    typed = best(lambda: [events.decode_event(r) for r in records], repeat)
    pyd = best(lambda: [twin.model_validate({**avro.decode(topic, r.value), "record": r})
                        for r in records], repeat)
    dc_only = best(lambda: [builder(d) for d in copies.pop()], repeat)
    pyd_only = best(lambda: [twin.model_validate(d) for d in decoded], repeat)
    # The dataclass's own __init__ (one frozen setattr per field), flat records only.
    flat = all(not dataclasses.is_dataclass(v) and not isinstance(v, dict | list)
               for v in decoded[0].values() if v is not decoded[0]["record"])
    init = best(lambda: [model(**d) for d in decoded], repeat) if flat else float("nan")
    print(f"{topic:32} {codec * 1e3:9.1f} {typed * 1e3:14.1f} {pyd * 1e3:13.1f} "
          f"{dc_only * 1e3:15.1f} {pyd_only * 1e3:7.1f} {pyd_only / dc_only:6.1f} "
          f"{init * 1e3:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    twins: dict[type, type[BaseModel]] = {}
    print(f"{'topic':32} {'codec ms':>9} {'+dataclass ms':>14} {'+pydantic ms':>13} "
          f"{'model only: dc':>15} {'pyd':>7} {'ratio':>6} {'dc init':>8}")
    for topic in TOPICS:
        measure(topic, args.count, args.repeat, twins)


if __name__ == "__main__":
    main()
