"""Digit runs that are never phone numbers: dates, years, prices, counts, decimals, IPs, IDs.

Pure shape tests on folded text (ASCII digits), shared by the phone stage.
"""

from __future__ import annotations

import re

from sxp_common.redaction.lexicon import ID_CUES

_DATE_SHAPES = re.compile(
    r"\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})"        # 12/05/2024, 12.05.24
    r"|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}"                  # 2024-05-12
    r"|(?:19|20)\d\d\s*[\-–/]\s*(?:19|20)?\d\d"          # 1990-2020, 2019/20
    r"|\d{1,2}[.:]\d\d\s*[\-–]\s*\d{1,2}[.:]\d\d"        # 9.00-17.00
    r"|\d{5}-\d{4}"                                      # ZIP+4
    r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])",  # 20240512
)
_EMBEDDED_DATE = re.compile(
    r"\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)\d\d|(?:19|20)\d\d[./\-]\d{1,2}[./\-]\d{1,2}"
    r"|(?:19|20)\d\d\s*[\-–/]\s*(?:19|20)\d\d"
)
_YEAR = re.compile(r"(?:19|20)\d\d")
_GROUPED_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3})+(?:,\d+)?"
                             r"|\d{1,2},\d{2}(?:,\d{2})*,\d{3}")  # 1,234,567.89 1.234,5 25,00,000
_SPACE_THOUSANDS = re.compile(r"\d{1,3}(?: \d{3})+")
_THREE_THREES = re.compile(r"\d{3} \d{3} \d{3}")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_DECIMAL_PAIR = re.compile(r"\d{1,3}\.\d{2,}(?:[ ,;]+-?\d{1,3}\.\d{2,})+")  # 48.8566 2.3522
_IP = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_ISBN = re.compile(r"97[89][\- ]?\d(?:[\- ]?\d){9}")
_TAX_ID = re.compile(r"\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}|\d{3}\.\d{3}\.\d{3}-\d{2}")  # CNPJ, CPF
_DIGIT_GROUP = re.compile(r"\d+")
MONEY_BEFORE = re.compile(
    r"(?:[$€£¥₹₦₱₩₽₺₫฿]|\b(?:R\$|Rp|Rs\.?|USD|EUR|GBP|INR|BRL|MXN|IDR|PHP|THB|JPY|KRW|TRY|"
    r"PLN|zł|RM|AED|SAR|CHF|kr|Kč|руб))\s*$", re.IGNORECASE)
_AFTER = re.compile(
    r"\s*(?:%|[kKmMbB]\+?(?![A-Za-z])|\+?\s*(?:followers|follower|fans|seguidores|abonnés|"
    r"abonnenten|volgers|obserwujących|подписчиков|views|vues|visualizações|subs|subscribers|"
    r"likes|members|downloads|students|clients|customers|sold|copies|miles|km|kms|km²|m²|mi|"
    r"m|kg|lbs|steps|ly|au|years|yrs|km/s|m/s|mph|km/h|ft|meters|metres|people|users|"
    r"views|plays|streams|hours|hrs|days|times|x|eur|usd|gbp|pln|zł|zl|руб|rub|lei|kč|ft|tl|"
    r"chf|sek|nok|dkk|yen|won|baht|rupees|dollars|euros|reais|pesos)\b|\s*[€$£¥₹₽₺₩₫฿])",
    re.IGNORECASE,
)
_ID_BEFORE = re.compile(
    r"(?:^|(?<![^\W\d_]))(?:" + "|".join(re.escape(c) for c in ID_CUES) + r")\s*[#:.=\-]?\s*"
    r"(?:no\.?|nr\.?|number|#)?\s*$",
    re.IGNORECASE,
)


def digit_count(s: str) -> int:
    """Number of ASCII digits in s (the text is folded: every digit is ASCII)."""
    return sum(map(s.count, "0123456789"))


def is_date(run: str) -> bool:
    """A date, a year range, or a run with fewer than 7 digits once its dates are removed."""
    bare = run.strip("()")
    return bool(_DATE_SHAPES.fullmatch(bare)) or digit_count(_EMBEDDED_DATE.sub("", bare)) < 7


def is_counted_or_priced(text: str, start: int, end: int) -> bool:
    """A price ("$1,299.99", "R$ 1.299.000") or a count/measure ("12 000 000 followers")."""
    return (MONEY_BEFORE.search(text, max(0, start - 6), start) is not None
            or _AFTER.match(text, end) is not None)


def is_identifier(text: str, start: int) -> bool:
    """Named as an ID, order, game or account number just before ("ID:188260368")."""
    return _ID_BEFORE.search(text, max(0, start - 24), start) is not None


def never_phone_shape(run: str, cued: bool) -> bool:
    """Shapes no one writes a phone in: grouped counts, decimals, IPs, ISBNs, year lists.

    Space-grouped thousands ("612 345 678") are phones when cued or 9+ digits, unless they end
    in 000 ("10 000 000"); a leading 0 ("0 800 123 456 789") is a trunk prefix, never a count.
    """
    bare = run.strip("()")
    if any(r.fullmatch(bare) for r in (_GROUPED_NUMBER, _IP, _ISBN, _TAX_ID)):
        return True
    if _DECIMAL.fullmatch(bare) or _DECIMAL_PAIR.fullmatch(bare):
        return not cued
    if _SPACE_THOUSANDS.fullmatch(bare) and bare[0] != "0":  # no count starts with a 0
        # "612 345 678" is a Spanish mobile, "1 234 567" a count
        return bare.endswith("000") or not (cued or _THREE_THREES.fullmatch(bare))
    groups = _DIGIT_GROUP.findall(bare)
    if len(groups) < 2:
        return False
    if sum(1 for g in groups if _YEAR.fullmatch(g)) >= 2:
        return True  # 2019 2021 2023
    if all(len(g) >= 4 and g.endswith("00") for g in groups):
        return True  # 120000-150000
    return len(groups) >= 3 and all(len(g) == 5 for g in groups)  # 75001 75002 75003


def plausible_uncued(run: str) -> bool:
    """Whether a run with no cue nearby has a phone's shape.

    Unbroken: 10-11 digits, or 9 with a trunk 0 ("0764200122", "7288878563"). Grouped:
    9-15 digits with a group of 3+ ("212-470-8005", "71 9 8197-2963", "(850)-306-4544"), or
    ten digits in pairs after a trunk 0 ("06 12 34 56 78").
    """
    groups = _DIGIT_GROUP.findall(run)
    digits = sum(len(g) for g in groups)
    if len(groups) == 1:
        return 10 <= digits <= 11 or (digits == 9 and run.lstrip("(").startswith("0"))
    if not 9 <= digits <= 15:
        return False
    if max(len(g) for g in groups) >= 3:
        return True
    return groups[0].startswith("0") and all(len(g) == 2 for g in groups) and digits == 10
