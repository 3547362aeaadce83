"""The exports lifecycle rule, pure, and what a store that refuses it gives."""

from __future__ import annotations

from typing import Any

import pytest

from sxp_common.bucket_lifecycle import (
    EXPORTS_PREFIX,
    apply_exports_lifecycle,
    exports_expiration,
    exports_rules,
)

pytestmark = pytest.mark.unit


class RefusingStore:
    """A store without lifecycle support, as S3-compatible stores answer it."""

    def put_bucket_lifecycle_configuration(self, **_: Any) -> None:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "NotImplemented"}}, "PutBucketLifecycle")


def test_the_rule_expires_only_the_exports_prefix_after_whole_days() -> None:
    (rule,) = exports_rules(90)
    assert rule["Filter"] == {"Prefix": EXPORTS_PREFIX} and rule["Status"] == "Enabled"
    assert rule["Expiration"] == {"Days": 90}
    assert exports_rules(0.2)[0]["Expiration"] == {"Days": 1}  # never earlier than asked
    assert exports_rules(0) == [] and exports_rules(-1) == []


def test_the_expiration_is_read_off_our_rule_only() -> None:
    assert exports_expiration(exports_rules(30)) == 30
    other = [{"ID": "someone-else", "Status": "Enabled", "Filter": {"Prefix": EXPORTS_PREFIX},
              "Expiration": {"Days": 1}}]
    assert exports_expiration(other) is None
    disabled = [{**exports_rules(30)[0], "Status": "Disabled"}]
    assert exports_expiration(disabled) is None


def test_a_store_that_refuses_the_rule_is_reported_not_fatal() -> None:
    assert apply_exports_lifecycle(RefusingStore(), "bucket", 30) == {
        "prefix": EXPORTS_PREFIX, "expiration_days": None, "refused": "NotImplemented"}
