"""Wires the audience service: consumes its command topic (a consumer of its own) and what
moves a criterion's column (labels, enrichment status) as group sxp-audience; opens the LLM
client when one is set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from faststream import FastStream

from services.audience.handlers import on_audience_events
from sxp_common.events import (
    AudienceCommand,
    EnrichmentBatchCompleted,
    EnrichmentBatchRequested,
    LeadCardLabeled,
)
from sxp_common.llm import OllamaChat
from sxp_common.retry import CircuitBreaker
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings

EVENTS = (AudienceCommand, LeadCardLabeled, EnrichmentBatchRequested, EnrichmentBatchCompleted)


@asynccontextmanager
async def llm_client(ctx: ServiceContext) -> AsyncIterator[None]:
    """One HTTP client and breaker for the LLM scorer, only when SXP_LLM_BASE_URL is set."""
    settings = ctx.settings
    if not settings.llm_base_url:
        yield
        return
    async with httpx.AsyncClient() as http:
        ctx.extras["chat"] = OllamaChat(
            http, settings.llm_base_url, settings.llm_model,
            timeout=httpx.Timeout(settings.llm_timeout_s, connect=5.0),
            breaker=CircuitBreaker("llm"))
        yield


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The audience app and its context; an undecodable record is dead-lettered at once.
    Commands have a consumer of their own, so an answer never waits behind card events."""
    return build_service("audience", EVENTS, on_audience_events, settings,
                         resources=llm_client, dead_letters="sent",
                         own_consumer=(AudienceCommand,))
