"""The one retry mechanism: jittered backoff, Retry-After, and the circuit breaker's states."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from sxp_common.retry import (
    CircuitBreaker,
    CircuitOpenError,
    RetryableHTTPError,
    RetryPolicy,
    call_with_retries,
    parse_retry_after,
)

pytestmark = pytest.mark.unit


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Recorder:
    """A sleep that records what it was asked to wait, and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Flaky:
    """An async call that raises the given exceptions in turn, then returns "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def _retry_http(exc: BaseException) -> bool:
    return isinstance(exc, RetryableHTTPError)


# --- backoff -------------------------------------------------------------------------------

def test_full_jitter_draws_between_zero_and_the_exponential_ceiling() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay_s=0.5, max_delay_s=30)
    assert policy.backoff_s(1, rng=lambda: 1.0) == 0.5
    assert policy.backoff_s(3, rng=lambda: 1.0) == 2.0
    assert policy.backoff_s(3, rng=lambda: 0.25) == 0.5
    assert policy.backoff_s(3, rng=lambda: 0.0) == 0.0


def test_the_backoff_ceiling_never_exceeds_max_delay() -> None:
    policy = RetryPolicy(max_attempts=20, base_delay_s=1, max_delay_s=8)
    assert policy.backoff_s(12, rng=lambda: 1.0) == 8


def test_retry_after_sets_a_floor_on_the_delay_but_is_capped_at_max_delay() -> None:
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=10)
    assert policy.delay_s(1, retry_after_s=3, rng=lambda: 0.0) == 3
    assert policy.delay_s(1, retry_after_s=120, rng=lambda: 0.0) == 10
    assert policy.delay_s(1, retry_after_s=None, rng=lambda: 1.0) == pytest.approx(0.1)


def test_a_policy_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


# --- Retry-After parsing -------------------------------------------------------------------

def test_retry_after_in_seconds_is_read_as_seconds() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 2.5 ") == 2.5


def test_retry_after_as_an_http_date_is_the_time_until_that_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", now=now) == 30.0


def test_retry_after_in_the_past_means_no_wait() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("-5") == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "Someday, 99 Foo"])
def test_a_missing_or_unreadable_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


# --- call_with_retries ---------------------------------------------------------------------

async def test_a_retryable_failure_is_retried_until_the_call_succeeds() -> None:
    call, sleep = Flaky(RetryableHTTPError(503), RetryableHTTPError(502)), Recorder()
    result = await call_with_retries(
        call, RetryPolicy(max_attempts=3), retryable=_retry_http, sleep=sleep, rng=lambda: 0.5
    )
    assert result == "ok"
    assert call.calls == 3
    assert sleep.waits == [0.25, 0.5]


async def test_the_last_error_is_raised_once_attempts_run_out() -> None:
    call = Flaky(*(RetryableHTTPError(500) for _ in range(5)))
    with pytest.raises(RetryableHTTPError):
        await call_with_retries(
            call, RetryPolicy(max_attempts=3), retryable=_retry_http, sleep=Recorder()
        )
    assert call.calls == 3


async def test_a_non_retryable_error_is_raised_at_once_without_sleeping() -> None:
    call, sleep = Flaky(PermissionError("401")), Recorder()
    with pytest.raises(PermissionError):
        await call_with_retries(call, RetryPolicy(), retryable=_retry_http, sleep=sleep)
    assert call.calls == 1
    assert sleep.waits == []


async def test_the_server_retry_after_is_waited_at_least() -> None:
    call, sleep = Flaky(RetryableHTTPError(429, retry_after_s=4.0)), Recorder()
    await call_with_retries(
        call, RetryPolicy(base_delay_s=0.1, max_delay_s=60), retryable=_retry_http,
        sleep=sleep, rng=lambda: 0.0,
    )
    assert sleep.waits == [4.0]


async def test_cancellation_is_never_retried() -> None:
    async def cancelled() -> str:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await call_with_retries(
            cancelled, RetryPolicy(), retryable=lambda e: True, sleep=Recorder()
        )


# --- circuit breaker -----------------------------------------------------------------------

def test_the_circuit_opens_after_the_threshold_of_consecutive_failures() -> None:
    breaker = CircuitBreaker("p", failure_threshold=3, reset_timeout_s=30, clock=FakeClock())
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        breaker.before_call()


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker("p", failure_threshold=2, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"
    assert breaker.consecutive_failures == 1


def test_the_circuit_half_opens_after_the_timeout_and_lets_one_probe_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("p", failure_threshold=1, reset_timeout_s=30, clock=clock)
    breaker.record_failure()
    clock.advance(29.9)
    assert breaker.state == "open"
    clock.advance(0.1)
    assert breaker.state == "half_open"
    breaker.before_call()
    with pytest.raises(CircuitOpenError):
        breaker.before_call()


def test_a_successful_probe_closes_the_circuit() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("p", failure_threshold=1, reset_timeout_s=30, clock=clock)
    breaker.record_failure()
    clock.advance(30)
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"
    breaker.before_call()
    breaker.before_call()


def test_a_failed_probe_opens_the_circuit_again_for_a_full_timeout() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("p", failure_threshold=3, reset_timeout_s=30, clock=clock)
    for _ in range(3):
        breaker.record_failure()
    clock.advance(30)
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.advance(29)
    assert breaker.state == "open"
    clock.advance(1)
    assert breaker.state == "half_open"


def test_the_open_error_says_how_long_until_a_probe_is_allowed() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("apollo", failure_threshold=1, reset_timeout_s=30, clock=clock)
    breaker.record_failure()
    clock.advance(10)
    with pytest.raises(CircuitOpenError) as caught:
        breaker.before_call()
    assert caught.value.name == "apollo"
    assert caught.value.retry_in_s == pytest.approx(20)


async def test_calls_through_the_breaker_count_only_the_failures_it_is_told_to() -> None:
    breaker = CircuitBreaker("p", failure_threshold=1, clock=FakeClock())

    async def bad_request() -> None:
        raise ValueError("422")

    with pytest.raises(ValueError):
        await breaker.call(bad_request, is_failure=lambda exc: not isinstance(exc, ValueError))
    assert breaker.state == "closed"
    with pytest.raises(ValueError):
        await breaker.call(bad_request)
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        await breaker.call(bad_request)


async def test_a_cancelled_probe_frees_the_half_open_slot() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("p", failure_threshold=1, reset_timeout_s=5, clock=clock)
    breaker.record_failure()
    clock.advance(5)

    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await breaker.call(cancelled)
    assert breaker.state == "half_open"
    breaker.before_call()
