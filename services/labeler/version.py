"""The labeler model version: the scoring scheme plus a hash of every packaged rule table.

A card's label_evidence carries it, so a relabel after any rule or policy change is traceable
to the exact tables that produced it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

SCHEME = "rules-3"


@lru_cache(maxsize=1)
def model_version() -> str:
    """'rules-3+<12 hex digits of sha256 over the rule tables' names and bytes>'."""
    folder = resources.files("services.labeler.rules")
    digest = hashlib.sha256()
    for name in sorted(p.name for p in folder.iterdir() if p.name.endswith(".tsv")):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(folder.joinpath(name).read_bytes() + b"\0")
    return f"{SCHEME}+{digest.hexdigest()[:12]}"
