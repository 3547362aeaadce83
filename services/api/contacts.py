"""Tier 2 in API responses: shape the contact fields, and audit every response that carries
them (`contacts_viewed`: who, which cards, when; never a value)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from services.api.deps import ApiContext, Caller
from services.api.models import Contact
from sxp_common import audit

CONTACT_FIELDS = tuple(Contact.model_fields)


def contact_of(row: dict[str, Any]) -> Contact | None:
    """The card's Tier 2 fields, or None when it has none."""
    values = {name: row.get(name) for name in CONTACT_FIELDS}
    return Contact(**values) if any(v is not None for v in values.values()) else None


async def audit_viewed(ctx: ApiContext, caller: Caller, card_ids: Sequence[str],
                       endpoint: str, batch_id: str | None = None) -> None:
    """Emit one contacts_viewed event for the cards whose contact values a response carried."""
    if not card_ids:
        return
    view_id = str(uuid.uuid4())
    event = audit.audit_event(
        audit.CONTACTS_VIEWED, audit.Actor.api_key(caller.key_id, ctx.settings.instance_id),
        outcome="viewed", batch_id=batch_id, lead_card_ids=card_ids, discriminator=view_id,
        details={"endpoint": endpoint, "key_name": caller.key.name, "view_id": view_id})
    await audit.emit(ctx.broker, [event])
