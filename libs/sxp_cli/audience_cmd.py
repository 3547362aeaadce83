"""`sxp audience create|update|delete|qualify|list|show|members|size`.

The changes are commands to the audience service (`sxp.audience.commands.v1`, through
`sxp_common.audience_commands`): the CLI waits for the recorded answer and prints it, and a
refusal (bad criteria, unknown audience) is one line and exit code 2. The read-outs are
`sxp_common.audience_reads` (the API's `/v1/audiences` reads the same), as `sxp_reader`.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from sxp_cli.queries import reading
from sxp_common import audience_commands
from sxp_common import audience_reads as queries
from sxp_common.audience_criteria import parse_criteria
from sxp_common.kafka import make_broker
from sxp_common.settings import Settings

audience_app = typer.Typer(help="Audiences: criteria, members kept current, qualification.",
                           no_args_is_help=True)
console = Console()
T = TypeVar("T")
NameArg = Annotated[str, typer.Argument(help="The audience name (a-z, 0-9, '-', '_').")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="What it is for.")]
ScorerOpt = Annotated[str | None, typer.Option("--scorer", help="default-v1 or llm.")]


def criteria_text(value: str) -> str:
    """The criteria as typed, or the content of the file named after '@', checked against the
    grammar before anything is sent (CriteriaError: the service's own one-line refusal)."""
    text = value
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"cannot read criteria file {path}: {exc.strerror}") from None
    parse_criteria(text)
    return text


def requester() -> str:
    """Who is asking: the user at this host (never contact data)."""
    return f"cli:{getpass.getuser()}@{socket.gethostname()}"


def _send(record: dict[str, Any]) -> audience_commands.Answer:
    settings = Settings()

    async def run() -> audience_commands.Answer | None:
        broker = make_broker(settings, "cli")
        await broker.connect()
        try:
            await audience_commands.send_command(broker, record)
        finally:
            await broker.stop()
        async with reading(settings) as conn:
            return await audience_commands.wait_for_answer(conn, record["request_id"])

    answer = asyncio.run(run())
    if answer is None:
        raise ValueError(f"request {record['request_id']} queued, but the audience service did "
                         f"not answer in {audience_commands.DEFAULT_TIMEOUT_S:.0f}s; is `sxp "
                         "services up` running?")
    if answer.refused:
        raise ValueError(answer.error)
    return answer


def _print_answer(answer: audience_commands.Answer, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer.as_dict()))
        return
    d = answer.detail
    if answer.outcome == audience_commands.QUALIFIED:
        console.print(f"{d['name']}: {d['scored']} scored, {d['cached']} cached "
                      f"(scorer {d['scorer']}, {d['fallbacks']} fell back to the default)")
    elif answer.outcome == audience_commands.UNCHANGED:
        console.print(f"{d['name']}: unchanged (version {d['version']})")
    else:
        console.print(f"{d['name']} {answer.outcome}: version {d['version']}, {d['members']:,} "
                      f"members ({d['joined']:,} joined, {d['left']:,} left), criteria "
                      f"{d['criteria_hash'][:12]}")


@audience_app.command("create")
def create(name: NameArg,
           criteria: Annotated[str, typer.Option("--criteria",
                                                 help="Criteria JSON, or @FILE.")],
           description: DescriptionOpt = None, scorer: ScorerOpt = None,
           as_json: JsonOpt = False) -> None:
    """Define an audience; its members are every card the criteria admit."""
    _print_answer(_send(audience_commands.command_record(
        "CREATE", name, requested_by=requester(), description=description,
        criteria_json=criteria_text(criteria), scorer=scorer)), as_json)


@audience_app.command("update")
def update(name: NameArg,
           criteria: Annotated[str | None, typer.Option("--criteria",
                                                        help="New criteria JSON, or @FILE.")]
           = None,
           description: DescriptionOpt = None, scorer: ScorerOpt = None,
           as_json: JsonOpt = False) -> None:
    """Change an audience's criteria, description or scorer (a new version)."""
    _print_answer(_send(audience_commands.command_record(
        "UPDATE", name, requested_by=requester(), description=description,
        criteria_json=None if criteria is None else criteria_text(criteria), scorer=scorer)),
        as_json)


@audience_app.command("delete")
def delete(name: NameArg, as_json: JsonOpt = False) -> None:
    """Delete an audience: its members go, its versions and audit stay."""
    _print_answer(_send(audience_commands.command_record(
        "DELETE", name, requested_by=requester())), as_json)


@audience_app.command("qualify")
def qualify(name: NameArg,
            top: Annotated[int | None, typer.Option("--top", min=1,
                                                    help="Score at most N members.")] = None,
            as_json: JsonOpt = False) -> None:
    """Score the members not scored yet at their current criteria and content (cached)."""
    _print_answer(_send(audience_commands.command_record(
        "QUALIFY", name, requested_by=requester(), top=top)), as_json)


def _read(action: Callable[[Any], Awaitable[T]]) -> T:
    async def run() -> T:
        async with reading(Settings()) as conn:
            return await action(conn)

    return asyncio.run(run())


def _found(name: str) -> dict[str, Any]:
    found = _read(lambda conn: queries.audience(conn, name))
    if found is None:
        raise ValueError(f"no audience named {name!r}")
    return found


def _dump(value: Any) -> None:
    print(json.dumps(value, default=str))


@audience_app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """Every audience: version, members, scorer, criteria hash."""
    found = _read(queries.audiences)
    if as_json:
        _dump(found)
        return
    table = Table("name", "version", "members", "scorer", "criteria", "updated")
    for a in found:
        table.add_row(a["name"], str(a["version"]), f"{a['members']:,}", a["scorer"],
                      a["criteria_hash"][:12], str(a["updated_at"])[:19])
    console.print(table if found else "no audiences")


@audience_app.command("show")
def show(name: NameArg, as_json: JsonOpt = False) -> None:
    """One audience: description, canonical criteria, versions, size, qualified members."""
    found = _found(name)
    if as_json:
        _dump(found)
        return
    console.print(f"[bold]{found['name']}[/] v{found['version']} ({found['audience_id']}): "
                  f"{found['description'] or 'no description'}")
    console.print(f"criteria {found['criteria_hash'][:12]}: "
                  f"{json.dumps(found['criteria'], sort_keys=True)}")
    console.print(f"members {found['size']['members']:,}, qualified {found['qualified']:,}, "
                  f"scorer {found['scorer']}")
    table = Table("version", "action", "criteria", "when", "by")
    for v in found["versions"]:
        table.add_row(str(v["version"]), v["action"], v["criteria_hash"][:12],
                      str(v["changed_at"])[:19], str(v["changed_by"].get("requested_by", "")))
    console.print(table)


@audience_app.command("members")
def members(name: NameArg,
            limit: Annotated[int, typer.Option("--limit", min=1, help="At most N.")] = 50,
            as_json: JsonOpt = False) -> None:
    """Members, best qualified first, with their labels (no contact data)."""
    found = _found(name)
    rows = _read(lambda conn: queries.members(conn, found["audience_id"],
                                              found["criteria_hash"], limit))
    if as_json:
        _dump(rows)
        return
    table = Table("lead card", "platform", "username", "persona", "tribe", "label", "score")
    for r in rows:
        table.add_row(r["lead_card_id"], r["platform"], r["username"], r["persona"] or "",
                      r["tribe"] or "", r["execution_label"] or "",
                      "" if r["score"] is None else f"{r['score']:.3f}")
    console.print(table if rows else f"{name} has no members")


@audience_app.command("size")
def size(name: NameArg, as_json: JsonOpt = False) -> None:
    """Members now, split by platform, tribe and follower tier (the latest recorded)."""
    found = _found(name)
    current = found["size"]
    if as_json:
        _dump({"name": name, **current})
        return
    console.print(f"{name}: {current['members']:,} members")
    for part in ("by_platform", "by_tribe", "by_tier"):
        table = Table(part.removeprefix("by_"), "members", title=part.replace("_", " "))
        for key, count in current.get(part, {}).items():
            table.add_row(key, f"{count:,}")
        console.print(table)
