"""Train the labeler's learned layer offline and write services/labeler/model/labeler_model.npz.

Training rows (each through the preview path: ingest validation, redaction, card factory):
- the hand-written sets in tests/unit/data/ (labeler_holdout*.jsonl, labeler_multilingual.jsonl),
  except the blind multilingual batches 2 and 3, which stay unseen so they measure the model;
- the dev split of ../shared/corpus/real_dev.jsonl, read at training time (never copied, and
  never its holdout split: sxp_cli.corpus.is_holdout);
- every jsonl file under the training folders given with --extra (corpus format).

The thresholds are picked on out-of-fold predictions for the dev split (5 folds: each fold
predicted by a model trained without it): the persona and tribe thresholds giving the most dev
coverage while persona, tribe and execution agreement stay >= --floor (tools/train_select.py).
Run: PYTHONPATH=libs:. python tools/train_labeler.py [--extra DIR ...] [--out FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "libs"), str(ROOT)]

from services.card_factory.domain import build_structured_card  # noqa: E402
from services.ingest.domain import Rejection, to_raw_record, validate_submission  # noqa: E402
from services.labeler.features import card_features  # noqa: E402
from services.labeler.learned import (  # noqa: E402
    MODEL_DIMENSIONS,
    NULL_CLASS,
    SEPARATOR,
    LearnedModel,
    load_model,
)
from sxp_cli.corpus import read_jsonl, shared_corpus_dir, split_rows  # noqa: E402
from sxp_cli.reader import type_row  # noqa: E402

DATA = ROOT / "tests" / "unit" / "data"
BLIND = ("labeler_multilingual_2.jsonl", "labeler_multilingual_3.jsonl",
         "labeler_multilingual_4.jsonl", "labeler_multilingual_5.jsonl",
         "labeler_multilingual_6.jsonl")
MODEL_OUT = ROOT / "services" / "labeler" / "model" / "labeler_model.npz"
MIN_DF = 3
FOLDS = 5
Targets = dict[str, dict[str, float]]  # dimension -> label -> weight
Example = tuple[dict[str, Any], dict[str, float], Targets, dict[str, Any]]  # card, features,
# targets, the row itself


def card_of(row: dict[str, Any], n: int) -> dict[str, Any] | None:
    """The structured card the pipeline would make of a row (None when ingest rejects it)."""
    now = datetime.now(UTC)
    fields = type_row(row)
    fields.update(submission_id=f"00000000-0000-0000-0000-{n:012d}", job_id="train",
                  source=f"train:{n}", submitted_at=now)
    result = validate_submission(fields, now)
    if isinstance(result, Rejection):
        return None
    return build_structured_card(to_raw_record(result, 1))


def targets_of(row: dict[str, Any]) -> Targets:
    """Label weights per dimension: accepted labels share 1.0; "null" only -> the null class."""
    expect = row.get("expect")
    if not isinstance(expect, dict):  # the hand-written holdout format: one label or None
        return {d: {row.get(f"expected_{d}") or NULL_CLASS: 1.0} for d in ("persona", "tribe")}
    out: Targets = {}
    for dimension in MODEL_DIMENSIONS:
        accepted = expect.get(dimension)
        if not isinstance(accepted, list) or not accepted:
            continue
        labels = [a for a in accepted if a != NULL_CLASS] or [NULL_CLASS]
        out[dimension] = {label: 1.0 / len(labels) for label in labels}
    return out


def training_rows(extra: Sequence[Path]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(fixed rows, dev rows): the hand-written and extra sets, and the corpus dev split."""
    fixed: list[dict[str, Any]] = []
    for path in sorted(DATA.glob("labeler_*.jsonl")):
        if path.name not in BLIND:
            fixed += read_jsonl(path)
    for folder in extra:
        for path in sorted(folder.rglob("*.jsonl")):
            fixed += read_jsonl(path)
    corpus = shared_corpus_dir(ROOT) / "real_dev.jsonl"
    dev = split_rows(read_jsonl(corpus))[0] if corpus.exists() else []
    return fixed, dev


def featurize(rows: Iterable[dict[str, Any]]) -> list[Example]:
    """(card, features, targets, row) of every row ingest accepts."""
    out = []
    for n, row in enumerate(rows):
        card = card_of(row, n)
        if card is not None:
            out.append((card, card_features(card), targets_of(row), row))
    return out


def vocabulary(examples: Sequence[Example]) -> list[str]:
    """Features present in at least MIN_DF training cards, sorted (a stable model file)."""
    counts: dict[str, int] = {}
    for _, features, _, _ in examples:
        for name in features:
            counts[name] = counts.get(name, 0) + 1
    return sorted(name for name, count in counts.items() if count >= MIN_DF)


def fit(examples: Sequence[Example], names: list[str],
        classes: dict[str, list[str]], strength: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per dimension, (coef: vocabulary x classes, intercept) of a multinomial regression."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    index = {name: i for i, name in enumerate(names)}
    fitted = {}
    for dimension in MODEL_DIMENSIONS:
        rows, cols, vals, labels, weights = [], [], [], [], []
        for _, features, targets, _ in examples:
            for label, weight in targets.get(dimension, {}).items():
                for name, value in features.items():
                    if name in index:
                        rows.append(len(labels))
                        cols.append(index[name])
                        vals.append(value)
                labels.append(classes[dimension].index(label))
                weights.append(weight)
        matrix = csr_matrix((vals, (rows, cols)), shape=(len(labels), len(names)))
        model = LogisticRegression(C=strength, max_iter=200)
        model.fit(matrix, np.array(labels), sample_weight=np.array(weights))
        coef = np.zeros((len(names), len(classes[dimension])), dtype=np.float32)
        coef[:, model.classes_] = model.coef_.T
        intercept = np.full(len(classes[dimension]), -30.0, dtype=np.float32)
        intercept[model.classes_] = model.intercept_
        fitted[dimension] = (coef, intercept)
    return fitted


def model_bytes(names: list[str], classes: dict[str, list[str]],
                fitted: dict[str, tuple[np.ndarray, np.ndarray]], thresholds: dict[str, float],
                version: str) -> bytes:
    """The npz archive of a model (float16 weights, text as utf-8 bytes, no pickles)."""
    from io import BytesIO

    def text(value: str) -> np.ndarray:
        return np.frombuffer(value.encode("utf-8"), dtype=np.uint8)

    arrays = {"version": text(version), "vocabulary": text(SEPARATOR.join(names))}
    for dimension, (coef, intercept) in fitted.items():
        arrays[f"{dimension}_classes"] = text(SEPARATOR.join(classes[dimension]))
        arrays[f"{dimension}_coef"] = coef.astype(np.float16)
        arrays[f"{dimension}_intercept"] = intercept.astype(np.float32)
        arrays[f"{dimension}_threshold"] = np.array(thresholds.get(dimension, 0.5))
    buffer = BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def all_classes(examples: Sequence[Example]) -> dict[str, list[str]]:
    """Per dimension, every label of the taxonomy that appears, plus the null class, sorted."""
    found: dict[str, set[str]] = {d: {NULL_CLASS} for d in MODEL_DIMENSIONS}
    for _, _, targets, _ in examples:
        for dimension, labels in targets.items():
            found[dimension].update(labels)
    return {d: sorted(labels) for d, labels in found.items()}


def build(examples: Sequence[Example], strength: float,
          thresholds: dict[str, float], version: str) -> LearnedModel:
    """Train on the examples and return the model as the labeler would load it."""
    names = vocabulary(examples)
    classes = all_classes(examples)
    fitted = fit(examples, names, classes, strength)
    return load_model(model_bytes(names, classes, fitted, thresholds, version))


def fold_of(card: dict[str, Any]) -> int:
    """The cross-validation fold of a dev card (by a hash of its username)."""
    return int(hashlib.sha1(str(card["username"]).encode("utf-8")).hexdigest()[:8], 16) % FOLDS


def main() -> None:
    """Cross-validate on dev, pick thresholds, train on everything, write the model file."""
    from tools.train_select import cross_validated, pick_thresholds, report

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extra", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path, default=MODEL_OUT)
    parser.add_argument("--strength", type=float, default=10.0)
    parser.add_argument("--floor", type=float, default=0.81)
    parser.add_argument("--version", default="lr-1")
    parser.add_argument("--thresholds", default="",
                        help="persona=0.8,tribe=0.35,industry=0.5: skip the cross-validation")
    args = parser.parse_args()
    fixed_rows, dev_rows = training_rows(args.extra)
    fixed, dev = featurize(fixed_rows), featurize(dev_rows)
    print(f"training cards: {len(fixed)} hand-written/extra, {len(dev)} corpus dev")
    if args.thresholds:
        thresholds = {k: float(v) for k, v in
                      (pair.split("=") for pair in args.thresholds.split(","))}
    else:
        predictions = cross_validated(fixed, dev, args.strength)
        thresholds = pick_thresholds(predictions, args.floor)
        print(f"thresholds: {thresholds}")
        report(predictions, thresholds)
    model = model_bytes(*_trained(fixed + dev, args.strength), thresholds, args.version)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(model)
    print(f"wrote {args.out} ({len(model) / 1e6:.2f} MB)")


def _trained(examples: Sequence[Example], strength: float,
             ) -> tuple[list[str], dict[str, list[str]], dict[str, tuple[np.ndarray, np.ndarray]]]:
    names = vocabulary(examples)
    classes = all_classes(examples)
    return names, classes, fit(examples, names, classes, strength)


if __name__ == "__main__":
    main()
