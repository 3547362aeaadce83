"""Match a card against the compiled rule book and score each dimension.

Matching yields hits: (rule, weight x source factor, evidence, position). Scoring keeps one
hit per distinct signal (dimension, label, pattern key), the strongest, and sums them per
label; weak hits (weight < MIN_SCORE) add at most WEAK_CAP, so a pile of hints ("collabs",
"PR", "tips") cannot outweigh one stated role. Boosters then add weight to a label that
already has evidence when a profile-level signal holds (e.g. a large audience for creator),
unless another label has a decisive signal. When several labels each have a decisive signal
(weight >= MIN_SCORE), the one mentioned first (display name, bio, hashtags, category, ...)
gets FIRST_MENTION_BONUS: "Founder & angel investor" is a founder who invests.
A label is decided when its score >= MIN_SCORE and it leads the runner-up by MIN_MARGIN.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.labeler.rulebook import MAX_STEM_ENDING, MIN_SUFFIX_STEM, Rule, RuleBook
from services.labeler.text import (
    BREAK,
    emoji_chars,
    fold,
    has_unspaced_script,
    hashtags,
    host_suffixes,
    link_host,
    split_camel,
    strip_hashtags,
    username_letters,
    username_words,
    words,
)

SOURCE_FACTORS: Mapping[str, float] = {
    "name": 0.9, "bio": 1.0, "hashtag": 1.0, "category": 0.9,
    "username": 0.7, "domain": 1.0, "emoji": 1.0,
}
# Reading order of the sources: earlier sources count as "mentioned first". The profile's own
# words (name, bio) come before the platform category, which is a coarse pick from a list.
_ORDER = {"name": 0, "bio": 1_000, "hashtag": 2_000, "category": 3_000,
          "username": 4_000, "domain": 5_000, "emoji": 6_000}

MIN_SCORE = 0.6
WEAK_CAP = 0.8
MIN_MARGIN = 0.2
FIRST_MENTION_BONUS = 0.2
CONFIDENCE_RATE = 1.2


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule matched in one place of the card."""

    rule: Rule
    weight: float
    evidence: str
    position: int


@dataclass(frozen=True, slots=True)
class Scored:
    """A label's summed score and the evidence behind it, strongest first."""

    label: str
    score: float
    evidence: tuple[str, ...]
    position: int
    lead: int | None = None


def _rule_hits(rules: Iterable[Rule], source: str, evidence: str, position: int,
               scope: Mapping[str, float] | None = None) -> list[Hit]:
    factor = SOURCE_FACTORS[source]
    if scope is None:
        return [Hit(r, r.weight * factor, evidence, position) for r in rules]
    return [Hit(r, r.weight * factor * scope[r.dimension], evidence, position)
            for r in rules if scope[r.dimension] > 0]


def _scopes(book: RuleBook, tokens: list[str]) -> list[Mapping[str, float] | None]:
    """Per token, the audience/past-role scope it falls in (None = the profile itself)."""
    marks: list[Mapping[str, float] | None] = [None] * len(tokens)
    for i, token in enumerate(tokens):
        scope = book.scopes.get(token)
        if scope is None:
            continue
        for j in range(i + 1, min(i + 1 + scope.span, len(tokens))):
            if tokens[j] == BREAK:
                break
            marks[j] = scope.factors
    return marks


def _token_hits(book: RuleBook, tokens: list[str], source: str, base: int) -> list[Hit]:
    """Longest phrase at each start; a phrase inside a longer one is dropped
    ("executive coach" hides "executive"), overlapping ones both count."""
    hits: list[Hit] = []
    table, prefixes = book.words, book.word_prefixes
    count, covered = len(tokens), 0
    scopes = _scopes(book, tokens)
    for i in range(count):
        key, best, end = tokens[i], table.get(tokens[i]), i + 1
        for j in range(i + 2, min(i + book.max_words, count) + 1):
            if key not in prefixes:
                break
            key = f"{key} {tokens[j - 1]}"
            if key in table:
                best, end = table[key], j
        if best is None and end == i + 1:
            best = _suffix_rules(book, tokens[i]) or _stem_rules(book, tokens[i])
        if best is not None and end > covered:
            if best:
                hits += _rule_hits(best, source, f"{source}:{best[0].pattern}", base + i,
                                   scopes[i])
            covered = end
    return hits


def _suffix_rules(book: RuleBook, token: str) -> tuple[Rule, ...] | None:
    """Rules for the longest listed ending of a word without a rule of its own: the whole
    word, or an ending after a stem of at least MIN_SUFFIX_STEM letters."""
    for length in book.suffix_lengths:
        stem = len(token) - length
        if stem == 0 or stem >= MIN_SUFFIX_STEM:
            rules = book.suffixes.get(token[-length:])
            if rules:
                return rules
    return None


def _stem_rules(book: RuleBook, token: str) -> tuple[Rule, ...] | None:
    """Rules for the longest listed stem a word without a rule of its own starts with, when
    at most MAX_STEM_ENDING letters follow it ("avukatım", "öğretmeniyim")."""
    for length in book.stem_lengths:
        if length < len(token) <= length + MAX_STEM_ENDING:
            rules = book.stems.get(token[:length])
            if rules:
                return rules
    return None


def _unspaced_hits(book: RuleBook, folded: str, source: str, base: int) -> list[Hit]:
    if book.unspaced_regex is None or not has_unspaced_script(folded):
        return []
    hits: list[Hit] = []
    for match in book.unspaced_regex.finditer(folded):
        rules = book.unspaced[match.group(0)]
        hits += _rule_hits(rules, source, f"{source}:{rules[0].pattern}", base + match.start())
    return hits


def _text_hits(book: RuleBook, text: str, source: str,
               ignore: frozenset[str] = frozenset()) -> list[Hit]:
    folded = fold(text)
    base = _ORDER[source]
    tokens = [BREAK if t in ignore else t for t in words(folded)] if ignore else words(folded)
    return _token_hits(book, tokens, source, base) + _unspaced_hits(book, folded, source, base)


def _hashtag_hits(book: RuleBook, text: str) -> list[Hit]:
    hits: list[Hit] = []
    for n, body in enumerate(hashtags(text)):
        evidence, position = f"hashtag:#{body}", _ORDER["hashtag"] + n
        whole = book.hashtags.get(fold(body))
        if whole:
            hits += _rule_hits(whole, "hashtag", evidence, position)
        parts = split_camel(body)
        for hit in _token_hits(book, parts, "hashtag", position):
            hits.append(Hit(hit.rule, hit.weight, evidence, position))
    return hits


_CAMEL_WORD = re.compile(r"[^\W_]*[a-z][A-Z][^\W_]*")
_URL = re.compile(r"\S*(?:https?://|www\.|\.com|\.co/)\S*")
CAMEL_MIN_LEN = 6


def _camel_hits(book: RuleBook, text: str, source: str) -> list[Hit]:
    """Words fused in camel case outside hashtags ("BiggBossTelugu10", "Sara'sCakes"), read
    like a hashtag body: split on case changes and digits, evidence names the whole word."""
    hits: list[Hit] = []
    for match in _CAMEL_WORD.finditer(_URL.sub(" ", text)):
        parts = split_camel(match.group(0))
        if len(match.group(0)) < CAMEL_MIN_LEN or any(len(p) < 2 for p in parts):
            continue  # "PhD", "iOS", link-shortener ids: not fused words
        evidence, position = f"{source}:{match.group(0)}", _ORDER[source] + match.start()
        for hit in _token_hits(book, parts, source, position):
            hits.append(Hit(hit.rule, hit.weight, evidence, position))
    return hits


def _emoji_hits(book: RuleBook, text: str) -> list[Hit]:
    hits: list[Hit] = []
    for char in sorted(emoji_chars(text) & book.emoji.keys()):
        rules = book.emoji[char]
        hits += _rule_hits(rules, "emoji", f"emoji:{rules[0].pattern}", _ORDER["emoji"])
    return hits


def _category_hits(book: RuleBook, category: str) -> list[Hit]:
    tokens = words(fold(category))
    hits: list[Hit] = []
    evidence = f"category:{category.strip()}"
    for i in range(len(tokens)):
        for j in range(i + 1, min(i + book.category_max_words, len(tokens)) + 1):
            rules = book.categories.get(" ".join(tokens[i:j]))
            if rules:
                hits += _rule_hits(rules, "category", evidence, _ORDER["category"] + i)
    hits += [Hit(h.rule, h.weight, evidence, h.position)
             for h in _token_hits(book, tokens, "category", _ORDER["category"])]
    return hits


def _username_hits(book: RuleBook, username: str) -> list[Hit]:
    hits = _token_hits(book, username_words(username), "username", _ORDER["username"])
    letters = username_letters(username)
    for i in range(len(letters)):
        for length in book.username_lengths:
            rules = book.usernames.get(letters[i:i + length])
            if rules:
                hits += _rule_hits(rules, "username", f"username:{rules[0].pattern}",
                                   _ORDER["username"] + i)
    return hits


def _domain_hits(book: RuleBook, url: str) -> list[Hit]:
    for suffix in host_suffixes(link_host(url)):
        rules = book.domains.get(suffix)
        if rules:
            return _rule_hits(rules, "domain", f"domain:{rules[0].pattern}", _ORDER["domain"])
    return []


def _str(card: Mapping[str, Any], field: str) -> str:
    value = card.get(field)
    return value if isinstance(value, str) else ""


def match_card(book: RuleBook, card: Mapping[str, Any]) -> list[Hit]:
    """Every rule hit in a card's category, name, bio, hashtags, username, link and emoji."""
    # The redaction placeholder stays: "[contact removed]" is itself a (weak) creator cue, a
    # business address published for sponsors (terms_reach_4.tsv).
    bio = _str(card, "bio")
    name = _str(card, "display_name")
    hits: list[Hit] = []
    if category := _str(card, "category"):
        hits += _category_hits(book, category)
    if name:
        hits += _text_hits(book, strip_hashtags(name), "name", book.name_stopwords)
        hits += _camel_hits(book, strip_hashtags(name), "name")
    if bio:
        hits += _text_hits(book, strip_hashtags(bio), "bio")
        hits += _camel_hits(book, strip_hashtags(bio), "bio")
        hits += _hashtag_hits(book, bio)
    if username := _str(card, "username"):
        hits += _username_hits(book, username)
    if url := _str(card, "external_url"):
        hits += _domain_hits(book, url)
    if not (bio.isascii() and name.isascii()):
        hits += _emoji_hits(book, f"{name} {bio}")
    return hits


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def card_signals(card: Mapping[str, Any]) -> frozenset[str]:
    """Profile-level signals the booster table can refer to."""
    followers, posts = _int(card.get("followers")), _int(card.get("posts"))
    signals = set()
    if followers >= 10_000:
        signals.add("followers_10k")
    if followers >= 100_000:
        signals.add("followers_100k")
    if posts >= 100:
        signals.add("posts_100")
    if card.get("verified") is True:
        signals.add("verified")
    return frozenset(signals)


def score(hits: Iterable[Hit], dimension: str) -> dict[str, Scored]:
    """Per label: strong weights + min(WEAK_CAP, weak weights) over distinct signals."""
    best: dict[str, dict[str, Hit]] = {}
    leads: dict[str, int] = {}
    for hit in hits:
        if hit.rule.dimension != dimension or hit.weight <= 0:
            continue
        label = hit.rule.label
        per_label = best.setdefault(label, {})
        seen = per_label.get(hit.rule.key)
        if seen is None or hit.weight > seen.weight:
            per_label[hit.rule.key] = hit
        if hit.weight >= MIN_SCORE and hit.position < leads.get(label, hit.position + 1):
            leads[label] = hit.position
    scored = {}
    for label, per_key in best.items():
        ranked = sorted(per_key.values(), key=lambda h: (-h.weight, h.position, h.evidence))
        evidence = tuple(dict.fromkeys(h.evidence for h in ranked))
        strong = sum(h.weight for h in ranked if h.weight >= MIN_SCORE)
        weak = min(WEAK_CAP, sum(h.weight for h in ranked if h.weight < MIN_SCORE))
        scored[label] = Scored(label, strong + weak, evidence, min(h.position for h in ranked),
                               leads.get(label))
    return scored


def boost(book: RuleBook, scored: dict[str, Scored], dimension: str,
          signals: frozenset[str]) -> dict[str, Scored]:
    """Boosters added to labels that already have evidence, unless another label has a
    decisive signal of its own (a boost settles weak evidence; it never overrides a role)."""
    out = dict(scored)
    for booster in book.boosters:
        current = out.get(booster.label)
        if booster.dimension != dimension or booster.signal not in signals or current is None:
            continue
        if any(s.lead is not None for s in scored.values() if s.label != booster.label):
            continue
        out[booster.label] = Scored(current.label, current.score + booster.weight,
                                    current.evidence + (f"signal:{booster.signal}",),
                                    current.position, current.lead)
    return out


def confidence(top: float, runner_up: float) -> float:
    """(1 - e^(-1.2 * top)) * (0.5 + 0.5 * (top - runner_up) / top), rounded to 4 places."""
    if top <= 0:
        return 0.0
    strength = 1.0 - math.exp(-CONFIDENCE_RATE * top)
    dominance = max(0.0, top - runner_up) / top
    return round(strength * (0.5 + 0.5 * dominance), 4)


def ranked(scored: Mapping[str, Scored]) -> list[Scored]:
    """Labels best first; of several with a decisive signal, the first-mentioned gets a bonus."""
    strong = [s for s in scored.values() if s.lead is not None]
    if len(strong) > 1:
        first = min(strong, key=lambda s: (s.lead, -s.score, s.label))
        scored = {**scored, first.label: Scored(first.label, first.score + FIRST_MENTION_BONUS,
                                                first.evidence, first.position, first.lead)}
    return sorted(scored.values(), key=lambda s: (-s.score, s.position, s.label))


def decide(scored: Mapping[str, Scored]) -> tuple[Scored, float] | None:
    """The top label and its confidence, or None below MIN_SCORE or MIN_MARGIN."""
    order = ranked(scored)
    if not order or order[0].score < MIN_SCORE:
        return None
    runner_up = order[1].score if len(order) > 1 else 0.0
    if round(order[0].score - runner_up, 6) < MIN_MARGIN:
        return None
    return order[0], confidence(order[0].score, runner_up)
