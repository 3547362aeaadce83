"""The compliance service's pure core: which commands it carries out, and what is past its
age given the time and the configured ages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.compliance.domain import (
    RetentionAges,
    check_command,
    cutoff,
    flat_counts,
    past_age,
    retention_cutoffs,
)
from sxp_common.errors import Unprocessable

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
AGES = RetentionAges(tier2_days=365, provider_responses_days=90, unseen_days=180)


def test_a_row_older_than_its_age_is_past_it_and_a_younger_one_is_not() -> None:
    limits = retention_cutoffs(NOW, AGES)
    assert past_age(NOW - timedelta(days=366), limits["tier2"])
    assert not past_age(NOW - timedelta(days=364), limits["tier2"])
    assert past_age(NOW - timedelta(days=91), limits["provider_responses"])
    assert not past_age(NOW - timedelta(days=89), limits["provider_responses"])
    assert past_age(NOW - timedelta(days=181), limits["unseen"])
    assert not past_age(NOW - timedelta(days=179), limits["unseen"])


def test_a_row_exactly_at_its_age_is_kept() -> None:
    limit = cutoff(NOW, 90)
    assert limit == NOW - timedelta(days=90)
    assert not past_age(limit, limit)
    assert past_age(limit - timedelta(microseconds=1), limit)


def test_an_age_of_zero_or_less_keeps_rows_forever() -> None:
    limits = retention_cutoffs(NOW, RetentionAges(0, -1, 0))
    assert limits == {"unseen": None, "tier2": None, "provider_responses": None}
    assert not past_age(datetime(1970, 1, 1, tzinfo=UTC), limits["tier2"])


def test_fractional_days_are_honoured() -> None:
    assert cutoff(NOW, 0.5) == NOW - timedelta(hours=12)


def test_audit_details_name_each_rule_and_table_with_counts_only() -> None:
    deleted = {"unseen": {"profiles": 2, "lead_cards": 1}, "tier2": {"contacts": 3},
               "provider_responses": {}}
    assert flat_counts(deleted) == {"rows:unseen:profiles": 2, "rows:unseen:lead_cards": 1,
                                    "rows:tier2:contacts": 3}


def test_a_retention_command_needs_no_identity_and_a_forget_needs_a_hash() -> None:
    check_command({"kind": "RETENTION", "identity_hash": ""})
    check_command({"kind": "FORGET", "identity_hash": "ab" * 32})
    with pytest.raises(Unprocessable):
        check_command({"kind": "FORGET", "identity_hash": ""})
    with pytest.raises(Unprocessable):
        check_command({"kind": "PURGE_ALL", "identity_hash": ""})
