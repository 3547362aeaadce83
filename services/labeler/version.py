"""The labeler model version: the scoring scheme, a hash of every packaged rule table, and the
learned layer's model name with a hash of its weights file.

A card's label_evidence carries it, so a relabel after any rule, policy or model change is
traceable to the exact tables and weights that produced it. The tables hashed are the ones
labeling reads: the packaged ones with an operator's rules directory over them.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from services.labeler.learned import learned_model, packaged_model_bytes
from services.labeler.rulebook import rule_tables

SCHEME = "rules-4"


def rules_digest(rules_dir: Path | None = None) -> str:
    """12 hex of sha256 over the name and bytes of every rule table labeling reads."""
    digest = hashlib.sha256()
    for name, table in rule_tables(rules_dir).items():
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(table.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def model_version(rules_dir: Path | None = None) -> str:
    """'rules-4+<rules_digest>+<model name>.<8 hex of its file>'."""
    return _version(rules_dir)


@lru_cache(maxsize=4)
def _version(rules_dir: Path | None) -> str:
    weights = hashlib.sha256(packaged_model_bytes()).hexdigest()[:8]
    return f"{SCHEME}+{rules_digest(rules_dir)}+{learned_model().version}.{weights}"
