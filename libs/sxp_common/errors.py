"""The one error that means "this record can never be processed": raised by domain code.

Only this error and a database constraint that the record itself breaks dead-letter a
record. Anything else (a bug such as a KeyError, a lost connection) crashes the batch,
which Kafka redelivers after the fix or the restart.
"""

from __future__ import annotations


class Unprocessable(Exception):
    """A record that decoded but that no retry can process; `reason_code` names why."""

    def __init__(self, reason_code: str, detail: str = "") -> None:
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)
        self.reason_code = reason_code
        self.detail = detail
