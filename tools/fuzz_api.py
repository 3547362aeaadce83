"""`make fuzz-api`: schemathesis against the running sxp-api, from its committed OpenAPI document.

Run after `sxp stack up` and `sxp services up` (the API on SXP_API_PORT, default 18080). It
makes an `admin` key with `sxp api-keys create` (every endpoint is reachable with it), runs
`schemathesis run contracts/http/sxp-api.v1.json` with every check, and revokes the key after.
Exit code: schemathesis's (0 when it found no server error and no answer outside the schema).

Two checks are left out by design: `positive_data_acceptance` (an opaque cursor the API did
not make is a 400, and a body over the size limits a 413, though the schema cannot say so) and
`negative_data_rejection` (like `sxp publish`, a row that cannot be read is refused with its
reason inside a 202, not by failing the whole request). The e2e test runs this same tool.

    python tools/fuzz_api.py [--url URL] [--max-examples N] [--seed N] [-- SCHEMATHESIS ARGS]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "contracts" / "http" / "sxp-api.v1.json"
EXCLUDED_CHECKS = "positive_data_acceptance,negative_data_rejection"


def sxp(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sxp_cli.main", *args], capture_output=True,
                          text=True, timeout=300)


def command(url: str, key: str, max_examples: int, seed: int | None,
            extra: list[str]) -> list[str]:
    """The schemathesis command line."""
    return [sys.executable, "-m", "schemathesis.cli", "run", str(DOCUMENT), "--url", url,
            "--header", f"Authorization: Bearer {key}", "--checks", "all",
            "--exclude-checks", EXCLUDED_CHECKS, "--max-examples", str(max_examples),
            "--workers", "1", "--phases", "examples,coverage,fuzzing",
            "--request-timeout", "180", "--max-response-time", "120",
            *(["--seed", str(seed)] if seed is not None else []), *extra]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    port = os.environ.get("SXP_API_PORT", "18080")
    parser.add_argument("--url", default=f"http://127.0.0.1:{port}")
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("extra", nargs="*", help="more schemathesis options, after --")
    args = parser.parse_args()
    made = sxp("api-keys", "create", "--scope", "admin", "--name", "fuzz-api", "--json")
    if made.returncode != 0:
        print(f"could not make a key (is the stack up?): {made.stderr.strip()}", file=sys.stderr)
        return 2
    key = json.loads(made.stdout)
    try:
        return subprocess.run(command(args.url, key["key"], args.max_examples, args.seed,
                                      args.extra)).returncode
    finally:
        sxp("api-keys", "revoke", key["id"])


if __name__ == "__main__":
    raise SystemExit(main())
