"""The rules of `/v1/audiences` as plain functions (no I/O): the ETag a change must name, and
which HTTP status an audience service answer becomes.

Why an ETag: PATCH and DELETE change who is in an audience, so they must name the state they
were decided on (`If-Match`, RFC 9110). A client gets it from `GET /v1/audiences/{name}` or
from the answer to its last change; a client that never read the audience (a fuzzer, an SDK
called with placeholders) cannot produce it, since it holds the hash of the audience's
criteria, so it changes no audience it did not read. `If-Match: *` is not taken for that
reason.
"""

from __future__ import annotations

from sxp_common.audience_commands import CREATED, REFUSED

# Enough of the criteria hash that a tag cannot be guessed, short enough to type.
TAG_HASH_CHARS = 20


class PreconditionRequired(ValueError):
    """A change without a usable If-Match (428)."""


class PreconditionFailed(ValueError):
    """A change whose If-Match is not the audience's current ETag (412)."""


def etag(version: int, criteria_hash: str) -> str:
    """The audience's entity tag at `version`: a quoted strong tag."""
    return f'"{version}-{criteria_hash[:TAG_HASH_CHARS]}"'


def check_if_match(if_match: str | None, current: str) -> None:
    """Pass when If-Match names the current tag (a list may name several); else raise."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "If-Match is required: send the ETag of GET /v1/audiences/{name}")
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" in tags:
        raise PreconditionRequired(
            "If-Match: * is not taken here: send the ETag of GET /v1/audiences/{name}")
    if current not in tags:
        raise PreconditionFailed(f"the audience changed since that ETag; it is now {current}")


def answer_status(action: str, outcome: str, live_now: bool) -> int:
    """The status of the service's answer to `action`.

    The service refuses in one line without a code; what the line means for HTTP follows
    from the audience as it stands after the refusal: a CREATE refused while the name is live
    met an existing audience (409); any other action refused while it is not live met none
    (404); anything else was refused for its content (422)."""
    if outcome != REFUSED:
        return 201 if outcome == CREATED else 200
    if action == "CREATE":
        return 409 if live_now else 422
    return 422 if live_now else 404
