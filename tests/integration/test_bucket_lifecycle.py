"""The exports prefix's lifecycle rule reaches the local object store (SeaweedFS takes
PutBucketLifecycleConfiguration and answers GetBucketLifecycleConfiguration with it), and
`sxp stack status` shows it. That objects actually expire after the days is the store's
promise: a test cannot wait days, so it is not proved here."""

from __future__ import annotations

import json

import pytest

from sxp_common.bucket_lifecycle import EXPORTS_PREFIX, RULE_ID, apply_exports_lifecycle
from sxp_stack.manager import exports_lifecycle
from sxp_stack.objectstore import ObjectStoreComponent
from sxp_stack.paths import StackPaths
from tests.support.pipeline import sxp

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def client(settings):
    return ObjectStoreComponent(settings, StackPaths(settings.home, settings.cache_path()),
                                lambda *_: None).client()


def test_stack_up_gave_the_exports_prefix_its_expiration(test_stack) -> None:
    rules = client(test_stack).get_bucket_lifecycle_configuration(
        Bucket=test_stack.s3_bucket)["Rules"]
    ours = [r for r in rules if r["ID"] == RULE_ID]
    assert ours[0]["Filter"]["Prefix"] == EXPORTS_PREFIX
    assert ours[0]["Expiration"]["Days"] == test_stack.retention_exports_days
    assert exports_lifecycle(test_stack) == {
        "prefix": EXPORTS_PREFIX, "expiration_days": test_stack.retention_exports_days}


def test_a_changed_age_is_applied_and_read_back_then_restored(test_stack) -> None:
    store = client(test_stack)
    try:
        assert apply_exports_lifecycle(store, test_stack.s3_bucket, 7) == {
            "prefix": EXPORTS_PREFIX, "expiration_days": 7}
        assert apply_exports_lifecycle(store, test_stack.s3_bucket, 0) == {
            "prefix": EXPORTS_PREFIX, "expiration_days": None}
    finally:
        apply_exports_lifecycle(store, test_stack.s3_bucket, test_stack.retention_exports_days)
    assert exports_lifecycle(test_stack)["expiration_days"] == test_stack.retention_exports_days


def test_stack_status_shows_the_exports_lifecycle(test_stack) -> None:
    status = json.loads(sxp("stack", "status", "--json").stdout)
    assert status["s3"]["exports_lifecycle"] == {
        "prefix": EXPORTS_PREFIX, "expiration_days": test_stack.retention_exports_days}
