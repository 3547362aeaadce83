"""Retention per topic from the settings: Tier 1's rebuild window, the handoff promise, audit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sxp_common.settings import Settings
from sxp_common.topics import (
    AUDIT,
    DEADLETTER,
    LEAD_BATCH,
    LEADCARDS_LABELED,
    PROFILES_RAW,
    PROFILES_SUBMITTED,
    TOPICS,
    config_drift,
    retention_ms,
    topic_configs,
)

pytestmark = pytest.mark.unit
DAY = 86_400_000


def test_the_defaults_keep_tier1_a_year_batches_30_days_and_audit_forever() -> None:
    configs = topic_configs(Settings())
    assert set(configs) == {spec.name for spec in TOPICS}
    assert configs[PROFILES_SUBMITTED]["retention.ms"] == str(365 * DAY)
    assert configs[PROFILES_RAW]["retention.ms"] == str(365 * DAY)
    assert configs[LEAD_BATCH]["retention.ms"] == str(30 * DAY)
    assert configs[DEADLETTER]["retention.ms"] == str(30 * DAY)
    assert configs[AUDIT] == {"cleanup.policy": "compact", "retention.ms": "-1",
                              "min.compaction.lag.ms": "60000"}


def test_settings_change_each_class_and_zero_means_forever() -> None:
    configs = topic_configs(Settings(retention_tier1_days=0, retention_lead_batch_days=90,
                                     retention_pipeline_days=7))
    assert configs[PROFILES_SUBMITTED]["retention.ms"] == "-1"
    assert configs[LEAD_BATCH]["retention.ms"] == str(90 * DAY)
    assert configs[LEADCARDS_LABELED]["retention.ms"] == str(7 * DAY)
    assert configs[AUDIT]["retention.ms"] == "-1"


def test_dead_letters_keep_their_own_age_not_the_pipelines() -> None:
    configs = topic_configs(Settings(retention_pipeline_days=30, retention_deadletter_days=7))
    assert configs[DEADLETTER]["retention.ms"] == str(7 * DAY)
    assert configs[LEADCARDS_LABELED]["retention.ms"] == str(30 * DAY)
    assert topic_configs(Settings(retention_deadletter_days=0))[DEADLETTER]["retention.ms"] == "-1"


def test_no_setting_ages_out_the_audit_topic() -> None:
    configs = topic_configs(Settings(retention_pipeline_days=1, retention_tier1_days=1))
    assert configs[AUDIT]["retention.ms"] == "-1"


@pytest.mark.parametrize("days", [1, 29.9])
def test_lead_batches_cannot_be_kept_less_than_the_handoff_promise(days: float) -> None:
    with pytest.raises(ValidationError, match="at least 30 days"):
        Settings(retention_lead_batch_days=days)


def test_fractional_days_round_to_milliseconds() -> None:
    assert retention_ms(0.5) == str(DAY // 2)
    assert retention_ms(-3) == "-1"


def test_drift_names_only_topics_whose_broker_config_differs() -> None:
    wanted = {"a": {"retention.ms": "10"}, "b": {"retention.ms": "20", "cleanup.policy": "compact"},
              "c": {"retention.ms": "30"}}
    actual = {"a": {"retention.ms": "10", "segment.ms": "5"},
              "b": {"retention.ms": "20", "cleanup.policy": "delete"}}
    assert config_drift(wanted, actual) == {"b": wanted["b"]}
