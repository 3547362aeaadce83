"""The skip-trace sandbox's answers to BatchData `POST /api/v1/property/skip-trace` (pure).

As the real V1 API: `{"requests": [...]}` with at most 100 requests (400 otherwise); one
person answered per request, in order, echoing `requestId` in `meta`; about 60% of the
traceable requests (a first and last name on a full address) match; phones carry
`dnc`/`tcpa` flags and TCPA-flagged phones are left out unless
`options.includeTCPABlacklistedPhones` is true.

Street, city, state and ZIP of `propertyAddress` are BatchData's mandatory inputs
(confirmed: its skip-trace results guide). A request missing any of them is refused here
with a 400 and BatchData's status envelope naming the field; that the live API answers
exactly so (rather than, say, a per-record error) is not confirmed.
"""

from __future__ import annotations

from typing import Any

from services.sandbox.fakedata import (
    CARRIERS,
    PLACES,
    digest,
    digits_only,
    fake_email,
    fake_phone,
    norm,
    pick,
    unit,
)

MAX_REQUESTS = 100
MATCH_RATE = 0.60
Answer = tuple[int, dict[str, Any]]
_ADDRESS_FIELDS = ("street", "city", "state", "zip")


def error(status: int, text: str, message: str) -> Answer:
    """A BatchData-style error envelope."""
    return status, {"status": {"code": status, "text": text, "message": message}}


def _address(request: dict[str, Any]) -> dict[str, Any]:
    """The request's property address (an empty dict when absent)."""
    address = request.get("propertyAddress")
    return address if isinstance(address, dict) else {}


def _name(request: dict[str, Any]) -> tuple[str | None, str | None]:
    """The owner's first and last name, when given."""
    name = request.get("name")
    if not isinstance(name, dict):
        return None, None
    return name.get("first"), name.get("last")


def missing_address_field(request: dict[str, Any]) -> str | None:
    """The first mandatory address field the request lacks (None when the address is full)."""
    address = _address(request)
    return next((k for k in _ADDRESS_FIELDS if not str(address.get(k) or "").strip()), None)


def traceable(request: dict[str, Any]) -> bool:
    """Whether the request has a first and last name and a full address."""
    first, last = _name(request)
    return bool(first and last) and missing_address_field(request) is None


def _phones(d: bytes, area_code: str, include_tcpa: bool) -> list[dict[str, Any]]:
    """One to three phones with line type, carrier, score and DNC/TCPA flags."""
    phones = []
    for i in range(1 + int(unit(d, 1) * 3)):
        p = digest("skiptrace-phone", d.hex(), i)
        phones.append({
            "number": digits_only(fake_phone(p, 0, area_code)),
            "type": "Mobile" if unit(p, 1) < 0.7 else "Land Line",
            "carrier": pick(p, 2, CARRIERS), "reachable": unit(p, 3) < 0.85,
            "score": 60 + int(unit(p, 4) * 41), "dnc": unit(p, 5) < 0.25,
            "tcpa": i > 0 and unit(p, 6) < 0.08,
        })
    return [p for p in phones if include_tcpa or not p["tcpa"]]


def person(request: dict[str, Any], include_tcpa: bool) -> dict[str, Any]:
    """The answer for one request: a matched person, or an unmatched echo."""
    address = _address(request)
    meta = {"matched": False, "error": False, "requestId": request.get("requestId")}
    echo = {"propertyAddress": address, "meta": meta}
    if not traceable(request):
        return echo
    first, last = _name(request)
    d = digest("skiptrace", first, last, *(address.get(k) for k in _ADDRESS_FIELDS))
    if unit(d, 0) >= MATCH_RATE:
        return echo
    place = pick(d, 2, PLACES)
    emails = [{"email": fake_email(str(first), str(last), d, 3 + 2 * i), "tested": unit(d, 7) < 0.7}
              for i in range(1 + int(unit(d, 6) * 2))]
    return {
        "name": {"first": first, "last": last, "full": f"{first} {last}"},
        "propertyAddress": address,
        "mailingAddress": {"street": f"{100 + int(unit(d, 4) * 900)} Sandbox Ave",
                           "city": address.get("city") or place[0],
                           "state": address.get("state") or place[1],
                           "zip": address.get("zip") or "00000"},
        "phoneNumbers": _phones(d, place[2], include_tcpa), "emails": emails,
        "meta": {**meta, "matched": True},
    }


def skip_trace(body: Any) -> Answer:
    """Answer one skip-trace call: (HTTP status, JSON body)."""
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        return error(400, "Bad Request", "requests must be an array")
    requests = body["requests"]
    if not requests or len(requests) > MAX_REQUESTS:
        return error(400, "Bad Request",
                     f"requests must contain between 1 and {MAX_REQUESTS} items")
    if not all(isinstance(r, dict) for r in requests):
        return error(400, "Bad Request", "each request must be an object")
    for index, request in enumerate(requests):
        missing = missing_address_field(request)
        if missing is not None:
            return error(400, "Bad Request",
                         f"requests[{index}].propertyAddress.{missing} is required")
    options: dict[str, Any] = body["options"] if isinstance(body.get("options"), dict) else {}
    include_tcpa = norm(options.get("includeTCPABlacklistedPhones")) in ("true", "1")
    persons = [person(r, include_tcpa) for r in requests]
    matched = sum(p["meta"]["matched"] for p in persons)
    return 200, {
        "status": {"code": 200, "text": "OK"},
        "results": {
            "persons": persons,
            "meta": {"results": {"requestCount": len(requests), "matchCount": matched,
                                 "noMatchCount": len(requests) - matched, "errorCount": 0}},
        },
    }
