"""Deterministic fake people for the sandboxes: the same input always gets the same answer.

Everything derives from a SHA-256 of the normalised input. Emails are at example.com /
example.org and phones are in the fictional 555-01xx range, so the records look like
contact data (and are caught as such by the redaction checks) without being anyone's.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

FIRST_NAMES = ("Ana", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gabe", "Hana", "Ivan", "Julia",
               "Kofi", "Lena", "Marco", "Nina", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara")
LAST_NAMES = ("Lopez", "Nguyen", "Smith", "Okafor", "Rossi", "Kim", "Silva", "Meyer", "Patel",
              "Haddad", "Brooks", "Novak", "Garcia", "Tanaka", "Dubois", "Moreau")
TITLES = ("Founder", "Marketing Manager", "Head of Sales", "Owner", "Creative Director",
          "Operations Lead", "Chief Executive Officer", "Community Manager", "Product Designer")
INDUSTRIES = ("marketing & advertising", "retail", "health, wellness & fitness",
              "computer software", "food & beverages", "apparel & fashion", "real estate")
# (city, state, area code): real area codes, fictional 555-01xx numbers.
PLACES = (("Austin", "Texas", "512"), ("Denver", "Colorado", "303"), ("Miami", "Florida", "305"),
          ("Seattle", "Washington", "206"), ("Chicago", "Illinois", "312"),
          ("Phoenix", "Arizona", "602"), ("Boston", "Massachusetts", "617"),
          ("Atlanta", "Georgia", "404"))
CARRIERS = ("Verizon Wireless", "T-Mobile USA", "AT&T Mobility", "Comcast Digital Phone")
EMAIL_DOMAINS = ("example.com", "example.org")

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def norm(value: object) -> str:
    """Lower-case, trimmed text of a value ("" for None)."""
    return "" if value is None else " ".join(str(value).split()).casefold()


def digest(*parts: object) -> bytes:
    """SHA-256 of the normalised parts: the seed of everything about one fake person."""
    return hashlib.sha256("|".join(norm(p) for p in parts).encode("utf-8")).digest()


def unit(d: bytes, slot: int) -> float:
    """A number in [0, 1) taken from 4 bytes of the digest (slots 0-7)."""
    start = (slot % 8) * 4
    return int.from_bytes(d[start:start + 4], "big") / 2**32


def pick(d: bytes, slot: int, options: Sequence[T]) -> T:
    """One of the options, chosen by a digest slot."""
    return options[int(unit(d, slot) * len(options))]


def slug(value: str) -> str:
    """ASCII letters and digits of a value, lower-case ("x" when nothing is left)."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("", ascii_text.casefold()) or "x"


def fake_phone(d: bytes, slot: int, area_code: str) -> str:
    """A US number in the fictional 555-0100..0199 range, e.g. "+1 512-555-0142"."""
    return f"+1 {area_code}-555-01{int(unit(d, slot) * 100):02d}"


def digits_only(phone: str) -> str:
    """The national ten digits of a US phone ("5125550142")."""
    digits = "".join(c for c in phone if c.isdigit())
    return digits[-10:]


def fake_email(first: str, last: str, d: bytes, slot: int, domain: str | None = None) -> str:
    """first.last<n>@example.com (or .org), from the person's digest."""
    number = int(unit(d, slot) * 90) + 10
    return f"{slug(first)}.{slug(last)}{number}@{domain or pick(d, slot + 1, EMAIL_DOMAINS)}"


def split_full_name(full: str | None) -> tuple[str | None, str | None]:
    """First and last word of a full name."""
    words = (full or "").split()
    if len(words) >= 2:
        return words[0], words[-1]
    return (words[0], None) if words else (None, None)
