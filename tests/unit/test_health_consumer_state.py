"""Health's view of a consumer comes from the client's public API only."""

from __future__ import annotations

import asyncio

from sxp_common import health


class Consumer:
    """What consumer_state may use of an aiokafka consumer: assignment, last_poll_timestamp."""

    __slots__ = ("assigned", "polls")  # no private state for health to reach into

    def __init__(self, assigned: set[int], polls: dict[int, int]) -> None:
        self.assigned, self.polls = assigned, polls

    def assignment(self) -> set[int]:
        return set(self.assigned)

    def last_poll_timestamp(self, partition: int) -> int | None:
        return self.polls.get(partition)


def test_a_consumer_given_an_empty_assignment_has_joined_its_group() -> None:
    listener = health.GroupListener()
    consumer = Consumer(set(), {})
    assert health.consumer_state(consumer, listener) == (False, 0, None)
    asyncio.run(listener.on_partitions_assigned(set()))
    assert health.consumer_state(consumer, listener) == (True, 0, None)


def test_a_rebalance_leaves_the_group_until_the_next_assignment() -> None:
    listener = health.GroupListener()
    consumer = Consumer({0, 1}, {0: 5_000, 1: 7_000})
    asyncio.run(listener.on_partitions_assigned({0, 1}))
    assert health.consumer_state(consumer, listener) == (True, 2, 7.0)
    asyncio.run(listener.on_partitions_revoked({0, 1}))
    assert health.consumer_state(consumer, listener)[0] is False


def test_without_a_listener_joined_means_some_partition_is_assigned() -> None:
    assert health.consumer_state(Consumer({3}, {}))[:2] == (True, 1)
    assert health.consumer_state(Consumer(set(), {}))[:2] == (False, 0)
    assert health.consumer_state(None) == (False, 0, None)
