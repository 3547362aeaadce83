"""Pure mapping between the labeling domain's decisions and records/rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.labeler.domain import TAXONOMY_VERSION, CardLabels, LabelDecision

DIMENSIONS = ("persona", "tribe", "industry", "execution_label")


def _label(decision: LabelDecision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "id": decision.id,
        "confidence": round(float(decision.confidence), 4),
        "evidence": list(decision.evidence),
    }


def labeled_record(card: dict[str, Any], labels: CardLabels, now: datetime) -> dict[str, Any]:
    """The sxp.leadcards.labeled.v1 record for a structured card and its labels."""
    record = {
        "lead_card_id": card["lead_card_id"],
        "profile_id": card["profile_id"],
        "profile_version": card["profile_version"],
        "job_id": card["job_id"],
        "readiness": labels.readiness,
        "platform": card["platform"],
        "base_confidence": card["base_confidence"],
        "audience_pool": labels.audience_pool,
        "taxonomy_version": TAXONOMY_VERSION,
        "labeled_at": now,
    }
    for dimension in DIMENSIONS:
        record[dimension] = _label(getattr(labels, dimension))
    return record


def label_row(record: dict[str, Any], model_version: str) -> dict[str, Any]:
    """The lead_cards column values for a labeled record, labeled by `model_version`."""
    row: dict[str, Any] = {
        "lead_card_id": record["lead_card_id"],
        "profile_version": record["profile_version"],
        "readiness": record["readiness"],
        "audience_pool": record["audience_pool"],
        "taxonomy_version": record["taxonomy_version"],
        "label_evidence": {**{d: (record[d] or {}).get("evidence", []) for d in DIMENSIONS},
                           "model_version": model_version},
    }
    for dimension in DIMENSIONS:
        label = record[dimension]
        row[dimension] = label["id"] if label else None
        row[f"{dimension}_confidence"] = label["confidence"] if label else None
    return row
