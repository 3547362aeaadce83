"""on_audience_events: placeholder until the service lands (next commit on this branch)."""

from __future__ import annotations

from typing import Any

from sxp_common.service import ServiceContext


async def on_audience_events(events: list[Any], deps: ServiceContext) -> None:
    """Not wired into `sxp services up` yet."""
    raise NotImplementedError("the audience service is not built yet")
