"""Pure scoring of labeled cards against hand-labeled expectations (the corpus `expect` format).

A row's `expect` holds, per dimension, the label ids a careful reader accepts; "null" means
abstaining is acceptable too. Coverage is the share of rows with persona and tribe both given;
the reader's ceiling is the share where some non-null persona and some non-null tribe are
acceptable. Agreement of a dimension is the share of given labels that are acceptable. A miss is
a given label that is not acceptable, or an abstention where "null" is not acceptable. A leak is
an `expect.contact` string found in any text of a row's output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sxp_cli.corpus import LABEL_DIMENSIONS, NULL

ABSTAINED = "(none)"
WORST_MISSES = 12


@dataclass(frozen=True, slots=True)
class Expectation:
    """What a reader accepts for one row: label ids per dimension, and its contact strings."""

    accepted: Mapping[str, tuple[str, ...]]
    contact: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the labeler gave one row: label id per dimension (None = abstained), all output."""

    given: Mapping[str, str | None]
    output: Any = None
    rejected: bool = False


@dataclass(frozen=True, slots=True)
class DimensionScore:
    """Agreement of one dimension: given labels, acceptable ones among them, wrong abstentions."""

    given: int
    agreed: int
    missed_abstentions: int

    @property
    def agreement(self) -> float | None:
        """Acceptable given labels / given labels (None when nothing was given)."""
        return round(self.agreed / self.given, 4) if self.given else None


@dataclass(frozen=True, slots=True)
class EvalReport:
    """The whole score of a labeled set."""

    rows: int
    rejected: int
    covered: int
    ceiling_rows: int
    dimensions: Mapping[str, DimensionScore]
    misses: tuple[tuple[str, str, str, int], ...]
    leaks: tuple[tuple[int, str], ...] = field(default=())

    @property
    def coverage(self) -> float:
        """Rows with persona and tribe both given / rows."""
        return round(self.covered / self.rows, 4) if self.rows else 0.0

    @property
    def ceiling(self) -> float:
        """Rows where a reader accepts a non-null persona and a non-null tribe / rows."""
        return round(self.ceiling_rows / self.rows, 4) if self.rows else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values."""
        return {
            "rows": self.rows, "rejected": self.rejected, "coverage": self.coverage,
            "ceiling": self.ceiling,
            "agreement": {d: s.agreement for d, s in self.dimensions.items()},
            "given": {d: s.given for d, s in self.dimensions.items()},
            "missed_abstentions": {d: s.missed_abstentions for d, s in self.dimensions.items()},
            "worst_misses": [{"dimension": d, "expected": e, "given": g, "count": n}
                             for d, e, g, n in self.misses],
            "pii_leaks": [{"row": row, "field": where} for row, where in self.leaks],
        }


def parse_expectation(expect: Any) -> Expectation:
    """An Expectation from a row's `expect` object (ValueError when it is not one)."""
    if not isinstance(expect, Mapping):
        raise ValueError("'expect' must be an object with label lists")
    accepted: dict[str, tuple[str, ...]] = {}
    for dimension in LABEL_DIMENSIONS:
        value = expect.get(dimension)
        if value is None and dimension in ("industry", "execution_label"):
            continue
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ValueError(f"'expect.{dimension}' must be a non-empty list of label ids")
        accepted[dimension] = tuple(value)
    contact = expect.get("contact") or []
    if not isinstance(contact, list) or not all(isinstance(c, str) for c in contact):
        raise ValueError("'expect.contact' must be a list of strings")
    return Expectation(accepted, tuple(c for c in contact if c))


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, Sequence) and not isinstance(value, bytes):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")


def leaks(contact: Iterable[str], output: Any) -> list[str]:
    """The output fields (dotted paths) whose text contains any of the contact strings."""
    wanted = [c for c in contact if c]
    return [path for path, text in _texts(output, "") if any(c in text for c in wanted)]


def _abstain_ok(accepted: Sequence[str]) -> bool:
    return NULL in accepted


def _ceiling_row(accepted: Mapping[str, Sequence[str]]) -> bool:
    return all(any(v != NULL for v in accepted[d]) for d in ("persona", "tribe"))


def score_rows(pairs: Iterable[tuple[Expectation, Outcome]]) -> EvalReport:
    """Coverage, ceiling, per-dimension agreement, worst misses and leaks of a labeled set."""
    rows = rejected = covered = ceiling_rows = 0
    given: Counter[str] = Counter()
    agreed: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    misses: Counter[tuple[str, str, str]] = Counter()
    found_leaks: list[tuple[int, str]] = []
    for rows, (expectation, outcome) in enumerate(pairs, start=1):
        rejected += outcome.rejected
        covered += bool(outcome.given.get("persona") and outcome.given.get("tribe"))
        ceiling_rows += _ceiling_row(expectation.accepted)
        for dimension, accepted in expectation.accepted.items():
            label = outcome.given.get(dimension)
            if label is None:
                if not _abstain_ok(accepted):
                    missed[dimension] += 1
                    misses[(dimension, "|".join(accepted), ABSTAINED)] += 1
                continue
            given[dimension] += 1
            if label in accepted:
                agreed[dimension] += 1
            else:
                misses[(dimension, "|".join(accepted), label)] += 1
        found_leaks += [(rows, where) for where in leaks(expectation.contact, outcome.output)]
    worst = sorted(misses.items(), key=lambda item: (-item[1], item[0]))[:WORST_MISSES]
    return EvalReport(
        rows=rows, rejected=rejected, covered=covered, ceiling_rows=ceiling_rows,
        dimensions={d: DimensionScore(given[d], agreed[d], missed[d]) for d in LABEL_DIMENSIONS},
        misses=tuple((d, e, g, n) for (d, e, g), n in worst),
        leaks=tuple(found_leaks),
    )


def outcome_of_preview(result: Mapping[str, Any]) -> Outcome:
    """The labels `sxp preview` gave one row (a rejected row abstains on every dimension)."""
    card = result.get("lead_card")
    if not isinstance(card, Mapping):
        return Outcome({d: None for d in LABEL_DIMENSIONS}, result, rejected=True)
    given = {}
    for dimension in LABEL_DIMENSIONS:
        label = card.get(dimension)
        given[dimension] = label.get("id") if isinstance(label, Mapping) else None
    return Outcome(given, result)
