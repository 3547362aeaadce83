"""on_audience_events: audience commands, and membership kept current for changed cards.

Commands and card events come from two consumers of the group (commands never wait behind
card events) and may be handled at the same time, each in its own transaction: a card batch
only touches the cards it names (the two statements restricted to them, primary-key
lookups), committed with the consumed positions; a command runs the statements over every
card, with its version row, its audit events and its answer, in one transaction. A command
takes the membership lock exclusively and a card batch shares it, so a card batch either
sees an audience a command is creating or runs before that command reads the cards.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from services.audience import adapters
from services.audience.domain import (
    Decision,
    MembershipChange,
    Refused,
    Split,
    changed_cards,
    decide,
    readable,
)
from services.audience.qualify import qualify_members
from sxp_common import audit
from sxp_common.audience_commands import CREATED, DELETED, QUALIFIED, REFUSED, UNCHANGED, UPDATED
from sxp_common.audience_criteria import CriteriaError
from sxp_common.events import (
    AudienceCommand,
    ConsumedEvent,
    EnrichmentBatchCompleted,
    EnrichmentBatchRequested,
    LeadCardLabeled,
    of_type,
)
from sxp_common.positions import claim_fresh
from sxp_common.service import ServiceContext

ACTION_OF = {"create": "created", "update": "updated", "delete": "deleted"}
AUDIT_OF = {"created": audit.AUDIENCE_CREATED, "updated": audit.AUDIENCE_UPDATED,
            "deleted": audit.AUDIENCE_DELETED}


def _card_ids(event: ConsumedEvent) -> list[str]:
    if isinstance(event, LeadCardLabeled):
        return [event.lead_card_id]
    if isinstance(event, EnrichmentBatchRequested):
        return [item.lead_card_id for item in event.items]
    if isinstance(event, EnrichmentBatchCompleted):
        return [result.lead_card_id for result in event.results]
    return []


def _membership_event(actor: audit.Actor, audience_id: str, change: MembershipChange,
                      split: Split, why: str, discriminator: str) -> dict[str, Any]:
    """The audit of members moving: counts only, never a card's contact data."""
    return audit.audit_event(
        audit.AUDIENCE_MEMBERSHIP_CHANGED, actor, outcome="changed", batch_id=audience_id,
        discriminator=discriminator,
        details={"joined": change.joined, "left": change.left, "refreshed": change.refreshed,
                 "members": split.members, "why": why})


async def on_card_changes(events: list[ConsumedEvent], ctx: ServiceContext) -> None:
    """Bring every live audience up to date for the cards of the batch, and only those."""
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    records = [e.record for e in events]
    where = f"{records[0].topic}:{records[0].partition}:{records[0].offset}+{len(records)}"
    moved = 0
    async with ctx.db().acquire() as conn, conn.transaction():
        fresh = await claim_fresh(conn, ctx.group, records)
        cards = changed_cards(
            card for e in events if (e.record.topic, e.record.partition, e.record.offset)
            in fresh for card in _card_ids(e))
        if not cards:
            return
        await adapters.lock_membership(conn, exclusive=False)
        live, unreadable = readable(await adapters.live_audiences(conn))
        for stored, reason in unreadable:
            ctx.logger.warning("audience criteria unreadable: its members are not kept current",
                               extra={"audience_id": stored.audience_id, "reason": reason})
        trail = []
        for stored, node in live:
            change = await adapters.apply_membership(conn, node, stored.audience_id,
                                                     stored.criteria_hash, cards)
            if not change.touched:
                continue
            split = await adapters.record_size(conn, stored.audience_id)
            if change.moved:
                moved += change.joined + change.left
                trail.append(_membership_event(actor, stored.audience_id, change, split,
                                               "cards_changed", where))
        await ctx.stage(conn, audit.audit_messages(trail))
    ctx.counters.add(cards_checked=len(cards), members_moved=moved,
                     audiences_unreadable=len(unreadable))


async def _refuse(ctx: ServiceContext, conn: asyncpg.Connection, command: dict[str, Any],
                  reason: str) -> None:
    await adapters.record_answer(conn, command["request_id"], None, command["action"],
                                 REFUSED, {"error": reason})
    ctx.logger.info("audience command refused", extra={"request_id": command["request_id"],
                                                       "action": command["action"]})


async def _change(ctx: ServiceContext, conn: asyncpg.Connection, command: dict[str, Any],
                  decision: Decision) -> None:
    """Create, update or delete: definition, version row, members, size, audit, answer."""
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    d, request_id = decision.definition, command["request_id"]
    action = ACTION_OF[decision.kind]
    await adapters.save_definition(conn, decision, action,
                                   {"requested_by": command["requested_by"],
                                    "request_id": request_id})
    if action == "deleted":
        change = MembershipChange(left=await adapters.drop_members(conn, d.audience_id))
    else:
        change = await adapters.apply_membership(conn, d.node, d.audience_id,
                                                 d.criteria_hash)
    split = await adapters.record_size(conn, d.audience_id)
    trail = [audit.audit_event(
        AUDIT_OF[action], actor, outcome=action, batch_id=d.audience_id,
        discriminator=request_id,
        details={"name": d.name, "version": decision.version,
                 "criteria_hash": d.criteria_hash, "requested_by": command["requested_by"]})]
    if change.moved:
        trail.append(_membership_event(actor, d.audience_id, change, split, action,
                                       request_id))
    detail = {"name": d.name, "version": decision.version, "criteria_hash": d.criteria_hash,
              "members": split.members, "joined": change.joined, "left": change.left}
    await adapters.record_answer(conn, request_id, d.audience_id, command["action"],
                                 {"created": CREATED, "updated": UPDATED,
                                  "deleted": DELETED}[action], detail)
    await ctx.stage(conn, audit.audit_messages(trail))
    ctx.logger.info("audience changed", extra={"request_id": request_id, "action": action,
                                               "members": split.members})


async def _qualify(ctx: ServiceContext, command: dict[str, Any], decision: Decision) -> None:
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    d = decision.definition
    result = await qualify_members(ctx, d, command["top"])
    detail = {"name": d.name, "scored": result.scored, "cached": result.cached,
              "fallbacks": result.fallbacks, "scorer": result.scorer,
              "criteria_hash": d.criteria_hash}
    event = audit.audit_event(audit.AUDIENCE_QUALIFIED, actor, outcome="qualified",
                              batch_id=d.audience_id, discriminator=command["request_id"],
                              details={**detail, "requested_by": command["requested_by"]})
    async with ctx.db().acquire() as conn, conn.transaction():
        await adapters.record_answer(conn, command["request_id"], d.audience_id, "QUALIFY",
                                     QUALIFIED, detail)
        await ctx.stage(conn, audit.audit_messages([event]))


async def on_audience_command(event: AudienceCommand, ctx: ServiceContext) -> None:
    """One command: decide, then apply it (or record why it was refused)."""
    command = event.as_record()
    qualify: Decision | None = None
    async with ctx.db().acquire() as conn, conn.transaction():
        if await adapters.answered(conn, command["request_id"]):
            return  # a redelivered command: applied and answered with its first delivery
        await adapters.lock_membership(conn, exclusive=True)
        stored = await adapters.audience_for_update(conn, command["name"])
        try:
            decision = decide(command, stored)
        except (Refused, CriteriaError) as exc:
            await _refuse(ctx, conn, command, str(exc))
            return
        if decision.kind == "qualify":
            qualify = decision  # scored outside this transaction, chunk by chunk
        elif decision.kind == "unchanged":
            await adapters.record_answer(conn, command["request_id"],
                                         decision.definition.audience_id, "UPDATE", UNCHANGED,
                                         {"name": command["name"],
                                          "version": decision.version})
        else:
            await _change(ctx, conn, command, decision)
    if qualify is not None:
        await _qualify(ctx, command, qualify)
    ctx.counters.add(commands=1)


async def on_audience_events(events: list[ConsumedEvent], deps: ServiceContext) -> None:
    """Handle a batch of one consumer: its card changes, then each of its commands."""
    card_events = [e for e in events if not isinstance(e, AudienceCommand)]
    if card_events:
        await on_card_changes(card_events, deps)
    for command in of_type(events, AudienceCommand):
        await on_audience_command(command, deps)
