"""Apollo.io People Bulk Enrichment client (`POST /api/v1/people/bulk_match`).

Docs: docs.apollo.io/reference/bulk-people-enrichment. Up to 10 people a call (`details`),
key in the `x-api-key` header, reveal flags as query parameters. Credits: 1 per matched
person for demographics/email, plus 8 when a mobile phone is returned (so up to 9 with
`reveal_phone_number`); unmatched people (null in `matches`) cost nothing. With
reveal_phone_number Apollo requires a `webhook_url` and delivers the phones there later,
not in this response.
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
    APOLLO_MAX_DETAILS,
    ApolloBulkMatchRequest,
    ApolloBulkMatchResponse,
    ApolloOrganization,
    ApolloPerson,
    ApolloPersonDetail,
    BusinessFields,
    ContactFields,
    PersonQuery,
    ProviderResult,
)
from sxp_common import enrichment_routing as routing
from sxp_common.masking import fingerprint, mask_email, mask_phone
from sxp_common.retry import CircuitBreaker, RetryPolicy
from sxp_common.settings import Settings

log = logging.getLogger("sxp.adapter.providers")

PROVIDER = "apollo"
BULK_MATCH_PATH = "/api/v1/people/bulk_match"
CREDITS_PER_PERSON = 1
CREDITS_PER_MOBILE = 8
# Apollo puts this placeholder in `email` when the plan has not unlocked the address.
LOCKED_EMAIL = "email_not_unlocked@domain.com"


def apollo_worst_case_credits(reveal_phone_number: bool) -> int:
    """Most credits one person can cost: 1 (demographics/email), 9 when a mobile is revealed."""
    return CREDITS_PER_PERSON + (CREDITS_PER_MOBILE if reveal_phone_number else 0)


def apollo_routable(query: PersonQuery) -> bool:
    """Apollo can match a LinkedIn URL, or a name together with a company domain or name."""
    return routing.apollo_routable(query.model_dump())


def build_detail(query: PersonQuery) -> ApolloPersonDetail:
    """The `details` entry for one query (only the identifiers Apollo documents)."""
    first, last = name_parts(query)
    return ApolloPersonDetail(
        first_name=first, last_name=last, name=clean(query.full_name),
        organization_name=clean(query.organization_name), domain=clean(query.domain),
        linkedin_url=clean(query.linkedin_url),
    )


def share_credits(matches: Sequence[ApolloPerson | None], credits: float) -> list[float]:
    """Split a call's credits over its matched people (misses cost nothing); all if none matched."""
    if credits <= 0 or not matches:
        return [0.0] * len(matches)
    matched = [m is not None for m in matches]
    payers = sum(matched) or len(matches)
    share = credits / payers
    return [share if (flag or not any(matched)) else 0.0 for flag in matched]


def _email(person: ApolloPerson) -> str | None:
    """The work email unless locked, else the first personal email."""
    email = clean(person.email)
    if email and email.casefold() != LOCKED_EMAIL:
        return email
    return next((e for e in (clean(p) for p in person.personal_emails) if e), None)


def to_contact(person: ApolloPerson) -> ContactFields:
    """Our contact fields from an Apollo person (a phone only if Apollo returned one)."""
    phone = next((p for p in person.phone_numbers if p.sanitized_number or p.raw_number), None)
    full_name = clean(person.name) or " ".join(
        x for x in (clean(person.first_name), clean(person.last_name)) if x
    ) or None
    return ContactFields(
        full_name=full_name, title=clean(person.title), email=_email(person),
        email_status=clean(person.email_status),
        phone=(phone.sanitized_number or phone.raw_number) if phone else None,
        phone_type=phone.type if phone else None, do_not_call=None,
        linkedin_url=clean(person.linkedin_url), city=clean(person.city),
        state=clean(person.state), country=clean(person.country),
    )


def to_business(org: ApolloOrganization | None) -> BusinessFields | None:
    """Our business fields from the person's organisation."""
    if org is None:
        return None
    main = org.primary_phone
    phone = (main.sanitized_number or main.number) if main else None
    return BusinessFields(
        name=clean(org.name), domain=clean(org.primary_domain), industry=clean(org.industry),
        phone=phone or clean(org.phone), city=clean(org.city), state=clean(org.state),
        country=clean(org.country),
    )


def map_response(
    queries: Sequence[PersonQuery],
    response: ApolloBulkMatchResponse,
    usd_per_credit: float,
    request_id: str | None,
) -> list[ProviderResult]:
    """One result per query from a bulk_match answer (matches are aligned with details)."""
    if len(response.matches) != len(queries):
        return failed_results(queries, PROVIDER, "invalid response: matches not aligned",
                              request_id)
    shares = share_credits(response.matches, response.credits_consumed)
    results = []
    for query, person, credits in zip(queries, response.matches, shares, strict=True):
        results.append(ProviderResult(
            lead_card_id=query.lead_card_id, provider=PROVIDER,
            status="matched" if person is not None else "no_match", request_id=request_id,
            credits=credits, cost_usd=credits * usd_per_credit,
            contact=to_contact(person) if person is not None else None,
            business=to_business(person.organization) if person is not None else None,
        ))
    return results


def _log_matches(results: Sequence[ProviderResult]) -> None:
    """Debug lines for matched results, with masked values only."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    for r in results:
        if r.status == "matched" and r.contact is not None:
            log.debug(
                "apollo match lead_card_id=%s email=%s email_fp=%s phone=%s credits=%s",
                r.lead_card_id, mask_email(r.contact.email), fingerprint(r.contact.email),
                mask_phone(r.contact.phone), r.credits,
            )


class ApolloClient(HttpProviderClient):
    """Enriches people through Apollo's bulk_match, 10 a call, with retries and a breaker."""

    name = PROVIDER
    max_batch = APOLLO_MAX_DETAILS

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str,
        usd_per_credit: float,
        reveal_phone_number: bool = False,
        retry_policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        *,
        reveal_personal_emails: bool = False,
        webhook_url: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        max_concurrency: int = 1,
    ) -> None:
        if reveal_phone_number and not webhook_url:
            raise ValueError("Apollo requires webhook_url when reveal_phone_number is true")
        self._connect(http, base_url.rstrip("/") + BULK_MATCH_PATH, api_key, retry_policy, breaker,
                      CallSettings(timeout=timeout, sleep=sleep, rng=rng), max_concurrency)
        self.usd_per_credit = usd_per_credit
        self.reveal_phone_number = reveal_phone_number
        self.reveal_personal_emails = reveal_personal_emails
        self.webhook_url = webhook_url

    @classmethod
    def from_settings(
        cls, http: httpx.AsyncClient, settings: Settings, usd_per_credit: float, **kwargs: object
    ) -> ApolloClient:
        """A client for the configured endpoint; the local sandbox gets the sandbox key."""
        base_url = settings.apollo_endpoint()
        api_key = credential_for(settings.apollo_api_key, base_url)
        return cls(http, base_url, api_key, usd_per_credit, **kwargs)  # type: ignore[arg-type]

    def build_request(
        self, chunk: list[PersonQuery]
    ) -> tuple[dict[str, str], Any, dict[str, str] | None]:
        """One bulk_match call: at most 10 details, reveal flags as query parameters."""
        request = ApolloBulkMatchRequest(
            details=[build_detail(q) for q in chunk],
            reveal_personal_emails=self.reveal_personal_emails,
            reveal_phone_number=self.reveal_phone_number, webhook_url=self.webhook_url,
        )
        headers = {"x-api-key": self._api_key, "Content-Type": "application/json",
                   "Accept": "application/json", "Cache-Control": "no-cache"}
        return headers, request.body(), request.query_params()

    def map_answer(self, chunk: list[PersonQuery], body: Any,
                   request_id: str) -> tuple[list[ProviderResult], str]:
        """Matches aligned with the details sent; credits shared among the matched people."""
        answer = ApolloBulkMatchResponse.model_validate(body)
        results = map_response(chunk, answer, self.usd_per_credit, request_id)
        _log_matches(results)
        return results, f" credits={answer.credits_consumed}"
