"""Skip trace as the real API is: only cards with a full US address go to it, and the
sandbox refuses a request without one, as BatchData lists street, city, state and ZIP as
mandatory."""

from __future__ import annotations

import httpx
import pytest

from services.adapter.providers.waterfall import routable_by_name, run_waterfall
from services.sandbox.server import SANDBOX_API_KEY
from tests.integration.test_providers import (  # noqa: F401 (fixtures)
    Start,
    apollo_client,
    http,
    person,
    sandbox,
    skiptrace_client,
)

pytestmark = pytest.mark.integration


async def test_the_skip_trace_sandbox_refuses_a_request_without_a_full_address(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    server, url = sandbox("skiptrace")
    body = {"requests": [{"requestId": "1", "name": {"first": "Ana", "last": "Lopez"},
                          "propertyAddress": {"city": "Austin", "state": "TX"}}]}
    response = await http.post(url + "/api/v1/property/skip-trace", json=body,
                               headers={"Authorization": f"Bearer {SANDBOX_API_KEY}"})
    assert response.status_code == 400
    assert response.json()["status"] == {"code": 400, "text": "Bad Request",
                                         "message": "requests[0].propertyAddress.street is "
                                                    "required"}
    assert (await http.get(url + "/stats")).json()["statuses"] == {"400": 1}
    assert server.stats.requests == 1


async def test_the_waterfall_never_sends_skip_trace_a_card_without_a_full_address(
    sandbox: Start, http: httpx.AsyncClient
) -> None:
    _, apollo_url = sandbox("apollo")
    skip_server, skip_url = sandbox("skiptrace")
    city_only = [person(i,
                        place=False).model_copy(update={"city": "Austin",
                                                        "state": "TX"}) for i in range(30)]
    providers = [apollo_client(http, apollo_url), skiptrace_client(http, skip_url)]
    attempts = await run_waterfall(city_only, providers, routable_by_name)
    assert all([r.provider for r in attempts[q.lead_card_id]] == ["apollo"] for q in city_only)
    assert skip_server.stats.requests == 0
