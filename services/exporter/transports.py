"""The three ways a Lead Card Batch v1 leaves: a JSON file, a signed API POST, an Avro record.

Each transport's `send` returns where the batch landed, or raises DeliveryFailed once the
project's retry policy (sxp_common.retry) has given up. Sending the same batch twice is
safe everywhere: the file is overwritten with identical bytes, the API gets the same
idempotency key, the topic gets a record with the same key that consumers dedupe on.
The queue transport is the exception to `send`: its record is staged in the exporter's
outbox with the batch itself, so it is on the topic once the batch is recorded.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, Protocol

import httpx
from faststream.kafka import KafkaBroker

from services.exporter.domain import LeadBatch, sign
from sxp_common import tracing
from sxp_common.kafka import Outgoing, outgoing
from sxp_common.retry import RetryableHTTPError, RetryPolicy, call_with_retries, parse_retry_after
from sxp_common.settings import Settings
from sxp_common.topics import LEAD_BATCH

DELIVERY_POLICY = RetryPolicy(max_attempts=5, base_delay_s=0.5, max_delay_s=10.0)
RETRYABLE_STATUS = frozenset({408, 425, 429})
HTTP_TIMEOUT_S = 30.0


class DeliveryFailed(Exception):
    """A delivery that did not succeed after retries; `reason` is a short code, no data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    """Somewhere a batch can be delivered."""

    name: str

    async def send(self, batch: LeadBatch) -> str:
        """Deliver the batch; return its location."""
        ...


def s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the export bucket: path-style addressing, no retries of its own."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key,
        region_name=settings.s3_region,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1, "mode": "standard"},  # sxp_common.retry does retries
            connect_timeout=5, read_timeout=30,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def _s3_retryable(exc: BaseException) -> bool:
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError

    if isinstance(exc, BotoConnectionError):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= 500 or status in RETRYABLE_STATUS
    return False


class FileTransport:
    """`exports/lead-batches/{batch_id}.json` in the bucket, or under a local folder."""

    name = "file"

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self._client = client

    async def send(self, batch: LeadBatch) -> str:
        """Write the JSON document; the object's metadata carries the checksum."""
        if self.settings.export_dir is not None:
            return await asyncio.to_thread(self._write_local, batch)
        return await self._put_object(batch)

    def _write_local(self, batch: LeadBatch) -> str:
        target = Path(self.settings.export_dir or ".").resolve() / batch.file_key()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".json.partial")
        try:
            partial.write_bytes(batch.body())
            os.replace(partial, target)
        except OSError as exc:
            raise DeliveryFailed(f"local_write_failed: {type(exc).__name__}") from exc
        return target.as_uri()

    async def _put_object(self, batch: LeadBatch) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client or s3_client(self.settings)
        bucket, key = self.settings.s3_bucket, batch.file_key()

        def put() -> None:
            client.put_object(
                Bucket=bucket, Key=key, Body=batch.body(), ContentType="application/json",
                Metadata={"sha256": batch.checksum, "batch-id": batch.batch_id,
                          "schema-version": "v1", "count": str(batch.count)},
            )

        try:
            await call_with_retries(lambda: asyncio.to_thread(put), DELIVERY_POLICY,
                                    retryable=_s3_retryable)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise DeliveryFailed(f"s3_{code}") from exc
        except BotoCoreError as exc:
            raise DeliveryFailed(f"s3_unreachable: {type(exc).__name__}") from exc
        return f"s3://{bucket}/{key}"


class ApiTransport:
    """POST the JSON document with an HMAC-SHA256 signature and the batch id as idempotency key."""

    name = "api"

    def __init__(self, settings: Settings, policy: RetryPolicy = DELIVERY_POLICY) -> None:
        if not settings.export_api_url:
            raise ValueError("the api transport needs SXP_EXPORT_API_URL")
        self.url = settings.export_api_url
        self.secret = settings.export_hmac_secret
        self.policy = policy

    def headers(self, batch: LeadBatch, body: bytes) -> dict[str, str]:
        """Content type, signature, idempotency key, checksum and schema version."""
        return {
            "Content-Type": "application/json",
            "Idempotency-Key": batch.batch_id,
            "X-SXP-Signature": sign(self.secret, body),
            "X-SXP-Checksum": batch.checksum,
            "X-SXP-Schema-Version": "v1",
        }

    async def send(self, batch: LeadBatch) -> str:
        """POST until a 2xx, retrying 408/425/429/5xx and connection errors with backoff."""
        body = batch.body()
        headers = self.headers(batch, body)
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:

            async def attempt() -> None:
                response = await client.post(self.url, content=body, headers=headers)
                status = response.status_code
                if status in RETRYABLE_STATUS or status >= 500:
                    raise RetryableHTTPError(status,
                                             parse_retry_after(response.headers.get("Retry-After")))
                if not 200 <= status < 300:
                    raise DeliveryFailed(f"http_{status}")

            try:
                await call_with_retries(attempt, self.policy, retryable=lambda e: isinstance(
                    e, RetryableHTTPError | httpx.TransportError))
            except RetryableHTTPError as exc:
                raise DeliveryFailed(f"http_{exc.status}") from exc
            except httpx.TransportError as exc:
                raise DeliveryFailed(f"unreachable: {type(exc).__name__}") from exc
        return self.url


class QueueTransport:
    """An Avro record on sxp.lead-batch.v1, keyed by batch id, staged in the exporter's outbox
    in the transaction that records the batch: it goes out exactly when the batch is recorded."""

    name = "queue"
    in_outbox = True

    def location(self, batch: LeadBatch) -> str:
        """Where the batch lands."""
        return f"kafka:{LEAD_BATCH}/{batch.batch_id}"

    def records(self, batch: LeadBatch) -> list[Outgoing]:
        """The record to stage (checksum and schema version also as headers)."""
        headers = {"sxp-checksum": batch.checksum, "sxp-schema-version": "v1", **tracing.inject({})}
        return [outgoing(LEAD_BATCH, batch.batch_id, batch.avro_record(), headers)]

    async def send(self, batch: LeadBatch) -> str:
        """Never called: queue batches leave through the outbox (see `records`)."""
        raise DeliveryFailed("queue_batches_leave_through_the_outbox")


def make_transport(name: str, settings: Settings, broker: KafkaBroker | None = None) -> Transport:
    """The transport called `name` (file, api or queue); `broker` is no longer needed."""
    if name == "file":
        return FileTransport(settings)
    if name == "api":
        return ApiTransport(settings)
    if name == "queue":
        return QueueTransport()
    raise ValueError(f"unknown transport {name!r}; use file, api or queue")
