"""`sxp preview`: the services' own domain code run offline on a file, one JSON line per input."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.card_factory.domain import build_structured_card
from services.ingest.domain import Rejection, to_raw_record, validate_submission
from services.labeler.domain import label_card
from services.labeler.records import labeled_record
from services.labeler.version import model_version
from sxp_cli.reader import read_rows

PREVIEW_JOB = "00000000-0000-0000-0000-000000000000"


def preview_row(fields: dict[str, Any], line: int, source: str, now: datetime,
                rules_dir: Path | None = None) -> dict[str, Any]:
    """Validate, redact, structure and label one input row exactly as the pipeline would (a
    labeler started with SXP_LABELER_RULES_DIR=`rules_dir`)."""
    submission = dict(fields)
    submission.update(
        submission_id=str(uuid.uuid5(uuid.UUID(PREVIEW_JOB), str(line))),
        job_id=PREVIEW_JOB,
        source=f"{source}:{line}",
        submitted_at=now,
    )
    result = validate_submission(submission, now)
    if isinstance(result, Rejection):
        return {"line": line,
                "rejected": {"reason_code": result.reason_code, "detail": result.detail}}
    raw = to_raw_record(result, 1)
    card = build_structured_card(raw)
    labeled = labeled_record(card, label_card(card, rules_dir), now)
    lead_card = {
        key: labeled[key]
        for key in ("lead_card_id", "profile_id", "readiness", "platform", "base_confidence",
                    "audience_pool", "persona", "tribe", "industry", "execution_label")
    }
    lead_card["label_model_version"] = model_version(rules_dir)
    lead_card["username"] = raw["username"]
    lead_card["display_name"] = raw["display_name"]
    lead_card["bio"] = raw["bio"]
    lead_card["contact_data_removed"] = raw["contact_data_removed"]
    return {"line": line, "lead_card": lead_card}


def preview_file(path: Path, platform: str | None = None,
                 rules_dir: Path | None = None) -> Iterator[dict[str, Any]]:
    """One result per input row: the lead card, the rejection, or why the row is unreadable
    (labeled with the rule tables of `rules_dir` over the packaged ones)."""
    now = datetime.now(UTC)
    for row in read_rows(path, platform):
        if row.fields is None:
            yield {"line": row.line, "rejected": {"reason_code": "unreadable", "detail": row.error}}
        else:
            yield preview_row(row.fields, row.line, path.name, now, rules_dir)
