"""The Ollama chat client and the LLM scorer over real HTTP against the LLM sandbox.

Each test starts its own sandbox (`ollama` kind) on a free port in a background thread, so
it can change the sandbox's answers mid-test; no other infrastructure is needed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from services.sandbox.server import SANDBOX_LLM_MODEL, SandboxServer, start_in_thread
from sxp_common.audience_criteria import parse_criteria
from sxp_common.audience_llm import QUALIFICATION_SCHEMA, Tier1Text, llm_qualify
from sxp_common.audience_scoring import MemberFacts, default_score
from sxp_common.llm import LlmAnswer, LlmRefusal, OllamaChat
from sxp_common.retry import RetryPolicy

pytestmark = pytest.mark.integration

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.0, max_delay_s=0.0)
CRITERIA = parse_criteria({"persona": "creator", "tribe": "fitness_wellness"})
FACTS = MemberFacts(persona="creator", persona_confidence=0.9, tribe="fitness_wellness",
                    tribe_confidence=0.8, followers=42_000, posts=310)
PROFILE = Tier1Text(platform="tiktok", username="lift_with_ana", display_name="Ana lifts",
                    bio="Strength coach. Daily workouts.", followers=42_000, posts=310)
MESSAGES = [{"role": "user", "content": "Is this a fitness creator?"}]


@pytest.fixture
def sandbox() -> Iterator[tuple[SandboxServer, str]]:
    server, url = start_in_thread("ollama")
    yield server, url
    server.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def chat(http: httpx.AsyncClient, url: str, model: str = SANDBOX_LLM_MODEL) -> OllamaChat:
    async def no_wait(_: float) -> None:
        return None

    return OllamaChat(http, url, model, policy=FAST, sleep=no_wait)


async def test_a_valid_answer_is_accepted_and_deterministic(sandbox, http) -> None:
    _, url = sandbox
    client = chat(http, url)
    first = await client.chat_json(MESSAGES, QUALIFICATION_SCHEMA)
    assert isinstance(first, LlmAnswer), first
    assert set(first.value) == {"qualified", "score", "reasons"}
    assert 0 <= first.value["score"] <= 1
    assert await client.chat_json(MESSAGES, QUALIFICATION_SCHEMA) == first


async def test_the_sandbox_is_as_strict_as_ollama(sandbox, http) -> None:
    _, url = sandbox
    post = f"{url}/api/chat"
    assert (await http.get(post)).status_code == 405
    missing_model = await http.post(post, json={"messages": MESSAGES, "stream": False})
    assert missing_model.status_code == 400
    assert missing_model.json() == {"error": "model is required"}
    no_messages = await http.post(post, json={"model": SANDBOX_LLM_MODEL, "stream": False})
    assert no_messages.status_code == 400 and "messages" in no_messages.json()["error"]
    unknown = await http.post(post, json={"model": "llama9", "messages": MESSAGES,
                                          "stream": False})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "model 'llama9' not found"})
    assert (await http.post(post, content=b"")).json() == {"error": "missing request body"}
    tags = (await http.get(f"{url}/api/tags")).json()
    assert [m["name"] for m in tags["models"]] == [SANDBOX_LLM_MODEL]


async def test_format_is_honoured_json_schema_json_or_prose(sandbox, http) -> None:
    _, url = sandbox
    body: dict[str, Any] = {"model": SANDBOX_LLM_MODEL, "messages": MESSAGES, "stream": False}
    prose = (await http.post(f"{url}/api/chat", json=body)).json()["message"]["content"]
    with pytest.raises(ValueError):
        json.loads(prose)
    as_json = (await http.post(f"{url}/api/chat", json={**body, "format": "json"})).json()
    assert isinstance(json.loads(as_json["message"]["content"]), dict)
    schema = {"type": "object", "properties": {"tier": {"enum": ["a", "b"]},
                                               "n": {"type": "integer", "minimum": 3,
                                                     "maximum": 9}},
              "required": ["tier", "n"]}
    answer = await chat(http, url).chat_json(MESSAGES, schema)
    assert isinstance(answer, LlmAnswer) and answer.value["tier"] in ("a", "b")
    assert 3 <= answer.value["n"] <= 9


async def test_the_client_sends_what_ollama_documents(http) -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append({"method": request.method, "path": request.url.path,
                     "body": json.loads(request.content)})
        return httpx.Response(200, json={"model": "m", "message": {"role": "assistant",
                                          "content": '{"qualified": true, "score": 0.5, '
                                                     '"reasons": ["ok"]}'},
                                         "done": True, "done_reason": "stop"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as mocked:
        answer = await chat(mocked, "http://llm.test/", "m").chat_json(MESSAGES,
                                                                       QUALIFICATION_SCHEMA)
    assert isinstance(answer, LlmAnswer)
    assert seen == [{"method": "POST", "path": "/api/chat", "body": {
        "model": "m", "messages": MESSAGES, "stream": False, "format": QUALIFICATION_SCHEMA,
        "options": {"temperature": 0}}}]


@pytest.mark.parametrize(("mode", "reason"), [("not_json", "llm_not_json"),
                                              ("schema_violation", "llm_schema_violation"),
                                              ("truncated", "llm_incomplete")])
async def test_a_malformed_answer_is_refused_with_its_reason(sandbox, http, mode: str,
                                                             reason: str) -> None:
    server, url = sandbox
    server.configure(llm_answer=mode)
    answer = await chat(http, url).chat_json(MESSAGES, QUALIFICATION_SCHEMA)
    assert isinstance(answer, LlmRefusal) and answer.reason == reason, answer
    assert "\n" not in answer.detail


async def test_an_unknown_model_is_refused_without_retrying(sandbox, http) -> None:
    server, url = sandbox
    answer = await chat(http, url, "llama9").chat_json(MESSAGES, QUALIFICATION_SCHEMA)
    assert answer == LlmRefusal("llm_model_not_found", "HTTP 404: model 'llama9' not found")
    assert server.stats_snapshot()["requests"] == 1


async def test_server_errors_are_retried_then_refused(sandbox, http) -> None:
    server, url = sandbox
    server.configure(error_rate=1.0)
    answer = await chat(http, url).chat_json(MESSAGES, QUALIFICATION_SCHEMA)
    assert isinstance(answer, LlmRefusal) and answer.reason == "llm_unavailable"
    assert server.stats_snapshot()["requests"] == FAST.max_attempts
    # Calls 1-3 were the 500s; call 4 starts a burst of one 429, call 5 is answered.
    server.configure(error_rate=0.0, burst_every=3, burst_len=1)
    assert isinstance(await chat(http, url).chat_json(MESSAGES, QUALIFICATION_SCHEMA),
                      LlmAnswer)
    assert server.stats_snapshot()["statuses"] == {"500": 3, "429": 1, "200": 1}


async def test_an_unreachable_server_is_refused(http) -> None:
    server, url = start_in_thread("ollama")
    server.stop()
    answer = await chat(http, url).chat_json(MESSAGES, QUALIFICATION_SCHEMA)
    assert isinstance(answer, LlmRefusal) and answer.reason == "llm_unreachable"


async def test_the_llm_scorer_uses_the_models_answer(sandbox, http) -> None:
    _, url = sandbox
    result = await llm_qualify(chat(http, url), FACTS, PROFILE, CRITERIA)
    assert result.scorer == f"llm:{SANDBOX_LLM_MODEL}" and result.refused is None
    assert 0 <= result.score <= 1 and result.reasons[0].endswith("by the model")


async def test_a_refused_answer_falls_back_to_the_default_scorer_loudly(sandbox, http,
                                                                        caplog) -> None:
    server, url = sandbox
    server.configure(llm_answer="schema_violation")
    result = await llm_qualify(chat(http, url), FACTS, PROFILE, CRITERIA)
    expected = default_score(FACTS, CRITERIA)
    assert (result.score, result.scorer, result.refused) == (expected.score, "default-v1",
                                                             "llm_schema_violation")
    assert result.reasons[-1].startswith("LLM answer refused (llm_schema_violation)")
    assert any("reason=llm_schema_violation" in r.getMessage() for r in caplog.records)
