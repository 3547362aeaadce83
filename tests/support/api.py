"""Helpers the API's e2e tests use: a client of the running sxp-api, keys made with the CLI."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.pipeline import poll, sxp


def base_url(settings: Any) -> str:
    """Where `sxp services up` serves the API for these settings."""
    return f"http://127.0.0.1:{settings.api_port}"


def wait_ready(settings: Any, timeout_s: float = 60.0) -> None:
    """Poll /readyz until it answers 200."""

    def status() -> int:
        try:
            return httpx.get(base_url(settings) + "/readyz", timeout=5).status_code
        except httpx.TransportError:
            return 0

    assert poll(status, lambda code: code == 200, timeout_s) == 200, "the API is not ready"


def make_key(*scopes: str, name: str = "e2e") -> dict[str, Any]:
    """A new key, made as a user makes one: `sxp api-keys create --scope ... --json`."""
    args = [arg for scope in scopes for arg in ("--scope", scope)]
    result = sxp("api-keys", "create", *args, "--name", name, "--json")
    assert result.returncode == 0, result.stderr
    made: dict[str, Any] = json.loads(result.stdout)
    return made


def client(settings: Any, key: str | None) -> httpx.Client:
    """An HTTP client of the API sending `key` as a bearer token (None: no header)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=base_url(settings), headers=headers, timeout=60)


def all_pages(http: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paged listing, following next_cursor to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = http.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items.extend(page["data"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items
