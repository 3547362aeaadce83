"""The labeler model version: the scoring scheme, a hash of every packaged rule table, and the
learned layer's model name with a hash of its weights file.

A card's label_evidence carries it, so a relabel after any rule, policy or model change is
traceable to the exact tables and weights that produced it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources

from services.labeler.learned import learned_model, packaged_model_bytes

SCHEME = "rules-3"


@lru_cache(maxsize=1)
def model_version() -> str:
    """'rules-3+<12 hex of sha256 over the rule tables>+<model name>.<8 hex of its file>'."""
    folder = resources.files("services.labeler.rules")
    digest = hashlib.sha256()
    for name in sorted(p.name for p in folder.iterdir() if p.name.endswith(".tsv")):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(folder.joinpath(name).read_bytes() + b"\0")
    weights = hashlib.sha256(packaged_model_bytes()).hexdigest()[:8]
    return f"{SCHEME}+{digest.hexdigest()[:12]}+{learned_model().version}.{weights}"
