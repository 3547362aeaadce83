"""The project's one retry mechanism: backoff with full jitter, Retry-After, a circuit breaker.

- RetryPolicy: how many attempts and how long to wait between them (full jitter:
  a uniform draw in [0, min(max_delay_s, base_delay_s * 2**(attempt-1))]).
- call_with_retries: runs an async call, retrying the exceptions `retryable` accepts.
  When the exception carries `retry_after_s` (RetryableHTTPError from a Retry-After
  header), the wait is at least that long, capped at max_delay_s.
- CircuitBreaker: closed -> open after `failure_threshold` consecutive failures ->
  half-open once `reset_timeout_s` has passed (one probe allowed) -> closed when the
  probe succeeds, open again when it fails.

Everything is deterministic under an injected sleep, rng and clock.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal, TypeVar

T = TypeVar("T")
CircuitState = Literal["closed", "open", "half_open"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often to try a call and how long to back off between tries."""

    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("delays must not be negative")

    def backoff_s(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Full-jitter delay after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** max(0, attempt - 1)))
        return rng() * ceiling

    def delay_s(
        self, attempt: int, retry_after_s: float | None, rng: Callable[[], float] = random.random
    ) -> float:
        """The wait before the next attempt: jittered backoff, at least Retry-After (capped)."""
        delay = self.backoff_s(attempt, rng)
        if retry_after_s is not None and retry_after_s > 0:
            delay = max(delay, min(retry_after_s, self.max_delay_s))
        return delay


class RetryableHTTPError(Exception):
    """An HTTP answer worth retrying (429, 5xx), with the server's Retry-After if it sent one."""

    def __init__(self, status: int, retry_after_s: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after_s = retry_after_s


class CircuitOpenError(Exception):
    """Raised instead of calling a dependency whose circuit is open."""

    def __init__(self, name: str, retry_in_s: float) -> None:
        super().__init__(f"circuit {name!r} is open (retry in {retry_in_s:.1f}s)")
        self.name = name
        self.retry_in_s = retry_in_s


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date); None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    reference = now or datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    retryable: Callable[[BaseException], bool],
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> T:
    """Await call(), retrying exceptions `retryable` accepts, up to policy.max_attempts tries."""
    attempt = 1
    while True:
        try:
            return await call()
        except Exception as exc:  # CancelledError (a BaseException) always propagates
            if attempt >= policy.max_attempts or not retryable(exc):
                raise
            retry_after = getattr(exc, "retry_after_s", None)
            await sleep(policy.delay_s(attempt, retry_after, rng))
            attempt += 1


class CircuitBreaker:
    """Stops calling a failing dependency for a while, then lets one probe through."""

    def __init__(
        self,
        name: str,
        failure_threshold: int = 5,
        reset_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False

    @property
    def state(self) -> CircuitState:
        """closed, open, or half_open (open and the reset timeout has passed)."""
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.reset_timeout_s:
            return "half_open"
        return "open"

    @property
    def consecutive_failures(self) -> int:
        """Failures recorded since the last success."""
        return self._failures

    def before_call(self) -> None:
        """Admit a call, or raise CircuitOpenError (open, or half-open with its probe out)."""
        state = self.state
        if state == "closed":
            return
        if state == "half_open" and not self._probe_in_flight:
            self._probe_in_flight = True
            return
        elapsed = self._clock() - (self._opened_at or 0.0)
        raise CircuitOpenError(self.name, max(0.0, self.reset_timeout_s - elapsed))

    def record_success(self) -> None:
        """A call succeeded: close the circuit and forget past failures."""
        self._failures = 0
        self._opened_at = None
        self._probe_in_flight = False

    def record_failure(self) -> None:
        """A call failed: open the circuit at the threshold, or re-open it after a failed probe."""
        self._failures += 1
        if self._probe_in_flight or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
        self._probe_in_flight = False

    def abandon(self) -> None:
        """A call ended without an outcome (cancelled): free the half-open probe slot."""
        self._probe_in_flight = False

    async def call(
        self,
        fn: Callable[[], Awaitable[T]],
        *,
        is_failure: Callable[[BaseException], bool] = lambda exc: True,
    ) -> T:
        """Run fn through the breaker; exceptions `is_failure` accepts count as failures."""
        self.before_call()
        try:
            result = await fn()
        except Exception as exc:
            if is_failure(exc):
                self.record_failure()
            else:
                self.record_success()
            raise
        except BaseException:
            self.abandon()
            raise
        self.record_success()
        return result
