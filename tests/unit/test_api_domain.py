"""The API's pure rules: cursors, the rate limit, request bodies, pools, keys, its contract."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from services.api import domain
from sxp_common import api_keys

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]


def test_a_cursor_resumes_after_its_id_only_for_the_filters_it_was_made_for() -> None:
    card = str(uuid.uuid4())
    digest = domain.filters_digest({"platform": "x", "tribe": None})
    cursor = domain.encode_cursor(card, digest)
    assert domain.decode_cursor(cursor, digest) == card
    assert domain.filters_digest({"platform": "x"}) == digest  # an unset filter is no filter
    with pytest.raises(domain.BadRequest, match="other filters"):
        domain.decode_cursor(cursor, domain.filters_digest({"platform": "tiktok"}))


@pytest.mark.parametrize("cursor", ["", "x", "!!!", "WyJjMSIsIm5vIl0", "bnVsbA"])
def test_a_cursor_this_api_did_not_make_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(domain.BadRequest):
        domain.decode_cursor(cursor, "d")


def test_the_rate_limit_allows_a_burst_then_asks_to_wait_until_a_token_refills() -> None:
    now = [100.0]
    limiter = domain.RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.retry_after("k") for _ in range(3)] == [0, 0, 0]
    assert limiter.retry_after("k") == 1
    assert limiter.retry_after("other") == 0  # per key
    now[0] += 0.5
    assert limiter.retry_after("k") == 0


def test_profiles_are_typed_as_sxp_publish_types_them_and_bad_rows_are_refused() -> None:
    body = b'{"platform": "x", "username": "ana", "followers": "1,200"}\n\nnot json\n[1]\n' \
           b'{"platform": "x", "username": "bo", "verified": "maybe"}\n'
    parsed = domain.parse_profiles(body, ndjson=True, max_profiles=10)
    assert [(line, row["followers"]) for line, row in parsed.rows] == [(1, 1200)]
    assert [r["line"] for r in parsed.refused] == [3, 4, 5]
    assert "verified must be true or false" in parsed.refused[2]["reason"]
    array = domain.parse_profiles(b'[{"platform": "x", "username": "ana"}, 7]', False, 10)
    assert len(array.rows) == 1 and array.refused == [{"line": 2, "reason": "not a JSON object"}]


@pytest.mark.parametrize("body", [b"{", b'{"platform": "x"}', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_array_is_a_bad_request(body: bytes) -> None:
    with pytest.raises(domain.BadRequest):
        domain.parse_profiles(body, ndjson=False, max_profiles=10)


def test_a_count_too_big_for_the_contract_is_refused_with_the_row_not_sent() -> None:
    parsed = domain.parse_profiles(b'[{"platform": "x", "username": "a", "followers": '
                                   b'-255738031433986092507535033023443501056}]', False, 10)
    assert parsed.rows == [] and parsed.refused == [{"line": 1,
                                                     "reason": "followers is out of range"}]


def test_more_profiles_than_allowed_is_too_large() -> None:
    with pytest.raises(domain.TooLarge):
        domain.parse_profiles(b"[{}, {}, {}]", ndjson=False, max_profiles=2)


def test_pools_are_counted_per_platform_tribe_and_follower_tier() -> None:
    counts = domain.pool_counts([("x.fitness.nano", 3), ("tiktok.fitness.mega", 2),
                                 ("x.unassigned.nano", 1)])
    assert counts["total"] == 6
    assert counts["by_platform"] == {"tiktok": 2, "x": 4}
    assert counts["by_tribe"] == {"fitness": 5, "unassigned": 1}
    assert counts["by_follower_tier"] == {"mega": 2, "nano": 4}


def test_a_job_drains_once_ingest_saw_every_row_and_every_profile_is_labeled() -> None:
    assert domain.job_drained(10, 10, 0)
    assert not domain.job_drained(10, 9, 0)
    assert not domain.job_drained(10, 10, 1)
    assert not domain.job_drained(None, 10, 0)  # the publisher's count is not known yet


def test_keys_are_random_stored_as_sha256_and_scopes_are_checked() -> None:
    first, second = api_keys.new_key(), api_keys.new_key()
    assert first != second and first.startswith("sxp_") and len(first) > 40
    assert api_keys.key_hash(first) != first and len(api_keys.key_hash(first)) == 64
    assert api_keys.check_scopes(["READ", "ingest", "read"]) == ("ingest", "read")
    with pytest.raises(ValueError, match="superuser"):
        api_keys.check_scopes(["superuser"])
    reader = api_keys.ApiKey("k", "", ("read",))
    assert reader.allows("read") and not reader.allows("read:contacts")
    assert api_keys.ApiKey("k", "", ("admin",)).allows("read:contacts")


def test_the_committed_openapi_document_is_the_one_the_code_generates() -> None:
    from services.api.openapi import document, render

    committed = (ROOT / "contracts" / "http" / "sxp-api.v1.json").read_text()
    assert render(document()) == committed, \
        "regenerate: python -m services.api.openapi > contracts/http/sxp-api.v1.json"
    paths = json.loads(committed)["paths"]
    assert {p for p in paths if p.startswith("/v1/")} >= {
        "/v1/profiles", "/v1/jobs/{job_id}", "/v1/lead-cards", "/v1/lead-cards/{card_id}",
        "/v1/audience-pools", "/v1/enrichment-requests", "/v1/enrichment-requests/{request_id}",
        "/v1/lead-batches", "/v1/lead-batches/{batch_id}", "/v1/lead-batches/{batch_id}/resend"}
