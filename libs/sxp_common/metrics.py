"""The pipeline's metric instruments (sxp.*), each data point carrying `service`.

FastStream's telemetry middleware records `messaging.process.*` per subscriber; these say which
service did what (several services share one process in the tests) and count what the domain
decided: rejected, deduplicated, dead-lettered, enriched, spend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opentelemetry.metrics import Counter, Histogram, Meter


@dataclass
class Instruments:
    """The pipeline's metric instruments; every data point carries `service`."""

    meter: Meter
    consumed: Counter
    produced: Counter
    cost: Counter
    batch_size: Histogram
    batch_duration: Histogram
    named: dict[str, Counter] = field(default_factory=dict)

    @classmethod
    def create(cls, meter: Meter) -> Instruments:
        """Create the fixed instruments on `meter`."""
        counter, histogram = meter.create_counter, meter.create_histogram
        return cls(
            meter=meter,
            consumed=counter("sxp.records.consumed", "{record}", "records a service consumed"),
            produced=counter("sxp.records.produced", "{record}", "records published, by topic"),
            cost=counter("sxp.enrichment.cost", "USD", "provider spend"),
            batch_size=histogram("sxp.batch.size", "{record}", "records per consumed batch"),
            batch_duration=histogram("sxp.batch.duration", "s", "processing time of a batch"))

    def counter(self, key: str) -> Counter | None:
        """The counter for a ServiceContext.counters key (None for `consumed`, counted here)."""
        if key == "consumed":
            return None
        if key not in self.named:
            name = COUNTER_NAMES.get(key, f"sxp.{key}")
            self.named[key] = self.meter.create_counter(name, "1", f"{key} (service counter)")
        return self.named[key]


# ServiceContext.counters keys with a name of their own; any other key becomes sxp.<key>.
COUNTER_NAMES = {"rejected": "sxp.records.rejected", "deduplicated": "sxp.records.deduplicated",
                 "dead_lettered": "sxp.records.dead_lettered",
                 "enriched": "sxp.enrichment.enriched"}
