"""Ingest batch decisions: which observation wins, version history, counters, redelivery."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest.batch import (
    DUPLICATE,
    NEW_VERSION,
    REFRESHED,
    STORED,
    BatchDecision,
    ProfileState,
    count_outcomes,
    decide_batch,
    plan_batch,
    split_fresh,
    versions_made_by,
)
from services.ingest.domain import CleanProfile, precedence, validate_submission

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
States = dict[str, ProfileState]


def obs(sid: str, bio: str = "Realtor in Austin", at: str | None = "2026-11-01T10:00:00Z",
        username: str = "maria.lopez", job: str = "job-1") -> CleanProfile:
    """An accepted observation of a profile; bio and collected_at vary its content and rank."""
    row = {"submission_id": sid, "job_id": job, "source": f"f:{sid}", "submitted_at": NOW,
           "platform": "tiktok", "username": username, "bio": bio, "collected_at": at}
    result = validate_submission(row, NOW)
    assert isinstance(result, CleanProfile), result
    return result


def applied(states: States, decision: BatchDecision) -> States:
    """The stored states after a decision's writes, as adapters.apply_profiles writes them."""
    after = dict(states)
    for row in decision.rows:
        after[row.profile.profile_id] = ProfileState(row.version, row.collected_at,
                                                     row.profile.content_hash)
    for profile_id, collected_at in decision.touched.items():
        if collected_at is not None:
            after[profile_id] = replace(after[profile_id], collected_at=collected_at)
    return after


def run(observations: Sequence[CleanProfile], size: int) -> tuple[list[Any], States, list[str]]:
    """Decide the observations in batches of `size`: (versions, final states, outcomes)."""
    states: States = {}
    versions: list[Any] = []
    outcomes: list[str] = []
    for start in range(0, len(observations), size):
        decision = decide_batch(observations[start:start + size], states)
        states = applied(states, decision)
        versions += [(p.profile_id, v, p.content_hash, p.submission_id)
                     for p, v in decision.versions]
        outcomes += decision.outcomes
    return versions, states, outcomes


def every_split(observations: Sequence[CleanProfile]) -> list[tuple[list[Any], States, list[str]]]:
    """The result for every batch size from one record at a time to one batch."""
    return [run(observations, size) for size in range(1, len(observations) + 1)]


def makers(versions: list[Any]) -> list[str]:
    """The submission ids that made each version, in version order."""
    return [sid for _, _, _, sid in versions]


def test_precedence_ranks_dated_over_undated_then_newer_then_the_greater_hash() -> None:
    old, new = obs("a", at="2026-11-01T10:00:00Z"), obs("b", at="2026-11-02T10:00:00Z")
    undated = obs("c", at=None, bio="something else entirely")
    rank = lambda p: precedence(p.collected_at, p.content_hash)  # noqa: E731
    assert rank(undated) < rank(old) < rank(new)
    tie_a, tie_b = obs("d", bio="one"), obs("e", bio="two")
    low, high = sorted((tie_a, tie_b), key=lambda p: p.content_hash)
    assert rank(low) < rank(high)
    assert rank(obs("f")) == rank(obs("g"))  # the same content at the same time


def test_a_changed_copy_makes_a_new_version_and_an_older_one_does_not() -> None:
    first = obs("a", at="2026-11-01T10:00:00Z")
    changed = obs("b", bio="Realtor in Austin | luxury homes", at="2026-11-05T10:00:00Z")
    older = obs("c", bio="Realtor, older copy", at="2026-10-01T10:00:00Z")
    decision = decide_batch([first, changed, older], {})
    assert decision.outcomes == [STORED, NEW_VERSION, DUPLICATE]
    assert [(p.submission_id, v) for p, v in decision.versions] == [("a", 1), ("b", 2)]
    assert [(r.profile.submission_id, r.version) for r in decision.rows] == [("b", 2)]


def test_out_of_order_arrival_keeps_the_newest_and_records_only_what_beat_the_state() -> None:
    newer = obs("new", bio="Realtor | luxury homes", at="2026-11-05T10:00:00Z")
    older = obs("old", at="2026-11-01T10:00:00Z")
    versions, states, outcomes = run([newer, older], 2)
    assert outcomes == [STORED, DUPLICATE] and makers(versions) == ["new"]
    assert states[newer.profile_id].content_hash == newer.content_hash


def test_ties_are_won_by_the_greater_content_hash_in_one_batch_and_across_batches() -> None:
    one, two = obs("one", bio="Realtor in Austin"), obs("two", bio="Realtor in Dallas")
    low, high = sorted((one, two), key=lambda p: p.content_hash)
    for order in ([low, high], [high, low]):
        results = every_split(order)
        assert all(r == results[0] for r in results), "batch boundaries changed the outcome"
        _, states, _ = results[0]
        assert states[low.profile_id].content_hash == high.content_hash
    assert makers(run([low, high], 2)[0]) == [low.submission_id, high.submission_id]
    assert makers(run([high, low], 2)[0]) == [high.submission_id]


def test_exact_duplicates_create_nothing() -> None:
    decision = decide_batch([obs("a"), obs("b"), obs("c", username="@Maria.Lopez")], {})
    assert decision.outcomes == [STORED, DUPLICATE, DUPLICATE]
    assert len(decision.versions) == 1
    stored = ProfileState(1, obs("a").collected_at, obs("a").content_hash)
    again = decide_batch([obs("d")], {obs("a").profile_id: stored})
    assert again.outcomes == [DUPLICATE] and not again.rows and not again.versions
    assert again.touched == {obs("a").profile_id: None}


def test_an_undated_copy_never_beats_a_dated_one_and_undated_ties_go_to_the_greater_hash() -> None:
    dated = obs("dated", at="2026-11-01T10:00:00Z")
    undated = obs("undated", bio="Realtor without a date", at=None)
    assert decide_batch([dated, undated], {}).outcomes == [STORED, DUPLICATE]
    assert decide_batch([undated, dated], {}).outcomes == [STORED, NEW_VERSION]
    a, b = obs("x", bio="undated one", at=None), obs("y", bio="undated two", at=None)
    low, high = sorted((a, b), key=lambda p: p.content_hash)
    assert decide_batch([low, high], {}).outcomes == [STORED, NEW_VERSION]
    assert decide_batch([high, low], {}).outcomes == [STORED, DUPLICATE]


def test_a_newer_copy_of_the_same_content_only_moves_collected_at_forward() -> None:
    first = obs("a", at="2026-11-01T10:00:00Z")
    later_same = obs("b", at="2026-11-09T10:00:00Z")
    between = obs("c", bio="Realtor, changed in between", at="2026-11-05T10:00:00Z")
    decision = decide_batch([first, later_same, between], {})
    assert decision.outcomes == [STORED, REFRESHED, DUPLICATE]
    assert [(r.profile.submission_id, r.version, r.collected_at) for r in decision.rows] == [
        ("a", 1, later_same.collected_at)]
    stored = ProfileState(1, first.collected_at, first.content_hash)
    refreshed = decide_batch([later_same], {first.profile_id: stored})
    assert refreshed.outcomes == [REFRESHED] and not refreshed.rows
    assert refreshed.touched == {first.profile_id: later_same.collected_at}


def test_in_batch_intermediate_versions_are_recorded_not_collapsed() -> None:
    steps = [obs(f"s{day}", bio=f"bio {day}", at=f"2026-11-0{day}T10:00:00Z") for day in (1, 2, 3)]
    decision = decide_batch(steps, {})
    assert [(p.submission_id, v) for p, v in decision.versions] == [("s1", 1), ("s2", 2), ("s3", 3)]
    assert [r.version for r in decision.rows] == [3]


def mixed_history(seed: int, count: int = 60) -> list[CleanProfile]:
    """Copies of three profiles: changed, tied, undated, exact and out-of-order, shuffled."""
    rng = random.Random(seed)
    users, bios, days = ("ana_1", "ben_2", "cy_3"), ("a", "b", "c", "d"), (None, "01", "02", "03")
    return [
        obs(f"{seed}-{n}", bio=rng.choice(bios), username=rng.choice(users),
            at=None if (day := rng.choice(days)) is None else f"2026-11-{day}T10:00:00Z")
        for n in range(count)
    ]


@pytest.mark.parametrize("seed", range(8))
def test_any_batch_boundaries_give_the_same_versions_rows_and_outcomes(seed: int) -> None:
    observations = mixed_history(seed)
    results = [run(observations, size) for size in (1, 2, 3, 7, 16, 60)]
    assert all(r == results[0] for r in results)


@pytest.mark.parametrize("seed", range(4))
def test_the_final_content_is_the_best_ranked_observation_whatever_the_arrival_order(
    seed: int,
) -> None:
    observations = mixed_history(seed, 12)
    best: dict[str, CleanProfile] = {}
    for p in observations:
        rank = precedence(p.collected_at, p.content_hash)
        if p.profile_id not in best or rank > precedence(best[p.profile_id].collected_at,
                                                         best[p.profile_id].content_hash):
            best[p.profile_id] = p
    rng = random.Random(seed)
    for _ in range(20):
        order = observations[:]
        rng.shuffle(order)
        _, states, _ = run(order, rng.randint(1, 12))
        assert {pid: s.content_hash for pid, s in states.items()} == {
            pid: p.content_hash for pid, p in best.items()}


def test_a_redelivered_observation_is_not_applied_again_and_its_versions_are_announced() -> None:
    first, second = obs("a"), obs("b", bio="changed", at="2026-11-03T10:00:00Z")
    fresh, replayed = split_fresh([first, second], {"b"})
    assert ([p.submission_id for p in fresh], [p.submission_id for p in replayed]) == (["b"], ["a"])
    stored = {first.profile_id: ProfileState(1, first.collected_at, first.content_hash)}
    assert decide_batch([first], stored).outcomes == [DUPLICATE]  # even if it were fed again
    made = [(first.profile_id, "a", 1), (first.profile_id, "other", 2)]
    assert versions_made_by(replayed, made) == [(first, 1)]


def test_counters_follow_the_outcomes_and_skip_what_was_applied_before() -> None:
    rows = [
        {"submission_id": "a", "job_id": "j1", "source": "f:1", "submitted_at": NOW,
         "platform": "x", "username": "ana", "bio": "x", "collected_at": "2026-11-01T10:00:00Z"},
        {"submission_id": "b", "job_id": "j1", "source": "f:2", "submitted_at": NOW,
         "platform": "x", "username": "ana", "bio": "y", "collected_at": "2026-11-02T10:00:00Z"},
        {"submission_id": "c", "job_id": "j2", "source": "f:3", "submitted_at": NOW,
         "platform": "x", "username": "ana", "bio": "y", "collected_at": "2026-11-02T10:00:00Z"},
        {"submission_id": "d", "job_id": "j2", "source": "f:4", "submitted_at": NOW,
         "platform": "myspace", "username": "ana"},
        {"submission_id": "e", "job_id": "j2", "source": "f:5", "submitted_at": NOW,
         "platform": "myspace", "username": "ana"},
    ]
    plan = plan_batch(rows, NOW)
    fresh_ids = {"a", "b", "c", "d"}
    fresh, _ = split_fresh(plan.accepted, fresh_ids)
    counts = count_outcomes(plan, decide_batch(fresh, {}), fresh_ids)
    assert counts == {"j1": {"received": 2, "stored": 1, "duplicates": 1, "new_versions": 1},
                      "j2": {"received": 2, "duplicates": 1, "rejected": 1}}
    for job in counts.values():
        assert job["received"] == sum(job.get(k, 0) for k in ("stored", "duplicates", "rejected"))


def test_distinct_profiles_in_one_batch_do_not_interact() -> None:
    ana, ben = obs("a", username="ana_1"), obs("b", username="ben_2")
    decision = decide_batch([ana, ben], {})
    assert decision.outcomes == [STORED, STORED]
    assert {r.profile.profile_id for r in decision.rows} == {ana.profile_id, ben.profile_id}
    assert decide_batch([], {}).outcomes == []
