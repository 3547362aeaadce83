"""The LLM scorer's prompt carries labels and Tier 1 text only; answers are validated."""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from sxp_common.audience_criteria import parse_criteria
from sxp_common.audience_llm import (
    QUALIFICATION_SCHEMA,
    Tier1Text,
    llm_qualify,
    member_facts,
    prompt_messages,
)
from sxp_common.audience_scoring import MemberFacts, default_score
from sxp_common.llm import LlmAnswer, LlmRefusal, Message, request_body, validate_answer

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
CRITERIA = parse_criteria({"persona": "real_estate_agent", "location": "texas"})
TIER2_VALUES = {"full_name": "Jolene Q. Realtor", "email": "jolene.realtor@example.com",
                "phone": "+1 512 555 0143", "title": "Broker Associate",
                "linkedin_url": "https://www.linkedin.com/in/jolene-q", "city": "Round Rock",
                "state": "TX", "country": "US",
                "contact_id": "c0ffee00-0000-4000-8000-000000000001",
                "name": "Realty Partners LLC", "domain": "realtypartners.example"}
# A row as a careless join would return it: the card, its profile and its contact together.
MIXED_ROW: dict[str, Any] = {
    "platform": "x", "username": "jolene_sells_tx", "display_name": "Jolene sells Texas",
    "bio": "Realtor in Austin. Helping first-time buyers.", "category": "Real Estate",
    "location": "Austin", "followers": 2300, "posts": 410, "verified": False,
    "persona": "real_estate_agent", "persona_confidence": 0.93, "tribe": "real_estate",
    "tribe_confidence": 0.88, "industry": "real_estate", "industry_confidence": 0.7,
    "execution_label": "USER", "execution_label_confidence": 0.81, **TIER2_VALUES}


def _migration_columns() -> dict[str, set[str]]:
    """Columns of each table created by migration 0001, read off its DDL."""
    path = ROOT / "libs/sxp_common/migrations/versions/0001_tiers.py"
    spec = importlib.util.spec_from_file_location("tiers_0001", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    tables: dict[str, set[str]] = {}
    for ddl in (module.TIER1, module.TIER2, module.TIER3):
        for name, body in re.findall(r"CREATE TABLE (\S+) \((.*?)\n\);", ddl, re.S):
            tables[name] = {m for m in re.findall(r"^\s{4}([a-z_]+) [a-z]", body, re.M)
                            if m not in ("CONSTRAINT", "UNIQUE", "PRIMARY")}
    return tables


def test_the_prompt_inputs_are_tier1_and_tier3_columns_only() -> None:
    tables = _migration_columns()
    tier1, cards = tables["social.raw_social_profiles"], tables["execution.lead_cards"]
    assert {"email", "phone", "full_name"} <= tables["contact.contacts"]  # the parse works
    assert {f.name for f in fields(Tier1Text)} <= tier1
    assert {f.name for f in fields(MemberFacts)} <= cards | {"followers", "posts"}
    assert {"followers", "posts"} <= tier1


def test_no_tier2_value_reaches_the_prompt_even_from_a_mixed_row() -> None:
    messages = prompt_messages(member_facts(MIXED_ROW), Tier1Text.from_row(MIXED_ROW), CRITERIA)
    text = json.dumps(messages, ensure_ascii=False).casefold()
    for name, value in TIER2_VALUES.items():
        if name in ("state", "country"):  # two-letter codes also occur in the criteria/bio
            continue
        assert value.casefold() not in text, name
    payload = json.loads(messages[1]["content"])
    assert set(payload) == {"criteria", "labels", "profile"}
    assert set(payload["profile"]) == {f.name for f in fields(Tier1Text)}
    assert payload["labels"]["persona"] == {"id": "real_estate_agent", "confidence": 0.93}
    assert payload["criteria"] == {"all": [{"location": ["texas"]},
                                           {"persona": ["real_estate_agent"]}]}


def test_the_request_is_non_streaming_with_the_schema_and_temperature_zero() -> None:
    body = request_body("llama3.1", [{"role": "user", "content": "hi"}], QUALIFICATION_SCHEMA)
    assert body["stream"] is False and body["format"] == QUALIFICATION_SCHEMA
    assert body["options"] == {"temperature": 0}


def _answer(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "message": {"role": "assistant", "content": content}, "done": True,
            "done_reason": "stop", **extra}


GOOD = '{"qualified": true, "score": 0.7, "reasons": ["Realtor in Austin"]}'


@pytest.mark.parametrize(("body", "reason"), [
    (None, "llm_bad_envelope"),
    ({"message": {"role": "user", "content": GOOD}, "done": True, "done_reason": "stop"},
     "llm_bad_envelope"),
    (_answer(GOOD, done=False), "llm_incomplete"),
    (_answer(GOOD, done_reason="length"), "llm_incomplete"),
    (_answer(GOOD, done_reason="load"), "llm_incomplete"),
    (_answer("Sure! Here is the JSON you asked for"), "llm_not_json"),
    (_answer('{"qualified": true, "score": 1.5, "reasons": ["x"]}'), "llm_schema_violation"),
    (_answer('{"qualified": "yes", "score": 0.5, "reasons": ["x"]}'), "llm_schema_violation"),
    (_answer('{"qualified": true, "score": 0.5, "reasons": []}'), "llm_schema_violation"),
    (_answer('{"qualified": true, "score": 0.5}'), "llm_schema_violation"),
    (_answer('{"qualified": true, "score": 0.5, "reasons": ["x"], "email": "a@b.co"}'),
     "llm_schema_violation"),
    (_answer("[0.5]"), "llm_schema_violation"),
])
def test_anything_but_a_complete_schema_valid_answer_is_refused(body: Any, reason: str) -> None:
    answer = validate_answer(body, QUALIFICATION_SCHEMA)
    assert isinstance(answer, LlmRefusal) and answer.reason == reason, answer
    assert "\n" not in answer.detail and len(answer.detail) <= 120


def test_a_complete_schema_valid_answer_is_accepted() -> None:
    assert validate_answer(_answer(GOOD), QUALIFICATION_SCHEMA) == LlmAnswer(
        {"qualified": True, "score": 0.7, "reasons": ["Realtor in Austin"]}, "m")


class FakeChat:
    """A ChatJson that answers what it is told and records what it was sent."""

    model = "fake"

    def __init__(self, answer: LlmAnswer | LlmRefusal) -> None:
        self.answer = answer
        self.sent: list[Sequence[Message]] = []

    async def chat_json(self, messages: Sequence[Message],
                        schema: dict[str, Any]) -> LlmAnswer | LlmRefusal:
        self.sent.append(messages)
        return self.answer


async def test_a_refusal_falls_back_to_the_default_score_and_says_so() -> None:
    facts = member_facts(MIXED_ROW)
    result = await llm_qualify(FakeChat(LlmRefusal("llm_timeout", "timed out")), facts,
                               Tier1Text.from_row(MIXED_ROW), CRITERIA)
    assert result.score == default_score(facts, CRITERIA).score
    assert result.refused == "llm_timeout" and result.scorer == "default-v1"
    assert "llm_timeout" in result.reasons[-1]


async def test_an_accepted_answer_is_the_models_score() -> None:
    fake = FakeChat(LlmAnswer({"qualified": False, "score": 0.23456, "reasons": ["no"]}, ""))
    result = await llm_qualify(fake, member_facts(MIXED_ROW), Tier1Text.from_row(MIXED_ROW),
                               CRITERIA)
    assert (result.score, result.scorer, result.refused) == (0.2346, "llm:fake", None)
    assert result.reasons == ("not qualified by the model", "no")
    assert len(fake.sent) == 1
