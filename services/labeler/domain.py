"""Pure labeling domain: taxonomy v1 labels for one structured lead card.

label_card() matches the card against the packaged rule tables (services/labeler/rules/),
scores persona, tribe and industry (see engine.py and README.md), then applies the policy
tables: interests-only fallback persona, persona -> default tribe, persona/tribe -> default
industry, persona -> execution label with a fixed precedence. A label that is not decided
is None; a decided label carries a confidence in [0, 1] and its evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.labeler.engine import (
    MIN_MARGIN,
    MIN_SCORE,
    Scored,
    boost,
    card_signals,
    confidence,
    decide,
    match_card,
    ranked,
    score,
)
from services.labeler.learned import MODEL_DIMENSIONS, LearnedModel, Prediction, learned_model
from services.labeler.rulebook import DIMENSIONS, RuleBook, rulebook
from sxp_common.audience_pool import audience_pool
from sxp_common.taxonomy import EXECUTION_LABELS as EXECUTION_LABELS
from sxp_common.taxonomy import INDUSTRIES, PERSONAS, TRIBES

TAXONOMY_VERSION = "v1"

# The taxonomy's ids live in one place (sxp_common.taxonomy), read by libraries too.
ALL_PERSONAS: tuple[str, ...] = PERSONAS
ALL_TRIBES: tuple[str, ...] = TRIBES
ALL_INDUSTRIES: tuple[str, ...] = INDUSTRIES

READY = "LABELED"
NOT_READY = "STRUCTURED"
MAX_EVIDENCE = 6
INTERESTS_ONLY_FACTOR = 0.6
DEFAULT_FACTOR = 0.7
TIE_FACTOR = 0.8
ORG_CUE = 0.5
ORG_TOPIC_FLOOR = 0.3  # an account's topic: weak hints suffice when nothing competes
CREATOR_FOLLOWERS = 10_000
_ORG_LIKE = frozenset({"organization", "small_business_owner", "agency"})
AUDIENCE_AFFILIATES = frozenset({"artist", "coach", "educator"})
# Bios that only list a trade's tools ("Python, Linux, DevOps", "SEO | social media") are
# written by people who practise it, not by hobbyists.
PRACTITIONER_TRIBES = {"startups_tech": "developer", "ai_data": "developer",
                       "marketing_growth": "marketer"}


@dataclass(frozen=True, slots=True)
class LabelDecision:
    """One decided label: its id, a confidence in [0, 1] and the evidence behind it."""

    id: str
    confidence: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CardLabels:
    """All taxonomy v1 labels of one card, plus its audience pool and readiness."""

    persona: LabelDecision | None
    tribe: LabelDecision | None
    industry: LabelDecision | None
    execution_label: LabelDecision | None
    audience_pool: str
    readiness: str


def _decision(scored: Mapping[str, Scored]) -> LabelDecision | None:
    decided = decide(scored)
    if decided is None:
        return None
    top, conf = decided
    return LabelDecision(top.label, conf, top.evidence[:MAX_EVIDENCE])


def _first_of_tied(scored: Mapping[str, Scored]) -> LabelDecision | None:
    """Several labels decisive and within MIN_MARGIN of each other ("Meteorologist, grad
    student", "Music buff | Cricket freak"): the first-mentioned, at a lower confidence."""
    order = ranked(scored)
    if len(order) < 2 or order[1].score < MIN_SCORE or order[0].lead is None:
        return None
    top = order[0]
    return LabelDecision(top.label, round(TIE_FACTOR * confidence(top.score, order[1].score), 4),
                         ("signal:first_of_tied", *top.evidence[:MAX_EVIDENCE - 1]))


def _decision_or_tie(scored: Mapping[str, Scored]) -> LabelDecision | None:
    return _decision(scored) or _first_of_tied(scored)


def _lone_hint(scored: Mapping[str, Scored], floor: float) -> LabelDecision | None:
    """Weak evidence for one tribe and nothing close to it (an organization's own topic)."""
    order = ranked(scored)
    if not order or not floor <= order[0].score < MIN_SCORE:
        return None
    if len(order) > 1 and order[0].score - order[1].score < MIN_MARGIN:
        return None
    top = order[0]
    return LabelDecision(top.label, round(TIE_FACTOR * confidence(top.score, 0.0), 4),
                         ("signal:lone_hint", *top.evidence[:MAX_EVIDENCE - 1]))


def _undecisive(scored: Mapping[str, Scored]) -> bool:
    return all(s.score < MIN_SCORE for s in scored.values())


def _org_cue(persona_scores: Mapping[str, Scored]) -> bool:
    """An organization cue worth more than a lone username fragment ("roy_official")."""
    return any(persona_scores[p].score >= ORG_CUE for p in _ORG_LIKE & persona_scores.keys())


def _interests_only(persona_scores: Mapping[str, Scored], tribe: LabelDecision | None,
                    followers: int, platform: str) -> LabelDecision | None:
    """An individual described only by interests: a creator with an audience, a publisher's
    cue or a TikTok account (a video feed), a practitioner when the interests are a trade's
    tools, otherwise a hobbyist."""
    if tribe is None or not _undecisive(persona_scores) or _org_cue(persona_scores):
        return None
    conf = round(INTERESTS_ONLY_FACTOR * tribe.confidence, 4)
    if followers >= CREATOR_FOLLOWERS:
        evidence = ("signal:interests_only", "signal:followers_10k") + tribe.evidence[:3]
        return LabelDecision("creator", conf, evidence)
    if platform == "tiktok":
        evidence = ("signal:interests_only", "signal:tiktok") + tribe.evidence[:3]
        return LabelDecision("creator", conf, evidence)
    cue = persona_scores.get("creator")
    if cue is not None:  # "tips", "new video every week", "follow for more": a publisher
        evidence = ("signal:interests_only", *cue.evidence[:2]) + tribe.evidence[:3]
        return LabelDecision("creator", conf, evidence[:MAX_EVIDENCE])
    if tribe.id in PRACTITIONER_TRIBES:  # "Linux, Cloud, Security": a practitioner's stack
        return LabelDecision(PRACTITIONER_TRIBES[tribe.id], conf,
                             ("signal:interests_only", f"tribe:{tribe.id}") + tribe.evidence[:3])
    return LabelDecision("hobbyist", conf, ("signal:interests_only",) + tribe.evidence[:3])


def _with_audience(persona: LabelDecision | None, followers: int) -> LabelDecision | None:
    """A self-described hobbyist ("plant mom", "weekend angler") with a large following is a
    creator, the same rule the interests-only fallback applies."""
    if persona is None or persona.id != "hobbyist" or followers < CREATOR_FOLLOWERS:
        return persona
    return LabelDecision("creator", persona.confidence,
                         ("signal:followers_10k",) + persona.evidence[:MAX_EVIDENCE - 1])


def _default_tribe(book: RuleBook, tribe_scores: Mapping[str, Scored],
                   persona: LabelDecision | None) -> LabelDecision | None:
    """The persona's own tribe when no tribe is decisive, or when it is one of the tribes tied
    at the top (a developer who mentions Python and data is in startups_tech)."""
    if persona is None:
        return None
    policy = book.personas.get(persona.id)
    if policy is None or policy.default_tribe is None:
        return None
    wanted, evidence = policy.default_tribe, persona.evidence[:3]
    if not _undecisive(tribe_scores):
        order = ranked(tribe_scores)
        tied = {s.label for s in order if order[0].score - s.score < MIN_MARGIN}
        if wanted not in tied:
            return None
        evidence = tribe_scores[wanted].evidence[:3]
    return LabelDecision(wanted, round(DEFAULT_FACTOR * persona.confidence, 4),
                         (f"persona:{persona.id}",) + evidence)


def _tribe_of_industry(book: RuleBook, industry: LabelDecision | None,
                       persona: LabelDecision | None) -> LabelDecision | None:
    """A company or professional with a stated sector and no tribe: the sector's community."""
    if industry is None or persona is None or industry.evidence[0].startswith("tribe:"):
        return None
    policy = book.personas.get(persona.id)
    tribe = book.industry_tribe.get(industry.id)
    if tribe is None or policy is None or not policy.industry_from_tribe:
        return None
    return LabelDecision(tribe, round(DEFAULT_FACTOR * industry.confidence, 4),
                         (f"industry:{industry.id}",) + industry.evidence[:3])


def _industry(book: RuleBook, industry_scores: Mapping[str, Scored],
              persona: LabelDecision | None, tribe: LabelDecision | None) -> LabelDecision | None:
    explicit = _decision(industry_scores)
    if explicit is not None or persona is None:
        return explicit
    policy = book.personas.get(persona.id)
    if policy is not None and policy.default_industry is not None:
        return LabelDecision(policy.default_industry,
                             round(DEFAULT_FACTOR * persona.confidence, 4),
                             (f"persona:{persona.id}",))
    if tribe is None or policy is None or not policy.industry_from_tribe:
        return None
    sector = book.tribe_industry.get(tribe.id)
    if sector is None:
        return None
    conf = round(DEFAULT_FACTOR * tribe.confidence, 4)
    return LabelDecision(sector, conf, (f"tribe:{tribe.id}",))


def _execution(book: RuleBook, persona: LabelDecision | None,
               persona_scores: Mapping[str, Scored], followers: int) -> LabelDecision | None:
    """Execution label of the decided persona, or of a persona scoring as high that precedes it; an
    artist, coach or educator with an audience of 10,000+ can promote: AFFILIATE."""
    if persona is None:
        return None
    fitting = [(persona.id, persona.confidence, persona.evidence, math.inf)]
    own = persona_scores.get(persona.id)
    bar = max(MIN_SCORE, own.score if own is not None else 0.0)
    user = book.personas[persona.id].execution_label == "USER"
    for scored in persona_scores.values():
        # A second role routes the card when it scores as high; a USER who also publishes
        # ("teacher • YouTube • vlogs") is an affiliate as soon as that cue is decisive.
        publishes = user and book.personas[scored.label].execution_label == "AFFILIATE"
        if scored.label != persona.id and scored.score >= (MIN_SCORE if publishes else bar):
            fitting.append((scored.label, confidence(scored.score, 0.0), scored.evidence,
                            scored.score))

    def rank(item: tuple[str, float, tuple[str, ...], float]) -> tuple[int, float, str]:
        """Precedence of the persona's execution label, then score, then persona id."""
        label = book.personas[item[0]].execution_label
        return book.precedence[label], -item[3], item[0]

    chosen, conf, evidence, _ = min(fitting, key=rank)
    label = book.personas[chosen].execution_label
    if label == "USER" and chosen in AUDIENCE_AFFILIATES and followers >= CREATOR_FOLLOWERS:
        label, evidence = "AFFILIATE", ("signal:followers_10k",) + evidence
    return LabelDecision(label, conf, ((f"persona:{chosen}",) + evidence)[:MAX_EVIDENCE])


def _followers(card: Mapping[str, Any]) -> int:
    value = card.get("followers")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _learned(prediction: Prediction | None, dimension: str) -> LabelDecision | None:
    if prediction is None:
        return None
    return LabelDecision(prediction.label, prediction.probability,
                         (prediction.evidence(dimension),))


def fill_from_model(book: RuleBook, model: LearnedModel, card: Mapping[str, Any],
                    scores: Mapping[str, Mapping[str, Scored]],
                    decided: tuple[LabelDecision | None, ...]) -> tuple[LabelDecision | None, ...]:
    """The learned layer where the rules abstain: (persona, tribe, industry), the rules' own
    decisions kept. A learned persona then feeds the rules' fallbacks (its default tribe and
    industry), as a rule-decided persona would."""
    persona, tribe, industry = decided
    missing = [d for d, v in zip(MODEL_DIMENSIONS, decided, strict=True) if v is None]
    predicted = model.predict(card, missing)
    if persona is None:
        persona = _with_audience(_learned(predicted.get("persona"), "persona"), _followers(card))
    tribe = (tribe or _learned(predicted.get("tribe"), "tribe")
             or _default_tribe(book, scores["tribe"], persona))
    if persona is None and card.get("platform") == "tiktok":
        persona = _interests_only(scores["persona"], tribe, _followers(card),
                                  str(card.get("platform") or ""))
    industry = (industry or _industry(book, scores["industry"], persona, tribe)
                or _learned(predicted.get("industry"), "industry"))
    return persona, tribe, industry


def rulebook_problems(book: RuleBook) -> list[str]:
    """What in a rule book names no taxonomy v1 id (an operator's table with a typo, say)."""
    ids = {"persona": ALL_PERSONAS, "tribe": ALL_TRIBES, "industry": ALL_INDUSTRIES}
    problems = [f"{rule.pattern!r}: unknown {rule.dimension} {rule.label!r}"
                for rule in book.all_rules() if rule.label not in ids[rule.dimension]]
    for policy in book.personas.values():
        named = {"persona": policy.persona, "tribe": policy.default_tribe,
                 "industry": policy.default_industry}
        problems += [f"personas.tsv: unknown {d} {v!r}" for d, v in named.items()
                     if v is not None and v not in ids[d]]
        if policy.execution_label not in EXECUTION_LABELS:
            problems.append(f"personas.tsv: unknown execution label {policy.execution_label!r}")
    problems += [f"boosters.tsv: unknown {b.dimension} {b.label!r}" for b in book.boosters
                 if b.label not in ids.get(b.dimension, ())]
    problems += [f"execution.tsv: unknown execution label {label!r}"
                 for label in book.precedence if label not in EXECUTION_LABELS]
    return sorted(set(problems))


def label_card(card: Mapping[str, Any], rules_dir: Path | None = None) -> CardLabels:
    """Persona, tribe, industry and execution label of one structured card (None = undecided):
    the rule tables (with the overrides of `rules_dir`) first, the packaged learned model
    where they abstain."""
    return label_with(card, learned_model(), rulebook(rules_dir))


def label_with(card: Mapping[str, Any], model: LearnedModel | None,
               book: RuleBook | None = None) -> CardLabels:
    """label_card with a given learned model (None: the rule tables alone) and rule book
    (None: the packaged tables)."""
    book = book or rulebook()
    hits = match_card(book, card)
    signals = card_signals(card)
    scores = {d: boost(book, score(hits, d), d, signals) for d in DIMENSIONS}
    tribe = _decision_or_tie(scores["tribe"])
    followers_n, platform = _followers(card), str(card.get("platform") or "")
    persona = (_with_audience(_decision_or_tie(scores["persona"]), followers_n)
               or _interests_only(scores["persona"], tribe, followers_n, platform))
    tribe = tribe or _default_tribe(book, scores["tribe"], persona)
    industry = _industry(book, scores["industry"], persona, tribe)
    tribe = tribe or _tribe_of_industry(book, industry, persona)
    if tribe is None and persona is not None and persona.id == "organization":
        tribe = _lone_hint(scores["tribe"], ORG_TOPIC_FLOOR)
    # Industry alone open (persona and tribe decided) is left to the rules: most cards, and
    # asking the model there costs half the labeler's speed.
    if model is not None and (persona is None or tribe is None):
        persona, tribe, industry = fill_from_model(book, model, card, scores,
                                                   (persona, tribe, industry))
    execution = _execution(book, persona, scores["persona"], _followers(card))
    followers = card.get("followers")
    pool = audience_pool(str(card.get("platform") or "unknown"), tribe.id if tribe else None,
                         followers if isinstance(followers, int) else None)
    return CardLabels(
        persona=persona,
        tribe=tribe,
        industry=industry,
        execution_label=execution,
        audience_pool=pool,
        readiness=READY if persona and tribe else NOT_READY,
    )
