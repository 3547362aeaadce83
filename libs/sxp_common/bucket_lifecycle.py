"""The exports prefix's lifecycle rule (S3 PutBucketLifecycleConfiguration): exported Lead
Card Batch files expire after SXP_RETENTION_EXPORTS_DAYS. Applied where the bucket is made
(`sxp stack up`) and where it is written (exporter startup); read back for `sxp stack status`.

The rule is the bucket's whole lifecycle configuration: the bucket is the project's own."""

from __future__ import annotations

import math
from typing import Any

EXPORTS_PREFIX = "exports/"
RULE_ID = "sxp-exports-expire"


def exports_rules(days: float) -> list[dict[str, Any]]:
    """The lifecycle rules for an exports age in days; none (kept forever) for 0 or less.
    S3 counts whole days, so a fraction rounds up (an object is never expired early)."""
    if days <= 0:
        return []
    return [{"ID": RULE_ID, "Status": "Enabled", "Filter": {"Prefix": EXPORTS_PREFIX},
             "Expiration": {"Days": max(1, math.ceil(days))}}]


def exports_expiration(rules: list[dict[str, Any]]) -> int | None:
    """The expiration in days of the exports rule among a bucket's rules (None: no rule)."""
    for rule in rules:
        prefix = (rule.get("Filter") or {}).get("Prefix", rule.get("Prefix"))
        if rule.get("ID") == RULE_ID and prefix == EXPORTS_PREFIX \
                and rule.get("Status") == "Enabled":
            days = (rule.get("Expiration") or {}).get("Days")
            return int(days) if days is not None else None
    return None


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code") or type(exc).__name__)


def apply_exports_lifecycle(client: Any, bucket: str, days: float) -> dict[str, Any]:
    """Put the rule (or, for forever, remove the configuration) and read it back: the state
    as `lifecycle_status` reports it, with `refused` and the store's error code when the
    store does not take it (the caller goes on: exports still work without expiry)."""
    rules = exports_rules(days)
    try:
        if rules:
            client.put_bucket_lifecycle_configuration(
                Bucket=bucket, LifecycleConfiguration={"Rules": rules})
        else:
            client.delete_bucket_lifecycle(Bucket=bucket)
    except Exception as exc:  # noqa: BLE001 - any store error is reported, not fatal
        return {"prefix": EXPORTS_PREFIX, "expiration_days": None, "refused": _error_code(exc)}
    return lifecycle_status(client, bucket)


def lifecycle_status(client: Any, bucket: str) -> dict[str, Any]:
    """What the store says about the exports prefix: its expiration in days (None: kept
    forever), or `refused` with the error code when it cannot say."""
    try:
        rules = client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    except Exception as exc:  # noqa: BLE001
        code = _error_code(exc)
        if code == "NoSuchLifecycleConfiguration":
            return {"prefix": EXPORTS_PREFIX, "expiration_days": None}
        return {"prefix": EXPORTS_PREFIX, "expiration_days": None, "refused": code}
    return {"prefix": EXPORTS_PREFIX, "expiration_days": exports_expiration(rules)}
