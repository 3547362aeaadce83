"""Rules-3 fallbacks: first of tied labels, TikTok interests-only creators, an organization's
lone topic hint, and the part-6 vocabulary (real public profiles, issue 10)."""

from __future__ import annotations

from typing import Any

import pytest

from services.labeler.domain import CardLabels, label_card, label_with
from services.labeler.version import model_version

pytestmark = pytest.mark.unit


def _label(bio: str, platform: str = "x", **extra: Any) -> CardLabels:
    card = {"platform": platform, "username": "someone", "display_name": "Sam", "bio": bio,
            "followers": 300, "posts": 40, **extra}
    return label_card(card)


def _ids(labels: CardLabels) -> tuple[str | None, str | None]:
    return (labels.persona and labels.persona.id, labels.tribe and labels.tribe.id)


def test_of_two_tied_decisive_personas_the_first_mentioned_wins_and_says_so() -> None:
    labels = _label("Meteorologist, grad student")
    assert labels.persona is not None and labels.persona.id == "researcher"
    assert labels.persona.evidence[0] == "signal:first_of_tied"
    swapped = _label("Grad student, meteorologist")
    assert swapped.persona is not None and swapped.persona.id == "student"


def test_a_tied_label_has_a_lower_confidence_than_a_clear_one() -> None:
    tied = _label("Meteorologist, grad student")
    clear = _label("Meteorologist at the weather service")
    assert tied.persona and clear.persona and tied.persona.confidence < clear.persona.confidence


def test_an_interests_only_tiktok_account_is_a_creator_but_on_x_a_hobbyist() -> None:
    tiktok = _label("comedy and dance 🕺", platform="tiktok")
    x = _label("comedy and dance 🕺", platform="x")
    assert _ids(tiktok) == ("creator", "music_entertainment")
    assert "signal:tiktok" in tiktok.persona.evidence
    assert _ids(x) == ("hobbyist", "music_entertainment")


def test_a_lone_official_username_fragment_does_not_block_the_creator_fallback() -> None:
    labels = label_card({"platform": "tiktok", "username": "roy_official", "bio": "comedy, dance",
                         "display_name": "Roy", "followers": None, "posts": None})
    assert _ids(labels) == ("creator", "music_entertainment")


def test_an_organization_takes_its_only_weak_topic_hint_as_tribe() -> None:
    labels = _label("Official updates. Tools and resources.", verified=True)
    assert _ids(labels) == ("organization", "startups_tech")
    assert labels.tribe.evidence[0] == "signal:lone_hint"


def test_a_person_with_weak_topic_hints_only_stays_without_a_tribe() -> None:
    card = {"platform": "x", "username": "someone", "display_name": "Sam", "verified": True,
            "bio": "Independent consultant. Tools and resources.", "followers": 300, "posts": 40}
    assert label_with(card, None).tribe is None  # the rule fallback; the model may differ


@pytest.mark.parametrize(("bio", "platform", "persona", "tribe"), [
    ("Teach & learn about #EarthScience for a living", "x", "educator", None),
    ("Technology entusiast who likes energyefficiency", "x", "hobbyist", None),
    ("Comparto info sobre desastres naturales", "x", None, "sustainability_climate"),
    ("ฝากช่องใหม่ด้วยครับ คนอิสลาม", "tiktok", "creator", "faith_community"),
    ("Alight Motion only / учусь делать эдиты", "tiktok", "creator", "arts_design"),
    ("早稲田大学国際教養学部 1年", "x", "student", "education_learning"),
])
def test_part_6_vocabulary(bio: str, platform: str, persona: str | None,
                           tribe: str | None) -> None:
    got = _ids(_label(bio, platform=platform))
    assert (persona is None or got[0] == persona) and (tribe is None or got[1] == tribe), got


def test_empty_and_emoji_only_bios_still_abstain_on_tiktok() -> None:
    for bio in ("", "🔥🔥✨", "🇳🇱"):
        assert _ids(_label(bio, platform="tiktok")) == (None, None)


def test_the_model_version_names_the_rules_3_scheme_and_the_learned_model() -> None:
    scheme, tables, learned = model_version().split("+")
    assert scheme == "rules-4" and len(tables) == 12
    assert learned.startswith("lr-1.") and len(learned.split(".")[1]) == 8


def test_a_camel_case_word_outside_hashtags_is_read_as_its_words() -> None:
    labels = _label("Nizamabad → BiggBossTelugu10 contestant", platform="threads")
    assert labels.tribe is not None and labels.tribe.id == "music_entertainment"
    assert "bio:BiggBossTelugu10" in labels.tribe.evidence


def test_link_shortener_ids_and_short_mixed_case_words_are_not_split() -> None:
    # "heEvRrl4yN" would give "ev" (an electric vehicle) if a link id were read as words
    # (the rule tables alone: this is about how they split words, not about the learned layer)
    for bio in ("visit https://t.co/heEvRrl4yN", "PhD"):
        card = {"platform": "x", "username": "someone", "display_name": "Sam", "bio": bio,
                "followers": 300, "posts": 40}
        assert label_with(card, None).tribe is None
