"""The default qualification scorer of an audience member, and the qualification cache key.

Pure and deterministic: the same card, profile counts and criteria give the same score and
reasons, on any machine. score = 0.5 * labels + 0.3 * followers + 0.2 * activity, rounded
to 4 places, each part in [0, 1]:

- labels: the mean confidence of the labels the criteria select on (persona, tribe,
  industry, execution_label, wherever they appear in the criteria); when the criteria name
  none, of the execution label and the tribe. An undecided label counts 0.
- followers: with a follower range in the criteria, 1 inside it and, outside (possible
  under `any` or `not`), 1 - |log10(followers / nearest bound)| down to 0; without a range,
  the fit of the taxonomy tier for market building (TIER_FIT: micro and mid reach a
  community, nano barely, macro and mega cost more and convert less). Unknown: 0.
- activity: log10(1 + posts) / log10(1 + 500), capped at 1: 500 posts or more is fully
  active, none is 0. Unknown: 0.

Reasons name each part with its value and what decided it, so a person can see why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sxp_common.audience_criteria import FollowerRange, InSet, MinConfidence, Node, leaves
from sxp_common.audience_pool import follower_tier
from sxp_common.hashing import sha256_hex

SCORER = "default-v1"
WEIGHTS = {"labels": 0.5, "followers": 0.3, "activity": 0.2}
TIER_FIT = {"nano": 0.2, "micro": 0.8, "mid": 1.0, "macro": 0.7, "mega": 0.4}
FULL_ACTIVITY_POSTS = 500
DEFAULT_LABELS = ("execution_label", "tribe")
LABELS = ("persona", "tribe", "industry", "execution_label")


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What the scorer reads of a member: its labels (Tier 3) and Tier 1 counts, no contact."""

    persona: str | None = None
    persona_confidence: float | None = None
    tribe: str | None = None
    tribe_confidence: float | None = None
    industry: str | None = None
    industry_confidence: float | None = None
    execution_label: str | None = None
    execution_label_confidence: float | None = None
    followers: int | None = None
    posts: int | None = None

    def confidence(self, label: str) -> float:
        """The label's confidence, 0 when the label is undecided."""
        if getattr(self, label) is None:
            return 0.0
        value = getattr(self, f"{label}_confidence")
        return min(1.0, max(0.0, float(value))) if value is not None else 0.0


@dataclass(frozen=True, slots=True)
class Qualification:
    """A member's score in [0, 1], the scorer that gave it, and why; `refused` is the reason
    code when an LLM's answer was refused and this default score stands in for it."""

    score: float
    reasons: tuple[str, ...]
    scorer: str = SCORER
    refused: str | None = None


def selected_labels(criteria: Node) -> tuple[str, ...]:
    """The labels the criteria select on or set a confidence floor for, in taxonomy order."""
    named: set[str] = set()
    for leaf in leaves(criteria):
        if isinstance(leaf, InSet) and leaf.field in LABELS:
            named.add(leaf.field)
        elif isinstance(leaf, MinConfidence):
            named.update(label for label, _ in leaf.floors)
    return tuple(label for label in LABELS if label in named)


def follower_ranges(criteria: Node) -> list[FollowerRange]:
    """Every follower range in the criteria."""
    return [leaf for leaf in leaves(criteria) if isinstance(leaf, FollowerRange)]


def _range_fit(followers: int, wanted: FollowerRange) -> float:
    low = wanted.min if wanted.min is not None else 0
    high = wanted.max if wanted.max is not None else math.inf
    if low <= followers <= high:
        return 1.0
    bound = low if followers < low else high
    distance = abs(math.log10(max(followers, 1) / max(bound, 1)))
    return max(0.0, 1.0 - distance)


def follower_fit(followers: int | None, criteria: Node) -> tuple[float, str]:
    """The followers part and its reason."""
    if followers is None:
        return 0.0, "followers unknown: 0"
    ranges = follower_ranges(criteria)
    if ranges:
        fit = max(_range_fit(followers, r) for r in ranges)
        shown = ", ".join(f"{r.min if r.min is not None else 0}-"
                          f"{r.max if r.max is not None else 'any'}" for r in ranges)
        return fit, f"followers {followers} against {shown}: {fit:.2f}"
    tier = follower_tier(followers)
    return TIER_FIT[tier], f"followers {followers} ({tier} tier): {TIER_FIT[tier]:.2f}"


def activity(posts: int | None) -> tuple[float, str]:
    """The activity part and its reason."""
    if posts is None:
        return 0.0, "posts unknown: 0"
    value = min(1.0, math.log10(1 + max(posts, 0)) / math.log10(1 + FULL_ACTIVITY_POSTS))
    return value, f"posts {posts}: {value:.2f}"


def label_part(facts: MemberFacts, criteria: Node) -> tuple[float, str]:
    """The labels part and its reason."""
    labels = selected_labels(criteria) or DEFAULT_LABELS
    values = [facts.confidence(label) for label in labels]
    mean = sum(values) / len(values)
    shown = ", ".join(f"{label} {value:.2f}" for label, value in zip(labels, values, strict=True))
    return mean, f"label confidence {mean:.2f} ({shown})"


def default_score(facts: MemberFacts, criteria: Node) -> Qualification:
    """The deterministic default qualification of one member for the audience's criteria."""
    labels, labels_why = label_part(facts, criteria)
    followers, followers_why = follower_fit(facts.followers, criteria)
    active, active_why = activity(facts.posts)
    total = (WEIGHTS["labels"] * labels + WEIGHTS["followers"] * followers
             + WEIGHTS["activity"] * active)
    return Qualification(round(min(1.0, max(0.0, total)), 4),
                         (labels_why, followers_why, active_why))


def qualification_cache_key(audience_id: str, lead_card_id: str, content_hash: str,
                            criteria_hash: str) -> str:
    """The cache key of a qualification: a stored score is reused while all four are equal.

    SHA-256 hex of the four parts joined by newlines (none can hold one: ids and hex
    hashes), so the key is fixed-width and its parts cannot run into each other.
    """
    parts = (audience_id, lead_card_id, content_hash, criteria_hash)
    for part in parts:
        if not part or "\n" in part:
            raise ValueError("cache key parts must be non-empty and hold no newline")
    return sha256_hex("\n".join(parts))
