"""The provider waterfall: each provider gets the lead cards the ones before it did not match.

The first provider gets every query routable for it; a query it did not match (no_match
or failed), or could not take, goes to the next provider in the configured order if that
provider can take it, and so on. Every attempt is kept, per lead card, in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from services.adapter.providers.apollo import PROVIDER as APOLLO
from services.adapter.providers.apollo import apollo_routable
from services.adapter.providers.base import Provider
from services.adapter.providers.models import PersonQuery, ProviderResult
from services.adapter.providers.skiptrace import PROVIDER as SKIPTRACE
from services.adapter.providers.skiptrace import skiptrace_routable
from sxp_common import enrichment_routing as routing

log = logging.getLogger("sxp.adapter.providers")

Routable = Callable[[str, PersonQuery], bool]
ROUTABLE_BY_PROVIDER: Mapping[str, Callable[[PersonQuery], bool]] = {
    APOLLO: apollo_routable,
    SKIPTRACE: skiptrace_routable,
}


def routable_by_name(provider: str, query: PersonQuery) -> bool:
    """Whether the named provider can take the query (the shared rule; unknown: nothing)."""
    return routing.routable(provider, query.model_dump())


async def run_waterfall(
    queries: Sequence[PersonQuery],
    providers: Sequence[Provider],
    routable: Routable = routable_by_name,
) -> dict[str, list[ProviderResult]]:
    """Every provider attempt per lead card id (an empty list when no provider took it)."""
    unique = list({q.lead_card_id: q for q in reversed(queries)}.values())[::-1]
    attempts: dict[str, list[ProviderResult]] = {q.lead_card_id: [] for q in unique}
    pending = unique
    for provider in providers:
        batch = [q for q in pending if routable(provider.name, q)]
        if not batch:
            continue
        results = await provider.enrich(batch)
        for result in results:
            if result.lead_card_id in attempts:
                attempts[result.lead_card_id].append(result)
        matched = {r.lead_card_id for r in results if r.status == "matched"}
        pending = [q for q in pending if q.lead_card_id not in matched]
        log.info("waterfall step provider=%s sent=%d matched=%d left=%d", provider.name,
                 len(batch), len(matched), len(pending))
    return attempts
