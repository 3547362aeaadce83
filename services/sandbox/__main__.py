"""`python -m services.sandbox apollo|skiptrace|ollama --port N [...]`: serve a sandbox."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from services.sandbox.ollama_fake import ANSWER_MODES
from services.sandbox.server import DEFAULT_PORTS, KINDS, SANDBOX_LLM_MODEL, serve


def _rate(value: str) -> float:
    """A float in [0, 1] for --error-rate."""
    rate = float(value)
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0.0 and 1.0")
    return rate


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of the sandbox."""
    parser = argparse.ArgumentParser(prog="python -m services.sandbox",
                                     description="Serve a local provider sandbox.")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None,
                        help="default: 19100 for apollo, 19101 for skiptrace, 19103 for ollama")
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every API call")
    parser.add_argument("--error-rate", type=_rate, default=0.0, help="share of calls that 500")
    parser.add_argument("--burst-429", type=int, default=0, metavar="N",
                        help="every N calls, start a burst of 429s (0: never)")
    parser.add_argument("--burst-len", type=int, default=2, metavar="M",
                        help="429s per burst (default 2)")
    parser.add_argument("--retry-after", type=int, default=1, metavar="S",
                        help="Retry-After seconds sent with a 429 (default 1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the error-rate draws")
    parser.add_argument("--llm-models", default=SANDBOX_LLM_MODEL,
                        help="ollama: the models it answers for, comma-separated")
    parser.add_argument("--llm-answer", choices=ANSWER_MODES, default="valid",
                        help="ollama: valid answers, or a fault mode")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    serve(args.kind, args.port if args.port is not None else DEFAULT_PORTS[args.kind],
          host=args.host, latency_ms=args.latency_ms, error_rate=args.error_rate,
          burst_every=args.burst_429, burst_len=args.burst_len, retry_after_s=args.retry_after,
          seed=args.seed, llm_models=args.llm_models, llm_answer=args.llm_answer)


if __name__ == "__main__":
    main()
