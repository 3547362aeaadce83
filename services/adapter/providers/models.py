"""Contracts of the provider layer: our own query/result models, then each provider's wire models.

Ours: PersonQuery in, ProviderResult out (with ContactFields / BusinessFields).

Apollo.io People Bulk Enrichment (docs.apollo.io/reference/bulk-people-enrichment):
`POST /api/v1/people/bulk_match`, header `x-api-key`, JSON body `{"details": [...]}` with at
most 10 people; `reveal_personal_emails`, `reveal_phone_number`, `webhook_url` are query
parameters (reveal_phone_number requires webhook_url: phones are delivered to it later).
The response's `matches` is aligned with `details` (null for a miss) and reports
`credits_consumed` for the whole call.

BatchData Property Skip Trace V1 (developer.batchdata.com, help.batchdata.io):
`POST /api/v1/property/skip-trace`, header `Authorization: Bearer <token>`, JSON body
`{"requests": [...], "options": {...}}` with at most 100 requests per synchronous call;
the response is `{"status": {...}, "results": {"persons": [...]}}`, one person per request,
each with `meta.matched`, `phoneNumbers[]` (with per-phone `dnc` / `tcpa` flags) and `emails[]`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ResultStatus = Literal["matched", "no_match", "failed"]
APOLLO_MAX_DETAILS = 10
SKIPTRACE_MAX_REQUESTS = 100


def _utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


# --- ours ----------------------------------------------------------------------------------

class PersonQuery(BaseModel):
    """The public facts about one lead card a provider can match on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lead_card_id: str
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    organization_name: str | None = None
    domain: str | None = None
    linkedin_url: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    street: str | None = None
    postal_code: str | None = None


class ContactFields(BaseModel):
    """Contact data a provider returned for a person (Tier 2 only; never logged)."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = None
    title: str | None = None
    email: str | None = None
    email_status: str | None = None
    phone: str | None = None
    phone_type: str | None = None
    do_not_call: bool | None = None
    linkedin_url: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


class BusinessFields(BaseModel):
    """The person's organisation, as the provider knows it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    domain: str | None = None
    industry: str | None = None
    phone: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


class ProviderResult(BaseModel):
    """One provider's answer for one lead card, with what it cost."""

    model_config = ConfigDict(extra="forbid")

    lead_card_id: str
    provider: str
    status: ResultStatus
    request_id: str | None = None
    cost_usd: float = 0.0
    credits: float = 0.0
    confidence: float | None = None
    contact: ContactFields | None = None
    business: BusinessFields | None = None
    error: str | None = None
    fetched_at: datetime = Field(default_factory=_utcnow)


# --- Apollo.io -----------------------------------------------------------------------------

class ApolloPersonDetail(BaseModel):
    """One entry of `details`: the identifiers Apollo matches a person on."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    email: str | None = None
    hashed_email: str | None = None
    organization_name: str | None = None
    domain: str | None = None
    id: str | None = None
    linkedin_url: str | None = None


class ApolloBulkMatchRequest(BaseModel):
    """A bulk_match call: up to 10 details in the body, reveal flags as query parameters."""

    model_config = ConfigDict(extra="forbid")

    details: list[ApolloPersonDetail] = Field(min_length=1, max_length=APOLLO_MAX_DETAILS)
    reveal_personal_emails: bool = False
    reveal_phone_number: bool = False
    webhook_url: str | None = None

    def body(self) -> dict[str, Any]:
        """The JSON body: only the details, without empty identifiers."""
        return {"details": [d.model_dump(exclude_none=True) for d in self.details]}

    def query_params(self) -> dict[str, str]:
        """The query string: reveal flags (and the webhook when phones are revealed)."""
        params = {
            "reveal_personal_emails": str(self.reveal_personal_emails).lower(),
            "reveal_phone_number": str(self.reveal_phone_number).lower(),
        }
        if self.webhook_url:
            params["webhook_url"] = self.webhook_url
        return params


class ApolloPhoneNumber(BaseModel):
    """A phone number on a person (present only when Apollo has revealed one)."""

    model_config = ConfigDict(extra="ignore")

    raw_number: str | None = None
    sanitized_number: str | None = None
    type: str | None = None
    position: int | None = None
    status: str | None = None


class ApolloPrimaryPhone(BaseModel):
    """An organisation's main phone number."""

    model_config = ConfigDict(extra="ignore")

    number: str | None = None
    source: str | None = None
    sanitized_number: str | None = None


class ApolloOrganization(BaseModel):
    """The organisation a matched person works for (a subset of Apollo's fields)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    name: str | None = None
    website_url: str | None = None
    primary_domain: str | None = None
    industry: str | None = None
    phone: str | None = None
    primary_phone: ApolloPrimaryPhone | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


class ApolloPerson(BaseModel):
    """A matched person (a subset of Apollo's fields)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    title: str | None = None
    email: str | None = None
    email_status: str | None = None
    personal_emails: list[str] = Field(default_factory=list)
    phone_numbers: list[ApolloPhoneNumber] = Field(default_factory=list)
    linkedin_url: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    organization: ApolloOrganization | None = None


class ApolloBulkMatchResponse(BaseModel):
    """bulk_match's answer: matches aligned with the request's details, and credits used."""

    model_config = ConfigDict(extra="ignore")

    status: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    total_requested_enrichments: int | None = None
    unique_enriched_records: int | None = None
    missing_records: int | None = None
    credits_consumed: float = 0.0
    matches: list[ApolloPerson | None] = Field(default_factory=list)


# --- BatchData property skip trace (V1, synchronous) ---------------------------------------

class SkipTraceAddress(BaseModel):
    """A US postal address as BatchData takes and returns it."""

    model_config = ConfigDict(extra="ignore")

    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None


class SkipTraceName(BaseModel):
    """A person's name; `full` appears only in answers."""

    model_config = ConfigDict(extra="ignore")

    first: str | None = None
    last: str | None = None
    full: str | None = None


class SkipTraceRequestItem(BaseModel):
    """One person to trace: the property address, and the owner's name when known."""

    model_config = ConfigDict(extra="forbid")

    requestId: str
    propertyAddress: SkipTraceAddress
    name: SkipTraceName | None = None


class SkipTraceOptions(BaseModel):
    """Request options; V1 filters TCPA-blacklisted phones out unless asked to include them."""

    model_config = ConfigDict(extra="forbid")

    includeTCPABlacklistedPhones: bool = False


class SkipTraceRequest(BaseModel):
    """A synchronous skip-trace call: at most 100 requests."""

    model_config = ConfigDict(extra="forbid")

    requests: list[SkipTraceRequestItem] = Field(min_length=1, max_length=SKIPTRACE_MAX_REQUESTS)
    options: SkipTraceOptions = Field(default_factory=SkipTraceOptions)


class SkipTracePhone(BaseModel):
    """A phone found for a person, with its line type and compliance flags."""

    model_config = ConfigDict(extra="ignore")

    number: str | None = None
    type: str | None = None
    carrier: str | None = None
    reachable: bool | None = None
    score: float | None = None
    dnc: bool | None = None
    tcpa: bool | None = None


class SkipTraceEmail(BaseModel):
    """An email found for a person."""

    model_config = ConfigDict(extra="ignore")

    email: str | None = None
    tested: bool | None = None


class SkipTraceMeta(BaseModel):
    """Whether the request matched, or failed, and which request it answers."""

    model_config = ConfigDict(extra="ignore")

    matched: bool = False
    error: bool = False
    requestId: str | None = None


class SkipTracePerson(BaseModel):
    """The answer to one request (one person in V1)."""

    model_config = ConfigDict(extra="ignore")

    name: SkipTraceName | None = None
    propertyAddress: SkipTraceAddress | None = None
    mailingAddress: SkipTraceAddress | None = None
    phoneNumbers: list[SkipTracePhone] = Field(default_factory=list)
    emails: list[SkipTraceEmail] = Field(default_factory=list)
    meta: SkipTraceMeta = Field(default_factory=SkipTraceMeta)


class SkipTraceStatus(BaseModel):
    """The envelope status BatchData puts on every answer, errors included."""

    model_config = ConfigDict(extra="ignore")

    code: int | None = None
    text: str | None = None
    message: str | None = None


class SkipTraceResults(BaseModel):
    """The persons answered, in request order."""

    model_config = ConfigDict(extra="ignore")

    persons: list[SkipTracePerson] = Field(default_factory=list)


class SkipTraceResponse(BaseModel):
    """A synchronous skip-trace answer."""

    model_config = ConfigDict(extra="ignore")

    status: SkipTraceStatus | None = None
    results: SkipTraceResults = Field(default_factory=SkipTraceResults)
