"""Card factory domain: follower tiers, audience pools, base confidence, structured cards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema
from fastavro.validation import validate

from services.card_factory.domain import (
    base_confidence,
    build_structured_card,
    counts_are_suspicious,
)
from sxp_common.audience_pool import audience_pool, follower_tier
from sxp_common.hashing import lead_card_id_for

pytestmark = pytest.mark.unit

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"

FULL_PROFILE: dict[str, Any] = {
    "username": "chef_maria",
    "display_name": "Maria Rossi",
    "bio": "Home cook sharing 15-minute pasta recipes from Naples, every single weekday. #foodtok",
    "category": "Digital creator",
    "external_url": "https://linktr.ee/chefmaria",
    "followers": 48_200,
    "following": 310,
    "posts": 412,
    "verified": True,
}


def raw_profile(**overrides: Any) -> dict[str, Any]:
    """A raw profile record (sxp.profiles.raw.v1 fields) with sensible values."""
    raw: dict[str, Any] = {
        "profile_id": "6f1c2a55-1111-5a2b-9c3d-0123456789ab",
        "identity_hash": "ab" * 32,
        "version": 3,
        "content_hash": "cd" * 32,
        "submission_id": "s-1",
        "job_id": "j-1",
        "platform": "tiktok",
        "profile_url": "https://www.tiktok.com/@chef_maria",
        "location": "Naples, Italy",
        "collected_at": None,
        "source": "file.jsonl:1",
        "contact_data_removed": False,
        **FULL_PROFILE,
    }
    raw.update(overrides)
    return raw


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (None, "nano"), (0, "nano"), (999, "nano"),
        (1_000, "micro"), (9_999, "micro"),
        (10_000, "mid"), (99_999, "mid"),
        (100_000, "macro"), (999_999, "macro"),
        (1_000_000, "mega"), (250_000_000, "mega"),
    ],
)
def test_follower_counts_fall_into_the_taxonomy_tiers_at_their_exact_boundaries(
    followers: int | None, tier: str
) -> None:
    assert follower_tier(followers) == tier


def test_an_audience_pool_names_platform_tribe_and_tier() -> None:
    assert audience_pool("tiktok", "fitness_wellness", 4_200) == "tiktok.fitness_wellness.micro"
    assert audience_pool("x", None, None) == "x.unassigned.nano"


def test_a_complete_verified_sane_profile_scores_the_full_weight_of_one() -> None:
    assert base_confidence(FULL_PROFILE) == 1.0


def test_an_empty_profile_scores_zero() -> None:
    assert base_confidence({"username": "someone"}) == 0.0


def test_base_confidence_stays_in_the_unit_interval_and_is_rounded_to_four_places() -> None:
    for profile in (FULL_PROFILE, {"bio": "a" * 7}, {"followers": 3, "posts": 1}, {}):
        score = base_confidence(profile)
        assert 0.0 <= score <= 1.0
        assert score == round(score, 4)


@pytest.mark.parametrize(
    "field", ["display_name", "category", "external_url", "followers", "posts", "following",
              "verified"],
)
def test_filling_in_any_one_field_never_lowers_base_confidence(field: str) -> None:
    without = {k: v for k, v in FULL_PROFILE.items() if k != field}
    assert base_confidence(FULL_PROFILE) > base_confidence(without)


def test_a_longer_bio_never_lowers_base_confidence() -> None:
    scores = [base_confidence({**FULL_PROFILE, "bio": "x" * n}) for n in (0, 10, 40, 79, 80, 300)]
    assert scores == sorted(scores)
    assert scores[-1] == scores[-2]  # the bio component saturates at 80 characters


def test_redacted_contact_placeholders_do_not_count_as_describable_bio() -> None:
    redacted = {**FULL_PROFILE, "bio": "[contact removed] [contact removed]"}
    empty = {**FULL_PROFILE, "bio": ""}
    assert base_confidence(redacted) == base_confidence(empty)


def test_a_display_name_that_only_repeats_the_username_adds_nothing() -> None:
    same = {**FULL_PROFILE, "display_name": "CHEF_MARIA"}
    none = {k: v for k, v in FULL_PROFILE.items() if k != "display_name"}
    assert base_confidence(same) == base_confidence(none)


def test_many_followers_with_zero_posts_is_suspicious_and_lowers_the_score() -> None:
    parked = {**FULL_PROFILE, "followers": 250_000, "posts": 0}
    assert counts_are_suspicious(250_000, 310, 0)
    assert base_confidence(parked) < base_confidence({**FULL_PROFILE, "posts": 1})


def test_follow_farming_counts_are_suspicious_but_a_small_account_following_a_few_is_not() -> None:
    assert counts_are_suspicious(followers=40, following=7_500, posts=12)
    assert not counts_are_suspicious(followers=40, following=300, posts=12)
    assert not counts_are_suspicious(followers=None, following=None, posts=None)


def test_booleans_and_strings_are_not_mistaken_for_counts() -> None:
    odd = {**FULL_PROFILE, "followers": True, "posts": "412"}
    assert base_confidence(odd) < base_confidence(FULL_PROFILE)


def test_a_structured_card_carries_exactly_the_fields_of_the_structured_schema() -> None:
    schema = json.loads((CONTRACTS / "sxp.leadcards.structured.v1.avsc").read_text())
    card = build_structured_card(raw_profile())
    assert list(card) == [field["name"] for field in schema["fields"]]
    assert validate(card, parse_schema(schema), raise_errors=True)


def test_a_structured_card_is_keyed_by_the_lead_card_id_of_its_profile() -> None:
    raw = raw_profile()
    card = build_structured_card(raw)
    assert card["lead_card_id"] == lead_card_id_for(raw["profile_id"])
    assert card["profile_id"] == raw["profile_id"]
    assert card["profile_version"] == 3
    assert card["content_hash"] == raw["content_hash"] and card["job_id"] == "j-1"


def test_a_new_structured_card_is_unlabeled_with_a_preliminary_pool() -> None:
    card = build_structured_card(raw_profile())
    assert card["readiness"] == "STRUCTURED"
    assert card["audience_pool"] == "tiktok.unassigned.mid"
    assert card["base_confidence"] == base_confidence(raw_profile())


def test_a_structured_card_copies_the_labelers_inputs_and_drops_tier1_only_fields() -> None:
    card = build_structured_card(raw_profile())
    for field in ("platform", "username", "display_name", "bio", "followers", "following",
                  "posts", "verified", "external_url", "category", "location"):
        assert card[field] == raw_profile()[field]
    for tier1_only in ("identity_hash", "submission_id", "profile_url", "source"):
        assert tier1_only not in card


def test_a_sparse_raw_profile_still_makes_a_valid_card() -> None:
    schema = json.loads((CONTRACTS / "sxp.leadcards.structured.v1.avsc").read_text())
    sparse = {"profile_id": "p-1", "version": 1, "content_hash": "h", "job_id": "j",
              "platform": "x", "username": "someone"}
    card = build_structured_card(sparse)
    assert validate(card, parse_schema(schema), raise_errors=True)
    assert card["audience_pool"] == "x.unassigned.nano" and card["verified"] is False
