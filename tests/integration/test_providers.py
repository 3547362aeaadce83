"""Provider clients over real HTTP against the local sandboxes (no other infrastructure).

Every test starts its own sandbox servers on free ports in background threads, so it can
count the requests the server saw and change its faults mid-test.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from services.adapter.providers.apollo import ApolloClient
from services.adapter.providers.models import PersonQuery, ProviderResult
from services.adapter.providers.skiptrace import SkipTraceClient, skiptrace_routable
from services.adapter.providers.waterfall import routable_by_name, run_waterfall
from services.sandbox.server import SandboxServer, start_in_thread
from sxp_common.redaction import contains_contact_data
from sxp_common.retry import CircuitBreaker, CircuitOpenError, RetryPolicy
from sxp_common.settings import SANDBOX_API_KEY

pytestmark = pytest.mark.integration

FIRST = ("Ana", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gabe", "Hana", "Ivan", "Julia")
USD_PER_CREDIT = 0.03
USD_PER_MATCH = 0.12
FAST = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=10)

Start = Callable[..., tuple[SandboxServer, str]]


class RecordingSleep:
    """Records every wait the client asks for and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class FakeClock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sandbox() -> Iterator[Start]:
    """Start sandbox servers on free ports; stop them all after the test."""
    servers: list[SandboxServer] = []

    def start(kind: str, **options: object) -> tuple[SandboxServer, str]:
        server, url = start_in_thread(kind, **options)
        servers.append(server)
        return server, url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP client the caller owns and hands to the provider clients."""
    async with httpx.AsyncClient() as client:
        yield client


def person(i: int, *, domain: bool = True, place: bool = True) -> PersonQuery:
    """A test lead card: name always, company domain and a full US address when asked."""
    return PersonQuery(
        lead_card_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"lead-{i}")),
        first_name=FIRST[i % len(FIRST)], last_name=f"Tester{i}",
        full_name=f"{FIRST[i % len(FIRST)]} Tester{i}",
        domain=f"shop{i}.example.net" if domain else None,
        street=f"{100 + i} Main St" if place else None, city="Austin" if place else None,
        state="TX" if place else None, postal_code="78701" if place else None,
    )


def apollo_client(http: httpx.AsyncClient, url: str, **kwargs: object) -> ApolloClient:
    """An Apollo client with fast retries unless the test says otherwise."""
    kwargs.setdefault("retry_policy", FAST)
    kwargs.setdefault("sleep", RecordingSleep())
    api_key = kwargs.pop("api_key", SANDBOX_API_KEY)
    return ApolloClient(http, url, api_key, USD_PER_CREDIT, **kwargs)  # type: ignore[arg-type]


def skiptrace_client(http: httpx.AsyncClient, url: str, **kwargs: object) -> SkipTraceClient:
    """A skip-trace client with fast retries unless the test says otherwise."""
    kwargs.setdefault("retry_policy", FAST)
    kwargs.setdefault("sleep", RecordingSleep())
    api_key = kwargs.pop("api_key", SANDBOX_API_KEY)
    return SkipTraceClient(http, url, api_key, USD_PER_MATCH, **kwargs)  # type: ignore[arg-type]


def statuses(results: list[ProviderResult]) -> set[str]:
    """The distinct statuses of some results."""
    return {r.status for r in results}


# --- retries and Retry-After ---------------------------------------------------------------

async def test_a_429_burst_is_retried_honouring_retry_after_and_then_succeeds(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("apollo", burst_every=100, burst_len=2, retry_after_s=3)
    sleep = RecordingSleep()
    results = await apollo_client(http, url, sleep=sleep).enrich([person(i) for i in range(10)])
    assert server.stats.requests == 3
    assert server.stats.statuses == {429: 2, 200: 1}
    assert len(sleep.waits) == 2 and all(w >= 3.0 for w in sleep.waits)
    assert "failed" not in statuses(results) and "matched" in statuses(results)


async def test_a_burst_longer_than_the_attempts_fails_as_rate_limited(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("skiptrace", burst_every=100, burst_len=10, retry_after_s=1)
    policy = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=5)
    results = await skiptrace_client(http, url, retry_policy=policy).enrich(
        [person(i) for i in range(5)])
    assert server.stats.requests == 3
    assert {r.error for r in results} == {"rate limited: HTTP 429, retries exhausted"}


# --- circuit breaker -----------------------------------------------------------------------

async def test_persistent_500s_fail_every_query_and_open_the_circuit(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("apollo", error_rate=1.0)
    breaker = CircuitBreaker("apollo", failure_threshold=2, reset_timeout_s=30, clock=FakeClock())
    client = apollo_client(http, url, breaker=breaker,
                           retry_policy=RetryPolicy(max_attempts=2, base_delay_s=0.01))
    results = await client.enrich([person(i) for i in range(30)])
    assert statuses(results) == {"failed"} and len(results) == 30
    assert server.stats.requests == 4  # two calls x two attempts, then the circuit opened
    assert breaker.state == "open"
    assert [r.error for r in results[20:]] == ["circuit open"] * 10
    later = await client.enrich([person(i) for i in range(30, 40)])
    assert {r.error for r in later} == {"circuit open"}
    assert server.stats.requests == 4
    with pytest.raises(CircuitOpenError):
        breaker.before_call()


async def test_the_circuit_half_opens_after_the_timeout_and_closes_on_success(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("apollo", error_rate=1.0)
    clock = FakeClock()
    breaker = CircuitBreaker("apollo", failure_threshold=1, reset_timeout_s=30, clock=clock)
    client = apollo_client(http, url, breaker=breaker, retry_policy=RetryPolicy(max_attempts=1))
    await client.enrich([person(i) for i in range(10)])
    assert breaker.state == "open" and server.stats.requests == 1

    server.configure(error_rate=0.0)
    clock.now += 29
    early = await client.enrich([person(i) for i in range(10)])
    assert {r.error for r in early} == {"circuit open"} and server.stats.requests == 1

    clock.now += 1
    assert breaker.state == "half_open"
    results = await client.enrich([person(i) for i in range(20)])
    assert breaker.state == "closed"
    assert server.stats.requests == 3
    assert "failed" not in statuses(results)


async def test_a_failed_probe_opens_the_circuit_again(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("skiptrace", error_rate=1.0)
    clock = FakeClock()
    breaker = CircuitBreaker("skiptrace", failure_threshold=1, reset_timeout_s=30, clock=clock)
    client = skiptrace_client(http, url, breaker=breaker, retry_policy=RetryPolicy(max_attempts=1))
    await client.enrich([person(1)])
    clock.now += 30
    probe = await client.enrich([person(2)])
    assert probe[0].error == "provider error: HTTP 500, retries exhausted"
    assert breaker.state == "open" and server.stats.requests == 2


# --- batching ------------------------------------------------------------------------------

async def test_250_queries_make_exactly_25_apollo_calls(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("apollo")
    queries = [person(i) for i in range(250)]
    results = await apollo_client(http, url).enrich(queries)
    assert server.stats.requests == 25 and server.stats.items == 250
    assert [r.lead_card_id for r in results] == [q.lead_card_id for q in queries]


async def test_150_skip_traces_make_two_calls_within_the_100_limit(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("skiptrace")
    results = await skiptrace_client(http, url).enrich([person(i) for i in range(150)])
    assert server.stats.requests == 2 and server.stats.items == 150
    assert len(results) == 150 and "failed" not in statuses(results)


async def test_apollo_costs_are_the_reported_credits_times_the_price(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("apollo")
    client = apollo_client(http, url, reveal_phone_number=True,
                           webhook_url="https://hooks.example.com/apollo")
    results = await client.enrich([person(i) for i in range(40)])
    matched = [r for r in results if r.status == "matched"]
    assert matched and all(r.credits == 0 for r in results if r.status == "no_match")
    total = sum(r.credits for r in results)
    assert total == pytest.approx(server.stats.credits)
    assert len(matched) <= total <= 9 * len(matched)
    assert total > len(matched)  # some mobiles were charged at 8 credits
    for r in results:
        assert r.cost_usd == pytest.approx(r.credits * USD_PER_CREDIT)


# --- the waterfall -------------------------------------------------------------------------

async def test_the_waterfall_sends_only_routable_apollo_misses_to_skip_trace(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    _, apollo_url = sandbox("apollo")
    skip_server, skip_url = sandbox("skiptrace")
    both = [person(i) for i in range(40)]
    apollo_only = [person(i, place=False) for i in range(40, 70)]
    skip_only = [person(i, domain=False) for i in range(70, 80)]
    neither = [PersonQuery(lead_card_id=f"nobody-{i}", first_name="Cher") for i in range(3)]
    providers = [apollo_client(http, apollo_url), skiptrace_client(http, skip_url)]
    attempts = await run_waterfall(both + apollo_only + skip_only + neither, providers,
                                   routable_by_name)

    def route(q: PersonQuery) -> list[str]:
        return [r.provider for r in attempts[q.lead_card_id]]

    missed_both = [q for q in both if attempts[q.lead_card_id][0].status != "matched"]
    assert missed_both and len(missed_both) < len(both)
    for q in both:
        expected = ["apollo", "skiptrace"] if q in missed_both else ["apollo"]
        assert route(q) == expected
    assert any(r.status != "matched" for q in apollo_only for r in attempts[q.lead_card_id])
    assert all(route(q) == ["apollo"] for q in apollo_only)
    assert all(route(q) == ["skiptrace"] for q in skip_only)
    assert all(route(q) == [] for q in neither)
    assert skip_server.stats.items == len(missed_both) + len(skip_only)


async def test_skip_trace_reports_do_not_call_per_kept_phone(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("skiptrace")
    queries = [person(i, domain=False) for i in range(120)]
    assert all(skiptrace_routable(q) for q in queries)
    results = await skiptrace_client(http, url).enrich(queries)
    with_phone = [r for r in results if r.contact is not None and r.contact.phone]
    assert with_phone
    flags = {r.contact.do_not_call for r in with_phone if r.contact is not None}
    assert flags == {True, False}
    assert all(r.cost_usd == USD_PER_MATCH for r in results if r.status == "matched")
    assert sum(r.credits for r in results) == server.stats.credits


# --- logs ----------------------------------------------------------------------------------

def _record_text(record: logging.LogRecord) -> str:
    """The message plus any extra fields a formatter would print."""
    extras = {k: v for k, v in vars(record).items()
              if k not in vars(logging.makeLogRecord({})) and not k.startswith("_")}
    return f"{record.getMessage()} {extras}"


async def test_the_logs_of_a_whole_run_hold_no_email_phone_or_key(
    sandbox: Start, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, apollo_url = sandbox("apollo", burst_every=7, burst_len=1, retry_after_s=0)
    _, skip_url = sandbox("skiptrace")
    providers = [apollo_client(http, apollo_url, reveal_personal_emails=True),
                 skiptrace_client(http, skip_url)]
    queries = [person(i, place=i % 3 != 0) for i in range(60)]
    attempts = await run_waterfall(queries, providers, routable_by_name)

    values: set[str] = set()
    for result in (r for rs in attempts.values() for r in rs):
        for field in (result.contact, result.business):
            if field is not None:
                values |= {v for v in (getattr(field, "email", None), field.phone) if v}
    digits = {"".join(c for c in v if c.isdigit())[-10:] for v in values if "@" not in v}
    assert any("@" in v for v in values) and digits
    texts = [_record_text(r) for r in caplog.records]
    assert any("apollo match" in t and "***" in t for t in texts)
    assert any("skiptrace match" in t for t in texts)
    for text in texts:
        assert not contains_contact_data(text), text
        assert not any(v in text for v in values | digits), text
        assert SANDBOX_API_KEY not in text


# --- auth ----------------------------------------------------------------------------------

async def test_a_missing_api_key_fails_with_an_auth_error_without_a_call(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("apollo")
    results = await apollo_client(http, url, api_key="").enrich([person(i) for i in range(3)])
    assert {(r.status, r.error) for r in results} == {("failed", "auth error: missing API key")}
    assert server.stats.requests == 0


@pytest.mark.parametrize("kind", ["apollo", "skiptrace"])
async def test_a_rejected_api_key_fails_with_an_auth_error_and_is_not_retried(
    kind: str, sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox(kind)
    sleep = RecordingSleep()
    make = apollo_client if kind == "apollo" else skiptrace_client
    client = make(http, url, api_key="not-the-key", sleep=sleep)
    results = await client.enrich([person(i) for i in range(4)])
    assert {(r.status, r.error) for r in results} == {("failed", "auth error: HTTP 401")}
    assert server.stats.requests == 1 and sleep.waits == []
    assert client.breaker.state == "closed"


@pytest.mark.parametrize(("kind", "path"), [
    ("apollo", "/api/v1/people/bulk_match"), ("skiptrace", "/api/v1/property/skip-trace"),
])
async def test_the_sandbox_answers_401_without_a_key_and_200_on_health(
    kind: str, path: str, sandbox: Start, http: httpx.AsyncClient
) -> None:
    _, url = sandbox(kind)
    assert (await http.get(url + "/health")).status_code == 200
    response = await http.post(url + path, json={"details": [], "requests": []})
    assert response.status_code == 401


async def test_more_than_ten_details_get_a_422_from_the_sandbox(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    _, url = sandbox("apollo")
    body = {"details": [{"first_name": "Ana", "last_name": f"T{i}", "domain": "acme.example.net"}
                        for i in range(11)]}
    response = await http.post(url + "/api/v1/people/bulk_match", json=body,
                               headers={"x-api-key": SANDBOX_API_KEY})
    assert response.status_code == 422


async def test_a_422_fails_the_batch_as_rejected_without_a_retry(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("apollo")
    sleep = RecordingSleep()
    client = apollo_client(http, url, reveal_phone_number=True,
                           webhook_url="https://hooks.example.com/apollo", sleep=sleep)
    client.webhook_url = None  # what the constructor refuses: Apollo answers 422
    results = await client.enrich([person(i) for i in range(5)])
    assert {r.error for r in results} == {"request rejected: HTTP 422"}
    assert server.stats.requests == 1 and sleep.waits == []


async def test_more_than_a_hundred_skip_trace_requests_get_a_400(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    _, url = sandbox("skiptrace")
    body = {"requests": [{"requestId": str(i), "propertyAddress": {"city": "Austin"}}
                         for i in range(101)]}
    response = await http.post(url + "/api/v1/property/skip-trace", json=body,
                               headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"})
    assert response.status_code == 400

