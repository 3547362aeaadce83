"""`make fuzz-api`: schemathesis against the running sxp-api, from its committed OpenAPI document.

Run after `sxp stack up` and `sxp services up` (the API on SXP_API_PORT, default 18080). It
makes an `admin` key with `sxp api-keys create` (every endpoint is reachable with it), runs
`schemathesis run contracts/http/sxp-api.v1.json` with every check, deletes the audiences
that key created (through `DELETE /v1/audiences/{name}`, so a fuzzed stack keeps only its own
audiences) and revokes the key after. Exit code: schemathesis's (0 when it found no server
error and no answer outside the schema).

The fuzz changes no audience it did not make: `PATCH` and `DELETE /v1/audiences/{name}` need
the audience's ETag as If-Match, which holds the hash of its criteria and which the fuzzer,
never reading an answer into a request, cannot produce. Its own audiences (the document's
example, or criteria it happened to get right) are deleted here, by name and ETag, after it.

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

import httpx

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


def delete_own_audiences(url: str, key: dict[str, str]) -> list[str]:
    """Delete every live audience the fuzz key created; the names deleted."""
    auth = {"Authorization": f"Bearer {key['key']}"}
    with httpx.Client(base_url=url, headers=auth, timeout=120) as http:
        listed = http.get("/v1/audiences")
        listed.raise_for_status()
        own = [a for a in listed.json()["data"] if a["created_by"] == f"api_key:{key['id']}"]
        for audience in own:
            done = http.delete(f"/v1/audiences/{audience['name']}",
                               headers={"If-Match": audience["etag"]})
            if done.status_code != 200:
                raise RuntimeError(f"could not delete audience {audience['name']}: "
                                   f"{done.status_code} {done.text[:200]}")
    return [a["name"] for a in own]


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
        code = subprocess.run(command(args.url, key["key"], args.max_examples, args.seed,
                                      args.extra)).returncode
        deleted = delete_own_audiences(args.url, key)
        print(f"deleted the {len(deleted)} audiences the fuzz created: {', '.join(deleted)}")
        return code
    finally:
        sxp("api-keys", "revoke", key["id"])


if __name__ == "__main__":
    raise SystemExit(main())
