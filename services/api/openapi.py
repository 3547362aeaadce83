"""`python -m services.api.openapi`: print the API's OpenAPI document, the one committed as
contracts/http/sxp-api.v1.json (a test checks the running service serves exactly it)."""

from __future__ import annotations

import json
from typing import Any

from services.api.app import create_app
from sxp_common.settings import Settings


def document() -> dict[str, Any]:
    """The OpenAPI document, independent of the environment it is generated in."""
    return create_app(Settings()).openapi()


def render(doc: dict[str, Any]) -> str:
    """The committed file's text: sorted keys, two-space indent, a final newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(document()), end="")
