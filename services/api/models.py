"""What the API answers, as pydantic models: the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator


class Problem(BaseModel):
    """An error: one line saying what was wrong."""

    detail: str


class Health(BaseModel):
    """Liveness or readiness, with what is not reachable."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, bool] = Field(default_factory=dict)


class Label(BaseModel):
    """One taxonomy label with the labeler's confidence."""

    value: str | None = None
    confidence: float | None = None


class Contact(BaseModel):
    """Tier 2 contact fields of an enriched card: only for keys with `read:contacts`."""

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
    business_name: str | None = None
    business_domain: str | None = None
    business_industry: str | None = None
    business_phone: str | None = None


class LeadCard(BaseModel):
    """A lead card as listed: Tier 3 fields; `contact` only with `read:contacts`."""

    id: str
    profile_id: str
    platform: str
    username: str
    readiness: str
    revision: int
    base_confidence: float
    audience_pool: str
    persona: Label
    tribe: Label
    industry: Label
    execution_label: Label
    taxonomy_version: str | None = None
    enrichment_status: str
    labeled_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    contact: Contact | None = None


class LeadCardPage(BaseModel):
    """One page of lead cards; pass `next_cursor` back as `cursor` for the next (null: done)."""

    data: list[LeadCard]
    next_cursor: str | None = None
    limit: int


class ProfileSummary(BaseModel):
    """The Tier 1 profile a card was made from (redacted public fields only)."""

    profile_id: str
    platform: str
    username: str
    display_name: str | None = None
    bio: str | None = None
    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    verified: bool = False
    profile_url: str | None = None
    external_url: str | None = None
    category: str | None = None
    location: str | None = None
    collected_at: datetime | None = None
    version: int
    first_seen: datetime
    last_seen: datetime


class Lineage(BaseModel):
    """Where a card came from: its profile, the version it was built from, the publish job."""

    profile_id: str
    profile_version: int
    content_hash: str
    job_id: str
    profile: ProfileSummary | None = None


class AuditEntry(BaseModel):
    """One step of a card's compliance trail (ids and hashes only)."""

    seq: int
    event_type: str
    occurred_at: datetime
    actor: dict[str, str]
    batch_id: str | None = None
    outcome: str
    reason: str | None = None
    provider: str | None = None
    cost_usd: float | None = None
    checksum: str | None = None


class LeadCardDetail(LeadCard):
    """A lead card with its evidence, lineage and compliance trail."""

    label_evidence: Any = None
    labeled_profile_version: int | None = None
    lineage: Lineage
    compliance_trail: list[AuditEntry]


class RefusedRow(BaseModel):
    """An input row the API could not read, by its line (NDJSON) or position (JSON array)."""

    line: int
    reason: str


class ProfilesAccepted(BaseModel):
    """A publish job: the rows sent to ingest and the ones refused before that."""

    job_id: str
    accepted: int
    refused: list[RefusedRow]


class Job(BaseModel):
    """How far a publish job has come through ingest and labeling."""

    job_id: str
    published: int | None = Field(None, description="rows the publisher sent (null: unknown)")
    received: int
    stored: int
    duplicates: int
    new_versions: int
    rejected: int
    rejected_by_reason: dict[str, int]
    contact_data_removed: int
    unlabeled: int
    drained: bool


class AudiencePool(BaseModel):
    """Cards in one pool."""

    audience_pool: str
    platform: str
    tribe: str
    follower_tier: str
    cards: int


class AudiencePools(BaseModel):
    """Cards per audience pool and per platform, tribe and follower tier."""

    pools: list[AudiencePool]
    total: int
    by_platform: dict[str, int]
    by_tribe: dict[str, int]
    by_follower_tier: dict[str, int]


AUDIENCE_NAME = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class EnrichmentRequestIn(BaseModel):
    """What `sxp enrich request` sends: labels, limits, budget; `dry_run` spends nothing.
    With `audience` (a name), only its members, best-qualified first, at most `top`; the
    labels may then be empty (any allowed label)."""

    labels: list[Literal["USER", "PARTNER", "AFFILIATE", "FEEDBACK"]] = Field(
        default_factory=list, max_length=4)
    min_confidence: float | None = Field(None, ge=0, le=1)
    limit: int | None = Field(None, ge=1, le=1_000_000)
    budget_usd: float | None = Field(None, ge=0, le=1_000_000)
    retry_failed: bool = False
    dry_run: bool = False
    audience: str | None = Field(None, pattern=AUDIENCE_NAME)
    top: int | None = Field(None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _labels_or_audience(self) -> EnrichmentRequestIn:
        if not self.labels and self.audience is None:
            raise ValueError("labels: at least one label, unless an audience is given")
        if self.top is not None and self.audience is None:
            raise ValueError("top: needs an audience")
        return self


class EnrichmentBatch(BaseModel):
    """A batch the gate queued (or would queue)."""

    batch_id: str
    size: int
    reserved_usd: float


class EnrichmentRequest(BaseModel):
    """The gate's answer to a request; `state` pending until it has decided."""

    request_id: str
    dry_run: bool
    state: Literal["pending", "answered"]
    status: str | None = None
    approved_count: int | None = None
    refused: dict[str, int] = Field(default_factory=dict)
    reserved_usd: float | None = None
    batches: list[EnrichmentBatch] = Field(default_factory=list)


class LeadBatch(BaseModel):
    """A Lead Card Batch v1 the exporter recorded."""

    batch_id: str
    transport: str
    status: str
    card_count: int
    checksum: str
    schema_version: str
    attempts: int
    location: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class LeadBatchPage(BaseModel):
    """One page of batches, oldest id first."""

    data: list[LeadBatch]
    next_cursor: str | None = None
    limit: int


class LeadBatchDetail(LeadBatch):
    """A batch with the exact document sent (its SHA-256 is `checksum`)."""

    document: Any = None
    lead_card_ids: list[str]


class ResendOutcome(BaseModel):
    """What the exporter did with one batch."""

    batch_id: str
    transport: str
    status: str
    checksum: str | None = None
    count: int | None = None
    location: str | None = None
    error: str | None = None


class Resend(BaseModel):
    """The exporter's answer to a resend; `state` pending until it has answered."""

    command_id: str
    state: Literal["pending", "done", "failed"]
    error: str | None = None
    outcomes: list[ResendOutcome] = Field(default_factory=list)


class Erasure(BaseModel):
    """The compliance service's answer to an erasure; `state` pending until it has erased."""

    request_id: str
    state: Literal["pending", "answered"]
    subject_hash: str | None = None
    erased: dict[str, int] = Field(default_factory=dict)
