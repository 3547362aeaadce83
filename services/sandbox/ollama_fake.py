"""The LLM sandbox's answers to Ollama's `POST /api/chat` (pure), non-streaming.

As Ollama's documented chat API: `model` and `messages` (role + content) in, one JSON
object out with `message: {role: "assistant", content}`, `done: true`,
`done_reason: "stop"` and the timing and token counts. `format` is honoured: a JSON schema
gets content that is JSON valid against it, `"json"` gets a JSON object, none gets prose.
The content is deterministic for the same messages and schema.

Errors as Ollama's server answers them: an empty body 400 `missing request body`, no or an
invalid model name 400 `model is required`, a model that is not pulled 404 `model 'X' not
found`. Stricter than Ollama in one place: a request without messages is 400 `messages is
required` here, where Ollama answers 200 with an empty message and `done_reason: "load"`
(it only loads the model); the project's client never sends one, and refuses a
`done_reason` other than `stop` either way. `stream` defaults to true in Ollama; this
sandbox answers every request in one object, so a client must send `stream: false` or get
400 `streaming is not supported by the sandbox` (the real server would stream NDJSON).

Fault modes (`answer`), to test that a client refuses what it must: `valid`, `not_json`
(prose although a format was asked), `schema_violation` (JSON that breaks the schema),
`truncated` (JSON cut off, `done_reason: "length"`).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

Answer = tuple[int, dict[str, Any]]
ANSWER_MODES = ("valid", "not_json", "schema_violation", "truncated")
ROLES = frozenset({"system", "user", "assistant", "tool"})
# Ollama's model names: [namespace/]name[:tag], lower-case letters, digits, . _ -
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)?(:[A-Za-z0-9._-]+)?$")


def _error(status: int, message: str) -> Answer:
    return status, {"error": message}


def _seed(*parts: Any) -> bytes:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()


def _unit(seed: bytes, i: int) -> float:
    return seed[i % len(seed)] / 255.0


def example_for(schema: Any, seed: bytes, depth: int = 0) -> Any:
    """A deterministic value valid against a (simple) JSON schema."""
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "enum" in schema and schema["enum"]:
        return schema["enum"][int(_unit(seed, depth) * len(schema["enum"])) % len(schema["enum"])]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "object":
        props = schema.get("properties") or {}
        return {name: example_for(sub, _seed(seed.hex(), name), depth + 1)
                for name, sub in props.items()}
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        count = min(count, int(schema.get("maxItems", count)))
        return [example_for(schema.get("items") or {}, _seed(seed.hex(), i), depth + 1)
                for i in range(count)]
    if kind in ("number", "integer"):
        low, high = float(schema.get("minimum", 0)), float(schema.get("maximum", 1))
        value = low + (high - low) * _unit(seed, depth + 1)
        return int(value) if kind == "integer" else round(value, 3)
    if kind == "boolean":
        return _unit(seed, depth + 2) >= 0.5
    if kind == "string":
        text = f"sandbox reason {seed.hex()[:8]}"
        return text[: int(schema.get("maxLength", len(text)))]
    return None


def _violation(schema: dict[str, Any]) -> Any:
    """JSON that breaks the schema: each required property of the wrong type."""
    required = schema.get("required") or list(schema.get("properties") or {})
    return {name: "not what the schema asks" for name in required} | {"unexpected": True}


def _check(body: Any, models: tuple[str, ...]) -> Answer | None:
    if body is None:
        return _error(400, "missing request body")
    if not isinstance(body, dict):
        return _error(400, "json: cannot unmarshal into Go value of type api.ChatRequest")
    model = body.get("model")
    if not isinstance(model, str) or not _MODEL_NAME.match(model):
        return _error(400, "model is required")
    if model not in models and f"{model}:latest" not in models:
        return _error(404, f"model '{model}' not found")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return _error(400, "messages is required")
    for message in messages:
        if (not isinstance(message, dict) or message.get("role") not in ROLES
                or not isinstance(message.get("content"), str)):
            return _error(400, "invalid message: a role and a text content are required")
    if body.get("stream", True) is not False:
        return _error(400, "streaming is not supported by the sandbox")
    fmt = body.get("format")
    if fmt is not None and fmt != "json" and not isinstance(fmt, dict):
        return _error(400, "invalid format: expected \"json\" or a JSON schema")
    return None


def _content(fmt: Any, seed: bytes, mode: str) -> tuple[str, str]:
    """The assistant's content and done_reason for the format and the fault mode."""
    if fmt is None or mode == "not_json":
        return "This profile looks like a good fit for the audience.", "stop"
    schema = fmt if isinstance(fmt, dict) else {"type": "object",
                                                "properties": {"answer": {"type": "string"}}}
    value = _violation(schema) if mode == "schema_violation" else example_for(schema, seed)
    text = json.dumps(value)
    if mode == "truncated":
        return text[: max(1, len(text) // 2)], "length"
    return text, "stop"


def chat(body: Any, models: tuple[str, ...], mode: str = "valid") -> Answer:
    """Ollama's answer to one non-streaming /api/chat request."""
    refused = _check(body, models)
    if refused is not None:
        return refused
    seed = _seed(body["model"], body["messages"], body.get("format"))
    content, done_reason = _content(body.get("format"), seed, mode)
    prompt_tokens = sum(len(m["content"].split()) for m in body["messages"])
    return 200, {
        "model": body["model"], "created_at": datetime.now(UTC).isoformat(),
        "message": {"role": "assistant", "content": content},
        "done": True, "done_reason": done_reason, "total_duration": 1_000_000,
        "load_duration": 100_000, "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": 400_000, "eval_count": len(content.split()),
        "eval_duration": 500_000,
    }


def tags(models: tuple[str, ...]) -> dict[str, Any]:
    """`GET /api/tags`: the models this sandbox has "pulled"."""
    return {"models": [{"name": m, "model": m, "size": 0, "digest": _seed(m).hex(),
                        "details": {"format": "gguf", "family": "sandbox"}} for m in models]}
