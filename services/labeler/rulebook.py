"""Load the labeler's rule tables (services/labeler/rules/*.tsv) once and precompile them.

Term tables (terms_*.tsv), one rule row per pattern, tab-separated:

    pattern  kind  weight  persona  tribe  industry

kind is term (a word or phrase, matched on whole words; a hashtag matches it too, split on
case changes or written as one word), suffix (the end of one long word that has no rule of
its own: German and Dutch compounds, "Laufcoach", "Zahnärztin"), stem (the start of one word
that has no rule of its own, followed by at most MAX_STEM_ENDING letters: the case and
possessive endings of Turkish and other agglutinative languages, "avukatım", "kurucusu"),
hashtag (a whole hashtag
body), emoji, category (words inside the platform category), domain (the external link's
host or a parent domain) or username (a substring of the username's letters). Each label
column is "-" or a label id, optionally "id@weight" to override the row weight for that
dimension. A term row with "-" in all three columns is a neutral phrase: it labels nothing,
but as the longest match it hides the shorter terms inside it ("book online" is not about
books).

Policy tables: personas.tsv (persona, execution_label, default_tribe, default_industry,
industry_from_tribe), execution.tsv (execution_label, precedence), tribes.tsv (tribe,
default_industry), industry_tribes.tsv (industry, the tribe a company or professional in that
sector belongs to when nothing else names one), boosters.tsv (signal, dimension, label, weight),
name_stopwords.tsv
(surname-like words ignored in display names) and scopes.tsv (audience / past-role markers).

An operator's rules directory (SXP_LABELER_RULES_DIR, passed in as `rules_dir`) overrides the
packaged tables: a file there named like a packaged table replaces it, and another
terms_*.tsv file there adds its rows. Any other file name is refused, so a misspelt table
cannot be ignored without a word.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from services.labeler.text import emoji_key, fold, is_unspaced_pattern, words

DIMENSIONS: tuple[str, ...] = ("persona", "tribe", "industry")
KINDS: frozenset[str] = frozenset(
    {"term", "phrase", "suffix", "stem", "hashtag", "emoji", "category", "domain", "username"}
)
MIN_SUFFIX_STEM = 3  # a suffix rule needs at least this many letters in front of it
MIN_STEM = 4  # a stem rule is at least this long ("avukat", not "av")
MAX_STEM_ENDING = 6  # and takes at most this many letters after it ("kurucu|suyum")
_PLURAL_ES = re.compile(r"(s|x|z|ch|sh)$")
_PLURAL_IES = re.compile(r"[^aeiou]y$")


@dataclass(frozen=True, slots=True)
class Rule:
    """One (pattern, dimension, label, weight); key is the pattern as one distinct signal."""

    key: str
    pattern: str
    kind: str
    dimension: str
    label: str
    weight: float


@dataclass(frozen=True, slots=True)
class PersonaPolicy:
    """What a decided persona implies: execution label and fallback tribe/industry."""

    persona: str
    execution_label: str
    default_tribe: str | None
    default_industry: str | None
    industry_from_tribe: bool


@dataclass(frozen=True, slots=True)
class Booster:
    """Extra weight for a label that already has evidence, when a profile signal holds."""

    signal: str
    dimension: str
    label: str
    weight: float


@dataclass(frozen=True, slots=True)
class Scope:
    """Words after a marker describe an audience or a past role: per-dimension factors."""

    span: int
    factors: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class RuleBook:
    """All rule tables, compiled into lookup dicts keyed by folded pattern."""

    words: Mapping[str, tuple[Rule, ...]]
    word_prefixes: frozenset[str]
    max_words: int
    hashtags: Mapping[str, tuple[Rule, ...]]
    categories: Mapping[str, tuple[Rule, ...]]
    category_max_words: int
    emoji: Mapping[str, tuple[Rule, ...]]
    domains: Mapping[str, tuple[Rule, ...]]
    usernames: Mapping[str, tuple[Rule, ...]]
    username_lengths: tuple[int, ...]
    unspaced: Mapping[str, tuple[Rule, ...]]
    unspaced_regex: re.Pattern[str] | None
    suffixes: Mapping[str, tuple[Rule, ...]]
    suffix_lengths: tuple[int, ...]
    stems: Mapping[str, tuple[Rule, ...]]
    stem_lengths: tuple[int, ...]
    personas: Mapping[str, PersonaPolicy]
    precedence: Mapping[str, int]
    tribe_industry: Mapping[str, str]
    industry_tribe: Mapping[str, str]
    boosters: tuple[Booster, ...]
    name_stopwords: frozenset[str]
    scopes: Mapping[str, Scope]

    def all_rules(self) -> Iterator[Rule]:
        """Every compiled rule (variants included), for audits and tests."""
        for table in (self.words, self.hashtags, self.categories, self.emoji, self.domains,
                      self.usernames, self.unspaced, self.suffixes, self.stems):
            for rules in table.values():
                yield from rules


Tables = Mapping[str, Traversable]


def rule_tables(rules_dir: Path | None = None) -> dict[str, Traversable]:
    """Every rule table by file name, in name order: the packaged ones, each replaced by the
    file of the same name in `rules_dir`, plus the terms_*.tsv files only `rules_dir` has."""
    folder = resources.files("services.labeler.rules")
    tables: dict[str, Traversable] = {p.name: p for p in folder.iterdir()
                                      if p.name.endswith(".tsv")}
    if rules_dir is not None:
        if not Path(rules_dir).is_dir():
            raise ValueError(f"the labeler rules directory {rules_dir} is not a directory")
        for path in Path(rules_dir).iterdir():
            if not path.name.endswith(".tsv"):
                continue
            if path.name not in tables and not path.name.startswith("terms_"):
                raise ValueError(f"{path}: not a rule table (name it like a packaged table "
                                 f"to replace it, or terms_<anything>.tsv to add rows)")
            tables[path.name] = path
    return dict(sorted(tables.items()))


def _rows(tables: Tables, name: str) -> Iterator[list[str]]:
    text = tables[name].read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        yield [cell.strip() for cell in line.split("\t")]


def _table_names(tables: Tables, prefix: str) -> list[str]:
    return [name for name in tables if name.startswith(prefix)]


def parse_term_row(cells: list[str]) -> list[Rule]:
    """The rules of one term-table row (one per label column that is not '-')."""
    if len(cells) != 6:
        raise ValueError(f"term row needs 6 tab-separated cells, got {len(cells)}: {cells}")
    pattern, kind, weight_text, *labels = cells
    if kind not in KINDS:
        raise ValueError(f"unknown rule kind {kind!r} for {pattern!r}")
    kind = "term" if kind == "phrase" else kind
    key = pattern if kind == "emoji" else " ".join(w for w in words(fold(pattern)) if w)
    key = key or fold(pattern)
    rules = []
    for dimension, cell in zip(DIMENSIONS, labels, strict=True):
        if cell == "-":
            continue
        label, _, override = cell.partition("@")
        weight = float(override or weight_text)
        rules.append(Rule(key, pattern, kind, dimension, label, weight))
    return rules


def _plural_variants(key: str) -> list[str]:
    head, _, last = key.rpartition(" ")
    if len(last) < 3 or last[-1].isdigit():
        return []
    prefix = f"{head} " if head else ""
    forms = [f"{last}s"]
    if _PLURAL_ES.search(last):
        forms.append(f"{last}es")
    if _PLURAL_IES.search(last):
        forms.append(f"{last[:-1]}ies")
    return [prefix + form for form in forms]


def _index(rules: list[Rule]) -> dict[str, dict[str, list[Rule]]]:
    tables: dict[str, dict[str, list[Rule]]] = defaultdict(lambda: defaultdict(list))
    explicit = {r.key for r in rules if r.kind == "term"}
    for rule in rules:
        if rule.kind == "term" and is_unspaced_pattern(rule.pattern):
            tables["unspaced"][fold(rule.pattern)].append(rule)
        elif rule.kind == "term":
            tables["words"][rule.key].append(rule)
            for variant in _plural_variants(rule.key):
                if variant not in explicit:
                    tables["words"][variant].append(rule)
            if " " in rule.key:
                tables["hashtags"][rule.key.replace(" ", "")].append(rule)
        elif rule.kind == "hashtag":
            tables["hashtags"][fold(rule.pattern.lstrip("#"))].append(rule)
        elif rule.kind == "emoji":
            tables["emoji"][emoji_key(rule.pattern)].append(rule)
        elif rule.kind == "domain":
            tables["domains"][fold(rule.pattern)].append(rule)
        elif rule.kind == "username":
            tables["usernames"][re.sub(r"[^a-z]", "", fold(rule.pattern))].append(rule)
        elif rule.kind == "suffix":
            tables["suffixes"][rule.key.replace(" ", "")].append(rule)
        elif rule.kind == "stem":
            if len(rule.key) < MIN_STEM or " " in rule.key:
                raise ValueError(f"stem {rule.pattern!r}: one word of {MIN_STEM}+ letters")
            tables["stems"][rule.key].append(rule)
        else:
            tables["categories"][rule.key].append(rule)
    return tables


def _frozen(table: Mapping[str, list[Rule]]) -> dict[str, tuple[Rule, ...]]:
    return {key: tuple(rules) for key, rules in table.items()}


Policies = tuple[dict[str, PersonaPolicy], dict[str, int], dict[str, str], tuple[Booster, ...]]


def _policies(tables: Tables) -> Policies:
    personas = {
        row[0]: PersonaPolicy(row[0], row[1], None if row[2] == "-" else row[2],
                              None if row[3] == "-" else row[3], row[4] == "yes")
        for row in _rows(tables, "personas.tsv")
    }
    precedence = {row[0]: int(row[1]) for row in _rows(tables, "execution.tsv")}
    tribes = {row[0]: row[1] for row in _rows(tables, "tribes.tsv") if row[1] != "-"}
    boosters = tuple(Booster(r[0], r[1], r[2], float(r[3]))
                     for r in _rows(tables, "boosters.tsv"))
    return personas, precedence, tribes, boosters


def load_term_rules(rules_dir: Path | None = None) -> list[Rule]:
    """Every rule row of the terms_*.tsv tables, parsed, before compilation."""
    tables = rule_tables(rules_dir)
    return [rule for name in _table_names(tables, "terms_") for row in _rows(tables, name)
            for rule in parse_term_row(row)]


def load_neutral_phrases(rules_dir: Path | None = None) -> list[str]:
    """The keys of term rows that label nothing ("-" in every column): they only hide."""
    tables = rule_tables(rules_dir)
    return [key for name in _table_names(tables, "terms_") for row in _rows(tables, name)
            if len(row) == 6 and row[1] in ("term", "phrase") and row[3:] == ["-", "-", "-"]
            for key in [" ".join(w for w in words(fold(row[0])) if w)] if key]


def rulebook(rules_dir: Path | None = None) -> RuleBook:
    """The compiled rule book: the packaged tables with the overrides of `rules_dir` (read
    once per directory, then cached)."""
    return _compiled(rules_dir)


@lru_cache(maxsize=4)  # a process labels with one directory; 4 covers the tests
def _compiled(rules_dir: Path | None) -> RuleBook:
    files = rule_tables(rules_dir)
    tables = _index(load_term_rules(rules_dir))
    words_table = _frozen(tables["words"])
    for key in load_neutral_phrases(rules_dir):
        for form in (key, *_plural_variants(key)):  # "tariffs" is no "tarif|fs" either
            words_table.setdefault(form, ())
    suffixes = _frozen(tables["suffixes"])
    stems = _frozen(tables["stems"])
    categories = _frozen(tables["categories"])
    unspaced = _frozen(tables["unspaced"])
    usernames = _frozen(tables["usernames"])
    alternation = "|".join(re.escape(k) for k in sorted(unspaced, key=len, reverse=True))
    personas, precedence, tribe_industry, boosters = _policies(files)
    return RuleBook(
        words=words_table,
        word_prefixes=frozenset(
            " ".join(k.split(" ")[:n]) for k in words_table for n in range(1, k.count(" ") + 1)
        ),
        max_words=max((k.count(" ") + 1 for k in words_table), default=1),
        hashtags=_frozen(tables["hashtags"]),
        categories=categories,
        category_max_words=max((k.count(" ") + 1 for k in categories), default=1),
        emoji=_frozen(tables["emoji"]),
        domains=_frozen(tables["domains"]),
        usernames=usernames,
        username_lengths=tuple(sorted({len(k) for k in usernames})),
        unspaced=unspaced,
        unspaced_regex=re.compile(alternation) if alternation else None,
        suffixes=suffixes,
        suffix_lengths=tuple(sorted({len(k) for k in suffixes}, reverse=True)),
        stems=stems,
        stem_lengths=tuple(sorted({len(k) for k in stems}, reverse=True)),
        personas=personas,
        precedence=precedence,
        tribe_industry=tribe_industry,
        industry_tribe={row[0]: row[1] for row in _rows(files, "industry_tribes.tsv")},
        boosters=boosters,
        name_stopwords=frozenset(fold(row[0]) for row in _rows(files, "name_stopwords.tsv")),
        scopes={fold(r[0]): Scope(int(r[1]), dict(zip(DIMENSIONS, map(float, r[2:5]), strict=True)))
                for r in _rows(files, "scopes.tsv")},
    )
