"""What `/v1/audiences` takes and answers, as pydantic models (in the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api.models import AUDIENCE_NAME

Scorer = Literal["default-v1", "llm"]
CRITERIA_DOC = ("Criteria as a JSON object in grammar v1 (docs/audience-criteria.md), e.g. "
                '{"platform": "tiktok", "persona": "creator", "followers": {"min": 10000}}.')


class Unprocessable(BaseModel):
    """A request the API cannot take: `detail` is one line (criteria that break the grammar,
    a value the audience service refused) or the list of fields that failed validation."""

    detail: str | list[dict[str, Any]]


class AudienceIn(BaseModel):
    """A new audience: what `sxp audience create` sends."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "api-example-fitness-tiktok", "description": "fitness creators on TikTok",
        "criteria": {"platform": "tiktok", "tribe": "fitness_wellness",
                     "followers": {"min": 10000, "max": 100000}}}]})

    name: str = Field(pattern=AUDIENCE_NAME)
    description: str | None = Field(None, max_length=2000)
    criteria: dict[str, Any] = Field(description=CRITERIA_DOC)
    scorer: Scorer | None = Field(None, description="default-v1 unless given")


class AudienceChangeIn(BaseModel):
    """What `sxp audience update` sends: each field left out keeps its value."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(None, max_length=2000)
    criteria: dict[str, Any] | None = Field(None, description=CRITERIA_DOC)
    scorer: Scorer | None = None


class QualifyIn(BaseModel):
    """What `sxp audience qualify` sends."""

    model_config = ConfigDict(extra="forbid")

    top: int | None = Field(None, ge=1, le=1_000_000, description="score at most N members")


class AudienceAnswer(BaseModel):
    """The audience service's answer to a command; `state` pending until it has answered.
    A change answers the new version, its criteria hash and members (and the `etag` to name
    in the next change); a qualification what it scored and found cached; a refusal `error`."""

    request_id: str
    state: Literal["pending", "answered"]
    action: Literal["CREATE", "UPDATE", "DELETE", "QUALIFY"]
    outcome: Literal["created", "updated", "unchanged", "deleted", "qualified",
                     "refused"] | None = None
    audience_id: str | None = None
    name: str | None = None
    version: int | None = None
    criteria_hash: str | None = None
    members: int | None = None
    joined: int | None = None
    left: int | None = None
    scored: int | None = None
    cached: int | None = None
    fallbacks: int | None = None
    scorer: str | None = None
    error: str | None = None
    etag: str | None = None


class AudienceSummary(BaseModel):
    """An audience as listed: its current version, criteria hash, scorer and members."""

    name: str
    audience_id: str
    description: str
    version: int
    criteria_hash: str
    scorer: str
    members: int
    created_at: datetime
    updated_at: datetime
    created_by: str | None = Field(None, description="who asked for its creation: `cli:user@host`"
                                                     " or `api_key:KEY_ID`")
    etag: str = Field(description="to send as If-Match with a PATCH or DELETE")


class AudienceList(BaseModel):
    """Every live audience, by name."""

    data: list[AudienceSummary]


class AudienceVersion(BaseModel):
    """One version of an audience's definition (kept for good, deletions too)."""

    version: int
    action: Literal["created", "updated", "deleted"]
    criteria_hash: str
    changed_at: datetime
    requested_by: str | None = None
    request_id: str | None = None


class AudienceDetail(AudienceSummary):
    """One audience: its canonical criteria, members scored at them, and every version."""

    criteria: Any
    grammar_version: str
    qualified: int
    versions: list[AudienceVersion]


class AudienceSize(BaseModel):
    """Members now; the split by platform, tribe and follower tier as last recorded."""

    name: str
    members: int
    taken_at: datetime | None = None
    recorded_members: int | None = None
    by_platform: dict[str, int] = Field(default_factory=dict)
    by_tribe: dict[str, int] = Field(default_factory=dict)
    by_tier: dict[str, int] = Field(default_factory=dict)


class AudienceMember(BaseModel):
    """A member: its lead card's labels and public handle (no contact data), and its score
    at the audience's current criteria and the card's current content (null: not qualified)."""

    lead_card_id: str
    platform: str
    username: str
    persona: str | None = None
    tribe: str | None = None
    industry: str | None = None
    execution_label: str | None = None
    execution_label_confidence: float | None = None
    audience_pool: str | None = None
    readiness: str
    enrichment_status: str
    joined_at: datetime
    score: float | None = None
    scorer: str | None = None


class AudienceMemberPage(BaseModel):
    """One page of members in lead card id order; pass `next_cursor` back as `cursor`."""

    data: list[AudienceMember]
    next_cursor: str | None = None
    limit: int
