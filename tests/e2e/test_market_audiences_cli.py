"""Audiences end to end: made through `sxp audience`, kept current by the audience service.

The module publishes fresh profiles of its own (some with a marker word in the bio), lets
the pipeline label them, and makes two audiences through the CLI: one on the marker (a
Tier 1 bio term), one on labels (creators with 1,000 followers or more). Every assertion is
scoped to this module's cards: other modules share the stack. Relabeling goes the way a
user's data does: new profile versions with changed bios through ingest, relabeled by the
labeler; the audience service then moves exactly those cards. That steady state looks cards
up by key only is proved at scale in tests/integration/test_audience_plans.py.

Named to run after test_handoff, with handles no other module generates ("audc" in front),
for the reason test_market_audiences gives: a card of this module relabeled and sent to the
queue must never be a card test_handoff compares with its handoff table.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from sxp_cli.fixtures import write_jsonl
from sxp_cli.processes import services_up
from sxp_common.topics import ENRICHMENT_COMPLETED, ENRICHMENT_REQUESTED, LEADCARDS_LABELED
from tests.support.pipeline import (
    caught_up,
    fresh_profiles,
    publish_and_label,
    query,
    scalar,
    sxp,
)

pytestmark = pytest.mark.e2e

MARKER = "audmarkz"
BIO_AUDIENCE, CREATORS = "e2e-aud-marker", "e2e-aud-creators"
CRITERIA = {BIO_AUDIENCE: {"bio": MARKER},
            CREATORS: {"persona": "creator", "followers": {"min": 1000}}}
BY_HAND = {
    BIO_AUDIENCE: f"""SELECT c.lead_card_id FROM execution.lead_cards c
        JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
        WHERE p.bio ILIKE '%{MARKER}%'""",
    CREATORS: """SELECT c.lead_card_id FROM execution.lead_cards c
        JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
        WHERE c.persona = 'creator' AND p.followers >= 1000""",
}
PROFILE_FIELDS = ("platform", "username", "display_name", "bio", "followers", "following",
                  "posts", "verified", "profile_url", "external_url", "category", "location")


def own_handle(row: dict[str, Any]) -> dict[str, Any]:
    """The row with a handle no other module generates ("audc" in front)."""
    username = row.get("username")
    if isinstance(username, str) and re.fullmatch(r"@?[A-Za-z0-9._]+", username):
        row = {**row, "username": re.sub(r"^(@?)", r"\1audc", username)}
    return row


def settled(settings: Any) -> None:
    """Wait until the audience service has handled every card event so far: members only move
    with those, so from then on the tables hold what this module asserts (other modules may
    have left a backlog; a sleep would only guess)."""
    lag = caught_up(settings, "sxp-audience",
                    [LEADCARDS_LABELED, ENRICHMENT_REQUESTED, ENRICHMENT_COMPLETED], 180)
    assert lag == 0, f"the audience service is {lag} card events behind"


def ids(rows: list[dict[str, Any]]) -> set[str]:
    return {str(r["lead_card_id"]) for r in rows}


def cli(*args: str) -> Any:
    """`sxp audience ...` as a user runs it; the JSON it prints."""
    done = sxp("audience", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def members(settings: Any, name: str, scope: set[str]) -> set[str]:
    rows = query(settings, """SELECT m.lead_card_id FROM audience.members m
                              JOIN audience.audiences a USING (audience_id)
                              WHERE a.name = $1""", name)
    return ids(rows) & scope


def by_hand(settings: Any, name: str, scope: set[str]) -> set[str]:
    return ids(query(settings, BY_HAND[name])) & scope


@pytest.fixture(scope="module")
def world(test_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """This module's labeled cards and the two audiences made through the CLI."""
    services_up(test_stack, {})
    rows = [r for r in map(own_handle, fresh_profiles(test_stack, 500, seed=1441))
            if r.get("bio") and str(r["username"]).lstrip("@").startswith("audc")]
    for row in rows[:80]:
        row["bio"] = f"{row['bio']} {MARKER}"
    path = tmp_path_factory.mktemp("audiences") / "profiles.jsonl"
    write_jsonl(rows, path)
    report = publish_and_label(test_stack, path)
    scope = ids(query(test_stack, "SELECT lead_card_id FROM execution.lead_cards "
                                  "WHERE job_id = $1", report.job_id))
    assert len(scope) > 250
    answers = {name: cli("create", name, "--criteria", json.dumps(criteria),
                         "--description", "e2e audience")
               for name, criteria in CRITERIA.items()}
    return {"settings": test_stack, "scope": scope, "answers": answers,
            "dir": tmp_path_factory.mktemp("relabel")}


def test_audiences_made_through_the_cli_hold_exactly_the_hand_written_querys_cards(
        world: dict[str, Any]) -> None:
    settings, scope = world["settings"], world["scope"]
    for name in CRITERIA:
        answer = world["answers"][name]
        assert answer["outcome"] == "created" and answer["detail"]["version"] == 1
        expected = by_hand(settings, name, scope)
        assert expected, f"{name}: the module's profiles should hold some"
        assert members(settings, name, scope) == expected, name


def test_an_invalid_criteria_is_refused_in_one_line_with_exit_code_2(world: dict[str, Any]) -> None:
    done = sxp("audience", "create", "e2e-aud-bad", "--criteria", '{"colour": "red"}')
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown field or operator 'colour'" in lines[0], done.stderr
    assert scalar(world["settings"], "SELECT count(*) FROM audience.audiences "
                                     "WHERE name = 'e2e-aud-bad'") == 0


def test_qualifying_twice_writes_nothing_the_second_time(world: dict[str, Any]) -> None:
    settings = world["settings"]
    count = "SELECT count(*) FROM audience.qualifications q JOIN audience.audiences a " \
            "USING (audience_id) WHERE a.name = $1"
    settled(settings)  # no card event in flight moves a member while it is scored
    first = cli("qualify", CREATORS)["detail"]
    stored = scalar(settings, count, CREATORS)
    size = scalar(settings, "SELECT count(*) FROM audience.members m JOIN audience.audiences a "
                            "USING (audience_id) WHERE a.name = $1", CREATORS)
    assert first["scored"] + first["cached"] == size == stored > 0
    second = cli("qualify", CREATORS)["detail"]
    assert second["scored"] == 0 and second["cached"] == size
    assert scalar(settings, count, CREATORS) == stored


def current_rows(settings: Any, card_ids: list[str]) -> list[dict[str, Any]]:
    """The stored profile of each card, as input rows (a new version changes only the bio)."""
    rows = query(settings, f"""SELECT c.lead_card_id::text AS lead_card_id,
                                      {', '.join('p.' + f for f in PROFILE_FIELDS)}
                               FROM execution.lead_cards c
                               JOIN social.raw_social_profiles p ON p.profile_id = c.profile_id
                               WHERE c.lead_card_id = ANY($1::uuid[])""", card_ids)
    return rows


def relabel(world: dict[str, Any]) -> tuple[set[str], set[str]]:
    """New versions of some cards: ten leave the marker audience, ten join it."""
    settings, scope = world["settings"], world["scope"]
    creators = members(settings, CREATORS, scope)
    marked = sorted(members(settings, BIO_AUDIENCE, scope), key=lambda c: (c not in creators, c))
    unmarked = sorted(scope - members(settings, BIO_AUDIENCE, scope),
                      key=lambda c: (c in creators, c))
    leaving, joining = set(marked[:10]), set(unmarked[:10])
    rows = []
    for row in current_rows(settings, sorted(leaving | joining)):
        card = row.pop("lead_card_id")
        row["bio"] = ("Content creator | UGC creator and brand collabs " + MARKER
                      if card in joining else "Retired accountant, I enjoy gardening and walks")
        # A newer observation: an undated or older one would lose to the stored version.
        row["collected_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append({k: v for k, v in row.items() if v is not None})
    path = world["dir"] / f"relabel-{len(list(world['dir'].iterdir()))}.jsonl"
    write_jsonl(rows, path)
    publish_and_label(settings, path)
    return leaving, joining


def test_relabeling_moves_exactly_those_cards_in_or_out(world: dict[str, Any]) -> None:
    settings, scope = world["settings"], world["scope"]
    settled(settings)
    before = {name: members(settings, name, scope) for name in CRITERIA}
    leaving, joining = relabel(world)
    expected = (before[BIO_AUDIENCE] - leaving) | joining
    settled(settings)  # the relabeled cards' events handled: membership is final now
    after = members(settings, BIO_AUDIENCE, scope)
    assert after == expected == by_hand(settings, BIO_AUDIENCE, scope)
    creators = members(settings, CREATORS, scope)
    assert creators == by_hand(settings, CREATORS, scope)
    assert creators ^ before[CREATORS] <= leaving | joining
