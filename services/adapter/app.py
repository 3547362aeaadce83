"""Wires the adapter: consumes sxp.enrichment.requested.v1 as group sxp-adapter.

The provider clients (one shared httpx client, a circuit breaker per provider) are opened
in lifespan. With no API key the clients point at the local sandbox providers; with a key,
at the real provider, with no code change.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from faststream import FastStream

from services.adapter.handlers import on_enrichment_batch_requested, on_enrichment_dead_letter
from services.adapter.providers.apollo import ApolloClient
from services.adapter.providers.skiptrace import SkipTraceClient
from sxp_common.enrichment_policy import load_policy
from sxp_common.events import EnrichmentBatchRequested
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings

EVENTS = (EnrichmentBatchRequested,)


@asynccontextmanager
async def provider_clients(ctx: ServiceContext) -> AsyncIterator[None]:
    """Open the HTTP client and the provider clients for the lifetime of the service."""
    policy = load_policy(ctx.settings.enrichment_policy)
    async with httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0)) as http:
        ctx.extras["providers"] = {
            "apollo": ApolloClient.from_settings(http, ctx.settings,
                                                 usd_per_credit=policy.usd_per_credit),
            "skiptrace": SkipTraceClient.from_settings(
                http, ctx.settings, usd_per_match=policy.worst_case_usd["skiptrace"]),
        }
        yield


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The adapter app and its context; an undecodable batch message is sent to the
    dead-letter topic at once, before the batch's approved messages are enriched."""
    return build_service("adapter", EVENTS, on_enrichment_batch_requested, settings,
                         resources=provider_clients, on_dead_letter=on_enrichment_dead_letter,
                         dead_letters="sent")
