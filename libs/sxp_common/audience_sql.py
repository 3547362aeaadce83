"""Audience criteria compiled to a parameterized SQL predicate over execution.lead_cards.

Pure: builds text and a parameter list, runs nothing. Every value of the criteria becomes a
bind parameter ($1, $2, ... as asyncpg numbers them); the SQL text holds only the
compiler's own column names, operators and casts, so no criteria can change its shape.

The predicate reads the card as `c` (execution.lead_cards) and, only when a criterion
needs Tier 1 (followers, verified, bio, location, language: lead cards do not carry
them), the profile as `p` (social.raw_social_profiles, joined on profile_id).

Every leaf is two-valued (true or false, never NULL), so `not` means what it says: a card
whose persona is undecided is matched by {"not": {"persona": "creator"}}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sxp_common.audience_criteria import (
    All,
    AnyOf,
    FollowerRange,
    InSet,
    MinConfidence,
    Node,
    Not,
    Terms,
    Verified,
    normalize,
)

CARD = "execution.lead_cards"
PROFILE = "social.raw_social_profiles"
JOIN = f"JOIN {PROFILE} p ON p.profile_id = c.profile_id"
PROFILE_FIELDS = frozenset({"bio", "location", "language"})
# Language markers on bio text (case-insensitive regular expressions): a script for the
# languages that have their own, frequent function words for the Latin-script ones. A
# heuristic until ingest stores a detected language (services/audience/DESIGN.md).
LANGUAGE_MARKERS: dict[str, str] = {
    "ar": r"[\u0600-\u06ff]",
    "de": r"\m(und|ich|der|die|das|nicht|mit|für|auf|bin|mein|meine)\M",
    "en": r"\m(the|and|my|of|for|with|to|in|is|your|i'm|we)\M",
    "es": r"\m(el|la|los|las|que|con|para|del|y|mi|por|una|soy)\M",
    "fr": r"\m(le|la|les|et|des|du|pour|avec|une|je|mon|ma|sur)\M",
    "hi": r"[\u0900-\u097f]",
    "id": r"\m(dan|yang|untuk|di|dengan|saya|aku|ini|dari|kami)\M",
    "it": r"\m(il|lo|gli|che|con|per|della|sono|una|di|mio|mia)\M",
    "ja": r"[\u3040-\u30ff]",
    "ko": r"[\uac00-\ud7af]",
    "pt": r"\m(o|os|as|que|com|para|do|da|em|um|uma|meu|minha|sou)\M",
    "ru": r"[\u0400-\u04ff]",
    "zh": r"[\u4e00-\u9fff]",
}
CONFIDENCE_COLUMNS = {"persona": "c.persona_confidence", "tribe": "c.tribe_confidence",
                      "industry": "c.industry_confidence",
                      "execution_label": "c.execution_label_confidence"}
NULLABLE_COLUMNS = frozenset({"persona", "tribe", "industry", "execution_label"})


@dataclass(slots=True)
class CompiledPredicate:
    """A WHERE predicate, its parameters in order, and whether it reads the profile `p`."""

    sql: str
    params: list[Any]
    needs_profile: bool

    def from_clause(self) -> str:
        """FROM lead cards `c`, joined to their profiles `p` only when the predicate reads them."""
        return f"FROM {CARD} c" + (f" {JOIN}" if self.needs_profile else "")


@dataclass(slots=True)
class _Compiler:
    first: int
    params: list[Any] = field(default_factory=list)
    needs_profile: bool = False

    def bind(self, value: Any, cast: str) -> str:
        """A placeholder for value: the only way a value reaches the SQL."""
        self.params.append(value)
        return f"${self.first + len(self.params) - 1}::{cast}"

    def node(self, node: Node) -> str:
        if isinstance(node, All | AnyOf):
            joiner = " AND " if isinstance(node, All) else " OR "
            return "(" + joiner.join(self.node(c) for c in node.children) + ")"
        if isinstance(node, Not):
            return f"NOT {self.node(node.child)}"
        if isinstance(node, InSet):
            return self.in_set(node)
        if isinstance(node, FollowerRange):
            return self.followers(node)
        if isinstance(node, Verified):
            self.needs_profile = True
            return f"(p.verified = {self.bind(node.value, 'boolean')})"
        if isinstance(node, Terms):
            return self.terms(node)
        return self.confidence(node)

    def in_set(self, node: InSet) -> str:
        if node.field == "language":
            self.needs_profile = True
            pattern = "|".join(f"({LANGUAGE_MARKERS[code]})" for code in node.values if code)
            return f"(p.bio IS NOT NULL AND p.bio ~* {self.bind(pattern, 'text')})"
        column = f"c.{node.field}"
        ids = [v for v in node.values if v is not None]
        parts = []
        if ids:
            guard = f"{column} IS NOT NULL AND " if node.field in NULLABLE_COLUMNS else ""
            parts.append(f"({guard}{column} = ANY({self.bind(ids, 'text[]')}))")
        if None in node.values:
            parts.append(f"({column} IS NULL)")
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def followers(self, node: FollowerRange) -> str:
        self.needs_profile = True
        parts = ["p.followers IS NOT NULL"]
        if node.min is not None:
            parts.append(f"p.followers >= {self.bind(node.min, 'bigint')}")
        if node.max is not None:
            parts.append(f"p.followers <= {self.bind(node.max, 'bigint')}")
        return "(" + " AND ".join(parts) + ")"

    def terms(self, node: Terms) -> str:
        self.needs_profile = True
        column = f"p.{node.field}"
        terms = self.bind(list(node.terms), "text[]")
        # strpos(...)::boolean rather than "> 0": the text holds no literal of its own, so
        # a test can tell that every number or string in it is a placeholder.
        return (f"({column} IS NOT NULL AND EXISTS (SELECT FROM unnest({terms}) AS t(term) "
                f"WHERE strpos(lower({column}), t.term)::boolean))")

    def confidence(self, node: MinConfidence) -> str:
        parts = []
        for label, floor in node.floors:
            column = CONFIDENCE_COLUMNS[label]
            parts.append(f"{column} IS NOT NULL AND {column} >= {self.bind(floor, 'float8')}")
        return "(" + " AND ".join(parts) + ")"


def compile_predicate(node: Node, first_param: int = 1) -> CompiledPredicate:
    """The criteria as a WHERE predicate over `c` (and `p` when needed); parameters numbered
    from first_param, so a statement can put its own ($1 = the audience id) before them."""
    if first_param < 1:
        raise ValueError("first_param must be at least 1")
    compiler = _Compiler(first_param)
    sql = compiler.node(normalize(node))
    return CompiledPredicate(sql, compiler.params, compiler.needs_profile)


def matching_cards_query(node: Node) -> tuple[str, list[Any]]:
    """SELECT the lead_card_id of every card the criteria match, with its parameters."""
    predicate = compile_predicate(node)
    return (f"SELECT c.lead_card_id {predicate.from_clause()} WHERE {predicate.sql}",
            predicate.params)


def count_query(node: Node) -> tuple[str, list[Any]]:
    """SELECT count(*) of the cards the criteria match (an audience's size)."""
    predicate = compile_predicate(node)
    return f"SELECT count(*) {predicate.from_clause()} WHERE {predicate.sql}", predicate.params


@dataclass(frozen=True, slots=True)
class MembershipStatements:
    """The two set-based statements that bring an audience's members in line with its
    criteria, each with its parameters: admit (insert or refresh) and evict."""

    admit: str
    admit_params: list[Any]
    evict: str
    evict_params: list[Any]


def membership_statements(node: Node, audience_id: str, criteria_hash: str,
                          members_table: str = "audience.members",
                          cards: list[str] | None = None,
                          with_pool: bool = False) -> MembershipStatements:
    """Admit every card the criteria match and evict every member they do not; with `cards`,
    only those lead cards are looked at (the incremental path: primary-key lookups).

    A member already admitted under this criteria hash at the card's current revision is
    not written again, so a re-run with nothing changed writes no row. members_table is the
    compiler's own constant in production (tests pass a scratch table), never user input.
    With `with_pool`, a member also carries the card's audience pool (migration 0010), so an
    audience's split by platform, tribe and tier reads only its members.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?", members_table):
        raise ValueError(f"bad members table name {members_table!r}")
    admit_pred = compile_predicate(node, first_param=3)
    admit_params: list[Any] = [audience_id, criteria_hash, *admit_pred.params]
    admit_where = admit_pred.sql
    if cards is not None:
        admit_params.append(cards)
        admit_where += f" AND c.lead_card_id = ANY(${len(admit_params)}::uuid[])"
    pool_column, pool_value, pool_set, pool_kept, pool_new = (
        (", audience_pool", ", c.audience_pool", ", audience_pool = EXCLUDED.audience_pool",
         ", m.audience_pool", ", EXCLUDED.audience_pool") if with_pool else ("",) * 5)
    admit = (f"INSERT INTO {members_table} AS m (audience_id, lead_card_id, criteria_hash, "
             f"card_revision{pool_column}) SELECT $1::uuid, c.lead_card_id, $2::text, "
             f"c.revision{pool_value} {admit_pred.from_clause()} WHERE {admit_where} "
             "ON CONFLICT (audience_id, lead_card_id) DO UPDATE SET criteria_hash = "
             "EXCLUDED.criteria_hash, card_revision = EXCLUDED.card_revision, refreshed_at = "
             f"now(){pool_set} WHERE (m.criteria_hash, m.card_revision{pool_kept}) "
             f"IS DISTINCT FROM (EXCLUDED.criteria_hash, EXCLUDED.card_revision{pool_new})")
    evict_pred = compile_predicate(node, first_param=2)
    evict_params: list[Any] = [audience_id, *evict_pred.params]
    evict_where = "m.audience_id = $1::uuid AND c.lead_card_id = m.lead_card_id"
    if cards is not None:
        evict_params.append(cards)
        evict_where += f" AND m.lead_card_id = ANY(${len(evict_params)}::uuid[])"
    using = evict_pred.from_clause().removeprefix("FROM ")
    evict = f"DELETE FROM {members_table} m USING {using} WHERE {evict_where} " \
            f"AND NOT {evict_pred.sql}"
    return MembershipStatements(admit, admit_params, evict, evict_params)
