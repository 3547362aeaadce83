"""on_compliance_command: erase a subject from every tier, suppress it, and tell the platforms."""

from __future__ import annotations

from datetime import UTC, datetime

from services.compliance.adapters import answered, erase_subject, record_answer, suppress
from services.compliance.domain import check_command
from sxp_common import audit
from sxp_common.events import ComplianceCommand
from sxp_common.hashing import subject_hash
from sxp_common.kafka import outgoing
from sxp_common.service import ServiceContext
from sxp_common.topics import ERASURES


async def on_compliance_command(events: list[ComplianceCommand], deps: ServiceContext) -> None:
    """Handle sxp.compliance.commands.v1, one command per transaction."""
    ctx = deps
    actor = audit.Actor.service(ctx.name, ctx.settings.instance_id)
    for event in events:
        command = event.as_record()
        check_command(command)
        now = datetime.now(UTC)
        request_id = command["request_id"]
        subject = subject_hash(ctx.settings.suppression_secret, command["identity_hash"])
        async with ctx.db().acquire() as conn, conn.transaction():
            if await answered(conn, request_id):
                continue  # a redelivered command: its notice and audit were staged with it
            result = await erase_subject(conn, command["identity_hash"])
            await suppress(conn, subject, request_id)
            requester = command["requested_by"]
            await record_answer(conn, request_id, subject, requester["name"], result["erased"])
            notice = {"erasure_id": request_id, "subject_hash": subject,
                      "lead_card_ids": result["lead_card_ids"], "erased_at": now}
            # The audit event carries the keyed hash and counts only: no card id, no name.
            trail = audit.audit_event(
                audit.SUBJECT_ERASED, actor, outcome="erased", occurred_at=now,
                discriminator=request_id,
                details={"subject_hash": subject, "requested_by": requester["name"],
                         **{f"rows:{t}": n for t, n in result["erased"].items()}})
            await ctx.stage(conn, [outgoing(ERASURES, request_id, notice),
                                   *audit.audit_messages([trail])])
        ctx.counters.add(erasures=1)
        ctx.logger.info("subject erased", extra={"request_id": request_id,
                                                 "rows": result["erased"]})
