"""One representative record per topic, used for round-trips and golden files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PROFILE_ID = "6f1c2a55-1111-5a2b-9c3d-0123456789ab"
CARD_ID = "7a2d3b66-2222-5b3c-8d4e-0123456789ab"
LABEL = {"id": "creator", "confidence": 0.82, "evidence": ["bio:'creator'"]}

SAMPLES: dict[str, dict[str, Any]] = {
    "sxp.profiles.submitted.v1": {
        "submission_id": "s-1", "job_id": "j-1", "source": "file.jsonl:1", "submitted_at": T0,
        "platform": "tiktok", "username": "chef_maria", "display_name": "Maria 🍝",
        "bio": "Home cook sharing 15-min pasta #foodtok", "followers": 48200, "following": 310,
        "posts": 412, "verified": False, "profile_url": "https://www.tiktok.com/@chef_maria",
        "external_url": "https://linktr.ee/chefmaria", "category": "Digital creator",
        "location": "Naples, Italy", "collected_at": "2026-10-30T09:00:00Z",
    },
    "sxp.profiles.rejected.v1": {
        "submission_id": "s-2", "job_id": "j-1", "source": "file.jsonl:2",
        "reason_code": "negative_count", "detail": "followers is negative",
        "platform": "x", "username": "bob", "rejected_at": T0,
    },
    "sxp.profiles.raw.v1": {
        "profile_id": PROFILE_ID, "identity_hash": "ab" * 32, "version": 1,
        "content_hash": "cd" * 32, "submission_id": "s-1", "job_id": "j-1",
        "platform": "tiktok", "username": "chef_maria", "display_name": "Maria 🍝",
        "bio": "Home cook [contact removed]", "followers": 48200, "following": 310, "posts": 412,
        "verified": False, "profile_url": None, "external_url": None, "category": None,
        "location": None, "collected_at": T0, "source": "file.jsonl:1",
        "contact_data_removed": True,
    },
    "sxp.leadcards.structured.v1": {
        "lead_card_id": CARD_ID, "profile_id": PROFILE_ID, "profile_version": 1,
        "content_hash": "cd" * 32, "job_id": "j-1", "readiness": "STRUCTURED",
        "base_confidence": 0.71, "audience_pool": "tiktok.unassigned.mid", "platform": "tiktok",
        "username": "chef_maria", "display_name": "Maria", "bio": "Home cook", "followers": 48200,
        "following": 310, "posts": 412, "verified": False, "external_url": None,
        "category": None, "location": None,
    },
    "sxp.leadcards.labeled.v1": {
        "lead_card_id": CARD_ID, "profile_id": PROFILE_ID, "profile_version": 1, "job_id": "j-1",
        "readiness": "LABELED", "platform": "tiktok", "base_confidence": 0.71,
        "audience_pool": "tiktok.food_hospitality.mid", "taxonomy_version": "v1",
        "persona": LABEL, "tribe": {**LABEL, "id": "food_hospitality"}, "industry": None,
        "execution_label": {**LABEL, "id": "AFFILIATE"}, "labeled_at": T0,
    },
    "sxp.deadletter.v1": {
        "service": "ingest", "source_topic": "sxp.profiles.submitted.v1", "source_partition": 3,
        "source_offset": 42, "key": b"k", "value": b"\x00garbage", "reason_code": "not_avro",
        "detail": "missing the Avro single-object marker", "failed_at": T0,
    },
    "sxp.audit.v1": {
        "event_id": "e" * 32, "event_type": "profiles_published", "occurred_at": T0,
        "actor": {"kind": "cli", "name": "ana", "instance": "laptop"}, "batch_id": "j-1",
        "lead_card_ids": [], "lead_card_count": 0, "lead_card_ref": None, "schema_version": "v1",
        "outcome": "ok", "reason": None, "provider": None, "cost_usd": None,
        "checksum": "ab" * 32, "details": {"rows": "300"}, "trace_id": None,
    },
    "sxp.enrichment.commands.v1": {
        "request_id": "r-1", "labels": ["PARTNER", "AFFILIATE"], "min_confidence": 0.6,
        "limit": 1000, "budget_usd": 50.0,
        "requested_by": {"kind": "cli", "name": "ana", "instance": "laptop"}, "requested_at": T0,
        "retry_failed": True, "kind": "DRY_RUN", "older_than_s": None,
        "audience_id": "0b9a3c1e-6666-5f70-8a81-0123456789ab", "top": 50,
    },
    "sxp.enrichment.requested.v1": {
        "batch_id": "b-1", "request_id": "r-1", "created_at": T0, "reserved_usd": 0.45,
        "providers": ["apollo", "skiptrace"],
        "items": [{
            "lead_card_id": CARD_ID, "execution_label": "PARTNER", "routes": ["apollo"],
            "first_name": "Maria", "last_name": "Lopez", "full_name": "Maria Lopez",
            "organization_name": "Lopez Realty", "domain": "lopezrealty.com", "city": "Austin",
            "state": "TX", "country": "US",
        }],
    },
    "sxp.enrichment.completed.v1": {
        "batch_id": "b-1", "request_id": "r-1", "completed_at": T0, "status": "completed",
        "reserved_usd": 0.45, "settled_usd": 0.05,
        "results": [{
            "lead_card_id": CARD_ID, "status": "ENRICHED", "contact_id": PROFILE_ID,
            "business_id": None, "matched_provider": "apollo", "providers_tried": ["apollo"],
            "cost_usd": 0.05,
        }],
    },
    "sxp.lead-batch.v1": {
        "batch_id": "3f0b7e2a-5555-5e6f-9a71-0123456789ab", "schema_version": "v1",
        "created_at": T0,
        "producer": {"name": "sxp-exporter", "instance": "exporter-1"}, "count": 1,
        "checksum": "eadfd6e43926d121e2a3552ce1eb95140fb192c4b3224051fefb11d81b3ff431",
        "cards": [{
            "lead_card_id": CARD_ID, "platform": "tiktok", "username": "chef_maria",
            "readiness": "ENRICHED", "enrichment_status": "ENRICHED",
            "audience_pool": "tiktok.food_hospitality.mid", "base_confidence": 0.71,
            "labels": {"taxonomy_version": "v1", "persona": LABEL,
                       "tribe": {**LABEL, "id": "food_hospitality"}, "industry": None,
                       "execution_label": {**LABEL, "id": "AFFILIATE"}},
            "labeled_at": "2026-11-01T12:00:00.000Z",
            "lineage": {"profile_id": PROFILE_ID, "profile_version": 1, "content_hash": "cd" * 32,
                        "job_id": "j-1", "contact_id": "8b3e4c77-3333-5c4d-9e5f-0123456789ab",
                        "business_id": "9c4f5d88-4444-5d5e-8f60-0123456789ab"},
            "contact": {
                "contact_id": "8b3e4c77-3333-5c4d-9e5f-0123456789ab", "full_name": "Maria Lopez",
                "title": "Owner", "email": "maria@example.com", "email_status": "verified",
                "phone": "+1 512-555-0142", "phone_type": "mobile", "do_not_call": False,
                "linkedin_url": None, "city": "Austin", "state": "TX", "country": "US",
            },
            "business": {"business_id": "9c4f5d88-4444-5d5e-8f60-0123456789ab",
                         "name": "Lopez Kitchen", "domain": "lopezkitchen.example",
                         "industry": "hospitality_food", "phone": None},
            "revision": 3,
        }],
        "audience_id": "0b9a3c1e-6666-5f70-8a81-0123456789ab", "criteria_hash": "ef" * 32,
    },
    "sxp.export.commands.v1": {
        "command_id": "5d1c3f7e-1111-4b2a-9c3d-0123456789ab", "transport": "queue",
        "resend_batch_id": None,
        "requested_by": {"kind": "cli", "name": "ops", "instance": "laptop"}, "requested_at": T0,
        "audience_id": "0b9a3c1e-6666-5f70-8a81-0123456789ab",
    },
    "sxp.compliance.commands.v1": {
        "request_id": "6e2d4a8f-2222-4c3b-8d4e-0123456789ab", "kind": "FORGET",
        "identity_hash": "ab" * 32,
        "requested_by": {"kind": "cli", "name": "dpo", "instance": "laptop"}, "requested_at": T0,
        "dry_run": False,
    },
    "sxp.erasures.v1": {
        "erasure_id": "6e2d4a8f-2222-4c3b-8d4e-0123456789ab", "subject_hash": "cd" * 32,
        "lead_card_ids": ["1f2e3d4c-5555-5b6a-9c8d-0123456789ab"], "erased_at": T0,
    },
    "sxp.audience.commands.v1": {
        "request_id": "7f3e5b9a-3333-4d4c-9e5f-0123456789ab", "action": "CREATE",
        "name": "fitness-tiktok-mid", "description": "Fitness creators on TikTok, 10k-100k",
        "criteria_json": '{"all": [{"platform": "tiktok"}, {"tribe": "fitness_wellness"}, '
                         '{"followers": {"min": 10000, "max": 100000}}]}',
        "scorer": None, "top": None, "requested_by": "cli:ops@laptop", "requested_at": T0,
    },
}
