"""The audience service's pure core: what a command does to an audience, and how its members
split by platform, tribe and follower tier. No I/O."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sxp_common.audience_commands import STALE_VERSION
from sxp_common.audience_criteria import (
    CriteriaError,
    Node,
    canonical,
    criteria_hash,
    parse_criteria,
)
from sxp_common.audience_scoring import SCORER as DEFAULT_SCORER

# audience_id = uuid5(AUDIENCE_NAMESPACE, name): the same name is the same audience across
# versions, deletes and re-creates, on every machine.
AUDIENCE_NAMESPACE = uuid.UUID("5b0f3c1e-8a7d-5e21-9c4b-a11e0d1e0001")
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
SCORERS = (DEFAULT_SCORER, "llm")
MAX_DESCRIPTION = 500
UNKNOWN = "unknown"


class Refused(ValueError):
    """A command the service answers `refused`, with this one line as the reason."""


@dataclass(frozen=True, slots=True)
class Stored:
    """An audience as the database holds it (deleted ones too: the name is taken for good)."""

    audience_id: str
    name: str
    description: str
    criteria: Any
    criteria_hash: str
    version: int
    scorer: str
    deleted: bool


@dataclass(frozen=True, slots=True)
class Definition:
    """An audience's definition after a command: what the row and the version row hold."""

    audience_id: str
    name: str
    description: str
    node: Node
    criteria: Any
    criteria_hash: str
    scorer: str


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do: `create`, `update`, `unchanged`, `delete` or `qualify`, and the definition
    (with its version number) the audience has afterwards."""

    kind: str
    definition: Definition
    version: int


def audience_id_of(name: str) -> str:
    """The stable id of an audience name."""
    return str(uuid.uuid5(AUDIENCE_NAMESPACE, name))


def check_name(name: str) -> None:
    """Refuse a name the audiences table would refuse, with the rule in the message."""
    if not NAME_PATTERN.fullmatch(name):
        raise Refused(f"audience name {name!r}: lower-case letters, digits, '-' and '_', "
                      "starting with a letter or digit, at most 63 characters")


def _scorer(value: str | None, current: str) -> str:
    if value is None:
        return current
    if value not in SCORERS:
        raise Refused(f"scorer {value!r}: one of {', '.join(SCORERS)}")
    return value


def _description(value: str | None, current: str) -> str:
    if value is None:
        return current
    text = " ".join(value.split())
    if len(text) > MAX_DESCRIPTION:
        raise Refused(f"description: at most {MAX_DESCRIPTION} characters")
    return text


def definition(name: str, node: Node, description: str, scorer: str) -> Definition:
    """An audience definition from parsed criteria: canonical form and its hash."""
    return Definition(audience_id_of(name), name, description, node, canonical(node),
                      criteria_hash(node), scorer)


def stored_node(stored: Stored) -> Node:
    """The stored canonical criteria parsed back (valid when the service wrote them)."""
    return parse_criteria(stored.criteria)


def readable(audiences: Iterable[Stored]) -> tuple[list[tuple[Stored, Node]],
                                                   list[tuple[Stored, str]]]:
    """The audiences whose stored criteria parse, with their node, and those that do not, with
    the one-line reason. A row written behind the service's back (by hand, by an old tool)
    must not stop every other audience from being kept current; `update --criteria` mends it."""
    good: list[tuple[Stored, Node]] = []
    bad: list[tuple[Stored, str]] = []
    for stored in audiences:
        try:
            good.append((stored, stored_node(stored)))
        except CriteriaError as exc:
            bad.append((stored, str(exc)))
    return good, bad


def check_version(command: Mapping[str, Any], version: int) -> None:
    """Refuse an UPDATE or DELETE decided on a version the audience has moved past: of two
    changes sent with the same If-Match, the second is refused, not applied on top."""
    expected = command.get("if_version")
    if command["action"] in ("UPDATE", "DELETE") and expected is not None and expected != version:
        raise Refused(f"{STALE_VERSION} {expected}; it is now at version {version}")


def decide(command: Mapping[str, Any], stored: Stored | None) -> Decision:
    """What an AudienceCommand does given the audience as stored (None: never created).

    Raises Refused, or CriteriaError for bad criteria (both answered `refused`)."""
    action, name = command["action"], command["name"]
    check_name(name)
    live = stored is not None and not stored.deleted
    if action == "CREATE":
        if live:
            raise Refused(f"audience {name!r} exists; use update to change it")
        if command["criteria_json"] is None:
            raise Refused("criteria: required to create an audience")
        node = parse_criteria(command["criteria_json"])
        new = definition(name, node, _description(command["description"], ""),
                         _scorer(command["scorer"], DEFAULT_SCORER))
        return Decision("create", new, 1 if stored is None else stored.version + 1)
    if not live or stored is None:
        raise Refused(f"no audience named {name!r}")
    check_version(command, stored.version)
    node = (stored_node(stored) if command["criteria_json"] is None
            else parse_criteria(command["criteria_json"]))
    current = definition(name, node, _description(command["description"], stored.description),
                         _scorer(command["scorer"], stored.scorer))
    if action == "UPDATE":
        same = (current.criteria_hash == stored.criteria_hash
                and current.description == stored.description and current.scorer == stored.scorer)
        if same:
            return Decision("unchanged", current, stored.version)
        return Decision("update", current, stored.version + 1)
    if action == "DELETE":
        return Decision("delete", current, stored.version + 1)
    if action == "QUALIFY":
        top = command["top"]
        if top is not None and top < 1:
            raise Refused("top: at least 1")
        return Decision("qualify", current, stored.version)
    raise Refused(f"unknown action {action!r}")


@dataclass(frozen=True, slots=True)
class Split:
    """An audience's size and its members by platform, tribe and follower tier."""

    members: int
    by_platform: dict[str, int]
    by_tribe: dict[str, int]
    by_tier: dict[str, int]


def split_of(pools: Iterable[tuple[str | None, int]]) -> Split:
    """Fold (audience pool, members) counts into the split: a pool reads
    "{platform}.{tribe or 'unassigned'}.{tier}"; a member with no pool recorded counts as
    `unknown` in each part."""
    platform: Counter[str] = Counter()
    tribe: Counter[str] = Counter()
    tier: Counter[str] = Counter()
    total = 0
    for pool, count in pools:
        parts = pool.split(".") if pool else []
        p, t, f = parts if len(parts) == 3 else (UNKNOWN, UNKNOWN, UNKNOWN)
        platform[p] += count
        tribe[t] += count
        tier[f] += count
        total += count
    return Split(total, dict(sorted(platform.items())), dict(sorted(tribe.items())),
                 dict(sorted(tier.items())))


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """What the two statements did to an audience: cards that joined, were refreshed (still
    members, their card changed) and left."""

    joined: int = 0
    refreshed: int = 0
    left: int = 0

    @property
    def moved(self) -> bool:
        """Did the member set change (not only the refresh of members that stay)?"""
        return bool(self.joined or self.left)

    @property
    def touched(self) -> bool:
        """Did any member row change?"""
        return bool(self.joined or self.left or self.refreshed)


def membership_change(admitted: Iterable[bool], evicted: int) -> MembershipChange:
    """From the admit statement's rows (True: inserted, False: refreshed) and the evict count."""
    flags = list(admitted)
    joined = sum(1 for inserted in flags if inserted)
    return MembershipChange(joined, len(flags) - joined, evicted)


def changed_cards(card_ids: Iterable[str]) -> list[str]:
    """The distinct lead card ids of a batch, sorted (the statements' `cards`)."""
    return sorted(set(card_ids))
