"""Provider logic without HTTP: routing, mapping answers to results, costs, and the waterfall."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx
import pytest
from pydantic import ValidationError

from services.adapter.providers import apollo, skiptrace
from services.adapter.providers.base import ProviderHTTPError, describe_failure, name_parts
from services.adapter.providers.models import (
    ApolloBulkMatchRequest,
    ApolloBulkMatchResponse,
    ApolloPersonDetail,
    PersonQuery,
    ProviderResult,
    SkipTracePhone,
    SkipTraceResponse,
)
from services.adapter.providers.waterfall import routable_by_name, run_waterfall
from services.sandbox import apollo_fake, skiptrace_fake
from services.sandbox.server import SANDBOX_API_KEY
from sxp_common.retry import CircuitOpenError, RetryableHTTPError
from sxp_common.settings import SANDBOX_APOLLO_URL, SANDBOX_SKIPTRACE_URL, Settings

pytestmark = pytest.mark.unit


def q(lead: str = "lc-1", **fields: str) -> PersonQuery:
    """A query with the given fields."""
    return PersonQuery(lead_card_id=lead, **fields)


# --- routing -------------------------------------------------------------------------------

def test_apollo_takes_a_name_with_a_company_or_a_linkedin_url() -> None:
    assert apollo.apollo_routable(q(full_name="Ana Lopez", domain="acme.com"))
    assert apollo.apollo_routable(q(first_name="Ana", last_name="Lopez", organization_name="Acme"))
    assert apollo.apollo_routable(q(linkedin_url="https://www.linkedin.com/in/ana"))


def test_apollo_refuses_a_bare_name_or_a_bare_domain() -> None:
    assert not apollo.apollo_routable(q(full_name="Ana Lopez"))
    assert not apollo.apollo_routable(q(domain="acme.com"))


FULL = {"street": "123 Main St", "city": "Austin", "state": "TX", "postal_code": "78701"}


def test_skip_trace_needs_a_full_name_and_a_full_address() -> None:
    assert skiptrace.skiptrace_routable(q(full_name="Ana Lopez", **FULL))
    assert skiptrace.skiptrace_routable(q(first_name="Ana", last_name="Lopez", **FULL))
    assert not skiptrace.skiptrace_routable(q(full_name="Ana Lopez", city="Austin"))
    assert not skiptrace.skiptrace_routable(q(first_name="Ana", last_name="Lopez",
                                              postal_code="78701"))
    assert not skiptrace.skiptrace_routable(q(full_name="Ana Lopez", city="Austin", state="TX"))
    for missing in FULL:
        partial = {k: v for k, v in FULL.items() if k != missing}
        assert not skiptrace.skiptrace_routable(q(full_name="Ana Lopez", **partial))
    assert not skiptrace.skiptrace_routable(q(full_name="Cher", **FULL))
    assert not skiptrace.skiptrace_routable(q(full_name="Ana Lopez"))


def test_skip_trace_refuses_places_outside_the_united_states() -> None:
    assert skiptrace.skiptrace_routable(q(full_name="Ana Lopez", country="US", **FULL))
    spain = q(full_name="Ana Lopez", country="Spain", **FULL)
    assert not skiptrace.skiptrace_routable(spain)


def test_names_are_split_from_the_full_name_when_parts_are_missing() -> None:
    assert name_parts(q(full_name="  Ana María Lopez ")) == ("Ana", "Lopez")
    assert name_parts(q(first_name="Ana", full_name="Ana Lopez")) == ("Ana", "Lopez")


def test_unknown_providers_are_never_routable() -> None:
    assert not routable_by_name("clearbit", q(full_name="Ana Lopez", domain="acme.com"))


# --- Apollo --------------------------------------------------------------------------------

def test_a_person_costs_up_to_nine_credits_only_when_phones_are_revealed() -> None:
    assert apollo.apollo_worst_case_credits(reveal_phone_number=True) == 9
    assert apollo.apollo_worst_case_credits(reveal_phone_number=False) == 1


def test_a_bulk_match_request_takes_at_most_ten_details() -> None:
    with pytest.raises(ValidationError):
        ApolloBulkMatchRequest(details=[ApolloPersonDetail(first_name="A")] * 11)


def test_reveal_flags_travel_as_query_parameters_and_empty_identifiers_are_left_out() -> None:
    request = ApolloBulkMatchRequest(
        details=[apollo.build_detail(q(full_name="Ana Lopez", domain="acme.com"))],
        reveal_phone_number=True, webhook_url="https://hooks.example.com/a",
    )
    assert request.body() == {"details": [
        {"first_name": "Ana", "last_name": "Lopez", "name": "Ana Lopez", "domain": "acme.com"}]}
    assert request.query_params() == {"reveal_personal_emails": "false",
                                      "reveal_phone_number": "true",
                                      "webhook_url": "https://hooks.example.com/a"}


async def test_revealing_phones_without_a_webhook_is_refused_up_front() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(ValueError):
            apollo.ApolloClient(http, "http://x", "k", 0.03, reveal_phone_number=True)


def test_credits_are_shared_by_the_matched_people_only() -> None:
    matches = ApolloBulkMatchResponse.model_validate({"matches": [None, {"id": "1"}, {"id": "2"}]})
    assert apollo.share_credits(matches.matches, 10) == [0.0, 5.0, 5.0]
    assert apollo.share_credits([None, None], 2) == [1.0, 1.0]
    assert apollo.share_credits(matches.matches, 0) == [0.0, 0.0, 0.0]


def test_matches_map_to_results_in_order_with_cost_and_contact() -> None:
    answer = ApolloBulkMatchResponse.model_validate({
        "credits_consumed": 2,
        "matches": [
            {"name": "Ana Lopez", "email": "ana@example.com", "email_status": "verified",
             "organization": {"name": "Acme", "primary_domain": "acme.com",
                              "primary_phone": {"sanitized_number": "+15125550142"}}},
            None,
            {"first_name": "Ben", "last_name": "Kim", "email": apollo.LOCKED_EMAIL,
             "personal_emails": ["ben@example.org"]},
        ],
    })
    results = apollo.map_response([q("a"), q("b"), q("c")], answer, 0.05, "req-1")
    assert [r.status for r in results] == ["matched", "no_match", "matched"]
    assert [r.credits for r in results] == [1.0, 0.0, 1.0]
    assert results[0].cost_usd == pytest.approx(0.05)
    assert results[0].contact and results[0].contact.email == "ana@example.com"
    assert results[0].business and results[0].business.phone == "+15125550142"
    assert results[2].contact and results[2].contact.email == "ben@example.org"
    assert results[2].contact.full_name == "Ben Kim"


def test_an_answer_not_aligned_with_the_request_fails_every_query() -> None:
    answer = ApolloBulkMatchResponse.model_validate({"matches": [None]})
    results = apollo.map_response([q("a"), q("b")], answer, 0.05, None)
    assert {r.status for r in results} == {"failed"}


# --- skip trace ----------------------------------------------------------------------------

def test_the_kept_phone_avoids_tcpa_and_dnc_and_prefers_a_reachable_mobile() -> None:
    phones = [
        SkipTracePhone(number="1", type="Mobile", tcpa=True, score=99),
        SkipTracePhone(number="2", type="Mobile", dnc=True, score=99),
        SkipTracePhone(number="3", type="Land Line", dnc=False, score=95),
        SkipTracePhone(number="4", type="Mobile", dnc=False, reachable=True, score=70),
        SkipTracePhone(number="5", type="Mobile", dnc=False, reachable=False, score=90),
    ]
    kept = skiptrace.best_phone(phones)
    assert kept is not None and kept.number == "4"


def test_do_not_call_comes_from_the_kept_phone() -> None:
    answer = SkipTraceResponse.model_validate({"results": {"persons": [{
        "name": {"first": "Ana", "last": "Lopez"},
        "phoneNumbers": [{"number": "5125550142", "type": "Mobile", "dnc": True, "score": 80}],
        "meta": {"matched": True, "requestId": "a"},
    }]}})
    [result] = skiptrace.map_response([q("a")], answer, 0.1, None)
    assert result.status == "matched" and result.contact is not None
    assert result.contact.do_not_call is True and result.confidence == 0.8


def test_answers_are_matched_to_queries_by_request_id_not_position() -> None:
    answer = SkipTraceResponse.model_validate({"results": {"persons": [
        {"meta": {"matched": False, "requestId": "b"}},
        {"emails": [{"email": "ana@example.org", "tested": True}],
         "meta": {"matched": True, "requestId": "a"}},
    ]}})
    results = skiptrace.map_response([q("a"), q("b")], answer, 0.1, None)
    assert [(r.lead_card_id, r.status) for r in results] == [("a", "matched"), ("b", "no_match")]
    assert [r.cost_usd for r in results] == [0.1, 0.0]


def test_a_record_the_provider_flags_as_an_error_fails() -> None:
    answer = SkipTraceResponse.model_validate(
        {"results": {"persons": [{"meta": {"error": True, "requestId": "a"}}]}})
    [result] = skiptrace.map_response([q("a")], answer, 0.1, None)
    assert result.status == "failed"


# --- failure descriptions ------------------------------------------------------------------

@pytest.mark.parametrize(("exc", "text"), [
    (CircuitOpenError("apollo", 3), "circuit open"),
    (ProviderHTTPError(403), "auth error: HTTP 403"),
    (ProviderHTTPError(404), "request rejected: HTTP 404"),
    (RetryableHTTPError(429, 1), "rate limited: HTTP 429, retries exhausted"),
    (RetryableHTTPError(503), "provider error: HTTP 503, retries exhausted"),
    (httpx.ReadTimeout("slow"), "timeout, retries exhausted"),
    (httpx.ConnectError("refused"), "transport error: ConnectError"),
    (ValueError("bad json"), "invalid response: ValueError"),
])
def test_failures_are_described_briefly_and_without_payloads(exc: Exception, text: str) -> None:
    assert describe_failure(exc) == text


# --- the waterfall -------------------------------------------------------------------------

class ScriptedProvider:
    """A provider that matches the lead cards it is told to, and records what it was sent."""

    def __init__(self, name: str, matches: set[str], fail: set[str] = frozenset()) -> None:
        self.name, self.max_batch = name, 10
        self.matches, self.fail = matches, fail
        self.sent: list[str] = []

    async def enrich(self, queries: list[PersonQuery]) -> list[ProviderResult]:
        self.sent += [x.lead_card_id for x in queries]
        return [ProviderResult(
            lead_card_id=x.lead_card_id, provider=self.name,
            status="matched" if x.lead_card_id in self.matches
            else "failed" if x.lead_card_id in self.fail else "no_match",
        ) for x in queries]


def _only(allowed: dict[str, Sequence[str]]) -> Callable[[str, PersonQuery], bool]:
    """A routable function from provider name to the lead cards it may take."""
    return lambda provider, query: query.lead_card_id in allowed.get(provider, ())


async def test_the_waterfall_passes_misses_and_failures_down_in_order() -> None:
    first = ScriptedProvider("first", matches={"a"}, fail={"b"})
    second = ScriptedProvider("second", matches={"b"})
    queries = [q("a"), q("b"), q("c"), q("d")]
    routable = _only({"first": "abc", "second": "abcd"})
    attempts = await run_waterfall(queries, [first, second], routable)
    assert first.sent == ["a", "b", "c"]
    assert second.sent == ["b", "c", "d"]
    assert [r.provider for r in attempts["a"]] == ["first"]
    assert [(r.provider, r.status) for r in attempts["b"]] == [("first", "failed"),
                                                              ("second", "matched")]
    assert [r.provider for r in attempts["d"]] == ["second"]


async def test_a_query_no_provider_can_take_has_no_attempts() -> None:
    provider = ScriptedProvider("first", matches=set())
    attempts = await run_waterfall([q("a"), q("z")], [provider], _only({"first": "a"}))
    assert attempts["z"] == [] and provider.sent == ["a"]


async def test_a_repeated_lead_card_is_sent_once() -> None:
    provider = ScriptedProvider("first", matches=set())
    attempts = await run_waterfall([q("a"), q("a")], [provider], _only({"first": "a"}))
    assert provider.sent == ["a"] and len(attempts["a"]) == 1


# --- the sandboxes' fake data --------------------------------------------------------------

def test_the_apollo_sandbox_answers_the_same_person_the_same_way() -> None:
    detail = {"first_name": "Ana", "last_name": "Lopez", "domain": "acme.example.net"}
    assert apollo_fake.person(dict(detail), False) == apollo_fake.person(dict(detail), False)


def test_the_apollo_sandbox_matches_about_seventy_percent() -> None:
    details = [{"first_name": "Ana", "last_name": f"T{i}", "domain": "acme.example.net"}
               for i in range(2000)]
    share = sum(apollo_fake.person(d, False) is not None for d in details) / len(details)
    assert 0.66 < share < 0.74


def test_the_apollo_sandbox_never_matches_a_bare_name() -> None:
    assert apollo_fake.person({"first_name": "Ana", "last_name": "Lopez"}, False) is None


def test_the_apollo_sandbox_rejects_eleven_details_and_a_phone_reveal_without_webhook() -> None:
    details = [{"first_name": "A", "last_name": "B", "domain": "c.example.net"}]
    assert apollo_fake.bulk_match({"details": details * 11}, {})[0] == 422
    assert apollo_fake.bulk_match({"details": details}, {"reveal_phone_number": "true"})[0] == 422


ADDRESS = {"street": "123 Main St", "city": "Austin", "state": "TX", "zip": "78701"}


def test_the_skip_trace_sandbox_refuses_a_request_without_a_full_address_as_a_400() -> None:
    for missing in ADDRESS:
        partial = {k: v for k, v in ADDRESS.items() if k != missing}
        status, body = skiptrace_fake.skip_trace({"requests": [
            {"requestId": "1", "name": {"first": "Ana", "last": "Lopez"},
             "propertyAddress": ADDRESS},
            {"requestId": "2", "name": {"first": "Ana", "last": "Lopez"},
             "propertyAddress": partial}]})
        assert status == 400
        assert body == {"status": {"code": 400, "text": "Bad Request",
                                   "message": f"requests[1].propertyAddress.{missing} is required"}}
    assert skiptrace_fake.skip_trace({"requests": [{"requestId": "1",
                                                    "propertyAddress": ADDRESS}]})[0] == 200


def test_the_skip_trace_sandbox_matches_about_sixty_percent_of_traceable_requests() -> None:
    requests = [{"requestId": str(i), "name": {"first": "Ana", "last": f"T{i}"},
                 "propertyAddress": ADDRESS} for i in range(2000)]
    matched = sum(skiptrace_fake.person(r, False)["meta"]["matched"] for r in requests)
    assert 0.56 < matched / len(requests) < 0.64


def test_the_skip_trace_sandbox_leaves_tcpa_phones_out_unless_asked() -> None:
    requests = [{"requestId": str(i), "name": {"first": "Ana", "last": f"T{i}"},
                 "propertyAddress": ADDRESS} for i in range(400)]

    def tcpa_count(include: bool) -> int:
        return sum(p.get("tcpa", False) for r in requests
                   for p in skiptrace_fake.person(r, include).get("phoneNumbers", []))

    assert tcpa_count(False) == 0 and tcpa_count(True) > 0


# --- configuration -------------------------------------------------------------------------

async def test_without_keys_the_clients_use_the_local_sandboxes_and_the_sandbox_key() -> None:
    settings = Settings(apollo_api_key="", skiptrace_api_key="", apollo_base_url=None,
                        skiptrace_base_url=None)
    async with httpx.AsyncClient() as http:
        a = apollo.ApolloClient.from_settings(http, settings, usd_per_credit=0.03)
        s = skiptrace.SkipTraceClient.from_settings(http, settings, usd_per_match=0.12)
    assert a.url == SANDBOX_APOLLO_URL + "/api/v1/people/bulk_match"
    assert s.url == SANDBOX_SKIPTRACE_URL + "/api/v1/property/skip-trace"
    assert a._api_key == SANDBOX_API_KEY and s._api_key == SANDBOX_API_KEY


async def test_with_a_key_the_clients_call_the_real_providers_with_that_key() -> None:
    settings = Settings(apollo_api_key="apollo-test-placeholder",
                        skiptrace_api_key="skiptrace-test-placeholder",
                        apollo_base_url=None, skiptrace_base_url=None)
    async with httpx.AsyncClient() as http:
        a = apollo.ApolloClient.from_settings(http, settings, usd_per_credit=0.03)
        s = skiptrace.SkipTraceClient.from_settings(http, settings, usd_per_match=0.12)
    assert a.url == "https://api.apollo.io/api/v1/people/bulk_match"
    assert s.url == "https://api.batchdata.com/api/v1/property/skip-trace"
    assert a._api_key == "apollo-test-placeholder"
