"""The audience service's pure core: what each command does, and how members split."""

from __future__ import annotations

from typing import Any

import pytest

from services.audience.domain import (
    Refused,
    Stored,
    audience_id_of,
    decide,
    definition,
    membership_change,
    readable,
    split_of,
)
from sxp_common.audience_commands import command_record
from sxp_common.audience_criteria import CriteriaError, canonical, parse_criteria
from sxp_common.audience_sql import membership_statements

pytestmark = pytest.mark.unit


def cmd(action: str, name: str = "fitness", **fields: Any) -> dict[str, Any]:
    return command_record(action, name, requested_by="cli:t@h", **fields)


def stored(criteria: Any = None, deleted: bool = False, **over: Any) -> Stored:
    node = parse_criteria(criteria or {"platform": "x"})
    d = definition("fitness", node, "", "default-v1")
    values = {"audience_id": d.audience_id, "name": "fitness", "description": "",
              "criteria": canonical(node), "criteria_hash": d.criteria_hash, "version": 2,
              "scorer": "default-v1", "deleted": deleted, **over}
    return Stored(**values)


def test_a_name_is_the_same_audience_id_everywhere() -> None:
    assert audience_id_of("fitness") == audience_id_of("fitness") != audience_id_of("fit")


def test_create_makes_version_one_and_a_recreate_after_delete_continues_the_count() -> None:
    first = decide(cmd("CREATE", criteria_json='{"platform": "x"}'), None)
    assert (first.kind, first.version) == ("create", 1)
    again = decide(cmd("CREATE", criteria_json='{"platform": "x"}'), stored(deleted=True))
    assert (again.kind, again.version) == ("create", 3)


def test_create_of_a_live_audience_and_commands_to_a_missing_one_are_refused() -> None:
    with pytest.raises(Refused, match="exists"):
        decide(cmd("CREATE", criteria_json='{"platform": "x"}'), stored())
    for action in ("UPDATE", "DELETE", "QUALIFY"):
        with pytest.raises(Refused, match="no audience named 'fitness'"):
            decide(cmd(action), stored(deleted=True))


def test_bad_criteria_names_and_scorers_are_refused_in_one_line() -> None:
    with pytest.raises(CriteriaError, match="unknown field or operator 'colour'"):
        decide(cmd("CREATE", criteria_json='{"colour": "red"}'), None)
    with pytest.raises(Refused, match="audience name"):
        decide(cmd("CREATE", "Bad Name", criteria_json='{"platform": "x"}'), None)
    with pytest.raises(Refused, match="scorer"):
        decide(cmd("CREATE", criteria_json='{"platform": "x"}', scorer="gpt"), None)
    with pytest.raises(Refused, match="criteria: required"):
        decide(cmd("CREATE"), None)


def test_an_update_that_changes_nothing_is_unchanged_and_keeps_the_version() -> None:
    same = decide(cmd("UPDATE", criteria_json='{"platform": ["x"]}'), stored())
    assert (same.kind, same.version) == ("unchanged", 2)
    changed = decide(cmd("UPDATE", description="now with a description"), stored())
    assert (changed.kind, changed.version) == ("update", 3)
    assert changed.definition.criteria_hash == stored().criteria_hash


def test_delete_bumps_the_version_and_qualify_keeps_it() -> None:
    assert decide(cmd("DELETE"), stored()).version == 3
    assert decide(cmd("QUALIFY", top=5), stored()).version == 2
    with pytest.raises(Refused, match="top"):
        decide(cmd("QUALIFY", top=0), stored())


def test_a_change_named_with_a_version_the_audience_moved_past_is_refused_as_stale() -> None:
    update = cmd("UPDATE", description="decided on version 1", if_version=1)
    for command in (update, cmd("DELETE", if_version=1)):
        with pytest.raises(Refused, match="changed since version 1; it is now at version 2"):
            decide(command, stored())
    assert decide(cmd("UPDATE", description="on 2", if_version=2), stored()).version == 3
    assert decide(cmd("DELETE", if_version=2), stored()).version == 3
    # QUALIFY changes no definition; a CLI change names no version (it takes the current one)
    assert decide({**cmd("QUALIFY"), "if_version": 1}, stored()).version == 2
    assert decide(cmd("UPDATE", description="from the CLI"), stored()).version == 3


def test_the_split_reads_platform_tribe_and_tier_from_the_pool() -> None:
    split = split_of([("tiktok.fitness_wellness.mid", 3), ("x.unassigned.nano", 2),
                      ("tiktok.unassigned.mid", 1), (None, 1)])
    assert split.members == 7
    assert split.by_platform == {"tiktok": 4, "unknown": 1, "x": 2}
    assert split.by_tribe == {"fitness_wellness": 3, "unassigned": 3, "unknown": 1}
    assert split.by_tier == {"mid": 4, "nano": 2, "unknown": 1}


def test_a_membership_change_counts_joins_refreshes_and_leaves() -> None:
    change = membership_change([True, False, True], evicted=4)
    assert (change.joined, change.refreshed, change.left) == (2, 1, 4)
    assert change.moved and change.touched
    only_refreshed = membership_change([False], evicted=0)
    assert not only_refreshed.moved and only_refreshed.touched


def test_the_pool_column_is_written_and_compared_only_when_asked() -> None:
    node = parse_criteria({"platform": "x"})
    plain = membership_statements(node, "a", "h")
    pooled = membership_statements(node, "a", "h", cards=["c"], with_pool=True)
    assert "audience_pool" not in plain.admit
    assert "c.audience_pool" in pooled.admit and "m.audience_pool" in pooled.admit
    assert "'" not in pooled.admit


def test_an_audience_whose_stored_criteria_do_not_parse_is_set_apart_with_its_reason() -> None:
    good = stored({"platform": "x"}, name="good")
    broken = Stored(audience_id_of("broken"), "broken", "", {}, "0" * 64, 1, "default-v1", False)
    live, unreadable = readable([broken, good])
    assert [(s.name, canonical(node)) for s, node in live] == [("good", canonical(
        parse_criteria({"platform": "x"})))]
    assert [(s.name, reason) for s, reason in unreadable] == [
        ("broken", "criteria: empty criteria (name at least one field)")]
    mended = decide(cmd("UPDATE", "broken", criteria_json='{"verified": true}'), broken)
    assert mended.kind == "update" and mended.version == 2
