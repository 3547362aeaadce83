"""Ingest domain: validation reason codes, handle rules, redaction before hashing, batches."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.ingest.domain import (
    REASON_CODES,
    CleanProfile,
    Rejection,
    partition_key,
    precedence,
    to_raw_record,
    validate_submission,
)
from sxp_common.hashing import (
    content_hash,
    identity_hash,
    lead_card_id_for,
    profile_id_for,
    sha256_hex,
)
from sxp_common.redaction import REDACTION_TOKEN, contains_contact_data

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
RAW_SCHEMA = Path(__file__).resolve().parents[2] / "contracts" / "sxp.profiles.raw.v1.avsc"


def submission(**overrides: Any) -> dict[str, Any]:
    """A valid submitted row; keyword arguments replace fields."""
    row: dict[str, Any] = {
        "submission_id": "sub-1", "job_id": "job-1", "source": "profiles.jsonl:1",
        "submitted_at": NOW, "platform": "tiktok", "username": "maria.lopez",
        "display_name": "María López", "bio": "Realtor in Austin 🏡 | first-time buyers",
        "followers": 12_400, "following": 310, "posts": 220, "verified": None,
        "profile_url": "https://www.tiktok.com/@maria.lopez",
        "external_url": "https://linktr.ee/maria.lopez", "category": "Real estate agent",
        "location": "Austin, TX", "collected_at": "2026-11-01T10:00:00Z",
    }
    row.update(overrides)
    return row


def accepted(**overrides: Any) -> CleanProfile:
    """validate_submission's result, asserted to be a CleanProfile."""
    result = validate_submission(submission(**overrides), NOW)
    assert isinstance(result, CleanProfile), result
    return result


def rejected(**overrides: Any) -> Rejection:
    """validate_submission's result, asserted to be a Rejection."""
    result = validate_submission(submission(**overrides), NOW)
    assert isinstance(result, Rejection), result
    return result


REASON_CASES = [
    ("missing_platform", {"platform": None}),
    ("missing_platform", {"platform": "  "}),
    ("unknown_platform", {"platform": "instagram"}),
    ("missing_username", {"username": None}),
    ("missing_username", {"username": "   "}),
    ("invalid_username", {"username": "maria lopez"}),
    ("invalid_username", {"username": "https://[tiktok.com/@maria"}),
    ("invalid_username", {"username": "m" * 5000}),
    ("field_too_long", {"bio": "x" * 1001}),
    ("field_too_long", {"display_name": "x" * 101}),
    ("field_too_long", {"location": "x" * 201}),
    ("field_too_long", {"category": "x" * 101}),
    ("field_too_long", {"external_url": "https://a.io/" + "x" * 2040}),
    ("negative_count", {"followers": -1}),
    ("negative_count", {"posts": -30}),
    ("implausible_count", {"following": 5_000_000_001}),
    ("implausible_count", {"followers": "lots"}),
    ("invalid_timestamp", {"collected_at": "yesterday"}),
    ("invalid_timestamp", {"collected_at": "2026-02-30T10:00:00Z"}),
    ("invalid_timestamp", {"collected_at": "0001-01-01T00:00:00+05:00"}),
    ("future_timestamp", {"collected_at": "2026-11-22T12:11:00Z"}),
    ("invalid_url", {"external_url": "ftp://files.example.com/menu.pdf"}),
    ("invalid_url", {"profile_url": "http://"}),
    ("invalid_url", {"external_url": "https://exa mple.com"}),
    ("invalid_url", {"external_url": "not a link at all"}),
]


@pytest.mark.parametrize(("code", "overrides"), REASON_CASES)
def test_each_reason_code_is_reachable_with_a_one_line_detail(code: str, overrides: dict) -> None:
    result = rejected(**overrides)
    assert result.reason_code == code
    assert result.detail and "\n" not in result.detail


def test_the_documented_reason_codes_are_exactly_the_reachable_ones() -> None:
    assert set(REASON_CODES) == {code for code, _ in REASON_CASES}
    assert len(REASON_CODES) == 10


def test_a_rejection_detail_never_echoes_contact_data() -> None:
    details = [
        rejected(username="maria.lopez@gmail.com").detail,
        rejected(platform="call +1 512-555-0199").detail,
        rejected(collected_at="ring 0176 12345678").detail,
        rejected(username="wa.me/15125550199").detail,
    ]
    assert all(not contains_contact_data(d) for d in details), details


def test_ten_minutes_of_clock_skew_is_tolerated() -> None:
    assert accepted(collected_at="2026-11-22T12:09:59Z").collected_at == NOW + timedelta(
        minutes=9, seconds=59)


@pytest.mark.parametrize(
    ("platform", "expected"),
    [("TikTok", "tiktok"), (" THREADS ", "threads"), ("x", "x"), ("Twitter", "x")],
)
def test_platforms_are_accepted_case_insensitively_with_twitter_as_x(platform: str,
                                                                       expected: str) -> None:
    assert accepted(platform=platform, username="maria_l").platform == expected


@pytest.mark.parametrize(
    ("platform", "username", "ok"),
    [
        ("tiktok", "ab", True), ("tiktok", "a", False), ("tiktok", "a" * 24, True),
        ("tiktok", "a" * 25, False), ("tiktok", "maria.lopez_", True), ("tiktok", "maria.", False),
        ("tiktok", "maria-lopez", False), ("tiktok", ".maria", True),
        ("x", "m", True), ("x", "a" * 15, True), ("x", "a" * 16, False), ("x", "maria_99", True),
        ("x", "maria.lopez", False),
        ("threads", "m", True), ("threads", "a" * 30, True), ("threads", "a" * 31, False),
        ("threads", "maria.lopez", True), ("threads", ".maria", False),
        ("threads", "maria.", False), ("threads", "maria..lopez", False),
        ("threads", "maría", False),
    ],
)
def test_usernames_follow_each_platforms_rules(platform: str, username: str, ok: bool) -> None:
    result = validate_submission(submission(platform=platform, username=username), NOW)
    if ok:
        assert isinstance(result, CleanProfile) and result.username == username
    else:
        assert isinstance(result, Rejection) and result.reason_code == "invalid_username"


@pytest.mark.parametrize(
    ("platform", "raw", "handle"),
    [
        ("tiktok", "  @Maria.Lopez ", "maria.lopez"),
        ("x", "@JaneDoeDev", "janedoedev"),
        ("tiktok", "https://www.tiktok.com/@Maria.Lopez?lang=en", "maria.lopez"),
        ("tiktok", "tiktok.com/@maria.lopez/video/7301", "maria.lopez"),
        ("x", "https://twitter.com/JaneDoeDev", "janedoedev"),
        ("x", "https://x.com/janedoedev/status/1", "janedoedev"),
        ("threads", "https://www.threads.net/@maria.lopez", "maria.lopez"),
        ("threads", "www.threads.com/@Maria.Lopez/", "maria.lopez"),
    ],
)
def test_handles_are_normalized_and_extracted_from_profile_urls(platform: str, raw: str,
                                                                handle: str) -> None:
    assert accepted(platform=platform, username=raw).username == handle


def test_a_profile_url_of_another_site_is_an_invalid_username() -> None:
    assert rejected(username="https://www.instagram.com/maria.lopez").reason_code == (
        "invalid_username")
    assert rejected(platform="x", username="https://www.tiktok.com/@maria").reason_code == (
        "invalid_username")
    assert rejected(platform="x", username="https://x.com/home").reason_code == "invalid_username"


def test_identity_and_ids_are_derived_from_platform_and_normalized_handle() -> None:
    profile = accepted(username="@Maria.Lopez")
    assert profile.identity_hash == sha256_hex("tiktok:maria.lopez") == identity_hash(
        "tiktok", "maria.lopez")
    assert profile.profile_id == profile_id_for(profile.identity_hash)
    assert lead_card_id_for(profile.profile_id) != profile.profile_id
    assert accepted(platform="x", username="maria_l").profile_id != accepted(
        platform="threads", username="maria_l").profile_id


def test_content_hash_is_stable_under_recollection_and_changed_by_a_bio_change() -> None:
    first = accepted()
    again = accepted(submission_id="sub-2", job_id="job-2", source="other.csv:9",
                     collected_at="2026-11-20T08:00:00Z", username="@MARIA.LOPEZ")
    edited = accepted(bio="Realtor in Austin 🏡 | luxury homes")
    recount = accepted(followers=12_401)
    assert again.content_hash == first.content_hash
    assert again.profile_id == first.profile_id
    assert edited.content_hash != first.content_hash
    assert recount.content_hash != first.content_hash


def test_content_hash_ignores_key_order() -> None:
    assert content_hash({"a": 1, "b": "é"}) == content_hash({"b": "é", "a": 1})


def test_every_text_field_is_redacted_before_hashing_and_the_flag_is_set() -> None:
    profile = accepted(
        display_name="Maria 📞 512-555-0199", bio="DM or maria(at)gmail(dot)com",
        location="Austin ☎️ +1 512 555 0199", category="Realtor, call 512.555.0199",
        external_url="https://wa.me/15125550199",
    )
    texts = [profile.display_name, profile.bio, profile.location, profile.category]
    assert all(REDACTION_TOKEN in (t or "") for t in texts)
    assert profile.external_url is None and profile.contact_data_removed
    clean = accepted(display_name="Maria", bio="DM or", location="Austin", category="Realtor",
                     external_url=None)
    assert profile.content_hash != clean.content_hash
    assert not any(contains_contact_data(v) for v in dataclasses.astuple(profile)
                   if isinstance(v, str))


@pytest.mark.parametrize("url", ["mailto:maria@gmail.com", "tel:+15125550199",
                                 "https://api.whatsapp.com/send?phone=15125550199"])
def test_a_contact_link_as_external_url_becomes_none(url: str) -> None:
    profile = accepted(external_url=url)
    assert profile.external_url is None and profile.contact_data_removed


def test_a_clean_profile_keeps_its_fields_and_is_not_flagged() -> None:
    profile = accepted(verified=True, collected_at="2026-11-01T11:00:00+01:00")
    assert (profile.display_name, profile.followers, profile.verified) == ("María López", 12_400,
                                                                          True)
    assert profile.collected_at == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    assert not profile.contact_data_removed


def test_missing_optional_fields_become_none_and_verified_defaults_to_false() -> None:
    minimal = {"submission_id": "s", "job_id": "j", "source": "f:1", "submitted_at": NOW,
               "platform": "x", "username": "ana"}
    profile = validate_submission(minimal, NOW)
    assert isinstance(profile, CleanProfile)
    assert (profile.bio, profile.followers, profile.collected_at, profile.verified) == (
        None, None, None, False)


def test_to_raw_record_carries_exactly_the_raw_schema_fields() -> None:
    schema = json.loads(RAW_SCHEMA.read_text(encoding="utf-8"))
    record = to_raw_record(accepted(), version=3)
    assert list(record) == [field["name"] for field in schema["fields"]]
    assert record["version"] == 3 and record["platform"] == "tiktok"
    assert record["collected_at"] == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def test_precedence_is_decided_by_the_data_not_by_arrival() -> None:
    old = accepted(submission_id="a", collected_at="2026-11-01T10:00:00Z")
    new = accepted(submission_id="c", collected_at="2026-11-05T10:00:00Z", bio="new bio")
    undated = accepted(submission_id="d", collected_at=None, bio="undated bio")
    tie = accepted(submission_id="e", collected_at="2026-11-05T10:00:00Z", bio="other bio")
    ranked = sorted([new, tie, undated, old], key=lambda p: precedence(p.collected_at,
                                                                       p.content_hash))
    assert ranked[:2] == [undated, old]
    assert ranked[2:] == sorted([new, tie], key=lambda p: p.content_hash)
    assert precedence(old.collected_at, old.content_hash) == precedence(
        accepted(submission_id="b").collected_at, accepted(submission_id="b").content_hash)


def test_partition_key_is_the_identity_ingest_will_derive() -> None:
    key = partition_key("tiktok", "maria.lopez")
    assert key == "tiktok:maria.lopez"
    assert partition_key("TikTok", "https://www.tiktok.com/@Maria.Lopez?lang=en") == key
    assert partition_key("Twitter", "@JaneDoeDev") == partition_key("x", "https://x.com/janedoedev")
    assert partition_key("myspace", "ana") is None and partition_key("x", "a b") is None


def test_a_link_without_a_scheme_is_kept_as_https() -> None:
    result = validate_submission(submission(external_url="linktr.ee/maria"), NOW)
    assert isinstance(result, CleanProfile)
    assert result.external_url == "https://linktr.ee/maria"
