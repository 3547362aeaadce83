"""Wires the labeler: consumes sxp.leadcards.structured.v1 as group sxp-labeler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream import FastStream

from services.labeler.domain import rulebook_problems
from services.labeler.handlers import on_lead_card_structured
from services.labeler.rulebook import rulebook
from services.labeler.version import model_version
from sxp_common.events import LeadCardStructured
from sxp_common.service import ServiceContext, build_service
from sxp_common.settings import Settings, get_settings

EVENTS = (LeadCardStructured,)


def check_rules(settings: Settings) -> None:
    """Refuse to start on rule tables that do not load or name ids outside taxonomy v1
    (rather than label every card with them)."""
    problems = rulebook_problems(rulebook(settings.labeler_rules_dir))
    if problems:
        raise ValueError(f"the rule tables in {settings.labeler_rules_dir} name "
                         f"{len(problems)} unknown id(s): {'; '.join(problems[:5])}")


@asynccontextmanager
async def rules_logged(ctx: ServiceContext) -> AsyncIterator[None]:
    """Say at startup which tables the instance labels with (a relabel is traced by it)."""
    ctx.logger.info("rules loaded", extra={
        "model_version": model_version(ctx.settings.labeler_rules_dir),
        "rules_dir": str(ctx.settings.labeler_rules_dir or "packaged")})
    yield


def create_app(settings: Settings | None = None) -> tuple[FastStream, ServiceContext]:
    """The labeler app and its context; undecodable cards are staged as dead letters."""
    settings = settings or get_settings()
    check_rules(settings)
    return build_service("labeler", EVENTS, on_lead_card_structured, settings,
                         resources=rules_logged)
