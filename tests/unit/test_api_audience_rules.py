"""The rules of /v1/audiences: the ETag a change names, and the status of each answer."""

from __future__ import annotations

import pytest

from services.api import audience_rules as rules
from services.api.audience_models import AudienceIn
from sxp_common import api_keys
from sxp_common.audience_criteria import parse_criteria

pytestmark = pytest.mark.unit
HASH = "ab" * 32


def test_an_etag_is_a_quoted_tag_of_the_version_and_part_of_the_criteria_hash() -> None:
    assert rules.etag(3, HASH) == f'"3-{HASH[:rules.TAG_HASH_CHARS]}"'
    assert rules.etag(3, HASH) != rules.etag(4, HASH) != rules.etag(4, "cd" * 32)


def test_if_match_passes_with_the_current_tag_alone_or_in_a_list() -> None:
    current = rules.etag(2, HASH)
    rules.check_if_match(current, current)
    rules.check_if_match(f'"1-abc", {current}', current)


@pytest.mark.parametrize("if_match", [None, "", "  ", "*", '"1-x", *'])
def test_a_change_without_a_usable_if_match_needs_one(if_match: str | None) -> None:
    with pytest.raises(rules.PreconditionRequired):
        rules.check_if_match(if_match, rules.etag(2, HASH))


@pytest.mark.parametrize("if_match", ['"1-' + HASH[:20] + '"', f'W/{rules.etag(2, HASH)}',
                                      rules.etag(2, HASH).strip('"'), "2"])
def test_a_stale_weak_or_unquoted_tag_fails_the_precondition(if_match: str) -> None:
    with pytest.raises(rules.PreconditionFailed, match="changed since"):
        rules.check_if_match(if_match, rules.etag(2, HASH))


@pytest.mark.parametrize(("action", "outcome", "live", "status"), [
    ("CREATE", "created", True, 201),
    ("UPDATE", "updated", True, 200), ("UPDATE", "unchanged", True, 200),
    ("DELETE", "deleted", False, 200), ("QUALIFY", "qualified", True, 200),
    ("CREATE", "refused", True, 409),  # someone else created it meanwhile
    ("CREATE", "refused", False, 422),  # a name, description or scorer the service refused
    ("UPDATE", "refused", False, 404), ("DELETE", "refused", False, 404),
    ("QUALIFY", "refused", False, 404),
    ("UPDATE", "refused", True, 422), ("QUALIFY", "refused", True, 422),
])
def test_each_answer_of_the_audience_service_has_one_status(action: str, outcome: str,
                                                            live: bool, status: int) -> None:
    assert rules.answer_status(action, outcome, live) == status


def test_the_documented_example_audience_keeps_the_grammar() -> None:
    example = AudienceIn.model_json_schema()["examples"][0]
    parse_criteria(AudienceIn.model_validate(example).criteria)


def test_the_audience_scope_is_a_scope_of_its_own_that_admin_includes() -> None:
    assert api_keys.check_scopes(["audience"]) == (api_keys.AUDIENCE,)
    key = api_keys.ApiKey("k", "n", (api_keys.READ,))
    assert not key.allows(api_keys.AUDIENCE)
    assert api_keys.ApiKey("k", "n", (api_keys.ADMIN,)).allows(api_keys.AUDIENCE)


def test_an_answer_carries_the_next_etag_unless_the_audience_is_gone_or_refused() -> None:
    from services.api.routers.audience_changes import answer_model
    from sxp_common.audience_commands import Answer

    detail = {"name": "a", "version": 2, "criteria_hash": HASH, "members": 5, "joined": 1,
              "left": 0}
    updated = answer_model("r", "UPDATE", Answer("r", "UPDATE", "updated", "id", detail))
    assert updated.etag == rules.etag(2, HASH) and updated.members == 5
    deleted = answer_model("r", "DELETE", Answer("r", "DELETE", "deleted", "id", detail))
    assert deleted.etag is None and deleted.outcome == "deleted"
    refused = answer_model("r", "CREATE", Answer("r", "CREATE", "refused", None,
                                                 {"error": "criteria: bad"}))
    assert refused.etag is None and refused.error == "criteria: bad"
    pending = answer_model("r", "QUALIFY", None)
    assert pending.state == "pending" and pending.outcome is None
