"""`sxp api-keys create|list|revoke`: keys of the HTTP API, stored only as their SHA-256.

The key is printed once, at creation, and never again. The commands log in as the API's own
role (`sxp_api`), the one role that may write the key table.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from sxp_common import api_keys
from sxp_common.db import service_url
from sxp_common.settings import Settings

api_keys_app = typer.Typer(help="Keys of the HTTP API (shown once, stored as hashes).",
                           no_args_is_help=True)
console = Console()


T = TypeVar("T")


def _as_api_role(settings: Settings, action: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run `action` on one connection as `sxp_api`."""

    async def run() -> T:
        conn = await asyncpg.connect(service_url(settings, "api"), timeout=10)
        try:
            return await action(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


@api_keys_app.command("create")
def create(
    scope: Annotated[list[str], typer.Option("--scope", help=f"One of {', '.join(api_keys.SCOPES)} "
                                                             "(repeatable).")],
    name: Annotated[str, typer.Option("--name", help="What the key is for.")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Make a key with these scopes; it is printed once and stored only as a hash."""
    scopes = api_keys.check_scopes(scope)
    stored, key = _as_api_role(Settings(), lambda conn: api_keys.create(conn, scopes, name))
    if as_json:
        print(json.dumps({**stored.as_dict(), "key": key}))
        return
    console.print(f"key {stored.key_id} ({', '.join(stored.scopes)}); shown once, store it now:")
    print(key)


@api_keys_app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every key: id, name, scopes, when made, when revoked (never the key)."""
    found = _as_api_role(Settings(), api_keys.list_keys)
    if as_json:
        print(json.dumps([k.as_dict() for k in found]))
        return
    table = Table("id", "name", "scopes", "created", "revoked")
    for k in found:
        table.add_row(k.key_id, k.name, ", ".join(k.scopes), str(k.created_at),
                      str(k.revoked_at or ""))
    console.print(table if found else "no API keys")


@api_keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from `list`).")],
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Revoke a key: from now on it gets 401."""
    found = _as_api_role(Settings(), lambda conn: api_keys.revoke(conn, key_id))
    if found is None:
        raise ValueError(f"no API key with id {key_id!r}")
    if as_json:
        print(json.dumps(found.as_dict()))
        return
    console.print(f"revoked key {found.key_id} at {found.revoked_at}")
