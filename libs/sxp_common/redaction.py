"""Remove contact data (emails, phone numbers, messenger numbers and links) from free text.

Pure functions, no I/O. Each removed span becomes REDACTION_TOKEN and its kind
("email", "phone", "messenger") is reported in Redacted.removed.

Stages, each gated by a cheap substring/regex check so contact-free text costs microseconds:
1. links: mailto:, tel:/sms:/callto:, wa.me, api/web/chat.whatsapp.com, whatsapp.com/send,
   t.me/+…, t.me/joinchat/…, signal.me, signal.group, viber:// (public t.me/<name> channels stay);
2. emails: plain, and obfuscated ("name [at] site [dot] com", "name(at)site(dot)com",
   "name at site dot com", "name @ site . com", "name at gmail.com");
3. phones: libphonenumber's PhoneNumberMatcher (Leniency.VALID) across PHONE_REGIONS, merged,
   then a guard for phone-like digit runs the matcher misses (fictional ranges, bad area codes),
   which leaves dates, years, year ranges, ZIP+4, prices, percentages and thousands-grouped
   counts alone unless a "+" or a phone/messenger keyword says otherwise. Digits inside UUIDs,
   hex digests and plain URLs (ids in paths) are never phones.
Redaction repeats (at most 3 passes) until the text is stable, so contains_contact_data() on
the output of redact_text() is always False.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from phonenumbers import Leniency, PhoneNumberMatcher

REDACTION_TOKEN = "[contact removed]"
KIND_EMAIL = "email"
KIND_PHONE = "phone"
KIND_MESSENGER = "messenger"
PHONE_REGIONS: tuple[str, ...] = (
    "US", "GB", "IN", "BR", "DE", "FR", "ES", "IT", "MX", "NG", "ZA", "PH", "ID", "AE", "CA", "AU",
)
_MAX_PASSES = 3


@dataclass(frozen=True, slots=True)
class Redacted:
    """Text with contact data replaced, and the kinds of data that were removed."""

    text: str
    removed: frozenset[str] = frozenset()

    @property
    def changed(self) -> bool:
        """True when anything was removed."""
        return bool(self.removed)


_EMPTY = frozenset()
_AT_CHARS = "@\uff20\ufe6b"
_SEVEN_DIGITS = re.compile(r"\d(?:\D*\d){6}")

_LINK_RE = re.compile(
    r"(?P<email>mailto:[^\s<>\"']+)"
    r"|(?P<phone>\b(?:tel|sms|callto):[ \t]*\+?[\d \t().\-/]{4,}\d)"
    r"|(?P<messenger>(?:https?://)?(?:www\.)?(?:"
    r"wa\.me/|wa\.link/|(?:api|web|chat)\.whatsapp\.com/|whatsapp\.com/send"
    r"|(?:t|telegram)\.me/(?:\+|joinchat/|\d{6,})|signal\.me/|signal\.group/"
    r"|invite\.viber\.com/|viber://)[^\s<>\"']*)",
    re.IGNORECASE,
)

_ANCHOR_RE = re.compile(rf"[{_AT_CHARS}]|[\[({{<]\s*at\s*[\])}}>]|(?<=\s)at(?=\s)", re.IGNORECASE)
_DOT_SEP = r"\s*[\[({<]\s*(?:dot|\.)\s*[\])}>]\s*|\s+dot\s+|\s+\.\s+|\."
_DOMAIN_RE = re.compile(rf"[\w\-]+(?:(?:{_DOT_SEP})[\w\-]+)+", re.IGNORECASE)
_DOT_SEP_RE = re.compile(_DOT_SEP, re.IGNORECASE)
_LOCAL_DOT_TAIL = re.compile(r"[\w+\-]+(?:\s+dot\s+|\s*[\[({<]\s*dot\s*[\])}>]\s*)$", re.IGNORECASE)
_TLD_RE = re.compile(r"[^\W\d_]{2,24}")
_LOCAL_CHARS = frozenset(".+-'_")
_PROVIDERS = frozenset(
    "gmail googlemail yahoo ymail hotmail outlook live msn icloud me proton protonmail pm aol gmx "
    "web yandex mail zoho hey fastmail rediffmail naver qq 163 libero orange wanadoo free".split()
)

# Phone-ish runs: an optional "+", then digits joined by up to 3 spaces, dots, dashes, slashes
# or brackets, not glued to ASCII letters or digits ("ID123456789", hex) except after "tel"/"wa".
_CANDIDATE_RE = re.compile(
    r"(?:(?<![A-Za-z0-9])|(?<=tel)|(?<=TEL)|(?<=Tel)|(?<=wa)|(?<=WA)|(?<=hp)|(?<=HP))"
    r"\+?\(?\d(?:(?:(?![.,][ \t\u00a0])[ \t\u00a0./\-()]){0,3}\d)*\)?(?![A-Za-z0-9])"
)
# Tokens whose digits are never phones: UUIDs, long hex digests, and URLs (unless the number is
# "+"-prefixed or a phone=/tel= parameter; wa.me and tel: links are removed before this stage).
_MASK_RE = re.compile(
    r"(?P<hex>\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{16,}\b)"
    r"|(?P<url>(?:https?://|www\.)\S+)",
    re.IGNORECASE,
)
_URL_PHONE_PARAM = re.compile(r"(?:phone|tel|mobile|whatsapp|number|wa)=$", re.IGNORECASE)
_PHONE_CONTEXT_RE = re.compile(
    r"(?:\b(?:call|text|tel|phone|ph|mob|mobile|cell|contact|reach|dial|hotline|helpline|bookings?"
    r"|whats\s?app|wa|telegram|tg|signal|viber|imessage|sms|ruf|llama|llámame|ligue|liga|appel"
    r"|appelez|chiama|telefon\w*|teléfono|telefone|nomor|hp|no|nr|fon|kontakt\w*|contato|contacto)"
    r"|[\u260e\u2706\U0001f4de\U0001f4f1\U0001f4f2])"
    r"[\s.:#=\-–>]*(?:(?:me|us|at|on|no|nr|via|or|an|al|à)[\s.:#=\-–>]*){0,2}$",
    re.IGNORECASE,
)
_MESSENGER_CONTEXT_RE = re.compile(r"whats\s?app|telegram|signal|viber|wechat|\bwa\b|\btg\b", re.I)

# Shapes that are never phones (matcher and guard both skip them).
_DATE_SHAPES = re.compile(
    r"\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})"        # 12/05/2024, 12.05.24
    r"|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}"                  # 2024-05-12
    r"|(?:19|20)\d\d\s*[\-–]\s*(?:19|20)\d\d"            # 1990-2020
    r"|\d{1,2}[.:]\d\d\s*[\-–]\s*\d{1,2}[.:]\d\d"        # 9.00-17.00
    r"|\d{5}-\d{4}"                                      # ZIP+4
    r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])",  # 20240512
)
# Dates with a full year (or year ranges) inside a longer run: "31/12/2025 14", "2024-05-12 10".
_EMBEDDED_DATE = re.compile(
    r"\d{1,2}[./\-]\d{1,2}[./\-](?:19|20)\d\d|(?:19|20)\d\d[./\-]\d{1,2}[./\-]\d{1,2}"
    r"|(?:19|20)\d\d\s*[\-–]\s*(?:19|20)\d\d"
)
# Thousands-grouped counts (10 000 000, 1.234.567): the matcher may still call them valid
# phones (e.g. Spanish "612 345 678"), but the guard never does on its own.
_THOUSANDS_SHAPE = re.compile(r"\d{1,3}(?:[ .,\u00a0]\d{3})+")
_MONEY_BEFORE = re.compile(r"(?:[$€£¥₹₦₱]|\b(?:R\$|Rp|Rs\.?|USD|EUR|GBP|INR|BRL|MXN))\s*$", re.I)
_COUNT_AFTER = re.compile(
    r"\s*(?:%|[kKmM]\b|\+?\s*(?:followers|fans|seguidores|abonnés|abonnenten|views|subs"
    r"|subscribers|likes|members|downloads|students|clients|customers|sold|copies|miles|km"
    r"|steps)\b)",
    re.IGNORECASE,
)


def _has_trigger(text: str) -> tuple[bool, bool, bool]:
    """Which stages could find anything: (links, emails, phones). Cheap substring checks only."""
    lower = text.lower()
    links = "me/" in lower or "whatsapp" in lower or "viber" in lower or "wa.link" in lower or (
        ":" in lower and ("mailto:" in lower or "tel:" in lower or "sms:" in lower
                          or "callto:" in lower)
    ) or "signal.group" in lower
    emails = "@" in text or "\uff20" in text or "\ufe6b" in text or ("at" in lower and (
        " at" in lower or "\tat" in lower or "\nat" in lower or "at]" in lower or "at)" in lower
        or "at}" in lower or "at>" in lower
    ))
    return links, emails, _has_seven_digits(text)


def _has_seven_digits(text: str) -> bool:
    """True when text holds at least 7 digits (fast path for ASCII text)."""
    if text.isascii():
        return sum(text.count(d) for d in "0123456789") >= 7
    return _SEVEN_DIGITS.search(text) is not None


def _digit_count(s: str) -> int:
    """Number of decimal digits in a string."""
    return sum(1 for c in s if c.isdigit())


def _splice(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace spans of text with the redaction token, one token per overlapping group."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if not out or start > pos:
            out += [text[pos:start], REDACTION_TOKEN]
        pos = max(pos, end)
    out.append(text[pos:])
    return "".join(out)


def _redact_links(text: str, kinds: set[str]) -> str:
    """Remove mailto:, tel: and messenger links."""
    def repl(m: re.Match[str]) -> str:
        """Record the link's kind and replace it."""
        kinds.add(m.lastgroup or KIND_MESSENGER)
        return REDACTION_TOKEN
    return _LINK_RE.sub(repl, text)



def _local_start(text: str, at_start: int, word_at: bool) -> int | None:
    """Start of the local part that ends just before an "at" anchor, or None if there is none."""
    i = at_start
    while i > 0 and text[i - 1] in " \t\u00a0":
        i -= 1
    if word_at and i == at_start:
        return None
    end = i
    while True:
        while i > 0 and (text[i - 1].isalnum() or text[i - 1] in _LOCAL_CHARS):
            i -= 1
        if i == 0 or not (text[i - 1] in "])}>" or text[max(0, i - 4):i].lower() == "dot "):
            break
        tail = _LOCAL_DOT_TAIL.search(text, max(0, i - 40), i)
        if tail is None or tail.start() == i:
            break
        i = tail.start()
    while i < end and text[i] in ".'-+":
        i += 1
    return i if i < end and (text[end - 1].isalnum() or text[end - 1] in "_-+'") else None


def _sep_kind(sep: str) -> str:
    """Classify a domain separator as "plain" ("."), "spaced" (" . ") or "obf" (dot, [.])."""
    if sep == ".":
        return "plain"
    return "spaced" if sep.strip() == "." else "obf"


def _email_end(text: str, anchor: re.Match[str]) -> int | None:
    """End of an email whose "at" is anchor, choosing the longest domain the rules allow."""
    at = anchor.group()
    sym = at in _AT_CHARS
    spaced = sym and (text[anchor.start() - 1: anchor.start()].isspace()
                      or text[anchor.end(): anchor.end() + 1].isspace())
    j = anchor.end()
    while j < len(text) and text[j] in " \t\u00a0":
        j += 1
    dom = _DOMAIN_RE.match(text, j)
    if dom is None:
        return None
    seps = list(_DOT_SEP_RE.finditer(text, j, dom.end()))
    first_label = text[j: seps[0].start()].lower()
    for k in range(len(seps) - 1, -1, -1):
        label_end = seps[k + 1].start() if k + 1 < len(seps) else dom.end()
        if not _TLD_RE.fullmatch(text, seps[k].end(), label_end):
            continue
        final = _sep_kind(seps[k].group())
        if sym and not spaced:
            return label_end
        if (sym and final != "plain") or (not sym and at[0] in "[({<") or final == "obf":
            return label_end
        tld = text[seps[k].end():label_end]
        if not sym and (first_label in _PROVIDERS or (final == "spaced" and tld.islower())):
            return label_end
    return None


def _redact_emails(text: str, kinds: set[str]) -> str:
    """Remove plain and obfuscated email addresses."""
    spans: list[tuple[int, int]] = []
    for anchor in _ANCHOR_RE.finditer(text):
        end = _email_end(text, anchor)
        if end is None:
            continue
        start = _local_start(text, anchor.start(), anchor.group()[0] in "aA")
        if start is not None:
            spans.append((start, end))
    if not spans:
        return text
    kinds.add(KIND_EMAIL)
    return _splice(text, spans)



def _uncovered_digits(span: tuple[int, int], found: list[tuple[int, int]], text: str) -> int:
    """Digits of a candidate span that no matcher hit covers."""
    start, end = span
    return sum(
        1 for i in range(start, end)
        if text[i].isdigit() and not any(s <= i < e for s, e in found)
    )


def _is_date(bare: str) -> bool:
    """A run that is a date, or has fewer than 7 digits once its dated parts are removed."""
    return bool(_DATE_SHAPES.fullmatch(bare)) or _digit_count(_EMBEDDED_DATE.sub("", bare)) < 7


def _never_phone(text: str, start: int, end: int) -> bool:
    """Digit runs no region could make a phone: dates, prices, counts, round thousands."""
    bare = text[start:end].strip("()")
    if _is_date(bare) or _MONEY_BEFORE.search(text, max(0, start - 6), start):
        return True
    if _THOUSANDS_SHAPE.fullmatch(bare) and bare.endswith("000"):
        return True
    return _COUNT_AFTER.match(text, end) is not None


def _guard_is_phone(text: str, start: int, end: int) -> bool:
    """Whether a digit run (that the matcher may have missed) looks like a phone number."""
    run = text[start:end]
    digits = _digit_count(run)
    bare = run.strip("()")
    if digits < 7 or _is_date(bare):
        return False
    if run.startswith("+") or _PHONE_CONTEXT_RE.search(text, max(0, start - 24), start):
        return True
    if digits < 8 or _MONEY_BEFORE.search(text, max(0, start - 6), start):
        return False
    if _THOUSANDS_SHAPE.fullmatch(bare):
        return False
    return not (digits < 10 and _COUNT_AFTER.match(text, end))


def _candidates(text: str) -> list[tuple[int, int]]:
    """Digit runs (>= 7 digits) that could be phones, outside UUIDs, digests and plain URLs."""
    masks = [(m.start(), m.end(), m.lastgroup) for m in _MASK_RE.finditer(text)]
    out: list[tuple[int, int]] = []
    for m in _CANDIDATE_RE.finditer(text):
        start, end = m.span()
        if _digit_count(m.group()) < 7 or _never_phone(text, start, end):
            continue
        mask = next((kind for s, e, kind in masks if s <= start and end <= e), None)
        if mask == "hex":
            continue
        if mask == "url" and not (m.group().startswith("+")
                                  or _URL_PHONE_PARAM.search(text, max(0, start - 12), start)):
            continue
        out.append((start, end))
    return out


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Phone spans: PhoneNumberMatcher hits across PHONE_REGIONS, then guard-regex runs.

    The first region always runs (it finds every +international number); further regions run
    only while a candidate run is neither covered by a hit nor certain to be caught by the guard.
    """
    candidates = _candidates(text)
    found: list[tuple[int, int]] = []
    if not candidates:
        return found
    guarded = {c for c in candidates if _guard_is_phone(text, *c)}
    open_ = candidates
    for region in PHONE_REGIONS:
        found.extend(
            (m.start, m.end) for m in PhoneNumberMatcher(text, region, leniency=Leniency.VALID)
            if any(s < m.end and m.start < e for s, e in candidates)
        )
        open_ = [c for c in open_ if c not in guarded and _uncovered_digits(c, found, text) >= 7]
        if not open_:
            break
    found.extend(c for c in guarded if _uncovered_digits(c, found, text) > 0)
    return found


def _redact_phones(text: str, kinds: set[str]) -> str:
    """Remove phone numbers, tagging numbers named as WhatsApp/Telegram/… as messenger too."""
    spans = _phone_spans(text)
    if not spans:
        return text
    kinds.add(KIND_PHONE)
    if any(_MESSENGER_CONTEXT_RE.search(text, max(0, s - 40), s) for s, _ in spans):
        kinds.add(KIND_MESSENGER)
    return _splice(text, spans)



def _redact_once(text: str, kinds: set[str]) -> str:
    """One pass of every stage whose cheap trigger fires."""
    links, emails, phones = _has_trigger(text)
    if links:
        text = _redact_links(text, kinds)
    if emails:
        text = _redact_emails(text, kinds)
    if phones:
        text = _redact_phones(text, kinds)
    return text


def redact_text(text: str | None) -> Redacted:
    """Replace every email, phone and messenger number/link in text with REDACTION_TOKEN."""
    if not text:
        return Redacted(text or "", _EMPTY)
    kinds: set[str] = set()
    for _ in range(_MAX_PASSES):
        previous = text
        text = _redact_once(text, kinds)
        if text == previous:
            break
    return Redacted(text, frozenset(kinds)) if kinds else Redacted(text, _EMPTY)


def contains_contact_data(text: str | None) -> bool:
    """True when redact_text would remove anything from text."""
    if not text:
        return False
    kinds: set[str] = set()
    _redact_once(text, kinds)
    return bool(kinds)


def redact_fields(
    record: Mapping[str, Any], fields: Iterable[str]
) -> tuple[dict[str, Any], frozenset[str]]:
    """Copy of record with the named string fields redacted, plus the union of removed kinds."""
    out = dict(record)
    kinds: set[str] = set()
    for name in fields:
        value = out.get(name)
        if isinstance(value, str) and value:
            result = redact_text(value)
            out[name] = result.text
            kinds |= result.removed
    return out, frozenset(kinds)
