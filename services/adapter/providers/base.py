"""What every provider client shares: the Provider protocol and one guarded POST.

guarded_post sends one provider call through the circuit breaker and the project's retry
mechanism (sxp_common.retry): 429 and 5xx answers and transport errors (timeouts included)
are retried with jittered backoff honouring Retry-After; other 4xx answers are not. A call
that is still failing after its retries counts as one breaker failure; any answer from the
provider (even a 401) counts as the provider being up.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import httpx

from services.adapter.providers.models import PersonQuery, ProviderResult
from sxp_common.retry import (
    CircuitBreaker,
    CircuitOpenError,
    RetryableHTTPError,
    RetryPolicy,
    call_with_retries,
    parse_retry_after,
)
from sxp_common.settings import SANDBOX_API_KEY, is_loopback

log = logging.getLogger("sxp.adapter.providers")

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
US_COUNTRIES = frozenset(
    {"us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"}
)
Sleep = Callable[[float], Awaitable[object]]


@runtime_checkable
class Provider(Protocol):
    """An enrichment provider: a name, how many people one call takes, and enrich()."""

    name: str
    max_batch: int

    async def enrich(self, queries: list[PersonQuery]) -> list[ProviderResult]:
        """One result per query, in the queries' order."""
        ...


class ProviderHTTPError(Exception):
    """A provider answer that retrying will not fix (401, 403, 404, 422, ...)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


@dataclass(slots=True)
class CallSettings:
    """How a client calls its provider: timeouts, retries, breaker, and the injected sleep/rng."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    breaker: CircuitBreaker | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    sleep: Sleep = asyncio.sleep
    rng: Callable[[], float] = random.random


def is_retryable(exc: BaseException) -> bool:
    """429/5xx answers and transport errors (connect, read, timeouts) are worth retrying."""
    return isinstance(exc, (RetryableHTTPError, httpx.TransportError))


def raise_for_provider_status(response: httpx.Response) -> None:
    """Raise RetryableHTTPError for 408/429/5xx, ProviderHTTPError for other non-2xx answers."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status in (408, 429) or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise RetryableHTTPError(status, retry_after)
    raise ProviderHTTPError(status)


async def guarded_post(
    http: httpx.AsyncClient,
    url: str,
    *,
    headers: dict[str, str],
    json: Any,
    params: dict[str, str] | None,
    call: CallSettings,
) -> httpx.Response:
    """POST through the breaker with retries; raise CircuitOpenError, HTTP or transport errors."""
    breaker = call.breaker
    if breaker is not None:
        breaker.before_call()
    attempts = 0

    async def attempt() -> httpx.Response:
        """One POST; non-2xx answers become exceptions."""
        nonlocal attempts
        attempts += 1
        response = await http.post(url, headers=headers, json=json, params=params,
                                   timeout=call.timeout)
        raise_for_provider_status(response)
        return response

    try:
        response = await call_with_retries(
            attempt, call.policy, retryable=is_retryable, sleep=call.sleep, rng=call.rng
        )
    except Exception as exc:
        if breaker is not None:
            (breaker.record_failure if is_retryable(exc) else breaker.record_success)()
        exc.add_note(f"attempts={attempts}")
        raise
    except BaseException:
        if breaker is not None:
            breaker.abandon()
        raise
    if breaker is not None:
        breaker.record_success()
    return response


def describe_failure(exc: BaseException) -> str:
    """A short, contact-free reason for a failed call, for ProviderResult.error."""
    if isinstance(exc, CircuitOpenError):
        return "circuit open"
    if isinstance(exc, ProviderHTTPError):
        if exc.status in (401, 403):
            return f"auth error: HTTP {exc.status}"
        return f"request rejected: HTTP {exc.status}"
    if isinstance(exc, RetryableHTTPError):
        kind = "rate limited" if exc.status == 429 else "provider error"
        return f"{kind}: HTTP {exc.status}, retries exhausted"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout, retries exhausted"
    if isinstance(exc, httpx.TransportError):
        return f"transport error: {type(exc).__name__}"
    return f"invalid response: {type(exc).__name__}"


def failed_results(
    queries: Sequence[PersonQuery], provider: str, error: str, request_id: str | None = None
) -> list[ProviderResult]:
    """A "failed" result for every query of a call that did not succeed."""
    return [
        ProviderResult(lead_card_id=q.lead_card_id, provider=provider, status="failed",
                       request_id=request_id, error=error)
        for q in queries
    ]


def chunked(items: Sequence[PersonQuery], size: int) -> list[list[PersonQuery]]:
    """Consecutive slices of at most `size` items."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def clean(value: str | None) -> str | None:
    """A stripped string, or None when empty."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def name_parts(query: PersonQuery) -> tuple[str | None, str | None]:
    """First and last name: the given ones, else split from full_name (first word, last word)."""
    first, last = clean(query.first_name), clean(query.last_name)
    if first and last:
        return first, last
    words = (clean(query.full_name) or "").split()
    if len(words) >= 2:
        return first or words[0], last or words[-1]
    return first, last


def is_us_or_unknown(country: str | None) -> bool:
    """True when the country is the United States or not given."""
    value = clean(country)
    return value is None or value.casefold() in US_COUNTRIES


async def run_chunks(
    chunks: Sequence[list[PersonQuery]],
    run: Callable[[list[PersonQuery]], Awaitable[list[ProviderResult]]],
    max_concurrency: int,
) -> list[ProviderResult]:
    """Run each chunk (at most max_concurrency at once) and concatenate results in order."""
    gate = asyncio.Semaphore(max(1, max_concurrency))

    async def one(chunk: list[PersonQuery]) -> list[ProviderResult]:
        """Run one chunk once a slot is free."""
        async with gate:
            return await run(chunk)

    if max_concurrency <= 1:
        out: list[ProviderResult] = []
        for chunk in chunks:
            out.extend(await run(chunk))
        return out
    parts = await asyncio.gather(*(one(c) for c in chunks))
    return [r for part in parts for r in part]


def credential_for(api_key: str, base_url: str) -> str:
    """The configured key; the sandbox's key for a provider on this machine when none is set."""
    if not api_key and is_loopback(base_url):
        return SANDBOX_API_KEY
    return api_key


class HttpProviderClient:
    """What every provider client shares: endpoint and key, retries, breaker, chunked calls.

    A client names itself (`name`, `max_batch`), builds one request for a chunk
    (`build_request`) and maps the answer (`map_answer`); calling, failing soft into
    "failed" results and logging with masked values happen here once.
    """

    name = "provider"
    max_batch = 1

    def _connect(
        self, http: httpx.AsyncClient, url: str, api_key: str, retry_policy: RetryPolicy | None,
        breaker: CircuitBreaker | None, call: CallSettings, max_concurrency: int,
    ) -> None:
        self.http, self.url, self._api_key = http, url, api_key
        self.breaker = breaker or CircuitBreaker(self.name)
        self.call = CallSettings(policy=retry_policy or RetryPolicy(), breaker=self.breaker,
                                 timeout=call.timeout, sleep=call.sleep, rng=call.rng)
        self.max_concurrency = max_concurrency

    def build_request(
        self, chunk: list[PersonQuery]
    ) -> tuple[dict[str, str], Any, dict[str, str] | None]:
        """Headers, JSON body and query parameters of one call (provider-specific)."""
        raise NotImplementedError

    def map_answer(self, chunk: list[PersonQuery], body: Any,
                   request_id: str) -> tuple[list[ProviderResult], str]:
        """One result per query from the provider's JSON answer, and a note for the log."""
        raise NotImplementedError

    async def enrich(self, queries: list[PersonQuery]) -> list[ProviderResult]:
        """One result per query, in order; `max_batch` people per HTTP call."""
        if not queries:
            return []
        return await run_chunks(chunked(queries, self.max_batch), self._enrich_chunk,
                                self.max_concurrency)

    async def _enrich_chunk(self, chunk: list[PersonQuery]) -> list[ProviderResult]:
        """One call for a chunk; every failure becomes "failed" results, never an exception."""
        request_id = uuid.uuid4().hex
        if not self._api_key:
            log.warning("%s call skipped request_id=%s size=%d: no API key", self.name, request_id,
                        len(chunk))
            return failed_results(chunk, self.name, "auth error: missing API key", request_id)
        headers, body, params = self.build_request(chunk)
        try:
            response = await guarded_post(self.http, self.url, headers=headers, json=body,
                                          params=params,
                                          call=self.call)
            request_id = response.headers.get("x-request-id") or request_id
            results, note = self.map_answer(chunk, response.json(), request_id)
        except Exception as exc:
            error = describe_failure(exc)
            log.warning("%s call failed request_id=%s size=%d error=%s %s", self.name, request_id,
                        len(chunk), error, " ".join(getattr(exc, "__notes__", [])))
            return failed_results(chunk, self.name, error, request_id)
        log.info("%s call done request_id=%s size=%d matched=%d%s", self.name, request_id,
                 len(chunk),
                 sum(r.status == "matched" for r in results), note)
        return results
