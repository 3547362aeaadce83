"""on_enrichment_batch_requested: run the provider waterfall for a batch, write Tier 2, settle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from services.adapter.adapters import (
    cached_results, finished_outcome, settle_batch, store_results, update_cards, write_tier2,
)
from services.adapter.domain import (
    batch_status, card_outcome, cost_by_provider, idempotency_key, queries_from_items,
)
from services.adapter.providers.base import Provider
from services.adapter.providers.models import PersonQuery, ProviderResult
from services.adapter.providers.waterfall import run_waterfall
from services.adapter.records import audit_for_batch, started_event
from sxp_common import audit
from sxp_common import tracing
from sxp_common.kafka import InboundRecord, continuing, decode_batch, outgoing
from sxp_common.service import ServiceContext
from sxp_common.topics import ENRICHMENT_COMPLETED


class CachedProvider:
    """A provider that answers from already-paid results first and calls out only for the rest."""

    def __init__(self, inner: Provider, cache: dict[str, ProviderResult]) -> None:
        self.inner, self.cache = inner, cache
        self.name, self.max_batch = inner.name, inner.max_batch

    async def enrich(self, queries: list[PersonQuery]) -> list[ProviderResult]:
        """Cached answers for known keys; one real call for the others; input order kept."""
        known = {q.lead_card_id: self.cache.get(idempotency_key(q.lead_card_id, self.name)) for q in queries}
        fresh = await self.inner.enrich([q for q in queries if known[q.lead_card_id] is None]) if None in known.values() else []
        by_card = {r.lead_card_id: r for r in fresh}
        return [known[q.lead_card_id] or by_card[q.lead_card_id] for q in queries]


async def on_enrichment_batch_requested(ctx: ServiceContext, records: list[InboundRecord]) -> None:
    """Handle sxp.enrichment.requested.v1 batch by batch."""
    decoded = decode_batch(ctx.name, records)
    if decoded.dead_letters:
        await ctx.outbox().send(decoded.dead_letters)
    for record, request in decoded.records:
        await _enrich(ctx, record, request)


async def _enrich(ctx: ServiceContext, record: InboundRecord, request: dict[str, Any]) -> None:
    batch_id, actor = request["batch_id"], audit.Actor.service(ctx.name, ctx.settings.instance_id)
    async with ctx.db().acquire() as conn:
        if await finished_outcome(conn, batch_id) is not None:
            return  # a redelivery of a settled batch: its events were staged when it settled
        queries = queries_from_items(request["items"])
        keys = [idempotency_key(q.lead_card_id, p) for q in queries for p in request["providers"]]
        cache = await cached_results(conn, keys)
    await ctx.outbox().send(continuing(record, audit.audit_messages([started_event(actor, request)])))
    attempts = await _waterfall(ctx, request, queries, cache)
    outcomes = [card_outcome(q.lead_card_id, attempts.get(q.lead_card_id, [])) for q in queries]
    fresh = [a for tried in attempts.values() for a in tried
             if idempotency_key(a.lead_card_id, a.provider) not in cache]
    status, by_provider = batch_status(outcomes), cost_by_provider(outcomes, attempts)
    completed = {
        "batch_id": batch_id, "request_id": request["request_id"], "completed_at": datetime.now(UTC),
        "status": status, "reserved_usd": request["reserved_usd"],
        "settled_usd": round(sum(p["cost_usd"] for p in by_provider.values()), 4),
        "results": [o.as_record() for o in outcomes],
    }
    async with ctx.db().acquire() as conn, conn.transaction():
        await store_results(conn, fresh)
        await write_tier2(conn, outcomes)
        await update_cards(conn, outcomes)
        await settle_batch(conn, batch_id, request["reserved_usd"], by_provider, status, completed)
        await ctx.stage(conn, continuing(record, [
            outgoing(ENRICHMENT_COMPLETED, batch_id, completed),
            *audit.audit_messages(audit_for_batch(actor, request, outcomes, by_provider, status))]))
    for name, spent in by_provider.items():
        tracing.add_cost(spent["cost_usd"], name)
    ctx.counters.add(batches=1, enriched=sum(o.status == "ENRICHED" for o in outcomes),
                     failed=sum(o.status == "FAILED" for o in outcomes))
    ctx.logger.info("batch enriched", extra={
        "batch_id": batch_id, "status": status, "cards": len(outcomes), "cost_by_provider": by_provider})


async def _waterfall(
    ctx: ServiceContext, request: dict[str, Any], queries: Sequence[PersonQuery], cache: dict[str, ProviderResult]
) -> dict[str, list[ProviderResult]]:
    clients: dict[str, Provider] = ctx.extras["providers"]
    providers = [CachedProvider(clients[name], cache) for name in request["providers"] if name in clients]
    routes = {item["lead_card_id"]: set(item["routes"]) for item in request["items"]}
    return await run_waterfall(queries, providers, lambda provider, q: provider in routes[q.lead_card_id])
