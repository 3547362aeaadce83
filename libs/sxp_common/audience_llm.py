"""The optional LLM qualification scorer: a local model asked through Ollama's chat API.

The prompt carries the audience's canonical criteria, the card's labels (Tier 3) and the
profile's Tier 1 text and counts, nothing else: Tier1Text and MemberFacts are the only
inputs, and Tier1Text.from_row keeps only Tier 1 columns of whatever row it is given, so a
Tier 2 value (a contact's name, email or phone) cannot reach a prompt.

The model must answer JSON valid against QUALIFICATION_SCHEMA. Any other answer, or none,
is refused with the client's reason code (sxp_common.llm) and the member is scored by the
default scorer instead, its Qualification carrying `refused` = that code and a reason
saying so, and a warning logged: never silently.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from sxp_common.audience_criteria import Node, canonical
from sxp_common.audience_scoring import MemberFacts, Qualification, default_score
from sxp_common.llm import ChatJson, LlmRefusal, Message

log = logging.getLogger("sxp.audience.llm")

QUALIFICATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "qualified": {"type": "boolean"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reasons": {"type": "array", "minItems": 1, "maxItems": 5,
                    "items": {"type": "string", "minLength": 1, "maxLength": 200}},
    },
    "required": ["qualified", "score", "reasons"],
    "additionalProperties": False,
}
SYSTEM_PROMPT = (
    "You qualify one public social profile for a market audience. You get the audience's "
    "criteria, the profile's labels with their confidence, and its public profile text. "
    "Answer only JSON: qualified (true when the profile belongs in the audience), score "
    "(0 to 1, how well it fits) and up to five short reasons citing the profile.")


@dataclass(frozen=True, slots=True)
class Tier1Text:
    """The public profile text and counts a prompt may carry (social.raw_social_profiles)."""

    platform: str
    username: str
    display_name: str | None = None
    bio: str | None = None
    category: str | None = None
    location: str | None = None
    followers: int | None = None
    posts: int | None = None
    verified: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Tier1Text:
        """The Tier 1 fields of a row, whatever else it holds (other keys are dropped)."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name in row})


def member_facts(row: Mapping[str, Any]) -> MemberFacts:
    """The labels and counts of a row for the scorers (other keys are dropped)."""
    return MemberFacts(**{f.name: row[f.name] for f in fields(MemberFacts) if f.name in row})


def prompt_messages(facts: MemberFacts, profile: Tier1Text, criteria: Node) -> list[Message]:
    """The system and user messages for one member: criteria, labels, Tier 1 text only."""
    labels = {name: {"id": getattr(facts, name), "confidence": getattr(facts, f"{name}_confidence")}
              for name in ("persona", "tribe", "industry", "execution_label")}
    payload = {"criteria": canonical(criteria), "labels": labels,
               "profile": {f.name: getattr(profile, f.name) for f in fields(Tier1Text)}}
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": json.dumps(payload, ensure_ascii=False, sort_keys=True)}]


def _fallback(facts: MemberFacts, criteria: Node, refusal: LlmRefusal) -> Qualification:
    base = default_score(facts, criteria)
    log.warning("llm answer refused reason=%s detail=%s; default scorer used", refusal.reason,
                refusal.detail)
    return replace(base, refused=refusal.reason,
                   reasons=(*base.reasons, f"LLM answer refused ({refusal.reason}): "
                                           "scored by the default scorer"))


async def llm_qualify(chat: ChatJson, facts: MemberFacts, profile: Tier1Text,
                      criteria: Node) -> Qualification:
    """The model's qualification of one member, or the default scorer's when it is refused."""
    answer = await chat.chat_json(prompt_messages(facts, profile, criteria),
                                  QUALIFICATION_SCHEMA)
    if isinstance(answer, LlmRefusal):
        return _fallback(facts, criteria, answer)
    value = answer.value
    verdict = "qualified by the model" if value["qualified"] else "not qualified by the model"
    return Qualification(round(float(value["score"]), 4), (verdict, *value["reasons"]),
                         scorer=f"llm:{answer.model or chat.model}")
