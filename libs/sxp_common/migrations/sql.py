"""Run a multi-statement SQL script through Alembic, one statement at a time.

asyncpg prepares each statement, so a script must be split; dollar-quoted
function bodies are kept whole.
"""

from __future__ import annotations

from typing import Any


def split_statements(script: str) -> list[str]:
    """Split on semicolons that end a line, never inside a $$ … $$ body."""
    statements: list[str] = []
    current: list[str] = []
    in_body = False
    for line in script.splitlines():
        current.append(line)
        if line.count("$$") % 2:
            in_body = not in_body
        if not in_body and line.rstrip().endswith(";"):
            statement = "\n".join(current).strip().rstrip(";").strip()
            if statement:
                statements.append(statement)
            current = []
    tail = "\n".join(current).strip()
    if tail:
        statements.append(tail)
    return statements


def execute_script(op: Any, script: str) -> None:
    """Execute each statement of `script` in the migration's transaction."""
    for statement in split_statements(script):
        op.execute(statement)
