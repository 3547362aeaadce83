"""Where a replayed consumer group starts again, per partition."""

from __future__ import annotations

import pytest

from sxp_cli.replay_service import ReplayPlan, replay_offsets, service_topics

pytestmark = pytest.mark.unit
BEGIN = {("t", 0): 0, ("t", 1): 40}
END = {("t", 0): 100, ("t", 1): 90}


def test_from_the_beginning_is_each_partitions_first_offset() -> None:
    assert replay_offsets(BEGIN, END, None) == BEGIN


def test_since_a_time_starts_at_the_first_newer_record_or_the_end() -> None:
    assert replay_offsets(BEGIN, END, {("t", 0): 70, ("t", 1): None}) == {("t", 0): 70,
                                                                          ("t", 1): 90}


def test_a_plan_counts_what_it_re_reads_per_topic() -> None:
    plan = ReplayPlan("labeler", "sxp-labeler", {("t", 0): 70, ("t", 1): 90}, END)
    assert plan.records == 30 and plan.per_topic() == {"t": 30}


def test_services_are_named_as_on_the_command_line() -> None:
    assert service_topics("card-factory") == ("sxp.profiles.raw.v1",)
    assert "sxp.export.commands.v1" in service_topics("exporter")
