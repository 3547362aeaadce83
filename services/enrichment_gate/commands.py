"""The gate's answers to the commands that queue nothing: DRY_RUN and REAP.

`sxp enrich request --dry-run` and `sxp enrich reap` send these on
sxp.enrichment.commands.v1 (r3 `kind`); the gate answers with its own code and role and
records the answer in `enrichment.command_answers`, where the CLI reads it back. A dry run
decides as a request would, on the same candidates and today's spend, and reserves, marks
and queues nothing. A reap closes overdue batches (services.enrichment_gate.reaper) in the
transaction that records its answer; its `enrichment_failed` events name the requester.
"""

from __future__ import annotations

from typing import Any

from services.enrichment_gate.adapters import (
    answered,
    candidates_for,
    record_answer,
    spent_today,
)
from services.enrichment_gate.domain import load_policy
from services.enrichment_gate.planning import decide
from services.enrichment_gate.reaper import reap_in
from services.enrichment_gate.records import dry_run_answer
from sxp_common import audit
from sxp_common.enrichment_ledger import ClosedBatch
from sxp_common.service import ServiceContext

REQUEST, DRY_RUN, REAP = "REQUEST", "DRY_RUN", "REAP"


def reap_answer(closed: list[ClosedBatch]) -> dict[str, Any]:
    """What a REAP command closed: per batch its cards, what it settled and released."""
    return {"reaped": [{"batch_id": c.batch_id, "cards": len(c.lead_card_ids),
                        "settled_usd": c.settled_usd, "released_usd": c.released_usd}
                       for c in closed]}


async def answer_command(ctx: ServiceContext, command: dict[str, Any]) -> None:
    """Answer one DRY_RUN or REAP command once (a redelivered one is answered already)."""
    request_id, kind = command["request_id"], command["kind"]
    async with ctx.db().acquire() as conn, conn.transaction():
        if await answered(conn, request_id):
            ctx.logger.info("command already answered", extra={"request_id": request_id})
            return
        if kind == DRY_RUN:
            policy = load_policy(ctx.settings.enrichment_policy)
            candidates = await candidates_for(conn, policy, command)
            answer = dry_run_answer(decide(policy, command, candidates, await spent_today(conn)))
        else:
            older_than_s = command.get("older_than_s")
            deadline_s = (ctx.settings.enrichment_reap_after_s if older_than_s is None
                          else older_than_s)
            requester = audit.Actor(**command["requested_by"])
            answer = reap_answer(await reap_in(conn, ctx.name, requester, deadline_s))
        await record_answer(conn, command, answer)
    if answer.get("reaped"):
        await ctx.outbox().flush()
        ctx.counters.add(reaped=len(answer["reaped"]))
    ctx.logger.info("command answered", extra={"request_id": request_id, "kind": kind})
