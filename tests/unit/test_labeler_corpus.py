"""The labeler on real public profiles (the shared corpus) and on the hand-written multilingual set.

The corpus lives beside the repository (ROOT.parent/shared/corpus, where CI checks it out;
SXP_CORPUS_DIR points elsewhere, e.g. from a git worktree); the tests skip when it is absent and
never copy its rows into the repository. The holdout split
(sxp_cli.corpus) is written to a temporary file and scored by the same code as `sxp eval labels`.
Its errors were not looked at while tuning; the thresholds are the measured levels minus a
small margin, so a regression fails.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sxp_cli.corpus import (
    HOLDOUT_DIGITS,
    is_holdout,
    read_jsonl,
    shared_corpus_dir,
    split_rows,
    write_jsonl,
)
from sxp_cli.eval_cmd import evaluate_file
from sxp_cli.eval_labels import EvalReport
from tests.support.pipeline import sxp

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
# SXP_CORPUS_DIR only for a git worktree whose parent folder has no shared/ beside it
CORPUS = Path(os.environ.get("SXP_CORPUS_DIR") or shared_corpus_dir(ROOT)) / "real_dev.jsonl"
MULTILINGUAL = Path(__file__).parent / "data" / "labeler_multilingual.jsonl"
# a later batch (labeler2): blind at 0.70 coverage before its gaps were filled
MULTILINGUAL_3 = Path(__file__).parent / "data" / "labeler_multilingual_3.jsonl"
needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason=f"{CORPUS} not present")
MARGIN = 0.03
# measured when the thresholds were set (see services/labeler/README.md)
# rules + learned layer lr-1 (dev was trained on; the holdout never)
HOLDOUT_FLOOR = {"coverage": 0.423, "persona": 0.826, "tribe": 0.78, "execution_label": 0.804}
DEV_FLOOR = {"coverage": 0.647, "persona": 0.827, "tribe": 0.885, "execution_label": 0.84}
MULTILINGUAL_3_FLOOR = {"coverage": 0.90, "persona": 1.0, "tribe": 0.944, "execution_label": 1.0}
MULTILINGUAL_FLOOR = {"coverage": 0.981, "persona": 0.986, "tribe": 0.993, "execution_label": 0.993}
# the learned layer was not trained on this batch: blind for it (0.675 coverage with rules alone)
MULTILINGUAL_2 = Path(__file__).parent / "data" / "labeler_multilingual_2.jsonl"
# 0.75 -> 0.80 with the general vocabulary of terms_i18n_9.tsv, 0.85 with terms_vocab_*.tsv (no
# row written for this batch)
MULTILINGUAL_2_FLOOR = {"coverage": 0.85, "persona": 0.946, "tribe": 1.0, "execution_label": 1.0}


def _assert_at_least(report: EvalReport, floor: dict[str, float]) -> None:
    measured = {"coverage": report.coverage,
                **{d: report.dimensions[d].agreement or 0.0 for d in floor if d != "coverage"}}
    for name, level in floor.items():
        assert measured[name] >= level - MARGIN, f"{name} {measured[name]:.3f} < {level} - {MARGIN}"
    assert report.leaks == ()


def test_the_split_is_deterministic_disjoint_and_holds_out_about_a_fifth() -> None:
    rows = [{"username": f"user{n}"} for n in range(2000)]
    dev, holdout = split_rows(rows)
    assert len(dev) + len(holdout) == len(rows)
    assert {r["username"] for r in dev}.isdisjoint(r["username"] for r in holdout)
    assert 0.2 <= len(holdout) / len(rows) <= 0.3
    assert split_rows(rows) == (dev, holdout)
    assert is_holdout("User7") == is_holdout(" user7 ") and len(HOLDOUT_DIGITS) == 4


@needs_corpus
def test_the_corpus_holdout_is_a_fifth_of_the_real_profiles() -> None:
    dev, holdout = split_rows(read_jsonl(CORPUS))
    assert 0.18 <= len(holdout) / (len(dev) + len(holdout)) <= 0.3
    assert {r["platform"] for r in holdout} == {"x", "tiktok", "threads"}


@needs_corpus
def test_labels_on_the_held_out_real_profiles_hold_their_measured_level(tmp_path: Path) -> None:
    path = tmp_path / "holdout.jsonl"
    write_jsonl(path, split_rows(read_jsonl(CORPUS))[1])
    _assert_at_least(evaluate_file(path), HOLDOUT_FLOOR)


@needs_corpus
def test_labels_on_the_dev_real_profiles_hold_their_measured_level(tmp_path: Path) -> None:
    path = tmp_path / "dev.jsonl"
    write_jsonl(path, split_rows(read_jsonl(CORPUS))[0])
    _assert_at_least(evaluate_file(path), DEV_FLOOR)


@needs_corpus
def test_sxp_eval_labels_runs_on_the_holdout_split(tmp_path: Path) -> None:
    path = tmp_path / "holdout.jsonl"
    count = write_jsonl(path, split_rows(read_jsonl(CORPUS))[1])
    result = sxp("eval", "labels", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rows"] == count and data["rejected"] == 0 and data["pii_leaks"] == []
    assert 0.0 < data["coverage"] <= data["ceiling"] + 0.05


def test_the_multilingual_set_is_large_varied_and_in_the_corpus_format() -> None:
    rows = read_jsonl(MULTILINGUAL)
    languages = {r["source"].split(":")[1] for r in rows}
    assert len(rows) >= 150 and len(languages) >= 8
    assert {r["platform"] for r in rows} == {"x", "tiktok", "threads"}
    assert all(set(r["expect"]) == {"persona", "tribe", "industry", "execution_label", "contact"}
               for r in rows)
    assert len({r["username"] for r in rows}) == len(rows)


def test_labels_on_the_hand_written_multilingual_set_hold_their_measured_level() -> None:
    _assert_at_least(evaluate_file(MULTILINGUAL), MULTILINGUAL_FLOOR)


def test_labels_on_the_later_hand_written_multilingual_batch_hold_their_measured_level() -> None:
    rows = read_jsonl(MULTILINGUAL_3)
    assert len(rows) >= 40 and len({r["source"].split(":")[1] for r in rows}) >= 12
    report = evaluate_file(MULTILINGUAL_3)
    assert report.rejected == 0
    _assert_at_least(report, MULTILINGUAL_3_FLOOR)


def test_labels_on_the_multilingual_batch_the_model_never_saw_hold_their_measured_level() -> None:
    _assert_at_least(evaluate_file(MULTILINGUAL_2), MULTILINGUAL_2_FLOOR)



# Three batches by helpers who had not read the tables, 8 languages and 12 rows each, measured
# blind before their own gaps were filled (services/labeler/README.md): batch 4 (es, pt-BR, fr,
# de, it, ja, id, tr) 0.719 coverage; batch 5 (nl, pl, ru, ar, ko, zh, hi, vi) 0.677 with the
# tables before that round, 0.708 after its vocabulary; batch 6 (th, tl, sw, sv, ro, el, uk, ms)
# 0.667, then 0.698. The floors are the levels after their gaps were filled.
EIGHT_LANGUAGE_FLOORS = {
    "labeler_multilingual_4.jsonl": {"coverage": 0.885, "persona": 0.965, "tribe": 0.966,
                                     "execution_label": 0.941},
    "labeler_multilingual_5.jsonl": {"coverage": 0.823, "persona": 0.962, "tribe": 0.951,
                                     "execution_label": 0.975},
    "labeler_multilingual_6.jsonl": {"coverage": 0.833, "persona": 0.950, "tribe": 0.951,
                                     "execution_label": 0.950},
}


@pytest.mark.parametrize("name", sorted(EIGHT_LANGUAGE_FLOORS))
def test_labels_on_each_eight_language_batch_hold_their_measured_level(name: str) -> None:
    path = Path(__file__).parent / "data" / name
    rows = read_jsonl(path)
    assert len(rows) == 96 and len({r["source"].split(":")[1] for r in rows}) == 8
    report = evaluate_file(path)
    assert report.rejected == 0
    _assert_at_least(report, EIGHT_LANGUAGE_FLOORS[name])
