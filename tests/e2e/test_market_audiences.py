"""Compiled audience criteria select exactly the cards a hand-written query selects.

(An e2e module, named to run after test_handoff: that module compares every batch on the
queue topic with the handoff table, which test_determinism's TRUNCATE empties, so cards this
module sends to the queue before that truncation would show up as strays there.)

Profiles are generated, published and labeled by the real pipeline (ingest, card factory,
labeler) on this test stack; then, for a dozen criteria, the compiled predicate and a
query written by hand for the same criteria must return the same lead cards, and the
criteria that should find someone do.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import asyncpg
import pytest

from sxp_cli.fixtures import generate_profiles, write_jsonl
from sxp_cli.processes import services_up
from sxp_common.audience_criteria import criteria_hash, parse_criteria
from sxp_common.audience_sql import count_query, matching_cards_query, membership_statements
from sxp_common.db import asyncpg_dsn
from tests.support.pipeline import publish_and_label, query, scalar

pytestmark = pytest.mark.e2e

CARDS = "SELECT c.lead_card_id FROM execution.lead_cards c"
WITH_PROFILE = CARDS + " JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id"
# (name, criteria, the hand-written query, whether the generated profiles must match some)
CASES: list[tuple[str, dict[str, Any], str, bool]] = [
    ("fitness creators on TikTok with 10k-100k followers",
     {"platform": "tiktok", "persona": "creator", "tribe": "fitness_wellness",
      "followers": {"min": 10_000, "max": 100_000}},
     WITH_PROFILE + """ WHERE c.platform = 'tiktok' AND c.persona = 'creator'
        AND c.tribe = 'fitness_wellness' AND p.followers BETWEEN 10000 AND 100000""", False),
    ("real-estate agents in Texas on any platform",
     {"persona": "real_estate_agent", "location": ["Texas", ", TX", "Houston", "Austin"]},
     WITH_PROFILE + """ WHERE c.persona = 'real_estate_agent' AND (p.location ILIKE '%texas%'
        OR p.location ILIKE '%, tx%' OR p.location ILIKE '%houston%'
        OR p.location ILIKE '%austin%')""", False),
    ("creators with 10k or more followers",
     {"persona": "creator", "followers": {"min": 10_000}},
     WITH_PROFILE + " WHERE c.persona = 'creator' AND p.followers >= 10000", True),
    ("partners or affiliates",
     {"execution_label": ["PARTNER", "AFFILIATE"]},
     CARDS + " WHERE c.execution_label IN ('PARTNER', 'AFFILIATE')", True),
    ("anything but a creator (undecided personas included)",
     {"not": {"persona": "creator"}},
     CARDS + " WHERE c.persona IS DISTINCT FROM 'creator'", True),
    ("undecided tribe", {"tribe": None}, CARDS + " WHERE c.tribe IS NULL", True),
    ("confident users", {"execution_label": "USER", "min_confidence": 0.6},
     CARDS + " WHERE c.execution_label = 'USER' AND c.execution_label_confidence >= 0.6", True),
    ("verified on x or threads", {"verified": True, "platform": ["x", "threads"]},
     WITH_PROFILE + " WHERE p.verified AND c.platform IN ('x', 'threads')", False),
    ("bios about coaching or yoga", {"bio": ["coach", "YOGA"]},
     WITH_PROFILE + " WHERE p.bio ILIKE '%coach%' OR p.bio ILIKE '%yoga%'", True),
    ("mid-tier TikTok fitness pool or any macro on x",
     {"any": [{"audience_pool": "tiktok.fitness_wellness.mid"},
              {"all": [{"platform": "x"}, {"followers": {"min": 100_000, "max": 999_999}}]}]},
     WITH_PROFILE + """ WHERE c.audience_pool = 'tiktok.fitness_wellness.mid'
        OR (c.platform = 'x' AND p.followers BETWEEN 100000 AND 999999)""", False),
    ("labeled, not enriched, tribe confidence at least 0.5, not in real estate",
     {"readiness": "LABELED", "enrichment_status": "NONE", "min_confidence": {"tribe": 0.5},
      "not": {"any": [{"tribe": "real_estate"}, {"industry": "real_estate"}]}},
     CARDS + """ WHERE c.readiness = 'LABELED' AND c.enrichment_status = 'NONE'
        AND c.tribe_confidence >= 0.5 AND c.tribe IS DISTINCT FROM 'real_estate'
        AND c.industry IS DISTINCT FROM 'real_estate'""", True),
    ("bios in Spanish or Japanese", {"language": ["es", "ja"]},
     WITH_PROFILE + r""" WHERE p.bio ~* '\m(el|la|los|las|que|con|para|del|y|mi|por|una|soy)\M'
        OR p.bio ~ '[\u3040-\u30ff]'""", True),
    ("an injection string as a bio term matches nobody, harmlessly",
     {"bio": "'; DELETE FROM execution.lead_cards; --"},
     WITH_PROFILE + " WHERE false", False),
]


def own_handle(row: dict[str, Any]) -> dict[str, Any]:
    """The row with a handle no other module generates ("aud" in front), so its card ids
    never meet another module's: after test_determinism truncates the tables, a shared id
    would go out on the queue again at revision 1 and break test_handoff's no-repeat check."""
    username = row.get("username")
    if isinstance(username, str) and re.fullmatch(r"@?[A-Za-z0-9._]+", username):
        row = {**row, "username": re.sub(r"^(@?)", r"\1aud", username)}
    return row


@pytest.fixture(scope="module")
def labeled(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Generated profiles published and labeled through the running pipeline."""
    services_up(test_stack, {})
    path = tmp_path_factory.mktemp("audience") / "profiles.jsonl"
    write_jsonl([own_handle(row) for row in generate_profiles(1500, seed=1414)], path)
    publish_and_label(test_stack, path)
    return test_stack


def ids(rows: list[dict[str, Any]]) -> set[str]:
    return {str(r["lead_card_id"]) for r in rows}


def compiled_ids(settings: Any, criteria: dict[str, Any]) -> set[str]:
    """The cards the compiled predicate of the criteria selects."""
    sql, params = matching_cards_query(parse_criteria(criteria))
    return ids(query(settings, sql, *params))


@pytest.mark.parametrize(("name", "criteria", "by_hand", "finds_some"), CASES,
                         ids=[c[0] for c in CASES])
def test_the_compiled_predicate_returns_exactly_the_hand_written_querys_cards(
        labeled: Any, name: str, criteria: dict[str, Any], by_hand: str, finds_some: bool
) -> None:
    node = parse_criteria(criteria)
    sql, params = matching_cards_query(node)
    compiled = ids(query(labeled, sql, *params))
    assert compiled == ids(query(labeled, by_hand)), name
    if finds_some:
        assert compiled, f"{name}: the generated profiles should hold some"
    count_sql, count_params = count_query(node)
    assert scalar(labeled, count_sql, *count_params) == len(compiled)


def test_the_injection_string_left_every_card_in_place(labeled: Any) -> None:
    before = scalar(labeled, "SELECT count(*) FROM execution.lead_cards")
    sql, params = matching_cards_query(parse_criteria({"location": "x'); DROP TABLE x; --"}))
    query(labeled, sql, *params)
    assert before > 0 and scalar(labeled, "SELECT count(*) FROM execution.lead_cards") == before


# The members table of services/audience/DESIGN.md, as a scratch table until its migration.
SCRATCH = "public.scratch_audience_members"
SCRATCH_DDL = f"""CREATE TABLE {SCRATCH} (
    audience_id uuid NOT NULL, lead_card_id uuid NOT NULL, criteria_hash text NOT NULL,
    card_revision integer NOT NULL, joined_at timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (audience_id, lead_card_id))"""
AUDIENCE = "5d1f6a3e-4b1c-4c1e-9a51-0d1e5a7c0001"


Step = tuple[dict[str, Any], list[str] | None, list[str]]


async def _membership(settings: Any, steps: list[Step]) -> list[tuple[str, str, set[str]]]:
    """For each (criteria, cards, changes) step: apply the changes to the cards, then admit
    and evict (restricted to `cards` unless None) in one transaction, on one scratch table;
    return (admit status, evict status, members) per step."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    out = []
    try:
        await conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        await conn.execute(SCRATCH_DDL)
        for criteria, cards, changes in steps:
            for statement in changes:
                await conn.execute(statement)
            node = parse_criteria(criteria)
            plan = membership_statements(node, AUDIENCE, criteria_hash(node), SCRATCH, cards)
            async with conn.transaction():
                admitted = await conn.execute(plan.admit, *plan.admit_params)
                evicted = await conn.execute(plan.evict, *plan.evict_params)
            rows = await conn.fetch(f"SELECT lead_card_id FROM {SCRATCH}")
            out.append((admitted, evicted, {str(r["lead_card_id"]) for r in rows}))
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        await conn.close()
    return out


def test_membership_is_kept_by_the_two_statements_and_a_rerun_writes_nothing(labeled) -> None:
    creators = {"persona": "creator", "followers": {"min": 10_000}}
    affiliates = {"execution_label": "AFFILIATE"}
    steps: list[Step] = [(creators, None, []), (creators, None, []), (affiliates, None, []),
                         (affiliates, None, [])]
    (first, again, switched, settled) = asyncio.run(_membership(labeled, steps))
    want_creators, want_affiliates = compiled_ids(labeled, creators), compiled_ids(labeled,
                                                                                 affiliates)
    assert first[2] == want_creators and first[0] == f"INSERT 0 {len(want_creators)}"
    assert again[:2] == ("INSERT 0 0", "DELETE 0") and again[2] == want_creators
    assert switched[2] == want_affiliates
    assert switched[1] == f"DELETE {len(want_creators - want_affiliates)}"
    assert settled[:2] == ("INSERT 0 0", "DELETE 0")


def test_the_incremental_statements_move_exactly_the_changed_cards(labeled) -> None:
    """Relabel two cards behind the pipeline's back; the statements restricted to them move
    exactly those two, in and out, and touch no other member."""
    criteria = {"execution_label": "AFFILIATE"}
    members = compiled_ids(labeled, criteria)
    outsider = scalar(labeled, """SELECT lead_card_id::text FROM execution.lead_cards
                                  WHERE execution_label = 'USER' ORDER BY lead_card_id LIMIT 1""")
    insider = sorted(members)[0]
    relabel = [f"UPDATE execution.lead_cards SET execution_label = 'AFFILIATE' "
               f"WHERE lead_card_id = '{outsider}'",
               f"UPDATE execution.lead_cards SET execution_label = 'USER' "
               f"WHERE lead_card_id = '{insider}'"]
    restore = [f"UPDATE execution.lead_cards SET execution_label = 'USER' "
               f"WHERE lead_card_id = '{outsider}'",
               f"UPDATE execution.lead_cards SET execution_label = 'AFFILIATE' "
               f"WHERE lead_card_id = '{insider}'"]
    try:
        # Full run first, then relabel, then the incremental run over the two changed cards.
        (full, incremental) = asyncio.run(_membership(
            labeled, [(criteria, None, []), (criteria, [outsider, insider], relabel)]))
    finally:
        asyncio.run(_execute(labeled, restore))
    assert full[2] == members
    assert incremental[:2] == ("INSERT 0 1", "DELETE 1")
    assert incremental[2] == (members - {insider}) | {outsider}


async def _execute(settings: Any, statements: list[str]) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
