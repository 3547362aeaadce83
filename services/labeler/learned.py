"""The learned layer: a multinomial logistic regression per dimension over card features.

The weights ship with the package (`model/labeler_model.npz`, written offline by
`tools/train_labeler.py`) and are read once, on first use. Prediction is a pure function of
the card and the model: the features (features.py) are looked up in the model's vocabulary
(unknown features weigh nothing), their weight rows summed in a fixed order, and a softmax
taken. Each dimension has a "null" class (the reader would give no label) and a threshold
chosen on cross-validated dev predictions: below it, or when "null" wins, the model abstains.

The evidence of a decision is `model:<dimension> <label> <p> (<feature>, ...)`, naming the
readable features that weighed most for the label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from io import BytesIO
from typing import Any

import numpy as np

from services.labeler.features import card_features, display_name

MODEL_FILE = "labeler_model.npz"
NULL_CLASS = "null"
SEPARATOR = "\x1f"
MODEL_DIMENSIONS = ("persona", "tribe", "industry")
EVIDENCE_FEATURES = 3


@dataclass(frozen=True, slots=True)
class Prediction:
    """A learned decision for one dimension: label, probability, the features behind it."""

    label: str
    probability: float
    features: tuple[str, ...]

    def evidence(self, dimension: str) -> str:
        """`model:tribe fitness_wellness 0.71 (coach, gym, #fit)`."""
        named = f" ({', '.join(self.features)})" if self.features else ""
        return f"model:{dimension} {self.label} {self.probability:.2f}{named}"


@dataclass(frozen=True, slots=True)
class DimensionModel:
    """Weights of one dimension: classes, coef (vocabulary x classes), intercept, threshold."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    threshold: float


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """The shared feature vocabulary and one DimensionModel per dimension."""

    version: str
    vocabulary: Mapping[str, int]
    names: tuple[str, ...]
    dimensions: Mapping[str, DimensionModel]

    def _indexed(self, card: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary indices (ascending: a fixed summation order) and values of a card."""
        features = card_features(card)
        lookup = self.vocabulary.get
        found = [(i, v) for i, v in ((lookup(f), v) for f, v in features.items())
                 if i is not None]
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        pairs = np.array(found, dtype=np.float64)
        order = np.argsort(pairs[:, 0], kind="stable")
        return pairs[order, 0].astype(np.int64), pairs[order, 1].astype(np.float32)

    def probabilities(self, card: Mapping[str, Any], dimension: str) -> dict[str, float]:
        """Class -> probability for one dimension of a card."""
        index, values = self._indexed(card)
        model = self.dimensions[dimension]
        return dict(zip(model.classes, _softmax(model, index, values).tolist(), strict=True))

    def predict(self, card: Mapping[str, Any],
                dimensions: Sequence[str] = MODEL_DIMENSIONS) -> dict[str, Prediction | None]:
        """Per dimension, the decided label (None = abstain: "null" or below the threshold)."""
        index, values = self._indexed(card)
        return {d: self._decide(self.dimensions[d], index, values) for d in dimensions}

    def _decide(self, model: DimensionModel, index: np.ndarray,
                values: np.ndarray) -> Prediction | None:
        probs = _softmax(model, index, values)
        order = [int(i) for i in np.argsort(-probs, kind="stable")]
        best = next(i for i in order if model.classes[i] != NULL_CLASS)
        probability = round(float(probs[best]), 4)
        if probability < model.threshold:
            return None
        return Prediction(model.classes[best], probability,
                          self._top_features(model, best, index, values))

    def _top_features(self, model: DimensionModel, label: int, index: np.ndarray,
                      values: np.ndarray) -> tuple[str, ...]:
        if not len(index):
            return ()
        weights = model.coef[index]
        margin = weights[:, label] - weights.mean(axis=1)
        contribution = values * margin
        chosen: list[str] = []
        for i in np.argsort(-contribution, kind="stable"):
            if contribution[i] <= 0 or len(chosen) == EVIDENCE_FEATURES:
                break
            name = display_name(self.names[int(index[i])])
            if name is not None and name not in chosen:
                chosen.append(name)
        return tuple(chosen)


def _softmax(model: DimensionModel, index: np.ndarray, values: np.ndarray) -> np.ndarray:
    logits = model.intercept + values @ model.coef[index]
    exp = np.exp(logits - logits.max())
    result: np.ndarray = exp / exp.sum()
    return result


def _text(data: Mapping[str, np.ndarray], key: str) -> str:
    return bytes(data[key].tobytes()).decode("utf-8")


def load_model(blob: bytes) -> LearnedModel:
    """A LearnedModel from the bytes of a model file (an npz archive, no pickles)."""
    with np.load(BytesIO(blob), allow_pickle=False) as archive:
        data = {key: archive[key] for key in archive.files}
    names = tuple(_text(data, "vocabulary").split(SEPARATOR))
    dimensions = {}
    for dimension in MODEL_DIMENSIONS:
        dimensions[dimension] = DimensionModel(
            classes=tuple(_text(data, f"{dimension}_classes").split(SEPARATOR)),
            coef=data[f"{dimension}_coef"].astype(np.float32),
            intercept=data[f"{dimension}_intercept"].astype(np.float32),
            threshold=float(data[f"{dimension}_threshold"]),
        )
    return LearnedModel(version=_text(data, "version"),
                        vocabulary={name: i for i, name in enumerate(names)},
                        names=names, dimensions=dimensions)


@lru_cache(maxsize=1)
def packaged_model_bytes() -> bytes:
    """The bytes of the packaged model file."""
    return resources.files("services.labeler.model").joinpath(MODEL_FILE).read_bytes()


@lru_cache(maxsize=1)
def learned_model() -> LearnedModel:
    """The packaged model, read once."""
    return load_model(packaged_model_bytes())
