"""BatchData Property Skip Trace client (V1, synchronous: `POST /api/v1/property/skip-trace`).

Docs: developer.batchdata.com (Property Skip Trace) and help.batchdata.io (V1/V3 release
notes). Bearer token in `Authorization`; at most 100 requests a call; one person answered
per request, in order, with `meta.matched`; phones carry `dnc` (Do-Not-Call registry) and
`tcpa` (known litigator) flags, and V1 leaves TCPA-blacklisted phones out unless
`includeTCPABlacklistedPhones` is set. Only matched records are billed; non-US addresses
never match (November 2025 release notes). The property's street, city, state and ZIP are
the mandatory inputs (BatchData's skip-trace results guide), so only cards with a full US
address are routed here. How the live API answers a request missing one of them (status
and body) is not confirmed; the sandbox answers 400 with BatchData's status envelope, and
the client treats any such 4xx as a rejected call, not retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from services.adapter.providers.base import (
    DEFAULT_TIMEOUT,
    CallSettings,
    HttpProviderClient,
    Sleep,
    clean,
    credential_for,
    failed_results,
    name_parts,
)
from services.adapter.providers.models import (
    SKIPTRACE_MAX_REQUESTS,
    ContactFields,
    PersonQuery,
    ProviderResult,
    SkipTraceAddress,
    SkipTraceName,
    SkipTraceOptions,
    SkipTracePerson,
    SkipTracePhone,
    SkipTraceRequest,
    SkipTraceRequestItem,
    SkipTraceResponse,
)
from sxp_common import enrichment_routing as routing
from sxp_common.masking import fingerprint, mask_email, mask_phone
from sxp_common.retry import CircuitBreaker, RetryPolicy
from sxp_common.settings import Settings

log = logging.getLogger("sxp.adapter.providers")

PROVIDER = "skiptrace"
SKIP_TRACE_PATH = "/api/v1/property/skip-trace"
MOBILE_TYPES = frozenset({"mobile", "wireless", "cell"})


def skiptrace_routable(query: PersonQuery) -> bool:
    """Skip trace needs a first and last name AND a full US property address (street, city,
    state, ZIP: BatchData's mandatory inputs)."""
    return routing.skiptrace_routable(query.model_dump())


def build_request_item(query: PersonQuery) -> SkipTraceRequestItem:
    """The request for one query; the lead card id is the requestId echoed back."""
    first, last = name_parts(query)
    return SkipTraceRequestItem(
        requestId=query.lead_card_id,
        propertyAddress=SkipTraceAddress(
            street=clean(query.street), city=clean(query.city), state=clean(query.state),
            zip=clean(query.postal_code),
        ),
        name=SkipTraceName(first=first, last=last) if first or last else None,
    )


def best_phone(phones: Sequence[SkipTracePhone]) -> SkipTracePhone | None:
    """The phone to keep: not TCPA-flagged, not on DNC, mobile, reachable, highest score."""
    usable = [p for p in phones if clean(p.number)]
    if not usable:
        return None
    return min(usable, key=lambda p: (
        p.tcpa is True, p.dnc is True, (p.type or "").casefold() not in MOBILE_TYPES,
        p.reachable is False, -(p.score or 0.0),
    ))


def to_contact(person: SkipTracePerson) -> ContactFields:
    """Our contact fields from a traced person; do_not_call is the kept phone's DNC flag."""
    name = person.name
    full_name = None
    if name is not None:
        full_name = clean(name.full) or " ".join(
            x for x in (clean(name.first), clean(name.last)) if x) or None
    tested = [e for e in person.emails if clean(e.email) and e.tested]
    email = next((clean(e.email) for e in tested or person.emails if clean(e.email)), None)
    phone = best_phone(person.phoneNumbers)
    place = person.mailingAddress or person.propertyAddress
    return ContactFields(
        full_name=full_name, email=email, email_status="tested" if tested else None,
        phone=clean(phone.number) if phone else None, phone_type=phone.type if phone else None,
        do_not_call=phone.dnc if phone else None,
        city=clean(place.city) if place else None, state=clean(place.state) if place else None,
        country="US" if place else None,
    )


def _answers(queries: Sequence[PersonQuery], persons: Sequence[SkipTracePerson]
             ) -> list[SkipTracePerson | None]:
    """The person answering each query: by echoed requestId, else by position."""
    by_id = {p.meta.requestId: p for p in persons if p.meta.requestId}
    if by_id:
        return [by_id.get(q.lead_card_id) for q in queries]
    if len(persons) == len(queries):
        return list(persons)
    return [None] * len(queries)


def map_response(
    queries: Sequence[PersonQuery],
    response: SkipTraceResponse,
    usd_per_match: float,
    request_id: str | None,
) -> list[ProviderResult]:
    """One result per query from a skip-trace answer; only matched records are billed."""
    results = []
    for query, person in zip(queries, _answers(queries, response.results.persons), strict=True):
        if person is None or person.meta.error:
            error = "invalid response: no answer" if person is None else "provider error: record"
            results.extend(failed_results([query], PROVIDER, error, request_id))
            continue
        contact = to_contact(person)
        matched = person.meta.matched and bool(contact.phone or contact.email)
        phone = best_phone(person.phoneNumbers) if matched else None
        score = phone.score if phone is not None else None
        results.append(ProviderResult(
            lead_card_id=query.lead_card_id, provider=PROVIDER,
            status="matched" if matched else "no_match", request_id=request_id,
            credits=1.0 if person.meta.matched else 0.0,
            cost_usd=usd_per_match if person.meta.matched else 0.0,
            confidence=round(min(score, 100.0) / 100.0, 4) if score is not None else None,
            contact=contact if matched else None,
        ))
    return results


def _log_matches(results: Sequence[ProviderResult]) -> None:
    """Debug lines for matched results, with masked values only."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    for r in results:
        if r.status == "matched" and r.contact is not None:
            log.debug(
                "skiptrace match lead_card_id=%s email=%s email_fp=%s phone=%s dnc=%s",
                r.lead_card_id, mask_email(r.contact.email), fingerprint(r.contact.email),
                mask_phone(r.contact.phone), r.contact.do_not_call,
            )


class SkipTraceClient(HttpProviderClient):
    """Traces people through BatchData's synchronous skip trace, 100 a call."""

    name = PROVIDER
    max_batch = SKIPTRACE_MAX_REQUESTS

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        usd_per_match: float,
        retry_policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        *,
        include_tcpa_blacklisted: bool = False,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        max_concurrency: int = 1,
    ) -> None:
        self._connect(http, base_url.rstrip("/") + SKIP_TRACE_PATH, api_key, retry_policy, breaker,
                      CallSettings(timeout=timeout, sleep=sleep, rng=rng), max_concurrency)
        self.usd_per_match = usd_per_match
        self.include_tcpa_blacklisted = include_tcpa_blacklisted

    @classmethod
    def from_settings(
        cls, http: httpx.AsyncClient, settings: Settings, usd_per_match: float, **kwargs: object
    ) -> SkipTraceClient:
        """A client for the configured endpoint; the local sandbox gets the sandbox key."""
        base_url = settings.skiptrace_endpoint()
        api_key = credential_for(settings.skiptrace_api_key, base_url)
        return cls(http, base_url, api_key, usd_per_match, **kwargs)  # type: ignore[arg-type]

    def build_request(
        self, chunk: list[PersonQuery]
    ) -> tuple[dict[str, str], Any, dict[str, str] | None]:
        """One skip-trace call with Bearer auth; TCPA-listed phones excluded unless asked."""
        request = SkipTraceRequest(
            requests=[build_request_item(q) for q in chunk],
            options=SkipTraceOptions(includeTCPABlacklistedPhones=self.include_tcpa_blacklisted),
        )
        headers = {"Authorization": f"Bearer {self._api_key}",
                   "Content-Type": "application/json", "Accept": "application/json"}
        return headers, request.model_dump(exclude_none=True), None

    def map_answer(self, chunk: list[PersonQuery], body: Any,
                   request_id: str) -> tuple[list[ProviderResult], str]:
        """Persons matched by requestId (else position); only matches are billed."""
        results = map_response(chunk, SkipTraceResponse.model_validate(body), self.usd_per_match,
                               request_id)
        _log_matches(results)
        return results, ""
