"""A client for Ollama's documented chat API (`POST {base}/api/chat`), JSON answers only.

Each call is one non-streaming request (`stream: false`) with `format` set to a JSON schema
and `options.temperature` 0, so a model answers the same way each time it can. The answer
is accepted only when it is complete (`done: true`, `done_reason: "stop"`), its assistant
content parses as JSON and that JSON is valid against the schema (jsonschema); anything
else comes back as an LlmRefusal with a reason code, never as an exception and never as a
guess. 408, 429 and 5xx answers and transport errors (timeouts included) are retried
through sxp_common.retry (jittered backoff honouring Retry-After, an optional breaker);
other 4xx answers are not.

Reason codes: llm_timeout, llm_unreachable, llm_unavailable (retries exhausted),
llm_circuit_open, llm_model_not_found (404), llm_request_rejected (other 4xx),
llm_bad_envelope, llm_incomplete, llm_not_json, llm_schema_violation.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from jsonschema import Draft202012Validator

from sxp_common.retry import (
    CircuitBreaker,
    CircuitOpenError,
    RetryableHTTPError,
    RetryPolicy,
    call_with_retries,
    parse_retry_after,
)

CHAT_PATH = "/api/chat"
DEFAULT_TIMEOUT_S = 60.0
Message = dict[str, str]


@dataclass(frozen=True, slots=True)
class LlmAnswer:
    """A complete answer whose JSON is valid against the schema that was asked for."""

    value: dict[str, Any]
    model: str


@dataclass(frozen=True, slots=True)
class LlmRefusal:
    """An answer (or no answer) the client refused: a reason code and a short, safe detail."""

    reason: str
    detail: str


class ChatJson(Protocol):
    """A model that answers chat messages with JSON valid against a schema, or a refusal."""

    model: str

    async def chat_json(self, messages: Sequence[Message],
                        schema: dict[str, Any]) -> LlmAnswer | LlmRefusal:
        """One answer to the messages, validated against schema."""
        ...


class _RejectedHTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


def request_body(model: str, messages: Sequence[Message], schema: dict[str, Any]) -> dict[str, Any]:
    """The /api/chat request: non-streaming, the schema as `format`, temperature 0."""
    return {"model": model, "messages": [dict(m) for m in messages], "stream": False,
            "format": schema, "options": {"temperature": 0}}


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def validate_answer(body: Any, schema: dict[str, Any]) -> LlmAnswer | LlmRefusal:
    """The answer of one /api/chat call, accepted only when complete, JSON and schema-valid."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("content"), str) \
            or message.get("role") != "assistant":
        return LlmRefusal("llm_bad_envelope", "no assistant message in the answer")
    if body.get("done") is not True or body.get("done_reason") != "stop":
        return LlmRefusal("llm_incomplete", f"done={body.get('done')!r} "
                                            f"done_reason={body.get('done_reason')!r}")
    try:
        value = json.loads(message["content"])
    except ValueError as exc:
        return LlmRefusal("llm_not_json", _short(f"content is not JSON: {exc}"))
    error = next(iter(sorted(Draft202012Validator(schema).iter_errors(value),
                             key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return LlmRefusal("llm_schema_violation", _short(f"{where}: {error.message}"))
    return LlmAnswer(value, str(body.get("model") or ""))


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status in (408, 429) or status >= 500:
        raise RetryableHTTPError(status, parse_retry_after(response.headers.get("retry-after")))
    try:
        message = str(response.json().get("error") or "")
    except ValueError:
        message = ""
    raise _RejectedHTTPError(status, _short(message or response.reason_phrase))


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, RetryableHTTPError | httpx.TransportError)


CALL_FAILURES = (CircuitOpenError, _RejectedHTTPError, RetryableHTTPError, httpx.TransportError)


def refusal_for(exc: Exception) -> LlmRefusal:
    """The refusal for a call that got no usable HTTP answer."""
    if isinstance(exc, CircuitOpenError):
        return LlmRefusal("llm_circuit_open", str(exc))
    if isinstance(exc, _RejectedHTTPError):
        code = "llm_model_not_found" if exc.status == 404 else "llm_request_rejected"
        return LlmRefusal(code, str(exc))
    if isinstance(exc, RetryableHTTPError):
        return LlmRefusal("llm_unavailable", f"{exc}, retries exhausted")
    if isinstance(exc, httpx.TimeoutException):
        return LlmRefusal("llm_timeout", "timed out, retries exhausted")
    if isinstance(exc, httpx.TransportError):
        return LlmRefusal("llm_unreachable", type(exc).__name__)
    raise exc


@dataclass(slots=True)
class OllamaChat:
    """Ollama's /api/chat over an httpx client the caller owns (created in its lifespan)."""

    http: httpx.AsyncClient
    base_url: str
    model: str
    policy: RetryPolicy = field(default_factory=lambda: RetryPolicy(max_attempts=3))
    timeout: httpx.Timeout = field(
        default_factory=lambda: httpx.Timeout(DEFAULT_TIMEOUT_S, connect=5.0))
    breaker: CircuitBreaker | None = None
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    rng: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if not self.base_url or not self.model:
            raise ValueError("an LLM needs a base URL and a model")
        self.base_url = self.base_url.rstrip("/")

    async def _post(self, body: dict[str, Any]) -> Any:
        async def attempt() -> Any:
            response = await self.http.post(self.base_url + CHAT_PATH, json=body,
                                            timeout=self.timeout)
            _raise_for_status(response)
            return response.json()

        if self.breaker is not None:
            breaker = self.breaker
            return await breaker.call(
                lambda: call_with_retries(attempt, self.policy, retryable=_retryable,
                                          sleep=self.sleep, rng=self.rng),
                is_failure=_retryable)
        return await call_with_retries(attempt, self.policy, retryable=_retryable,
                                       sleep=self.sleep, rng=self.rng)

    async def chat_json(self, messages: Sequence[Message],
                        schema: dict[str, Any]) -> LlmAnswer | LlmRefusal:
        """One answer to the messages, validated against schema, or a refusal with a reason."""
        Draft202012Validator.check_schema(schema)  # our own schema: a bug if it is bad
        try:
            body = await self._post(request_body(self.model, messages, schema))
        except json.JSONDecodeError:  # a 2xx answer that is not JSON at all
            return LlmRefusal("llm_bad_envelope", "the answer is not JSON")
        except CALL_FAILURES as exc:  # anything else is a bug, and raises
            return refusal_for(exc)
        return validate_answer(body, schema)
