"""What every consumed event model shares: the Kafka record it came from, and its Avro form.

The models themselves are in `sxp_common.events` (pipeline topics) and
`sxp_common.command_events` (command topics); `sxp_common.events` decodes them all.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from sxp_common.kafka import InboundRecord


@dataclass(frozen=True, kw_only=True)
class ConsumedEvent:
    """What every consumed event carries besides its fields: the Kafka record it came from."""

    TOPIC: ClassVar[str]
    record: InboundRecord = dataclasses.field(repr=False, compare=False)

    def as_record(self) -> dict[str, Any]:
        """The event as the Avro record it was decoded from (for code written on records)."""
        return _to_record(self)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return _to_record(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _to_record(obj: Any) -> dict[str, Any]:
    return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            if f.name != "record"}
