"""The one error type the local stack raises; its message is a single line for the user."""

from __future__ import annotations


class StackError(Exception):
    """A local-stack failure the user can act on (message is one line, names the log)."""
