"""Audience criteria: one-line errors naming the field, canonical hashing, values never in SQL."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.labeler import domain as labeler
from sxp_common import taxonomy
from sxp_common.audience_criteria import (
    SET_FIELDS,
    CriteriaError,
    canonical,
    criteria_hash,
    parse_criteria,
)
from sxp_common.audience_sql import compile_predicate, matching_cards_query, membership_statements

pytestmark = pytest.mark.unit

FITNESS_TIKTOK = {"platform": "tiktok", "tribe": "fitness_wellness", "persona": "creator",
                  "followers": {"min": 10_000, "max": 100_000}}
TEXAS_AGENTS = {"persona": "real_estate_agent",
                "location": ["Texas", ", TX", "Houston", "Austin", "Dallas"]}
INJECTIONS = ["'; DROP TABLE execution.lead_cards; --", "x' OR '1'='1", "$1", "$$; select 1 $$",
              "\\'", "%_", "c.persona", ")) OR true --", "\x00", "ünïcødé 🏋️", "a" * 200,
              "1; DELETE FROM social.raw_social_profiles", "/* */", "::text", "E'\\x41'"]


def test_the_shared_taxonomy_copy_is_the_labelers() -> None:
    assert taxonomy.PERSONAS == labeler.ALL_PERSONAS
    assert taxonomy.TRIBES == labeler.ALL_TRIBES
    assert taxonomy.INDUSTRIES == labeler.ALL_INDUSTRIES
    assert taxonomy.EXECUTION_LABELS == labeler.EXECUTION_LABELS


@pytest.mark.parametrize(("criteria", "names"), [
    ({"folowers": {"min": 1}}, ["criteria.folowers", "'folowers'"]),
    ({"all": [{"platform": "tiktok"}, {"persona": "ceo"}]}, ["criteria.all[1].persona", '"ceo"']),
    ({"followers": {"gt": 5}}, ["criteria.followers", "'gt'"]),
    ({"followers": {"min": -1}}, ["criteria.followers.min", "-1"]),
    ({"followers": {"min": "10k"}}, ["criteria.followers.min", '"10k"']),
    ({"followers": {"min": 10, "max": 5}}, ["criteria.followers", "above max"]),
    ({"followers": {"min": True}}, ["criteria.followers.min", "true"]),
    ({"platform": "myspace"}, ["criteria.platform", '"myspace"']),
    ({"execution_label": "user"}, ["criteria.execution_label", '"user"']),
    ({"platform": None}, ["criteria.platform", "null"]),
    ({"audience_pool": "tiktok.fitness.mid"}, ["criteria.audience_pool", "tiktok.fitness.mid"]),
    ({"verified": "yes"}, ["criteria.verified", '"yes"']),
    ({"bio": ""}, ["criteria.bio", "bio term"]),
    ({"location": [3]}, ["criteria.location", "3"]),
    ({"language": "klingon"}, ["criteria.language", '"klingon"']),
    ({"min_confidence": 1.5}, ["criteria.min_confidence", "1.5"]),
    ({"min_confidence": {"mood": 0.5}}, ["criteria.min_confidence", "'mood'"]),
    ({"readiness": "READY"}, ["criteria.readiness", '"READY"']),
    ({"enrichment_status": ["DONE"]}, ["criteria.enrichment_status", '"DONE"']),
    ({"any": []}, ["criteria.any", "non-empty"]),
    ({"not": [{"platform": "x"}]}, ["criteria.not", "expected an object"]),
    ({"xor": [{"platform": "x"}]}, ["criteria.xor", "'xor'"]),
    ({}, ["criteria", "empty"]),
    ([], ["criteria", "expected an object"]),
    ("{not json", ["criteria", "not JSON"]),
])
def test_a_bad_criterion_is_a_one_line_error_naming_it(criteria: Any, names: list[str]) -> None:
    with pytest.raises(CriteriaError) as caught:
        parse_criteria(criteria)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400
    for name in names:
        assert name in message


def test_equivalent_criteria_hash_the_same() -> None:
    shuffled = {"followers": {"max": 100_000, "min": 10_000}, "persona": ["creator", "creator"],
                "all": [{"tribe": ["fitness_wellness"]}, {"all": [{"platform": ["tiktok"]}]}]}
    assert criteria_hash(parse_criteria(FITNESS_TIKTOK)) == criteria_hash(parse_criteria(shuffled))
    assert criteria_hash(parse_criteria(json.dumps(FITNESS_TIKTOK))) == \
        criteria_hash(parse_criteria(FITNESS_TIKTOK))
    assert criteria_hash(parse_criteria({"not": {"not": {"bio": " Yoga  Coach"}}})) == \
        criteria_hash(parse_criteria({"bio": ["yoga coach"]}))
    assert criteria_hash(parse_criteria({"min_confidence": 0.6})) == \
        criteria_hash(parse_criteria({"min_confidence": {"execution_label": 0.6}}))


def test_different_criteria_hash_differently() -> None:
    hashes = {criteria_hash(parse_criteria(c)) for c in (
        FITNESS_TIKTOK, TEXAS_AGENTS, {"platform": "tiktok"}, {"platform": "x"},
        {"not": {"platform": "tiktok"}}, {"any": [{"platform": "tiktok"}, {"tribe": "sports"}]},
        {"all": [{"platform": "tiktok"}, {"tribe": "sports"}]},
        {"followers": {"min": 10_000}}, {"followers": {"max": 10_000}})}
    assert len(hashes) == 9


def test_the_canonical_form_is_sorted_flat_and_reparses_to_itself() -> None:
    node = parse_criteria({"any": [{"tribe": "sports"}, {"any": [{"platform": ["x", "tiktok"]}]}]})
    assert canonical(node) == {"any": [{"platform": ["tiktok", "x"]}, {"tribe": ["sports"]}]}
    assert parse_criteria(canonical(node)) == node


def test_the_examples_compile_to_placeholders_and_join_tier1_only_when_needed() -> None:
    sql, params = matching_cards_query(parse_criteria(FITNESS_TIKTOK))
    assert "JOIN social.raw_social_profiles p" in sql
    assert params == [10_000, 100_000, ["creator"], ["tiktok"], ["fitness_wellness"]]
    labels_only = compile_predicate(parse_criteria({"persona": "creator", "min_confidence": 0.5}))
    assert not labels_only.needs_profile and "p." not in labels_only.sql
    assert compile_predicate(parse_criteria({"verified": True})).needs_profile


def test_parameters_can_start_after_the_statements_own() -> None:
    predicate = compile_predicate(parse_criteria(TEXAS_AGENTS), first_param=3)
    assert re.findall(r"\$(\d+)", predicate.sql) == ["3", "4"]


# --- values never reach the SQL text ------------------------------------------------------

_TOKEN = re.compile(r"\$\d+::[a-z0-9\[\]]+|::boolean|[a-z_]+\.[a-z_]+|[A-Za-z_]+|>=|<=|[()=,]|~\*")
_VOCABULARY = {"(", ")", "=", ">=", "<=", ",", "~*", "::boolean", "AND", "OR", "NOT", "IS", "NULL",
               "ANY", "EXISTS", "SELECT", "FROM", "WHERE", "AS", "unnest", "t", "term",
               "t.term", "strpos", "lower", "p.bio", "p.location", "p.followers", "p.verified",
               "c.persona", "c.tribe", "c.industry", "c.execution_label", "c.platform",
               "c.readiness", "c.enrichment_status", "c.audience_pool", "c.persona_confidence",
               "c.tribe_confidence", "c.industry_confidence", "c.execution_label_confidence"}


def assert_no_value_in_sql(sql: str, params: list[Any]) -> None:
    """The text is made of the compiler's vocabulary and numbered placeholders only."""
    rest = _TOKEN.sub(" ", sql)
    assert rest.strip() == "", f"unexpected text in SQL: {rest.strip()!r}"
    words = [t for t in _TOKEN.findall(sql) if not t.startswith("$")]
    assert set(words) <= _VOCABULARY, set(words) - _VOCABULARY
    numbers = [int(n) for n in re.findall(r"\$(\d+)::", sql)]
    assert numbers == list(range(1, len(params) + 1))
    assert "'" not in sql and ";" not in sql and "--" not in sql


@pytest.mark.parametrize("value", INJECTIONS)
def test_an_injection_string_is_a_parameter_never_sql(value: str) -> None:
    criteria = {"any": [{"bio": value}, {"location": [value, "Texas"]}, {"not": {"bio": value}}]}
    predicate = compile_predicate(parse_criteria(criteria))
    assert_no_value_in_sql(predicate.sql, predicate.params)
    term = " ".join(value.split()).lower()
    assert all(term in p for p in predicate.params if isinstance(p, list) and "texas" not in p)


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    sets = st.one_of(*(st.builds(lambda f, v: {f: v}, st.just(f),
                                 st.lists(st.sampled_from(ids), min_size=1, max_size=4))
                       for f, ids in SET_FIELDS.items()))
    text = st.text(min_size=1, max_size=40).filter(lambda s: s.split() != [])
    counts = st.integers(min_value=0, max_value=10**12)
    return st.one_of(
        sets,
        st.builds(lambda a, b: {"followers": {"min": min(a, b), "max": max(a, b)}}, counts, counts),
        st.builds(lambda v: {"verified": v}, st.booleans()),
        st.builds(lambda f, v: {f: v}, st.sampled_from(["bio", "location"]),
                  st.lists(text, min_size=1, max_size=5)),
        st.builds(lambda v: {"min_confidence": v}, st.floats(min_value=0, max_value=1)),
        st.just({"audience_pool": ["tiktok.fitness_wellness.mid", "x.unassigned.nano"]}),
    )


CRITERIA = st.recursive(_leaf(), lambda inner: st.one_of(
    st.builds(lambda c: {"all": c}, st.lists(inner, min_size=1, max_size=4)),
    st.builds(lambda c: {"any": c}, st.lists(inner, min_size=1, max_size=4)),
    st.builds(lambda c: {"not": c}, inner)), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(CRITERIA)
def test_no_generated_criteria_put_a_value_into_the_sql(criteria: dict[str, Any]) -> None:
    predicate = compile_predicate(parse_criteria(criteria))
    assert_no_value_in_sql(predicate.sql, predicate.params)


def _shuffled(value: Any) -> Any:
    """The same criteria written differently: keys reversed, lists reversed and doubled."""
    if isinstance(value, dict):
        return {k: _shuffled(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        items = [_shuffled(v) for v in reversed(value)]
        return items + items
    return value


@settings(max_examples=300, deadline=None)
@given(CRITERIA)
def test_criteria_written_in_another_order_or_with_duplicates_hash_the_same(
        criteria: dict[str, Any]) -> None:
    assert criteria_hash(parse_criteria(_shuffled(criteria))) == \
        criteria_hash(parse_criteria(criteria))


@pytest.mark.parametrize("value", INJECTIONS[:4])
def test_the_membership_statements_carry_every_value_as_a_parameter(value: str) -> None:
    node = parse_criteria({"bio": value, "followers": {"min": 7}})
    statements = membership_statements(node, "0b7c5d8e-0000-4000-8000-000000000000", "f" * 64,
                                       cards=["0b7c5d8e-0000-4000-8000-000000000001"])
    for sql, params in ((statements.admit, statements.admit_params),
                        (statements.evict, statements.evict_params)):
        assert sorted({int(n) for n in re.findall(r"\$(\d+)", sql)}) == \
            list(range(1, len(params) + 1))
        assert "'" not in sql and ";" not in sql and "7" not in sql
        assert " ".join(value.split()).lower() not in sql.lower() or value == "$1"


def test_the_members_table_name_is_checked() -> None:
    with pytest.raises(ValueError):
        membership_statements(parse_criteria({"platform": "x"}), "a", "b",
                              members_table="m; DROP TABLE x")
