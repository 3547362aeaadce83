"""QUALIFY: score the members that have no score at their current cache key, in chunks.

A member's score is cached under (audience, card, content hash, criteria hash): qualifying
again with nothing changed finds no member to score and writes nothing. The LLM scorer is
used when the audience (or the command) asks for `llm` and SXP_LLM_BASE_URL is set; asked
for without a configured model, each member is scored by the default scorer and its row
says why (`refused` = llm_not_configured), never silently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from services.audience import adapters
from services.audience.domain import Definition
from sxp_common.audience_llm import Tier1Text, llm_qualify, member_facts
from sxp_common.audience_scoring import Qualification, default_score
from sxp_common.llm import ChatJson
from sxp_common.service import ServiceContext

CHUNK = 200
NOT_CONFIGURED = "llm_not_configured"


@dataclass(frozen=True, slots=True)
class QualifyResult:
    """What one QUALIFY did: scored now, already cached, fallbacks to the default scorer."""

    scored: int
    cached: int
    fallbacks: int
    scorer: str


async def _score(chat: ChatJson | None, wants_llm: bool, row: object,
                 d: Definition) -> Qualification:
    facts = member_facts(row)  # type: ignore[arg-type]
    if wants_llm and chat is not None:
        return await llm_qualify(chat, facts, Tier1Text.from_row(row), d.node)  # type: ignore[arg-type]
    base = default_score(facts, d.node)
    if not wants_llm:
        return base
    return replace(base, refused=NOT_CONFIGURED,
                   reasons=(*base.reasons, "LLM scorer asked for but SXP_LLM_BASE_URL is unset: "
                                           "scored by the default scorer"))


async def qualify_members(ctx: ServiceContext, d: Definition, top: int | None) -> QualifyResult:
    """Score up to `top` unscored members (all when None), committing each chunk."""
    chat: ChatJson | None = ctx.extras.get("chat")
    wants_llm = d.scorer == "llm"
    async with ctx.db().acquire() as conn:
        cached = await adapters.cached_members(conn, d.audience_id, d.criteria_hash)
    scored = fallbacks = 0
    while top is None or scored < top:
        limit = CHUNK if top is None else min(CHUNK, top - scored)
        async with ctx.db().acquire() as conn:
            rows = await adapters.unscored_members(conn, d.audience_id, d.criteria_hash, limit)
        if not rows:
            break
        results = [(row, await _score(chat, wants_llm, row, d)) for row in rows]
        async with ctx.db().acquire() as conn, conn.transaction():
            scored += await adapters.store_qualifications(conn, d.audience_id,
                                                          d.criteria_hash, results)
        fallbacks += sum(1 for _, q in results if q.refused)
        if len(rows) < limit:
            break
    scorer = "llm" if wants_llm and chat is not None else "default-v1"
    if fallbacks:
        ctx.logger.warning("qualifications fell back to the default scorer",
                           extra={"audience_id": d.audience_id, "fallbacks": fallbacks})
    return QualifyResult(scored, cached, fallbacks, scorer)
