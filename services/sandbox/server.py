"""Local HTTP sandboxes that speak the providers' APIs, with configurable faults.

Each server answers one provider's real path, checks its real auth header (401 without
the key), and can add latency, random 500s (`error_rate`) and bursts of 429s with a
Retry-After header: every `burst_every` requests (counted from the first), the first
`burst_len` get a 429. `GET /health` answers 200; `GET /stats` answers what the server
has seen (API calls, answers by status, people answered, credits billed), so a test can
count the provider calls of a running stack. Tests use start_in_thread(); the CLI
(`python -m services.sandbox`) uses serve().

The `ollama` kind is a local LLM speaking Ollama's `POST /api/chat` (ollama_fake.py): no
auth, as Ollama has none; `GET /api/chat` is 405; `GET /api/tags` lists its models
(`llm_models`, comma-separated); `llm_answer` picks a fault mode for the answers.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from services.sandbox import apollo_fake, ollama_fake, skiptrace_fake
from sxp_common.settings import SANDBOX_API_KEY

log = logging.getLogger("sxp.sandbox")

KINDS = ("apollo", "skiptrace", "ollama")
DEFAULT_PORTS = {"apollo": 19100, "skiptrace": 19101, "ollama": 19103}
API_PATHS = {
    "apollo": ("/api/v1/people/bulk_match", "/v1/people/bulk_match"),
    "skiptrace": ("/api/v1/property/skip-trace",),
    "ollama": ("/api/chat",),
}
SANDBOX_LLM_MODEL = "sandbox-llm"
Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class SandboxOptions:
    """Faults and settings of one sandbox server."""

    latency_ms: int = 0
    error_rate: float = 0.0
    burst_every: int = 0
    burst_len: int = 2
    retry_after_s: int = 1
    seed: int = 0
    api_key: str = SANDBOX_API_KEY
    llm_models: str = SANDBOX_LLM_MODEL
    llm_answer: str = "valid"

    def models(self) -> tuple[str, ...]:
        """The models the LLM sandbox has "pulled"."""
        return tuple(m.strip() for m in self.llm_models.split(",") if m.strip())


@dataclass(slots=True)
class SandboxStats:
    """What a server has seen: API calls, answers by status, people answered, credits billed."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    items: int = 0
    credits: float = 0.0


class SandboxServer(ThreadingHTTPServer):
    """A threaded HTTP server for one provider kind, with its options and stats."""

    daemon_threads = True

    def __init__(self, kind: str, address: tuple[str, int], options: SandboxOptions) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown sandbox kind {kind!r} (expected one of {KINDS})")
        self.kind = kind
        self.options = options
        self.stats = SandboxStats()
        self._lock = threading.Lock()
        self._rng = random.Random(options.seed)
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        """http://host:port of the server."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def configure(self, **changes: Any) -> None:
        """Change options while running (e.g. stop the 500s)."""
        with self._lock:
            self.options = replace(self.options, **changes)
            if "seed" in changes:
                self._rng = random.Random(self.options.seed)

    def admit(self) -> tuple[int, int]:
        """Count an API call; return (call number, fault status or 0)."""
        with self._lock:
            self.stats.requests += 1
            number = self.stats.requests
            o = self.options
            if o.burst_every > 0 and (number - 1) % o.burst_every < o.burst_len:
                return number, 429
            if o.error_rate > 0 and self._rng.random() < o.error_rate:
                return number, 500
            return number, 0

    def record(self, status: int, items: int = 0, credits: float = 0.0) -> None:
        """Count an answer, and the people and credits in it when it succeeded."""
        with self._lock:
            self.stats.statuses[status] += 1
            if status == 200:
                self.stats.items += items
                self.stats.credits += credits

    def stats_snapshot(self) -> dict[str, Any]:
        """The stats as JSON: calls, answers by status, people answered, credits billed."""
        with self._lock:
            stats = self.stats
            return {"kind": self.kind, "requests": stats.requests, "items": stats.items,
                    "credits": stats.credits,
                    "statuses": {str(k): v for k, v in stats.statuses.items()}}

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()


def _authorized(kind: str, headers: Any, api_key: str) -> bool:
    """The provider's own auth: Apollo's x-api-key header, BatchData's Bearer token; Ollama
    has none."""
    if kind == "ollama":
        return True
    if kind == "apollo":
        return bool(api_key) and headers.get("x-api-key") == api_key
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return scheme.casefold() == "bearer" and bool(api_key) and token.strip() == api_key


def _fault(kind: str, status: int) -> Answer:
    """The body of an injected 429 or 500, in the provider's error format."""
    if status == 429:
        message = "Rate limit exceeded. Please wait before retrying."
        text = "Too Many Requests"
    else:
        message, text = "Internal server error", "Internal Server Error"
    if kind == "ollama":
        return status, {"error": message}
    if kind == "apollo":
        return status, {"error": message, "error_code": "RATE_LIMITED" if status == 429 else None}
    return skiptrace_fake.error(status, text, message)


def _unauthorized(kind: str) -> Answer:
    """The provider's answer to a missing or wrong key."""
    if kind == "apollo":
        return apollo_fake.error(401, "Invalid access credentials.", "INVALID_API_KEY")
    return skiptrace_fake.error(401, "Unauthorized", "Invalid or missing API token")


class _Handler(BaseHTTPRequestHandler):
    """Routes one request to /health or the provider's API."""

    server: SandboxServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        """Request lines go to the debug log, not stderr."""
        log.debug("sandbox %s: " + format, self.server.kind, *args)

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
              ) -> None:
        """Write a JSON answer."""
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-request-id", uuid.uuid4().hex)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _read_json(self) -> Any:
        """The request body as JSON (None when empty or not JSON)."""
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            return json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            return None

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        """Health check and stats."""
        path = urlsplit(self.path).path
        if path == "/health":
            self._send(200, {"status": "ok", "kind": self.server.kind})
        elif path == "/stats":
            self._send(200, self.server.stats_snapshot())
        elif self.server.kind == "ollama" and path == "/api/tags":
            self._send(200, ollama_fake.tags(self.server.options.models()))
        elif self.server.kind == "ollama" and path in API_PATHS["ollama"]:
            self._send(405, {"error": "405 method not allowed"}, {"Allow": "POST"})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802 (stdlib name)
        """The provider's API call, after auth and any injected fault."""
        kind, url = self.server.kind, urlsplit(self.path)
        body = self._read_json()
        if url.path not in API_PATHS[kind]:
            self._send(404, {"error": "not found"})
            return
        options = self.server.options
        _, fault = self.server.admit()
        if not _authorized(kind, self.headers, options.api_key):
            status, payload = _unauthorized(kind)
            self.server.record(status)
            self._send(status, payload)
            return
        if options.latency_ms > 0:
            time.sleep(options.latency_ms / 1000)
        if fault:
            status, payload = _fault(kind, fault)
            extra = {"Retry-After": str(options.retry_after_s)} if fault == 429 else None
            self.server.record(status)
            self._send(status, payload, extra)
            return
        if kind == "ollama":
            status, payload = ollama_fake.chat(body, options.models(), options.llm_answer)
            items, credits = int(status == 200), None
        elif kind == "apollo":
            status, payload = apollo_fake.bulk_match(body, dict(parse_qsl(url.query)))
            items, credits = len(payload.get("matches") or []), payload.get("credits_consumed")
        else:
            status, payload = skiptrace_fake.skip_trace(body)
            persons = (payload.get("results") or {}).get("persons") or []
            items, credits = len(persons), sum(p["meta"]["matched"] for p in persons)
        self.server.record(status, items, float(credits or 0))
        self._send(status, payload)


def make_options(**options: Any) -> SandboxOptions:
    """SandboxOptions from keyword options, rejecting unknown names."""
    known = {f.name for f in fields(SandboxOptions)}
    unknown = set(options) - known
    if unknown:
        raise TypeError(f"unknown sandbox options: {sorted(unknown)}")
    if options.get("llm_answer", "valid") not in ollama_fake.ANSWER_MODES:
        raise ValueError(f"llm_answer must be one of {ollama_fake.ANSWER_MODES}")
    return SandboxOptions(**options)


def start_in_thread(
    kind: str, port: int = 0, host: str = "127.0.0.1", **options: Any
) -> tuple[SandboxServer, str]:
    """Start a sandbox on a background thread (port 0: a free one); return it and its URL."""
    server = SandboxServer(kind, (host, port), make_options(**options))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"sandbox-{kind}", daemon=True)
    thread.start()
    return server, server.base_url


def serve(kind: str, port: int, host: str = "127.0.0.1", **options: Any) -> None:
    """Serve a sandbox in the foreground until interrupted."""
    server = SandboxServer(kind, (host, port), make_options(**options))
    print(f"sandbox {kind} listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
