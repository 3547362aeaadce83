"""Label taxonomy v1 IDs (../shared/spec/taxonomy.md), for libraries that validate labels.

The one place for them: the labeler (services/labeler/domain.py) and the libraries that
validate labels (audience criteria) read them here; a unit test checks them against the
taxonomy document.
"""

from __future__ import annotations

PLATFORMS: tuple[str, ...] = ("tiktok", "threads", "x")
PERSONAS: tuple[str, ...] = (
    "founder", "executive", "creator", "marketer", "sales", "developer", "designer",
    "investor", "consultant", "agency", "small_business_owner", "real_estate_agent", "coach",
    "healthcare_professional", "educator", "student", "journalist", "researcher", "artist",
    "athlete", "public_official", "organization", "hobbyist",
)
TRIBES: tuple[str, ...] = (
    "creator_economy", "startups_tech", "ai_data", "web3_crypto", "marketing_growth",
    "ecommerce_dtc", "real_estate", "finance_investing", "fitness_wellness", "beauty_fashion",
    "food_hospitality", "travel_outdoors", "gaming_esports", "music_entertainment",
    "arts_design", "education_learning", "health_medicine", "parenting_family", "sports",
    "news_media", "politics_civic", "faith_community", "sustainability_climate",
    "local_business", "books_publishing", "home_garden", "pets_animals", "automotive",
)
INDUSTRIES: tuple[str, ...] = (
    "technology", "media_entertainment", "marketing_advertising", "retail_ecommerce",
    "real_estate", "finance", "health_wellness", "education", "hospitality_food",
    "professional_services", "government_nonprofit", "manufacturing_trades",
    "sports_fitness", "arts_culture",
)
EXECUTION_LABELS: tuple[str, ...] = ("USER", "PARTNER", "AFFILIATE", "FEEDBACK")
FOLLOWER_TIERS: tuple[str, ...] = ("nano", "micro", "mid", "macro", "mega")
READINESS: tuple[str, ...] = ("STRUCTURED", "LABELED", "ENRICHED")
ENRICHMENT_STATUSES: tuple[str, ...] = ("NONE", "REQUESTED", "ENRICHED", "FAILED")
