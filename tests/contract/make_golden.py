"""Freeze the current schema of each topic as a new revision with a golden sample.

Run `python -m tests.contract.make_golden` after a backward-compatible schema change:
it copies contracts/<topic>.avsc to contracts/revisions/<topic>/rN.avsc (when it differs
from the newest revision) and writes rN.avro, the sample encoded with it.
"""

from __future__ import annotations

import json

from sxp_common import avro
from tests.contract.samples import SAMPLES


def freeze(topic: str) -> str | None:
    """Write a new revision for `topic` if its current schema is not frozen yet."""
    root = avro.contracts_dir()
    current = json.loads((root / f"{topic}.avsc").read_text())
    folder = root / "revisions" / topic
    folder.mkdir(parents=True, exist_ok=True)
    revisions = sorted(folder.glob("r*.avsc"), key=lambda p: int(p.stem[1:]))
    if revisions and json.loads(revisions[-1].read_text()) == current:
        return None
    name = f"r{len(revisions) + 1}"
    (folder / f"{name}.avsc").write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n")
    avro.topic_schema.cache_clear()
    (folder / f"{name}.avro").write_bytes(avro.encode(topic, SAMPLES[topic]))
    return name


if __name__ == "__main__":
    for topic in SAMPLES:
        print(topic, freeze(topic) or "unchanged")
