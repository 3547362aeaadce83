"""Pure card-factory domain: one structured lead card per raw profile version.

follower_tier and audience_pool (taxonomy v1) live in sxp_common.audience_pool, shared with
the labeler, which sets the pool again once the tribe is decided.

base_confidence: how far the card can be trusted as a real, describable lead, in [0, 1].
It is a plain sum of independent components (weights add up to 1.0), rounded to 4 places:

    completeness (0.55)
      bio       0.25 * min(1, len(bio without "[contact removed]", stripped) / 80)
      name      0.10 if display_name is set and not just the username
      category  0.10 if category is set
      link      0.10 if external_url is set
    engagement (0.35)
      followers 0.10 if followers > 0
      posts     0.10 if posts > 0
      following 0.05 if following is known (>= 0)
      sane      0.10 if followers and posts are both known and the counts are not suspicious:
                suspicious = (followers >= 1,000 and posts == 0)            # audience, no content
                          or (following >= 5,000 and following > 20 * followers)  # follow-farming
    verified (0.10)
      verified  0.10 if the platform's verified flag is true

Every component only adds, so filling in a missing field (longer bio, a name, a category, a
link, a count, the verified flag) never lowers the score; the only thing that lowers it is
the sanity check failing on the counts themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sxp_common.audience_pool import audience_pool
from sxp_common.hashing import lead_card_id_for

REDACTION_TOKEN = "[contact removed]"

W_BIO = 0.25
BIO_FULL_LENGTH = 80
W_NAME = 0.10
W_CATEGORY = 0.10
W_LINK = 0.10
W_FOLLOWERS = 0.10
W_POSTS = 0.10
W_FOLLOWING = 0.05
W_SANE = 0.10
W_VERIFIED = 0.10

SUSPICIOUS_FOLLOWERS_NO_POSTS = 1_000
FOLLOW_FARM_MIN_FOLLOWING = 5_000
FOLLOW_FARM_RATIO = 20

STRUCTURED_FIELDS: tuple[str, ...] = (
    "lead_card_id", "profile_id", "profile_version", "content_hash", "job_id", "readiness",
    "base_confidence", "audience_pool", "platform", "username", "display_name", "bio",
    "followers", "following", "posts", "verified", "external_url", "category", "location",
)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _describable_bio_length(bio: Any) -> int:
    return len(_text(bio).replace(REDACTION_TOKEN, " ").strip())


def counts_are_suspicious(followers: int | None, following: int | None, posts: int | None) -> bool:
    """True when the counts look like a bought, parked or follow-farming account."""
    if followers is not None and posts is not None:
        if followers >= SUSPICIOUS_FOLLOWERS_NO_POSTS and posts == 0:
            return True
    if following is not None and following >= FOLLOW_FARM_MIN_FOLLOWING:
        if following > FOLLOW_FARM_RATIO * max(followers or 0, 1):
            return True
    return False


def _completeness(profile: Mapping[str, Any]) -> float:
    bio_share = min(1.0, _describable_bio_length(profile.get("bio")) / BIO_FULL_LENGTH)
    name = _text(profile.get("display_name"))
    username = _text(profile.get("username"))
    has_name = bool(name) and name.casefold() != username.casefold()
    return (
        W_BIO * bio_share
        + (W_NAME if has_name else 0.0)
        + (W_CATEGORY if _text(profile.get("category")) else 0.0)
        + (W_LINK if _text(profile.get("external_url")) else 0.0)
    )


def _engagement(profile: Mapping[str, Any]) -> float:
    followers = _count(profile.get("followers"))
    following = _count(profile.get("following"))
    posts = _count(profile.get("posts"))
    score = 0.0
    score += W_FOLLOWERS if followers is not None and followers > 0 else 0.0
    score += W_POSTS if posts is not None and posts > 0 else 0.0
    score += W_FOLLOWING if following is not None and following >= 0 else 0.0
    known = followers is not None and posts is not None
    if known and not counts_are_suspicious(followers, following, posts):
        score += W_SANE
    return score


def base_confidence(profile: Mapping[str, Any]) -> float:
    """Documented trust score in [0, 1] of a profile as a real, describable lead."""
    verified = W_VERIFIED if profile.get("verified") is True else 0.0
    score = _completeness(profile) + _engagement(profile) + verified
    return round(min(1.0, max(0.0, score)), 4)


def build_structured_card(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The sxp.leadcards.structured.v1 record for one raw profile version."""
    return {
        "lead_card_id": lead_card_id_for(raw["profile_id"]),
        "profile_id": raw["profile_id"],
        "profile_version": raw["version"],
        "content_hash": raw["content_hash"],
        "job_id": raw["job_id"],
        "readiness": "STRUCTURED",
        "base_confidence": base_confidence(raw),
        "audience_pool": audience_pool(raw["platform"], None, _count(raw.get("followers"))),
        "platform": raw["platform"],
        "username": raw["username"],
        "display_name": raw.get("display_name"),
        "bio": raw.get("bio"),
        "followers": raw.get("followers"),
        "following": raw.get("following"),
        "posts": raw.get("posts"),
        "verified": bool(raw.get("verified", False)),
        "external_url": raw.get("external_url"),
        "category": raw.get("category"),
        "location": raw.get("location"),
    }
