"""Each service declares the event types it consumes; their topics are its subscriptions."""

from __future__ import annotations

import importlib

import pytest

from sxp_common.topics import SUBSCRIPTIONS

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("service", sorted(SUBSCRIPTIONS))
def test_the_declared_event_types_are_the_topics_the_service_subscribes_to(service: str) -> None:
    app = importlib.import_module(f"services.{service}.app")
    assert tuple(event.TOPIC for event in app.EVENTS) == SUBSCRIPTIONS[service]
