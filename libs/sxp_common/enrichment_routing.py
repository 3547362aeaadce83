"""Which provider can take which lead card: the one routing rule the gate and the adapter share.

Pure functions over a card's public match facts (a mapping with `first_name`, `last_name`,
`full_name`, `organization_name`, `domain`, `linkedin_url`, `street`, `city`, `state`,
`postal_code`, `country`; missing keys are None). The gate reserves only for the routes
this gives; the adapter's waterfall sends a provider only the cards this allows, so what
is reserved is what can be spent.

- Apollo (bulk people match): a LinkedIn URL, or a name with a company domain or name.
- Skip trace (BatchData property skip trace): a first and last name and a full US property
  address (street, city, state and ZIP): BatchData lists all four as mandatory inputs and
  matches nothing outside the United States.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

APOLLO = "apollo"
SKIPTRACE = "skiptrace"
US_COUNTRIES = frozenset(
    {"us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"}
)
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR".split()
)
# "123 Main St, Austin, TX 78701" (optionally ", USA"): a house number, a street, a city,
# a two-letter state and a five-digit ZIP (ZIP+4 allowed).
_FULL_ADDRESS = re.compile(
    r"^\s*(?P<street>\d+[A-Za-z]?(?:-\d+)?\s+[^,\d][^,]*?)\s*,\s*(?P<city>[^,\d]+?)\s*,\s*"
    r"(?P<state>[A-Za-z]{2})\.?\s+(?P<zip>\d{5}(?:-\d{4})?)\s*"
    r"(?:,\s*(?P<country>usa|us|u\.s\.a?\.|united states(?: of america)?))?\s*$",
    re.IGNORECASE,
)
ADDRESS_FIELDS = ("street", "city", "state", "postal_code")


def clean(value: Any) -> str | None:
    """A stripped string, or None when empty or missing."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def name_parts(facts: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """First and last name: the given ones, else split from full_name (first word, last word)."""
    first, last = clean(facts.get("first_name")), clean(facts.get("last_name"))
    if first and last:
        return first, last
    words = (clean(facts.get("full_name")) or "").split()
    if len(words) >= 2:
        return first or words[0], last or words[-1]
    return first, last


def is_us_or_unknown(country: Any) -> bool:
    """True when the country is the United States or not given."""
    value = clean(country)
    return value is None or value.casefold() in US_COUNTRIES


def parse_us_address(location: str | None) -> dict[str, str] | None:
    """street, city, state, postal_code from a full US address; None for anything else."""
    match = _FULL_ADDRESS.match(location or "")
    if match is None or match["state"].upper() not in US_STATES:
        return None
    return {"street": " ".join(match["street"].split()), "city": " ".join(match["city"].split()),
            "state": match["state"].upper(), "postal_code": match["zip"]}


def has_full_address(facts: Mapping[str, Any]) -> bool:
    """Street, city, state and ZIP are all present."""
    return all(clean(facts.get(f)) for f in ADDRESS_FIELDS)


def apollo_routable(facts: Mapping[str, Any]) -> bool:
    """Apollo can match a LinkedIn URL, or a name together with a company domain or name."""
    if clean(facts.get("linkedin_url")):
        return True
    first, last = name_parts(facts)
    has_name = bool((first and last) or clean(facts.get("full_name")))
    return has_name and bool(clean(facts.get("domain")) or clean(facts.get("organization_name")))


def skiptrace_routable(facts: Mapping[str, Any]) -> bool:
    """Skip trace needs a first and last name AND a full US property address."""
    first, last = name_parts(facts)
    named = bool(first and last)
    return named and has_full_address(facts) and is_us_or_unknown(facts.get("country"))


ROUTABLE: Mapping[str, Callable[[Mapping[str, Any]], bool]] = {
    APOLLO: apollo_routable,
    SKIPTRACE: skiptrace_routable,
}


def routable(provider: str, facts: Mapping[str, Any]) -> bool:
    """Whether the named provider can take the card (unknown providers take nothing)."""
    check = ROUTABLE.get(provider)
    return check is not None and check(facts)


def routes_for(facts: Mapping[str, Any], providers: Sequence[str]) -> tuple[str, ...]:
    """The providers, in waterfall order, that can take the card."""
    return tuple(p for p in providers if routable(p, facts))
