"""The learned layer: feature extraction, the model's decision (threshold, null class, evidence,
determinism), how it fills only what the rules leave open, and the packaged model file."""

from __future__ import annotations

import dataclasses
import math
from io import BytesIO
from typing import Any

import numpy as np
import pytest

from services.labeler.domain import label_card, label_with
from services.labeler.features import card_features, display_name
from services.labeler.learned import (
    MODEL_DIMENSIONS,
    NULL_CLASS,
    SEPARATOR,
    LearnedModel,
    learned_model,
    load_model,
    packaged_model_bytes,
)
from services.labeler.version import model_version

pytestmark = pytest.mark.unit


def _card(bio: str, **extra: Any) -> dict[str, Any]:
    return {"platform": "tiktok", "username": "zorb_fan", "display_name": "Sam", "bio": bio,
            "followers": 300, "posts": 40, **extra}


def _group_norm(features: dict[str, float], prefixes: tuple[str, ...]) -> float:
    return math.sqrt(sum(v * v for f, v in features.items() if f.split(":")[0] in prefixes))


def test_features_hold_words_bigrams_char_ngrams_hashtags_host_and_count_tiers() -> None:
    features = card_features(_card("Personal Trainer! #FitFam", followers=25_000, verified=True,
                                   external_url="https://www.gym.example.com/x"))
    assert {"w:personal", "w:trainer", "w:personal trainer", "w:fit", "w:fam"} <= features.keys()
    assert {"c:<tr", "c:trai", "c:ner>", "h:fitfam", "u:zorb", "u:fan"} <= features.keys()
    assert {"d:gym.example.com", "d:example.com", "f:5", "p:2", "v:1", "pl:tiktok"} <= (
        features.keys())


def test_each_feature_group_has_unit_norm_so_a_long_bio_does_not_drown_the_counts() -> None:
    features = card_features(_card("marathon runner, coach and physio in Utrecht " * 3))
    assert _group_norm(features, ("w",)) == pytest.approx(1.0)
    assert _group_norm(features, ("c",)) == pytest.approx(1.0)
    assert _group_norm(features, ("pl", "f", "p", "u", "v", "d", "h", "e", "bio")) == (
        pytest.approx(1.0))


def test_character_ngrams_reach_scripts_without_spaces_and_fold_accents() -> None:
    thai = card_features(_card("สอนทำอาหาร"))
    assert "c:สอน" in thai
    folded = card_features(_card("developpeuse")).keys()
    assert card_features(_card("DÉVELOPPEUSE")).keys() == folded


def test_an_empty_bio_is_a_feature_of_its_own() -> None:
    assert "bio:empty" in card_features(_card(""))
    assert "bio:empty" not in card_features(_card("hi"))


def test_evidence_names_read_as_words_never_as_digit_runs_or_char_ngrams() -> None:
    assert display_name("w:coach") == "coach"
    assert display_name("h:fitfam") == "#fitfam"
    assert display_name("v:1") == "verified"
    assert display_name("c:<coa") is None
    assert display_name("w:0612345678") is None
    assert display_name("f:5") is None


def _tiny_model(threshold: float = 0.6) -> LearnedModel:
    """A hand-set model: 'zorblax' means gaming, 'blorp' means nothing (the null class)."""
    names = ["w:zorblax", "w:blorp", "c:<zo"]
    arrays: dict[str, np.ndarray] = {}

    def text(value: str) -> np.ndarray:
        return np.frombuffer(value.encode("utf-8"), dtype=np.uint8)

    arrays["version"], arrays["vocabulary"] = text("tiny"), text(SEPARATOR.join(names))
    classes = {"persona": ["creator", NULL_CLASS], "tribe": ["gaming_esports", NULL_CLASS],
               "industry": ["media_entertainment", NULL_CLASS]}
    for dimension in MODEL_DIMENSIONS:
        coef = np.array([[6.0, 0.0], [0.0, 6.0], [1.0, 0.0]], dtype=np.float16)
        arrays[f"{dimension}_classes"] = text(SEPARATOR.join(classes[dimension]))
        arrays[f"{dimension}_coef"] = coef
        arrays[f"{dimension}_intercept"] = np.zeros(2, dtype=np.float32)
        arrays[f"{dimension}_threshold"] = np.array(threshold)
    buffer = BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return load_model(buffer.getvalue())


def test_the_model_decides_above_its_threshold_and_names_the_features_that_weighed() -> None:
    prediction = _tiny_model().predict(_card("zorblax all night"))["tribe"]
    assert prediction is not None and prediction.label == "gaming_esports"
    assert prediction.probability > 0.6
    assert prediction.features == ("zorblax",)
    assert prediction.evidence("tribe") == (
        f"model:tribe gaming_esports {prediction.probability:.2f} (zorblax)")


def test_the_model_abstains_below_its_threshold() -> None:
    card = _card("zorblax all night")
    probability = _tiny_model().probabilities(card, "tribe")["gaming_esports"]
    assert _tiny_model(threshold=probability + 0.01).predict(card)["tribe"] is None


def test_the_model_abstains_when_the_null_class_wins() -> None:
    assert _tiny_model().predict(_card("blorp blorp"))["tribe"] is None
    assert _tiny_model().predict(_card("nothing it knows"))["tribe"] is None  # p = 0.5


def test_predictions_are_deterministic_and_the_same_for_the_same_input() -> None:
    model, card = learned_model(), _card("bouldering every weekend, climbing gym rat 🧗")
    first = [model.predict(card) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    assert load_model(packaged_model_bytes()).predict(card) == first[0]


def test_the_learned_layer_only_fills_what_the_rules_leave_open() -> None:
    decided = _card("Realtor in Austin 🏡 #realestate")
    assert label_with(decided, _tiny_model()) == label_with(decided, None)
    open_card = _card("zorblax all night")
    assert label_with(open_card, None).tribe is None
    tribe = label_with(open_card, _tiny_model()).tribe
    assert tribe is not None and tribe.id == "gaming_esports"
    assert tribe.evidence[0].startswith("model:tribe gaming_esports ")


def test_a_learned_persona_routes_the_card_like_a_rule_decided_one() -> None:
    labels = label_with(_card("zorblax all night"), _tiny_model())
    assert labels.persona is not None and labels.persona.id == "creator"
    assert labels.execution_label is not None and labels.execution_label.id == "AFFILIATE"
    assert labels.execution_label.evidence[:2] == ("persona:creator", labels.persona.evidence[0])


def test_label_card_uses_the_packaged_model_and_the_version_names_it() -> None:
    assert learned_model().version in model_version()
    assert model_version().startswith("rules-4+")
    card = _card("")
    assert label_card(card) == label_with(card, learned_model())


def test_the_packaged_model_is_small_and_holds_no_pickles() -> None:
    blob = packaged_model_bytes()
    assert len(blob) < 5_000_000
    with np.load(BytesIO(blob), allow_pickle=False) as archive:
        assert all(archive[key].dtype != object for key in archive.files)
    model = learned_model()
    assert set(model.dimensions) == set(MODEL_DIMENSIONS)
    assert all(NULL_CLASS in m.classes for m in model.dimensions.values())
    assert all(0.0 < m.threshold <= 1.01 for m in model.dimensions.values())  # 1.01: never


def _tribe_only_model() -> LearnedModel:
    """The tiny model with its persona dimension never deciding."""
    model = _tiny_model()
    persona = dataclasses.replace(model.dimensions["persona"], threshold=1.01)
    return dataclasses.replace(model, dimensions={**model.dimensions, "persona": persona})


def test_a_learned_tribe_on_tiktok_makes_an_interests_only_creator_as_a_rule_tribe_would() -> None:
    labels = label_with(_card("zorblax all night"), _tribe_only_model())
    assert labels.tribe is not None and labels.tribe.id == "gaming_esports"
    assert labels.persona is not None and labels.persona.id == "creator"
    assert labels.persona.evidence[:3] == ("signal:interests_only", "signal:tiktok",
                                           labels.tribe.evidence[0])
    assert labels.persona.confidence < labels.tribe.confidence
    assert labels.readiness == "LABELED"


def test_a_learned_tribe_on_x_leaves_persona_open() -> None:
    on_x = label_with(_card("zorblax all night", platform="x"), _tribe_only_model())
    assert on_x.tribe is not None and on_x.persona is None  # X bios: too many bots and brands
