"""The product boundary, guarded: no outbound messaging, campaign, DM, call-queue or deal code.

The product builds markets before campaigns and hands them off; what a downstream team does
with a lead (message it, call it, track a deal) is not in this repository (README). This
test reads the tree, imports nothing of it, and fails when any of these names a forbidden
thing: a file or folder name (so a module name), a function, class or method name, a
Python import (mail and SMS senders), a SQL object created anywhere (CREATE TABLE / SCHEMA /
VIEW / TYPE / FUNCTION, in Python strings or .sql files), a CLI command (`.command("x")`,
`add_typer(name="x")`, or the function name of `@app.command()`), a Kafka topic, an HTTP
route, an Avro record or field name.

Names are split into words (snake_case, camelCase, dots, dashes, slashes); a forbidden
word or a forbidden pair of adjacent words is an offence. Prose is not scanned: docs may
say these things are out of scope (README: "This repository never contains campaigns,
outbound messaging, DMs, ..."), and profile bios in fixtures may say "DM for collabs".
This file is left out of the scan because its samples name every forbidden thing.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = frozenset({".git", ".venv", ".sxp", "node_modules", "__pycache__", ".mypy_cache",
                       ".ruff_cache", ".pytest_cache", ".hypothesis", "target"})
THIS_FILE = Path(__file__).resolve()
FORBIDDEN_WORDS = frozenset({
    "campaign", "campaigns", "outreach", "dm", "dms", "dialer", "dialers", "autodial",
    "autodialer", "sms", "mms", "drip", "deal", "deals", "crm", "telemarketing", "voicemail",
})
FORBIDDEN_PAIRS = frozenset({
    ("direct", "message"), ("direct", "messages"), ("direct", "messaging"),
    ("send", "message"), ("send", "messages"), ("send", "email"), ("send", "emails"),
    ("send", "text"), ("mass", "message"), ("bulk", "email"), ("email", "blast"),
    ("cold", "email"), ("cold", "call"), ("cold", "calls"), ("message", "template"),
    ("message", "templates"), ("call", "queue"), ("call", "queues"), ("call", "list"),
    ("outbound", "message"), ("outbound", "messages"), ("outbound", "messaging"),
    ("outbound", "call"), ("outbound", "calls"), ("sales", "pipeline"), ("sales", "sequence"),
    ("follow", "up"),
})
# Libraries whose only use here would be sending mail, texts or calls.
FORBIDDEN_IMPORTS = frozenset({"smtplib", "aiosmtplib", "twilio", "sendgrid", "mailgun",
                               "mailchimp_transactional", "vonage", "plivo", "telnyx",
                               "postmarker", "yagmail"})
SQL_OBJECT = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?(?:TABLE|SCHEMA|"
                        r"VIEW|TYPE|FUNCTION|SEQUENCE)\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                        r"([A-Za-z_][\w.\"]*)", re.I)
TOPIC = re.compile(r"^sxp\.[a-z0-9.-]+\.v\d+$")
ROUTE = re.compile(r"^/(?:v\d+|api)(?:/[\w{}:.-]*)+$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def words(name: str) -> list[str]:
    """The lower-case words of a name: snake_case, camelCase, dotted, dashed or a path."""
    return [w.lower() for part in re.split(r"[^A-Za-z]+", name) if part
            for w in _CAMEL.sub(" ", part).split()]


def forbidden(name: str) -> str | None:
    """The forbidden word or pair in a name, if any."""
    found = words(name)
    for word in found:
        if word in FORBIDDEN_WORDS:
            return word
    for pair in zip(found, found[1:], strict=False):
        if pair in FORBIDDEN_PAIRS:
            return " ".join(pair)
    return None


def tree_files(root: Path) -> Iterator[Path]:
    """Every file and folder of the tree, skipping tool and environment folders."""
    for path in sorted(root.iterdir()):
        if path.name in SKIP_DIRS or path.resolve() == THIS_FILE:
            continue
        yield path
        if path.is_dir() and not path.is_symlink():
            yield from tree_files(path)


def python_names(source: str) -> Iterator[tuple[str, str]]:
    """(kind, name) of the definitions, imports, CLI commands and topic/route strings."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield "definition", node.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield "import", alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield "import", node.module
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield from _cli_names(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if TOPIC.match(node.value):
                yield "topic", node.value
            elif ROUTE.match(node.value):
                yield "route", node.value


def _cli_names(call: ast.Call) -> Iterator[tuple[str, str]]:
    attr = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if attr == "command" and call.args and isinstance(call.args[0], ast.Constant):
        yield "cli command", str(call.args[0].value)
    for keyword in call.keywords:
        if attr in ("add_typer", "command", "Typer") and keyword.arg == "name" \
                and isinstance(keyword.value, ast.Constant):
            yield "cli command", str(keyword.value.value)
    if attr in ("get", "post", "put", "patch", "delete", "route", "api_route") and call.args \
            and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        yield "route", call.args[0].value


def avro_names(schema: object) -> Iterator[str]:
    """Every record, enum and field name in an Avro schema."""
    if isinstance(schema, dict):
        if isinstance(schema.get("name"), str):
            yield schema["name"]
        for value in schema.values():
            yield from avro_names(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from avro_names(item)


def offences(root: Path) -> list[str]:
    """Every forbidden name in the tree, as 'path: kind name (word)'."""
    found: list[str] = []

    def check(path: Path, kind: str, name: str) -> None:
        word = forbidden(name)
        if word is not None:
            found.append(f"{path.relative_to(root)}: {kind} {name!r} ({word})")

    for path in tree_files(root):
        check(path, "file name", path.name)
        if path.is_dir():
            continue
        if path.suffix in (".py", ".sql"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for name in SQL_OBJECT.findall(text):
                check(path, "SQL object", name.replace('"', ""))
            if path.suffix == ".py":
                for kind, name in python_names(text):
                    if kind == "import" and name.split(".")[0] in FORBIDDEN_IMPORTS:
                        found.append(f"{path.relative_to(root)}: import {name!r} (sender)")
                    check(path, kind, name)
        elif path.suffix == ".avsc":
            for name in avro_names(json.loads(path.read_text(encoding="utf-8"))):
                check(path, "Avro name", name)
    return found


def test_the_repository_holds_no_messaging_campaign_dm_call_queue_or_deal_code() -> None:
    assert offences(ROOT) == []


def test_the_guard_finds_each_kind_of_forbidden_name(tmp_path: Path) -> None:
    (tmp_path / "services" / "campaigns").mkdir(parents=True)
    (tmp_path / "services" / "campaigns" / "__init__.py").write_text("")
    (tmp_path / "services" / "notify.py").write_text(
        "import smtplib\n"
        "from twilio.rest import Client\n"
        "class CallQueue: ...\n"
        "async def send_dm(user): ...\n"
        "def nextDealStage(): ...\n"
        "SQL = 'CREATE TABLE IF NOT EXISTS execution.outreach_log (id int)'\n"
        "TOPIC = 'sxp.messages.direct-message.v1'\n"
        "@app.command('drip')\n"
        "def start(): ...\n"
        "app.add_typer(sub, name='crm')\n"
        "@router.post('/v1/follow-up')\n"
        "def route(): ...\n")
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "x.avsc").write_text(json.dumps(
        {"type": "record", "name": "Lead", "fields": [{"name": "sms_opt_in", "type": "boolean"}]}))
    (tmp_path / "schema.sql").write_text("CREATE VIEW sales_pipeline AS SELECT 1;")
    found = "\n".join(offences(tmp_path))
    for expected in ("file name 'campaigns'", "import 'smtplib' (sender)", "import 'twilio.rest'",
                     "definition 'CallQueue' (call queue)", "definition 'send_dm' (dm)",
                     "definition 'nextDealStage' (deal)", "SQL object 'execution.outreach_log'",
                     "topic 'sxp.messages.direct-message.v1'", "cli command 'drip'",
                     "cli command 'crm'", "route '/v1/follow-up' (follow up)",
                     "Avro name 'sms_opt_in' (sms)", "SQL object 'sales_pipeline'"):
        assert expected in found, expected


def test_prose_and_profile_text_may_name_what_is_out_of_scope(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("This repository never contains campaigns or DMs.\n")
    (tmp_path / "fixtures.py").write_text(
        'BIOS = ["DM for collabs", "influencer campaigns", "call me"]\n'
        '"""Campaigns and call queues are out of scope."""\n'
        "def outbox_relay(): ...\n"
        "def schedule_audience_refresh(): ...\n")
    assert offences(tmp_path) == []


@pytest.mark.parametrize(("name", "word"), [
    ("sendDirectMessage", "direct message"), ("CAMPAIGN_ID", "campaign"), ("dm-queue", "dm"),
    ("deal_pipeline", "deal"), ("outbound-calls", "outbound calls"), ("ops.outbox", None),
    ("admin", None), ("dmarc_check", None), ("audience_members", None), ("idealism", None),
])
def test_names_are_split_into_words_before_they_are_judged(name: str, word: str | None) -> None:
    assert forbidden(name) == word
