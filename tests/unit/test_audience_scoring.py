"""The default qualification scorer and the qualification cache key."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sxp_common.audience_criteria import parse_criteria
from sxp_common.audience_scoring import (
    MemberFacts,
    default_score,
    qualification_cache_key,
    selected_labels,
)

pytestmark = pytest.mark.unit

FITNESS = parse_criteria({"platform": "tiktok", "persona": "creator", "tribe": "fitness_wellness",
                          "followers": {"min": 10_000, "max": 100_000}})
CREATOR = MemberFacts(persona="creator", persona_confidence=0.9, tribe="fitness_wellness",
                      tribe_confidence=0.7, execution_label="AFFILIATE",
                      execution_label_confidence=0.8, followers=45_000, posts=500)


def test_a_worked_example_scores_as_documented() -> None:
    result = default_score(CREATOR, FITNESS)
    # labels (0.9 + 0.7) / 2 = 0.8; followers inside the range 1.0; 500 posts 1.0
    assert result.score == round(0.5 * 0.8 + 0.3 * 1.0 + 0.2 * 1.0, 4) == 0.9
    assert result.reasons == ("label confidence 0.80 (persona 0.90, tribe 0.70)",
                              "followers 45000 against 10000-100000: 1.00", "posts 500: 1.00")
    assert result.scorer == "default-v1"


def test_the_same_member_scores_the_same_every_time() -> None:
    assert {default_score(CREATOR, FITNESS) for _ in range(5)} == {default_score(CREATOR, FITNESS)}


def test_labels_the_criteria_name_are_the_ones_that_count() -> None:
    assert selected_labels(FITNESS) == ("persona", "tribe")
    assert selected_labels(parse_criteria({"min_confidence": {"industry": 0.4}})) == ("industry",)
    no_labels = parse_criteria({"platform": "tiktok"})
    assert selected_labels(no_labels) == ()
    assert default_score(CREATOR, no_labels).reasons[0] == \
        "label confidence 0.75 (execution_label 0.80, tribe 0.70)"


def test_an_undecided_label_counts_zero() -> None:
    undecided = replace(CREATOR, persona=None)
    assert default_score(undecided, FITNESS).score < default_score(CREATOR, FITNESS).score
    assert "persona 0.00" in default_score(undecided, FITNESS).reasons[0]


def test_followers_outside_the_range_fit_less_the_further_they_are() -> None:
    near, far = replace(CREATOR, followers=150_000), replace(CREATOR, followers=5_000_000)
    scores = [default_score(f, FITNESS).score for f in (CREATOR, near, far)]
    assert scores[0] > scores[1] > scores[2]
    assert default_score(replace(CREATOR, followers=None), FITNESS).reasons[1] == \
        "followers unknown: 0"


def test_without_a_range_the_tier_decides_the_follower_fit() -> None:
    criteria = parse_criteria({"persona": "creator"})
    by_tier = {n: default_score(replace(CREATOR, followers=n), criteria).score
               for n in (500, 5_000, 50_000, 500_000, 5_000_000)}
    assert by_tier[50_000] == max(by_tier.values())
    assert by_tier[500] == min(by_tier.values())


def test_more_posts_mean_more_activity_up_to_full() -> None:
    scores = [default_score(replace(CREATOR, posts=n), FITNESS).score
              for n in (None, 0, 10, 100, 500, 50_000)]
    assert scores == sorted(scores) and scores[-1] == scores[-2]


CONFIDENCE = st.one_of(st.none(), st.floats(min_value=0, max_value=1))
COUNT = st.one_of(st.none(), st.integers(min_value=0, max_value=10**10))
FACTS = st.builds(MemberFacts, persona=st.sampled_from([None, "creator"]),
                  persona_confidence=CONFIDENCE, tribe=st.sampled_from([None, "sports"]),
                  tribe_confidence=CONFIDENCE, execution_label=st.sampled_from([None, "USER"]),
                  execution_label_confidence=CONFIDENCE, followers=COUNT, posts=COUNT)


@settings(max_examples=300, deadline=None)
@given(FACTS)
def test_every_score_is_in_zero_to_one_with_three_reasons(facts: MemberFacts) -> None:
    for criteria in (FITNESS, parse_criteria({"not": {"followers": {"max": 999}}})):
        result = default_score(facts, criteria)
        assert 0.0 <= result.score <= 1.0 and len(result.reasons) == 3


def test_the_cache_key_moves_with_each_of_its_four_parts_and_only_them() -> None:
    parts = ("aud-1", "card-1", "a" * 64, "b" * 64)
    key = qualification_cache_key(*parts)
    assert key == qualification_cache_key(*parts) and len(key) == 64
    changed = {qualification_cache_key(*(parts[:i] + ("other",) + parts[i + 1:]))
               for i in range(4)}
    assert key not in changed and len(changed) == 4
    # The parts cannot run into each other: ("ab", "c") is not ("a", "bc").
    assert qualification_cache_key("ab", "c", "x", "y") != qualification_cache_key("a", "bc",
                                                                                    "x", "y")


@pytest.mark.parametrize("bad", ["", "a\nb"])
def test_the_cache_key_refuses_an_empty_or_multiline_part(bad: str) -> None:
    with pytest.raises(ValueError):
        qualification_cache_key("aud", bad, "c", "d")
