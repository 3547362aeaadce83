"""Every command answers --help, and bad input gets one line and a non-zero exit, never a
traceback."""

from __future__ import annotations

import pytest

from tests.support.pipeline import sxp

pytestmark = pytest.mark.unit
COMMANDS = [
    [], ["stack"], ["stack", "up"], ["stack", "down"], ["stack", "status"], ["services"],
    ["services", "up"], ["services", "down"], ["services", "status"], ["publish"],
    ["fixtures", "generate"], ["preview"], ["stats"], ["enrich", "policy"], ["enrich", "request"],
    ["export"], ["audit", "trail"], ["replay", "audit"], ["demo"], ["eval"], ["eval", "labels"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "sxp")
def test_every_command_answers_help(command: list[str]) -> None:
    result = sxp(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


@pytest.mark.parametrize("args, words", [
    (["publish", "/no/such/file.jsonl"], "no such file"),
    (["publish", "/etc/hostname"], "unknown format"),
    (["preview", "/no/such/file.csv"], "no such file"),
    (["eval", "labels", "/no/such/file.jsonl"], "no such file"),
    (["services", "up", "--scale", "mailer=2"], "unknown service"),
    (["fixtures", "generate", "--out", "/tmp/sxp-fixture.txt"], "jsonl or .csv"),
    (["audit", "trail"], "exactly one of"),
    (["audit", "trail", "--since", "last tuesday"], "--since"),
    (["export", "--transport", "ftp"], "--transport"),
    (["enrich", "request", "--label", "NOPE", "--dry-run"], "--label"),
])
def test_bad_input_is_one_line_and_a_non_zero_exit(args: list[str], words: str) -> None:
    result = sxp(*args)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_an_unreachable_server_is_one_line_with_a_hint() -> None:
    result = sxp("stats", SXP_KAFKA_BOOTSTRAP="127.0.0.1:9",
                 SXP_DATABASE_URL="postgresql://sxp:sxp@127.0.0.1:9/sxp")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "sxp stack up" in lines[0]
