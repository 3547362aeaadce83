"""Cross-validation and threshold choice for tools/train_labeler.py (dev split only).

Every dev card is predicted by a model trained without its fold, so the thresholds and the
numbers printed here are what the layer does on dev profiles it has not seen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from services.labeler.domain import CardLabels, label_with
from services.labeler.learned import MODEL_DIMENSIONS, LearnedModel
from sxp_cli.eval_labels import EvalReport, Outcome, parse_expectation, score_rows
from tools.train_labeler import FOLDS, Example, build, fold_of

Predicted = list[tuple[Example, LearnedModel]]


def cross_validated(fixed: Sequence[Example], dev: Sequence[Example],
                    strength: float) -> Predicted:
    """Each dev example with the model trained on everything but its fold."""
    out: Predicted = []
    for fold in range(FOLDS):
        held = [e for e in dev if fold_of(e[0]) == fold]
        rest = [e for e in dev if fold_of(e[0]) != fold]
        model = build([*fixed, *rest], strength, dict.fromkeys(MODEL_DIMENSIONS, 0.0), "cv")
        out += [(e, model) for e in held]
    return out


def with_thresholds(model: LearnedModel, thresholds: Mapping[str, float]) -> LearnedModel:
    """The same model with other thresholds."""
    dimensions = {d: dataclasses.replace(m, threshold=thresholds.get(d, m.threshold))
                  for d, m in model.dimensions.items()}
    return dataclasses.replace(model, dimensions=dimensions)


def _accepted(example: Example, dimension: str) -> tuple[str, ...]:
    expect = example[3].get("expect") or {}
    return tuple(expect.get(dimension) or ())


GRID = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 1.01)


def _scored(predicted: Predicted, thresholds: Mapping[str, float] | None) -> EvalReport:
    pairs = []
    for example, model in predicted:
        chosen = None if thresholds is None else with_thresholds(model, thresholds)
        pairs.append((parse_expectation(example[3]["expect"]),
                      _outcome(label_with(example[0], chosen))))
    return score_rows(pairs)


def pick_thresholds(predicted: Predicted, floor: float) -> dict[str, float]:
    """The persona and tribe thresholds (from GRID) that give the most dev coverage while
    persona, tribe and execution agreement all stay at or above `floor` (or at the rules' own
    level, where that is lower); then the industry threshold with the best industry agreement.
    Precision first: a grid point that costs agreement below the floor is never taken."""
    alone = _scored(predicted, None)
    floors = [min(floor, alone.dimensions[d].agreement or 0.0)
              for d in ("persona", "tribe", "execution_label")]
    best: tuple[float, float, dict[str, float]] = (-1.0, -1.0, {})
    for persona in GRID:
        for tribe in GRID:
            chosen = {"persona": persona, "tribe": tribe, "industry": 1.01}
            report = _scored(predicted, chosen)
            agreement = [report.dimensions[d].agreement or 0.0
                         for d in ("persona", "tribe", "execution_label")]
            held = all(a >= f for a, f in zip(agreement, floors, strict=True))
            if held and (report.coverage, min(agreement)) > best[:2]:
                best = (report.coverage, min(agreement), chosen)
    chosen = best[2] or {"persona": 1.01, "tribe": 1.01, "industry": 1.01}
    industry = max(GRID, key=lambda t: (_scored(predicted, {**chosen, "industry": t})
                                        .dimensions["industry"].agreement or 0.0, -t))
    return {**chosen, "industry": industry}


def _outcome(labels: CardLabels) -> Outcome:
    given = {d: (getattr(labels, d).id if getattr(labels, d) else None)
             for d in ("persona", "tribe", "industry", "execution_label")}
    return Outcome(given, None)


def report(predicted: Predicted, thresholds: Mapping[str, float]) -> dict[str, Any]:
    """Coverage and agreement on dev, rules alone and rules + the out-of-fold model."""
    results = {}
    for name, use_model in (("rules only", False), ("rules + model (cv)", True)):
        scored = _scored(predicted, thresholds if use_model else None)
        agreement = {d: s.agreement for d, s in scored.dimensions.items()}
        print(f"  dev {name:20} coverage {scored.coverage:.3f} agreement {agreement}")
        results[name] = {"coverage": scored.coverage, **agreement}
    return results
