"""on_enrichment_batch_requested: run the provider waterfall for an approved batch, write Tier 2,
settle.

The message only names the batch: what is enriched, through which providers and against
which reservation is what `enrichment.batches` holds as approved. Every provider answer is
committed the moment it arrives, before anything else happens to the batch, so a crash,
a redelivery or a retry reuses it instead of paying for it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from services.adapter.adapters import (
    approved_batch,
    cached_results,
    settle_batch,
    store_results,
    update_cards,
    write_tier2,
)
from services.adapter.domain import (
    REFUSALS,
    admit,
    batch_status,
    card_outcome,
    cost_by_provider,
    idempotency_key,
    queries_from_items,
)
from services.adapter.providers.base import Provider, chunked
from services.adapter.providers.models import PersonQuery, ProviderResult
from services.adapter.providers.waterfall import routable_by_name, run_waterfall
from services.adapter.records import audit_for_batch, started_event
from sxp_common import audit, tracing
from sxp_common.enrichment_ledger import close_failed, failed_event, holding_batch
from sxp_common.events import EnrichmentBatchRequested
from sxp_common.kafka import InboundRecord, continuing, outgoing
from sxp_common.service import ServiceContext
from sxp_common.topics import ENRICHMENT_COMPLETED

Store = Callable[[Sequence[ProviderResult]], Awaitable[object]]


class CachedProvider:
    """A provider that answers from already-paid results first, calls out only for the rest,
    and hands every new answer to `store` as soon as its call returns."""

    def __init__(self, inner: Provider, cache: dict[str, ProviderResult], store: Store) -> None:
        self.inner, self.cache, self.store = inner, cache, store
        self.name, self.max_batch = inner.name, inner.max_batch

    async def enrich(self, queries: list[PersonQuery]) -> list[ProviderResult]:
        """Cached answers for known keys; one call per chunk for the others; input order kept."""
        known = {q.lead_card_id: self.cache.get(idempotency_key(q.lead_card_id,
                                                                self.name)) for q in queries}
        by_card: dict[str, ProviderResult] = {}
        for chunk in chunked([q for q in queries if known[q.lead_card_id] is None], self.max_batch):
            fresh = await self.inner.enrich(chunk)
            await self.store(fresh)
            by_card.update((r.lead_card_id, r) for r in fresh)
        return [known[q.lead_card_id] or by_card[q.lead_card_id] for q in queries]


async def on_enrichment_batch_requested(events: list[EnrichmentBatchRequested],
                                        deps: ServiceContext) -> None:
    """Handle sxp.enrichment.requested.v1 batch by batch."""
    for event in events:
        await _enrich(deps, event)


async def _enrich(ctx: ServiceContext, event: EnrichmentBatchRequested) -> None:
    """Refuse what was not approved, skip what is settled, else enrich under the batch's lock."""
    batch_id, request, record = event.batch_id, event.as_record(), event.record
    async with ctx.db().acquire() as conn:
        if not admit(await approved_batch(conn, batch_id), request):
            return  # a redelivery of a settled batch: its events were staged when it settled
        async with holding_batch(conn, batch_id):
            batch = await approved_batch(conn, batch_id)
            if not admit(batch, request):
                return  # another instance settled it while this one waited for the lock
            assert batch is not None
            await _run(ctx, conn, record, batch)


async def _run(ctx: ServiceContext, conn: Any, record: InboundRecord,
               batch: dict[str, Any]) -> None:
    """The waterfall over the approved items, then Tier 2, cards and settlement in one
    transaction."""
    batch_id, actor = batch["batch_id"], audit.Actor.service(ctx.name, ctx.settings.instance_id)
    queries = queries_from_items(batch["items"])
    cached = await cached_results(conn,
                                  [idempotency_key(q.lead_card_id,
                                                   p) for q in queries for p in batch["providers"]])
    reused = frozenset(k for k, (_, paid_by) in cached.items() if paid_by != batch_id)
    await ctx.outbox().send(continuing(record, audit.audit_messages([started_event(actor, batch)])))
    attempts = await _waterfall(ctx, batch, queries, {k: r for k, (r, _) in cached.items()})
    outcomes = [card_outcome(q.lead_card_id, attempts.get(q.lead_card_id, []),
                             reused) for q in queries]
    status, by_provider = batch_status(outcomes), cost_by_provider(outcomes, attempts, reused)
    completed = {
        "batch_id": batch_id, "request_id": batch["request_id"], "completed_at": datetime.now(UTC),
        "status": status, "reserved_usd": batch["reserved_usd"],
        "settled_usd": round(sum(p["cost_usd"] for p in by_provider.values()), 4),
        "results": [o.as_record() for o in outcomes],
    }
    async with conn.transaction():
        await write_tier2(conn, outcomes)
        await update_cards(conn, outcomes)
        await settle_batch(conn, batch_id, batch["reserved_usd"], by_provider, status, completed)
        await ctx.stage(conn, continuing(record, [
            outgoing(ENRICHMENT_COMPLETED, batch_id, completed),
            *audit.audit_messages(audit_for_batch(actor, batch, outcomes, by_provider, status))]))
    for name, spent in by_provider.items():
        tracing.add_cost(spent["cost_usd"], name)
    ctx.counters.add(batches=1, enriched=sum(o.status == "ENRICHED" for o in outcomes),
                     failed=sum(o.status == "FAILED" for o in outcomes), reused_answers=len(reused))
    ctx.logger.info("batch enriched", extra={
        "batch_id": batch_id, "status": status, "cards": len(outcomes),
        "cost_by_provider": by_provider,
        "reused_answers": len(reused)})


async def _waterfall(
    ctx: ServiceContext, batch: dict[str, Any], queries: Sequence[PersonQuery],
    cache: dict[str, ProviderResult]
) -> dict[str, list[ProviderResult]]:
    """Each approved provider in order, for the cards approved for it that it can take."""
    clients: dict[str, Provider] = ctx.extras["providers"]

    async def store(results: Sequence[ProviderResult]) -> None:
        """Commit new answers at once, in their own transaction, as paid by this batch."""
        async with ctx.db().acquire() as conn, conn.transaction():
            await store_results(conn, results, batch["batch_id"])

    providers = [CachedProvider(clients[name], cache,
                                store) for name in batch["providers"] if name in clients]
    routes = {item["lead_card_id"]: set(item["routes"]) for item in batch["items"]}
    return await run_waterfall(
        queries, providers, lambda provider,
        q: provider in routes[q.lead_card_id] and routable_by_name(provider, q))


async def on_enrichment_dead_letter(ctx: ServiceContext, event: EnrichmentBatchRequested,
                                    reason: str) -> None:
    """Before an approved batch is dead-lettered: settle what it paid, release the rest, fail
    its cards, and stage enrichment_failed, in one transaction (refusals leave it alone)."""
    if reason in REFUSALS:
        return
    batch_id, record = event.batch_id, event.record
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    async with ctx.db().acquire() as conn, conn.transaction():
        closed = await close_failed(conn, batch_id)
        if closed is not None:
            await ctx.stage(conn,
                            continuing(record,
                                       audit.audit_messages([failed_event(actor, closed, reason)])))
    ctx.logger.warning("batch failed",
                       extra={"batch_id": batch_id, "reason": reason, "closed": closed is not None})
