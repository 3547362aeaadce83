"""Pure ingest domain: validate one submitted row into a CleanProfile or a Rejection.

No I/O. validate_submission(submission, now) checks, in this order, and returns the first
failure as Rejection(reason_code, detail) — detail is one line and never holds contact data.

REASON_CODES:
- missing_platform    platform absent or blank
- unknown_platform    platform not tiktok, threads or x ("twitter" is accepted as x)
- missing_username    username absent or blank
- invalid_username    handle breaks the platform's rules, or a profile URL of another site
- field_too_long      display_name > 100, bio > 1000, location > 200, category > 100,
                      profile_url / external_url > 2048 characters
- negative_count      followers, following or posts below zero
- implausible_count   a count above 5e9, or not a whole number
- invalid_timestamp   collected_at that is not ISO 8601
- future_timestamp    collected_at more than 10 minutes after `now`
- invalid_url         profile_url / external_url that is not http(s) with a host

Every text field is redacted (sxp_common.redaction) before hashing; a URL field that held
contact data (mailto:, tel:, wa.me, …) becomes None. contact_data_removed records either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sxp_common.hashing import content_hash, identity_hash, profile_id_for
from sxp_common.redaction import redact_text

MISSING_PLATFORM = "missing_platform"
UNKNOWN_PLATFORM = "unknown_platform"
MISSING_USERNAME = "missing_username"
INVALID_USERNAME = "invalid_username"
FIELD_TOO_LONG = "field_too_long"
NEGATIVE_COUNT = "negative_count"
IMPLAUSIBLE_COUNT = "implausible_count"
INVALID_TIMESTAMP = "invalid_timestamp"
FUTURE_TIMESTAMP = "future_timestamp"
INVALID_URL = "invalid_url"
SUPPRESSED = "suppressed"  # the identity was forgotten (sxp forget): never stored again
REASON_CODES: tuple[str, ...] = (
    MISSING_PLATFORM, UNKNOWN_PLATFORM, MISSING_USERNAME, INVALID_USERNAME, FIELD_TOO_LONG,
    NEGATIVE_COUNT, IMPLAUSIBLE_COUNT, INVALID_TIMESTAMP, FUTURE_TIMESTAMP, INVALID_URL,
)

PLATFORMS: tuple[str, ...] = ("tiktok", "threads", "x")
PLATFORM_ALIASES: Mapping[str, str] = {"tiktok": "tiktok", "threads": "threads", "x": "x",
                                       "twitter": "x"}
MAX_LENGTHS: Mapping[str, int] = {
    "display_name": 100, "bio": 1000, "location": 200, "category": 100,
    "profile_url": 2048, "external_url": 2048,
}
MAX_COUNT = 5_000_000_000
FUTURE_TOLERANCE = timedelta(minutes=10)
COUNT_FIELDS: tuple[str, ...] = ("followers", "following", "posts")
TEXT_FIELDS: tuple[str, ...] = ("display_name", "bio", "location", "category")
URL_FIELDS: tuple[str, ...] = ("profile_url", "external_url")

_USERNAME_RULES: Mapping[str, tuple[re.Pattern[str], str]] = {
    "tiktok": (re.compile(r"[a-z0-9_.]{1,23}[a-z0-9_]"), "2-24 of a-z 0-9 _ . not ending in ."),
    "x": (re.compile(r"[a-z0-9_]{1,15}"), "1-15 of a-z 0-9 _"),
    "threads": (re.compile(r"(?!.*\.\.)[a-z0-9_](?:[a-z0-9_.]{0,28}[a-z0-9_])?"),
                "1-30 of a-z 0-9 _ . without leading, trailing or double ."),
}
_PROFILE_HOSTS: Mapping[str, frozenset[str]] = {
    "tiktok": frozenset({"tiktok.com"}),
    "x": frozenset({"x.com", "twitter.com"}),
    "threads": frozenset({"threads.net", "threads.com"}),
}
_HOST_PREFIXES = ("www.", "m.", "mobile.")
_X_RESERVED_PATHS = frozenset({"home", "i", "search", "explore", "intent", "share", "hashtag",
                               "settings", "messages", "notifications"})
_URLISH = re.compile(r"^(?:https?://|www\.)|^[\w.-]+\.(?:com|net)/", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ONE_LINE = re.compile(r"\s+")
_HTTP_URL = re.compile(
    r"https?://(?:[^\s/?#@]+@)?(?P<host>\[[0-9a-f:.]+\]|[^\s/?#:@\[\]]+)(?::\d{1,5})?(?:[/?#]\S*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a submission was refused: a stable reason code and one redacted line of detail."""

    reason_code: str
    detail: str


@dataclass(frozen=True, slots=True)
class CleanProfile:
    """A validated, normalized, contact-free Tier 1 profile ready to be stored."""

    profile_id: str
    identity_hash: str
    content_hash: str
    submission_id: str
    job_id: str
    source: str
    platform: str
    username: str
    display_name: str | None
    bio: str | None
    followers: int | None
    following: int | None
    posts: int | None
    verified: bool = False
    profile_url: str | None = None
    external_url: str | None = None
    category: str | None = None
    location: str | None = None
    collected_at: datetime | None = None
    contact_data_removed: bool = False


class _Reject(Exception):
    """Internal short-circuit carrying a Rejection out of the check helpers."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.rejection = Rejection(code, detail)


def _quote(value: Any, limit: int = 60) -> str:
    """A value for a detail line: redacted, single-line, truncated, in double quotes."""
    text = _ONE_LINE.sub(" ", redact_text(str(value)).text).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f'"{text}"'


def normalize_platform(raw: Any) -> str:
    """Canonical platform name ("tiktok", "threads", "x"); raises _Reject when absent/unknown."""
    if raw is None or not str(raw).strip():
        raise _Reject(MISSING_PLATFORM, "platform is missing")
    platform = PLATFORM_ALIASES.get(str(raw).strip().lower())
    if platform is None:
        detail = f"platform {_quote(raw, 30)} is not one of tiktok, threads, x"
        raise _Reject(UNKNOWN_PLATFORM, detail)
    return platform


def _handle_from_url(platform: str, raw: str) -> str:
    """The handle in a profile URL such as https://www.tiktok.com/@name; rejects other sites."""
    try:
        parts = urlsplit(raw if "://" in raw else f"https://{raw}")
        host = (parts.hostname or "").lower()
    except ValueError:
        raise _Reject(INVALID_USERNAME, "username is a malformed URL") from None
    for prefix in _HOST_PREFIXES:
        host = host.removeprefix(prefix)
    if host not in _PROFILE_HOSTS[platform]:
        raise _Reject(INVALID_USERNAME, f"username is a URL of {_quote(host, 40)}, not {platform}")
    segment = next((s for s in parts.path.split("/") if s), "")
    if platform != "x" and not segment.startswith("@"):
        raise _Reject(INVALID_USERNAME, f"{platform} profile URL has no @handle in its path")
    if platform == "x" and segment.lower() in _X_RESERVED_PATHS:
        raise _Reject(INVALID_USERNAME, "x URL is not a profile URL")
    return segment


def normalize_username(platform: str, raw: Any) -> str:
    """Normalized handle: trimmed, URL-extracted, leading "@" dropped, lowercased, rule-checked."""
    if raw is None or not str(raw).strip():
        raise _Reject(MISSING_USERNAME, "username is missing")
    text = str(raw).strip()
    if len(text) > MAX_LENGTHS["profile_url"]:
        raise _Reject(INVALID_USERNAME, f"username has {len(text)} characters")
    if _URLISH.search(text):
        text = _handle_from_url(platform, text)
    handle = text.removeprefix("@").lower()
    pattern, rule = _USERNAME_RULES[platform]
    if not pattern.fullmatch(handle):
        raise _Reject(INVALID_USERNAME, f"{platform} username {_quote(raw, 40)} must be {rule}")
    return handle


def _check_lengths(submission: Mapping[str, Any]) -> None:
    """Reject any text or URL field longer than its cap."""
    for name, cap in MAX_LENGTHS.items():
        value = submission.get(name)
        if value is not None and len(str(value)) > cap:
            raise _Reject(FIELD_TOO_LONG, f"{name} has {len(str(value))} characters (max {cap})")


def _count(name: str, value: Any) -> int | None:
    """A count as an int: None stays None; negatives, huge and non-whole values are rejected."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Reject(IMPLAUSIBLE_COUNT, f"{name} is not a whole number")
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except ValueError:
        number = None
    if number is None:
        raise _Reject(IMPLAUSIBLE_COUNT, f"{name} is not a whole number")
    if number < 0:
        raise _Reject(NEGATIVE_COUNT, f"{name} is negative ({number})")
    if number > MAX_COUNT:
        # The value is not quoted: a long digit run reads like a phone number downstream.
        raise _Reject(IMPLAUSIBLE_COUNT, f"{name} is implausibly large (over 5 billion)")
    return number


def _as_utc(moment: datetime) -> datetime:
    """A datetime in UTC; naive values are taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_collected_at(value: Any, now: datetime) -> datetime | None:
    """collected_at as a UTC datetime; rejects non-ISO-8601 text and times > 10 min ahead."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            detail = f"collected_at {_quote(value, 40)} is not ISO 8601"
            raise _Reject(INVALID_TIMESTAMP, detail) from None
    try:
        moment = _as_utc(moment)
    except OverflowError:
        raise _Reject(INVALID_TIMESTAMP, "collected_at is out of range") from None
    if moment > _as_utc(now) + FUTURE_TOLERANCE:
        raise _Reject(FUTURE_TIMESTAMP, f"collected_at {moment.isoformat()} is in the future")
    return moment


def is_http_url(url: str) -> bool:
    """True for an http(s) URL with a plausible host and no whitespace."""
    match = _HTTP_URL.fullmatch(url)
    if match is None:
        return False
    host = match.group("host").lower()
    return host == "localhost" or host.startswith("[") or (
        "." in host and ".." not in host and not host.startswith(".")
    )


def _clean_text(value: Any) -> tuple[str | None, bool]:
    """Redacted, control-free, trimmed text (None when empty) and whether contact was removed."""
    if value is None:
        return None, False
    result = redact_text(_CONTROL.sub("", str(value)))
    text = result.text.strip()
    return (text or None), result.changed


_BARE_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)


def _clean_url(name: str, value: Any) -> tuple[str | None, bool]:
    """A URL field: None when empty or when it carried contact data; rejects non-http(s)."""
    text, removed = _clean_text(value)
    if removed:
        return None, True
    if text is not None and "://" not in text and _BARE_HOST.match(text):
        text = f"https://{text}"  # scraped links often omit the scheme: linktr.ee/name
    if text is not None and not is_http_url(text):
        raise _Reject(INVALID_URL, f"{name} {_quote(text, 80)} is not an http(s) URL with a host")
    return text, False


def _as_bool(value: Any) -> bool:
    """verified as a bool; None and unknown text are False."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "y", "t")
    return bool(value)


def _build(submission: Mapping[str, Any], now: datetime) -> CleanProfile:
    """Run every check in order and assemble the CleanProfile (raises _Reject)."""
    platform = normalize_platform(submission.get("platform"))
    username = normalize_username(platform, submission.get("username"))
    _check_lengths(submission)
    counts = {name: _count(name, submission.get(name)) for name in COUNT_FIELDS}
    collected_at = parse_collected_at(submission.get("collected_at"), now)
    urls = {name: _clean_url(name, submission.get(name)) for name in URL_FIELDS}
    texts = {name: _clean_text(submission.get(name)) for name in TEXT_FIELDS}
    content: dict[str, Any] = {"platform": platform, "username": username,
                               "verified": _as_bool(submission.get("verified")), **counts}
    content.update({name: value for name, (value, _) in (urls | texts).items()})
    ident = identity_hash(platform, username)
    return CleanProfile(
        profile_id=profile_id_for(ident),
        identity_hash=ident,
        content_hash=content_hash(content),
        submission_id=str(submission.get("submission_id") or ""),
        job_id=str(submission.get("job_id") or ""),
        source=str(submission.get("source") or ""),
        collected_at=collected_at,
        contact_data_removed=any(removed for _, removed in (urls | texts).values()),
        **content,
    )


def validate_submission(submission: Mapping[str, Any], now: datetime) -> CleanProfile | Rejection:
    """Validate, normalize and redact one submitted row; the first failed check rejects it."""
    try:
        return _build(submission, now)
    except _Reject as reject:
        return reject.rejection


def to_raw_record(profile: CleanProfile, version: int) -> dict[str, Any]:
    """The sxp.profiles.raw.v1 record for a stored profile version (collected_at as datetime)."""
    return {
        "profile_id": profile.profile_id,
        "identity_hash": profile.identity_hash,
        "version": version,
        "content_hash": profile.content_hash,
        "submission_id": profile.submission_id,
        "job_id": profile.job_id,
        "platform": profile.platform,
        "username": profile.username,
        "display_name": profile.display_name,
        "bio": profile.bio,
        "followers": profile.followers,
        "following": profile.following,
        "posts": profile.posts,
        "verified": profile.verified,
        "profile_url": profile.profile_url,
        "external_url": profile.external_url,
        "category": profile.category,
        "location": profile.location,
        "collected_at": profile.collected_at,
        "source": profile.source,
        "contact_data_removed": profile.contact_data_removed,
    }


_EPOCH = datetime.min.replace(tzinfo=UTC)
Precedence = tuple[bool, datetime, str]


def precedence(collected_at: datetime | None, content: str) -> Precedence:
    """Rank of an observation of one profile: dated over undated, newer, then greater hash."""
    return (collected_at is not None, collected_at or _EPOCH, content)


def partition_key(platform: Any, username: Any) -> str | None:
    """The key "platform:handle" as ingest normalizes both; None when it would reject either."""
    try:
        canonical = normalize_platform(platform)
        return f"{canonical}:{normalize_username(canonical, username)}"
    except _Reject:
        return None
