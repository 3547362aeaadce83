"""The labeler beyond whole English words: Turkish word starts (`stem` rules) and Arabic text
folded so a word with a hamza stays one word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.labeler.domain import LabelDecision, label_card
from services.labeler.rulebook import rulebook
from services.labeler.text import fold, words

pytestmark = pytest.mark.unit


def card(bio: str, **fields: Any) -> dict[str, Any]:
    return {"platform": "x", "username": "someone", "display_name": None, "bio": bio,
            "followers": 300, "following": 100, "posts": 50, "verified": False,
            "external_url": None, "category": None, **fields}


def ids(decision: LabelDecision | None) -> str | None:
    return decision.id if decision else None


def test_a_turkish_word_is_read_by_its_listed_stem_before_a_short_ending() -> None:
    lawyer = label_card(card("Avukatım ⚖️ kira hukuku | İzmir"))
    assert ids(lawyer.persona) == "consultant" and lawyer.persona
    assert lawyer.persona.evidence[0] == "bio:avukat"
    assert ids(label_card(card("Kodla Gel'in kurucusu, girişimci")).persona) == "founder"
    assert ids(label_card(card("annemden öğrendiğim pratik tarifler 🍲")).tribe) == (
        "food_hospitality")
    # a word with a rule of its own is not read by a stem; nor is one with a long ending
    assert ids(label_card(card("Import tariffs and trade policy")).tribe) != "food_hospitality"
    assert label_card(card("avukatlarımızdanmışsınız")).persona is None


def test_a_stem_rule_is_one_word_of_four_or_more_letters(tmp_path: Path) -> None:
    (tmp_path / "terms_stems.tsv").write_text("av\tstem\t1.0\tconsultant\t-\t-\n")
    with pytest.raises(ValueError, match="one word of 4\\+ letters"):
        rulebook(tmp_path)


def test_an_arabic_word_with_a_hamza_or_harakat_stays_one_word() -> None:
    # NFKD splits the hamza off "ؤ" and "أ"; left in, it cut "مؤسس" (founder) in two
    assert words(fold("مؤسس شركة")) == ["موسس", "شركة"]
    assert words(fold("مُؤَسِّس")) == words(fold("مؤسس"))
    assert ids(label_card(card("مؤسس ورائد أعمال 🚀")).persona) == "founder"
