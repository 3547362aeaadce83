#!/usr/bin/env python3
"""Reference consumer of `sxp.lead-batch.v1`: plain aiokafka and fastavro, nothing else.

It imports nothing from the producer's repository; all it needs is the contracts folder
(`lead-batch.v1.avsc` and the frozen revisions under `revisions/sxp.lead-batch.v1/`).

For each record it
1. reads the Avro single-object header (C3 01 + the writer schema's CRC-64-AVRO
   fingerprint, little-endian) and finds the writer schema among the revisions;
2. decodes the body, resolving the writer schema to the current one;
3. recomputes the checksum: SHA-256 of the `cards` array as UTF-8 JSON with sorted keys
   and no whitespace, and compares it with `checksum` (and `count` with the cards);
4. prints one JSON line per batch. Delivery is at least once: a batch id seen before
   is reported as a duplicate and should be ignored by an ingesting platform;
5. keeps the highest `revision` of each card: a card is sent again whenever it changes
   (enriched, relabeled, a new profile version), and a card at a revision it already holds
   (or an older one) is stale and ignored. `--latest FILE` writes each card at its highest
   revision, one JSON line per card. Writers before revision r2 send no revision: read it as 1.

    python examples/lead_batch_consumer.py --bootstrap 127.0.0.1:19092 --contracts contracts
    --until-end
    python examples/lead_batch_consumer.py --group my-platform   # follow the topic
    python examples/lead_batch_consumer.py --until-end --latest cards.jsonl

Exit status 1 when a batch fails verification.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fastavro import parse_schema, schemaless_reader
from fastavro.schema import fingerprint, to_parsing_canonical_form

TOPIC = "sxp.lead-batch.v1"
MAGIC = b"\xc3\x01"
HEADER_LEN = 10


class Decoder:
    """Avro single-object decoding with the schemas of a contracts folder."""

    def __init__(self, contracts: Path) -> None:
        raw = json.loads((contracts / "lead-batch.v1.avsc").read_text())
        self.reader = parse_schema(raw)
        self.writers: dict[bytes, Any] = {self._fingerprint(raw): self.reader}
        for path in sorted((contracts / "revisions" / TOPIC).glob("r*.avsc")):
            old = json.loads(path.read_text())
            self.writers.setdefault(self._fingerprint(old), parse_schema(old))

    @staticmethod
    def _fingerprint(raw: dict[str, Any]) -> bytes:
        # fastavro's hex is the fingerprint's little-endian bytes, as in the header.
        return bytes.fromhex(fingerprint(to_parsing_canonical_form(raw), "CRC-64-AVRO"))

    def decode(self, value: bytes) -> dict[str, Any]:
        """One record value to a dict (ValueError when it is not a lead batch)."""
        if len(value) < HEADER_LEN or value[:2] != MAGIC:
            raise ValueError("not Avro single-object encoded")
        writer = self.writers.get(value[2:HEADER_LEN])
        if writer is None:
            raise ValueError(f"unknown writer schema {value[2:HEADER_LEN].hex()}")
        return schemaless_reader(io.BytesIO(value[HEADER_LEN:]), writer, self.reader)


def canonical_payload(cards: list[dict[str, Any]]) -> bytes:
    """The bytes the checksum covers."""
    return json.dumps(cards, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def verify(batch: dict[str, Any]) -> list[str]:
    """What is wrong with a decoded batch (empty: it can be trusted)."""
    problems = []
    if batch.get("schema_version") != "v1":
        problems.append(f"schema_version is {batch.get('schema_version')!r}")
    if batch["count"] != len(batch["cards"]):
        problems.append("count does not match the cards")
    if hashlib.sha256(canonical_payload(batch["cards"])).hexdigest() != batch["checksum"]:
        problems.append("checksum does not match the cards")
    return problems


class Verifier:
    """Verifies records and remembers the batch ids it has seen."""

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self.seen: set[str] = set()
        self.failures = 0
        self.latest: dict[str, dict[str, Any]] = {}

    def keep_latest(self, cards: list[dict[str, Any]]) -> tuple[int, int]:
        """Keep each card at its highest revision; return (kept, stale) counts."""
        kept = stale = 0
        for card in cards:
            held = self.latest.get(card["lead_card_id"])
            if held is not None and held.get("revision", 1) >= card.get("revision", 1):
                stale += 1
                continue
            self.latest[card["lead_card_id"]] = card
            kept += 1
        return kept, stale

    def handle(self, partition: int, offset: int, value: bytes | None) -> dict[str, Any]:
        """Verify one record and return its report line."""
        try:
            batch = self.decoder.decode(value or b"")
        except Exception as exc:  # a reference consumer reports, it does not crash
            self.failures += 1
            return {"partition": partition, "offset": offset, "verified": False,
                    "problems": [f"undecodable: {exc}"]}
        problems = verify(batch)
        self.failures += bool(problems)
        kept, stale = self.keep_latest(batch["cards"]) if not problems else (0, 0)
        report = {
            "batch_id": batch["batch_id"], "partition": partition, "offset": offset,
            "count": batch["count"], "checksum": batch["checksum"],
            "created_at": batch["created_at"].isoformat(), "verified": not problems,
            "problems": problems, "duplicate": batch["batch_id"] in self.seen,
            "lead_card_ids": [card["lead_card_id"] for card in batch["cards"]],
            "revisions": [card.get("revision", 1) for card in batch["cards"]],
            "cards_kept": kept, "cards_stale": stale,
        }
        self.seen.add(batch["batch_id"])
        return report


async def partition_ids(bootstrap: str) -> list[int]:
    """The topic's partitions, from the broker's metadata."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([TOPIC])
    finally:
        await admin.close()
    if described["error_code"] != 0 or not described["partitions"]:
        raise SystemExit(f"topic {TOPIC} does not exist on {bootstrap}")
    return sorted(p["partition"] for p in described["partitions"])


async def read_to_end(bootstrap: str, verifier: Verifier) -> None:
    """Every record from the beginning to the end offsets seen at start, then return."""
    partitions = [TopicPartition(TOPIC, p) for p in await partition_ids(bootstrap)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, starts[tp])
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for tp, messages in (await consumer.getmany(timeout_ms=1000)).items():
                for message in messages:
                    if message.offset < ends[tp]:
                        print(json.dumps(verifier.handle(tp.partition, message.offset,
                                                         message.value)))
    finally:
        await consumer.stop()


async def follow(bootstrap: str, group: str, verifier: Verifier) -> None:
    """Follow the topic as a consumer group, committing after each verified record."""
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        async for message in consumer:
            print(json.dumps(verifier.handle(message.partition, message.offset, message.value)),
                  flush=True)
            await consumer.commit()
    finally:
        await consumer.stop()


def main() -> int:
    """Parse arguments, read, verify; exit 1 if any batch failed verification."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:19092")
    parser.add_argument("--contracts", type=Path,
                        default=Path(__file__).resolve().parents[1] / "contracts")
    parser.add_argument("--until-end", action="store_true", help="read what is there, then exit")
    parser.add_argument("--group", default="lead-batch-reference-consumer")
    parser.add_argument("--latest", type=Path, help="write each card at its highest revision here")
    args = parser.parse_args()
    verifier = Verifier(Decoder(args.contracts))
    runner = read_to_end(args.bootstrap, verifier) if args.until_end else follow(args.bootstrap,
                                                                                 args.group,
                                                                                 verifier)
    try:
        asyncio.run(runner)
    except KeyboardInterrupt:
        pass
    if args.latest is not None:
        with args.latest.open("w", encoding="utf-8") as out:
            for card in verifier.latest.values():
                out.write(json.dumps(card, sort_keys=True, ensure_ascii=False) + "\n")
    print(json.dumps({"batches": len(verifier.seen), "cards": len(verifier.latest),
                      "failures": verifier.failures}), file=sys.stderr)
    return 1 if verifier.failures else 0


if __name__ == "__main__":
    sys.exit(main())
