"""The Apollo sandbox's answers to `POST /api/v1/people/bulk_match` (pure functions).

As the real API: at most 10 `details`, or 422; a person is only matchable from a LinkedIn
URL, an email, an Apollo id, or a name with a company domain or name (a bare name gives a
200 with no match); about 70% of matchable people match; misses are null in `matches`;
credits are 1 per match, plus 8 per mobile found when `reveal_phone_number` is set (which
requires `webhook_url`; the phones themselves would go to the webhook, so none are in the
response).
"""

from __future__ import annotations

from typing import Any

from services.sandbox.fakedata import (
    FIRST_NAMES,
    INDUSTRIES,
    LAST_NAMES,
    PLACES,
    TITLES,
    digest,
    digits_only,
    fake_email,
    fake_phone,
    norm,
    pick,
    slug,
    split_full_name,
    unit,
)

MAX_DETAILS = 10
MATCH_RATE = 0.70
MOBILE_RATE = 0.5
LOCKED_EMAIL = "email_not_unlocked@domain.com"
Answer = tuple[int, dict[str, Any]]


def error(status: int, message: str, code: str) -> Answer:
    """An Apollo-style error body."""
    return status, {"error": message, "error_code": code}


def truthy(value: object) -> bool:
    """A boolean from JSON or a query-string value ("true", "1")."""
    if isinstance(value, bool):
        return value
    return norm(value) in ("true", "1", "yes")


def _names(detail: dict[str, Any]) -> tuple[str | None, str | None]:
    """First and last name from the detail's fields or its full name."""
    first, last = detail.get("first_name"), detail.get("last_name")
    if first and last:
        return first, last
    split_first, split_last = split_full_name(detail.get("name"))
    return first or split_first, last or split_last


def matchable(detail: dict[str, Any]) -> bool:
    """Whether the identifiers are enough for Apollo to match at all."""
    if any(detail.get(k) for k in ("linkedin_url", "email", "hashed_email", "id")):
        return True
    first, last = _names(detail)
    has_name = bool((first and last) or detail.get("name"))
    return has_name and bool(detail.get("domain") or detail.get("organization_name"))


def person_key(detail: dict[str, Any]) -> bytes:
    """The digest identifying the person the detail describes."""
    if detail.get("linkedin_url"):
        return digest("apollo", "li", detail["linkedin_url"])
    first, last = _names(detail)
    company = detail.get("domain") or detail.get("organization_name")
    return digest("apollo", first, last, detail.get("name"), detail.get("email"), company)


def _organization(detail: dict[str, Any], d: bytes, place: tuple[str, str, str]) -> dict[str, Any]:
    """The matched person's employer."""
    company = slug(detail.get("organization_name") or "acme")
    domain = norm(detail.get("domain")) or f"{company}.example.org"
    name = detail.get("organization_name") or domain.split(".")[0].title()
    phone = fake_phone(d, 6, place[2])
    return {
        "id": d[8:20].hex(), "name": name, "website_url": f"http://www.{domain}",
        "primary_domain": domain, "industry": pick(d, 7, INDUSTRIES), "phone": phone,
        "primary_phone": {"number": phone, "source": "Owler",
                          "sanitized_number": "+1" + digits_only(phone)},
        "city": place[0], "state": place[1], "country": "United States",
    }


def person(detail: dict[str, Any], reveal_personal_emails: bool) -> dict[str, Any] | None:
    """The deterministic match for a detail, or None for a miss."""
    if not matchable(detail):
        return None
    d = person_key(detail)
    if unit(d, 0) >= MATCH_RATE:
        return None
    first, last = _names(detail)
    first = first or pick(d, 1, FIRST_NAMES)
    last = last or pick(d, 2, LAST_NAMES)
    place = pick(d, 3, PLACES)
    locked = unit(d, 4) < 0.05
    email = LOCKED_EMAIL if locked else fake_email(first, last, d, 5, "example.com")
    personal = [fake_email(first, last, d, 2, "example.org")] if reveal_personal_emails else []
    return {
        "id": d[:12].hex(), "first_name": first, "last_name": last, "name": f"{first} {last}",
        "title": pick(d, 1, TITLES), "email": email,
        "email_status": "unavailable" if locked else "verified",
        "personal_emails": personal,
        "linkedin_url": detail.get("linkedin_url")
        or f"http://www.linkedin.com/in/{slug(first)}-{slug(last)}-{d[20:23].hex()}",
        "city": place[0], "state": place[1], "country": "United States",
        "organization": _organization(detail, d, place),
    }


def has_mobile(match: dict[str, Any]) -> bool:
    """Whether Apollo would find a mobile for this person (charged when phones are revealed)."""
    return unit(digest("apollo-mobile", match["id"]), 0) < MOBILE_RATE


def bulk_match(body: Any, query: dict[str, str]) -> Answer:
    """Answer one bulk_match call: (HTTP status, JSON body)."""
    if not isinstance(body, dict) or not isinstance(body.get("details"), list):
        return error(422, "details must be an array of people", "INVALID_PARAMETERS")
    details = body["details"]
    if not details:
        return error(422, "details must contain at least one person", "INVALID_PARAMETERS")
    if len(details) > MAX_DETAILS:
        return error(422, f"details can contain at most {MAX_DETAILS} people",
                     "INVALID_PARAMETERS")
    if not all(isinstance(x, dict) for x in details):
        return error(422, "each entry of details must be an object", "INVALID_PARAMETERS")
    options = {**body, **query}
    reveal_phone = truthy(options.get("reveal_phone_number"))
    if reveal_phone and not options.get("webhook_url"):
        return error(422, "webhook_url is required when reveal_phone_number is true",
                     "INVALID_PARAMETERS")
    matches = [person(x, truthy(options.get("reveal_personal_emails"))) for x in details]
    found = [m for m in matches if m is not None]
    credits = len(found) + (8 * sum(has_mobile(m) for m in found) if reveal_phone else 0)
    return 200, {
        "status": "success", "error_code": None, "error_message": None,
        "total_requested_enrichments": len(details), "unique_enriched_records": len(found),
        "missing_records": len(details) - len(found), "credits_consumed": credits,
        "matches": matches,
    }
