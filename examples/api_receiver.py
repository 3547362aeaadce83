#!/usr/bin/env python3
"""Reference receiver for the api transport of Lead Card Batch v1 (Python standard library only).

`POST /v1/lead-batches` with the batch as a JSON body and these headers:
- `X-SXP-Signature: sha256=<hex HMAC-SHA256 of the raw body with the shared secret>`
- `Idempotency-Key: <batch_id>` (a retried POST of a batch already accepted is answered
  200 "duplicate" and stored once)
- `X-SXP-Checksum`, `X-SXP-Schema-Version: v1`

Answers: 201 accepted, 200 duplicate, 401 bad signature, 400 no idempotency key,
422 a body that is not a valid batch (checksum or count wrong, key differs from batch id).
Accepted batches are written to `--out/{batch_id}.json` when given. A card is sent again
whenever it changes (a new `revision`): the receiver keeps each card at its highest
revision (`cards`, and `--out/cards/{lead_card_id}.json`) and ignores older ones.

    python examples/api_receiver.py --port 19102 --secret sxp-local-hmac --out demo-out/api
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PATH = "/v1/lead-batches"


class Receiver:
    """The receiver's state: secret, accepted batches by id, counters."""

    def __init__(self, secret: str, out: Path | None = None, fail_first: int = 0) -> None:
        self.secret = secret.encode()
        self.out = out
        self.fail_first = fail_first
        self.accepted: dict[str, dict[str, Any]] = {}
        self.cards: dict[str, dict[str, Any]] = {}
        self.requests = 0
        self.duplicates = 0
        self.bad_signatures = 0
        self.lock = threading.Lock()

    def signature_ok(self, body: bytes, header: str | None) -> bool:
        """Constant-time check of the X-SXP-Signature header."""
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        return bool(header) and hmac.compare_digest(expected, header or "")

    def receive(self, body: bytes, headers: Any) -> tuple[int, dict[str, Any]]:
        """Status and answer for one POST."""
        with self.lock:
            self.requests += 1
            if not self.signature_ok(body, headers.get("X-SXP-Signature")):
                self.bad_signatures += 1
                return 401, {"error": "bad signature"}
            key = headers.get("Idempotency-Key")
            if not key:
                return 400, {"error": "missing Idempotency-Key"}
            if key in self.accepted:
                self.duplicates += 1
                return 200, {"status": "duplicate", "batch_id": key}
            problem = self.problem(body, key)
            if problem:
                return 422, {"error": problem}
            self.accepted[key] = json.loads(body)
            newer = self.keep_latest(self.accepted[key]["cards"])
            if self.out is not None:
                self.out.mkdir(parents=True, exist_ok=True)
                (self.out / f"{key}.json").write_bytes(body)
                (self.out / "cards").mkdir(exist_ok=True)
                for card in newer:
                    (self.out / "cards" / f"{card['lead_card_id']}.json").write_text(
                        json.dumps(card, sort_keys=True, ensure_ascii=False))
            if self.fail_first > 0:  # stored, but the sender never hears it: it will retry
                self.fail_first -= 1
                return 503, {"error": "try again"}
            return 201, {"status": "accepted", "batch_id": key}

    def keep_latest(self, cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep each card at its highest revision (absent: 1); return the cards that were newer."""
        newer = []
        for card in cards:
            held = self.cards.get(card["lead_card_id"])
            if held is None or held.get("revision", 1) < card.get("revision", 1):
                self.cards[card["lead_card_id"]] = card
                newer.append(card)
        return newer

    @staticmethod
    def problem(body: bytes, key: str) -> str | None:
        """Why the body is not a batch this receiver can trust (None: it is)."""
        try:
            batch = json.loads(body)
        except ValueError:
            return "body is not JSON"
        if not isinstance(batch, dict) or not isinstance(batch.get("cards"), list):
            return "body is not a lead batch"
        if batch.get("batch_id") != key:
            return "Idempotency-Key differs from batch_id"
        if batch.get("count") != len(batch["cards"]):
            return "count does not match the cards"
        canonical = json.dumps(batch["cards"], sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False).encode("utf-8")
        if hashlib.sha256(canonical).hexdigest() != batch.get("checksum"):
            return "checksum does not match the cards"
        return None


def make_server(receiver: Receiver, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for the receiver (port 0: any free port)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            if self.path != PATH:
                self._answer(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            status, answer = receiver.receive(self.rfile.read(length), self.headers)
            self._answer(status, answer)

        def _answer(self, status: int, answer: dict[str, Any]) -> None:
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    """Serve until interrupted."""
    parser = argparse.ArgumentParser(description="Reference receiver of Lead Card Batch v1.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=19102)
    parser.add_argument("--secret", default="sxp-local-hmac")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    server = make_server(Receiver(args.secret, args.out), args.host, args.port)
    print(f"receiving lead batches on http://{args.host}:{server.server_port}{PATH}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    main()
