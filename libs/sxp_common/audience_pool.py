"""The audience pool of a lead card (taxonomy v1), shared by the card factory and the labeler.

follower_tier: nano < 1,000 <= micro < 10,000 <= mid < 100,000 <= macro < 1,000,000 <= mega;
an unknown follower count is nano.

audience_pool: "{platform}.{tribe or 'unassigned'}.{tier}".
"""

from __future__ import annotations

TIERS: tuple[tuple[int, str], ...] = (
    (1_000_000, "mega"),
    (100_000, "macro"),
    (10_000, "mid"),
    (1_000, "micro"),
)


def follower_tier(followers: int | None) -> str:
    """The taxonomy tier of a follower count (None counts as nano)."""
    if followers is None:
        return "nano"
    for floor, name in TIERS:
        if followers >= floor:
            return name
    return "nano"


def audience_pool(platform: str, tribe: str | None, followers: int | None) -> str:
    """The market-sizing pool "{platform}.{tribe or 'unassigned'}.{tier}"."""
    return f"{platform}.{tribe or 'unassigned'}.{follower_tier(followers)}"
