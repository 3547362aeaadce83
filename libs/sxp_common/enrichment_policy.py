"""The enrichment policy: what may be enriched, through which providers, at what cost.

Policy as data (`enrichment_policy.json` beside this module, or SXP_ENRICHMENT_POLICY). The
gate decides with it; the adapter reads the prices from it, so the two agree on what a
call costs without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_BATCH_SIZE = 250
POLICY_FILE = Path(__file__).resolve().parent / "enrichment_policy.json"
# Apollo bills 1 credit a matched person for demographics and email (phones are not revealed).
APOLLO_CREDITS_PER_PERSON = 1


class PolicyError(ValueError):
    """A policy file that cannot be used."""


@dataclass(frozen=True)
class GatePolicy:
    """What may be enriched, through which providers, at what cost."""

    allowed_labels: tuple[str, ...] = ("PARTNER", "AFFILIATE")
    min_confidence: float = 0.5
    providers: tuple[str, ...] = ("apollo", "skiptrace")
    worst_case_usd: dict[str, float] = field(default_factory=lambda: {"apollo": 0.03,
                                                                      "skiptrace": 0.12})
    usd_per_credit: float = 0.03
    budget_per_request_usd: float = 50.0
    budget_per_day_usd: float = 200.0
    max_batch_size: int = MAX_BATCH_SIZE

    def as_dict(self) -> dict[str, Any]:
        """The policy as `sxp enrich policy` shows it."""
        return {
            "allowed_labels": list(self.allowed_labels),
            "min_confidence": self.min_confidence,
            "providers": list(self.providers),
            "worst_case_usd_per_record": dict(self.worst_case_usd),
            "budget_per_request_usd": self.budget_per_request_usd,
            "budget_per_day_usd": self.budget_per_day_usd,
            "max_batch_size": self.max_batch_size,
        }


def policy_from_dict(raw: dict[str, Any]) -> GatePolicy:
    """Build a policy from its JSON form; Apollo's worst case is 1 credit × price per credit.

    Apollo reveals phones only to a webhook, which this product does not run, so a policy
    asking for `reveal_phone_number` is refused rather than reserving 9 credits it cannot use.
    """
    try:
        apollo = raw.get("apollo", {})
        if apollo.get("reveal_phone_number"):
            raise PolicyError("apollo.reveal_phone_number is not supported: Apollo sends revealed "
                              "phones "
                              "to a webhook, and this product runs none")
        if "worst_case_credits" in apollo:
            raise PolicyError("apollo.worst_case_credits is no longer read: a person costs 1 "
                              "credit without a phone reveal")
        per_credit = float(apollo.get("usd_per_credit", 0.03))
        size = int(raw.get("max_batch_size", MAX_BATCH_SIZE))
        if not 1 <= size <= MAX_BATCH_SIZE:
            raise PolicyError(f"max_batch_size must be 1..{MAX_BATCH_SIZE}, got {size}")
        return GatePolicy(
            allowed_labels=tuple(raw["allowed_labels"]),
            min_confidence=float(raw["min_confidence"]),
            providers=tuple(raw["providers"]),
            worst_case_usd={
                "apollo": round(APOLLO_CREDITS_PER_PERSON * per_credit, 4),
                "skiptrace": float(raw.get("skiptrace", {}).get("usd_per_record", 0.12)),
            },
            usd_per_credit=per_credit,
            budget_per_request_usd=float(raw["budget_per_request_usd"]),
            budget_per_day_usd=float(raw["budget_per_day_usd"]),
            max_batch_size=size,
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, PolicyError):
            raise
        raise PolicyError(f"enrichment policy is invalid: {type(exc).__name__}: {exc}") from None


def load_policy(path: Path | None = None) -> GatePolicy:
    """Read the policy file (the packaged default unless a path is given)."""
    target = path or POLICY_FILE
    try:
        return policy_from_dict(json.loads(Path(target).read_text()))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyError(f"cannot read enrichment policy {target}: {exc}") from None
