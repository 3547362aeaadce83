"""Phone and messenger numbers of any region, found in folded text (see normalize.fold).

A candidate is a run of 7-15 digits joined by spaces, dots, dashes, slashes or brackets, not
glued to letters or digits (handles, hex, "ID123456789") and not inside a plain URL or UUID.
It is a phone when, in this order:
1. it is a date, a price, a grouped count, a decimal, an IP, an ISBN or a year list: never;
2. it is named as an ID, order, game or account number just before: never;
3. it is international: libphonenumber's PhoneNumberMatcher (no default region, leniency
   POSSIBLE) finds it from its "+CC", or "00CC…" parses as a possible number: always;
4. a phone or messenger cue is next to it (words in many languages, ☎ 📞 📱, or a number
   just before that was a phone, "0176 1234567 / 0176 7654321"): always;
5. otherwise when its shape is a phone's (numbers.plausible_uncued).
A run longer than 15 digits is split at its spaces and slashes and each part is judged.
Numbers named as WhatsApp/Telegram/Signal/Viber/… count as "messenger" too.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency, NumberParseException, PhoneNumberMatcher

from sxp_common.redaction.lexicon import PHONE_CUE_AFTER, PHONE_CUE_SYMBOLS, PHONE_CUE_WORDS
from sxp_common.redaction.normalize import fold_word
from sxp_common.redaction.numbers import (
    MONEY_BEFORE,
    digit_count,
    is_counted_or_priced,
    is_date,
    is_identifier,
    never_phone_shape,
    plausible_uncued,
)
from sxp_common.redaction.spans import KIND_MESSENGER_NUMBER, KIND_PHONE, Span

_CANDIDATE_RE = re.compile(
    r"(?<![A-Za-z0-9]-)(?:(?<![A-Za-z0-9_])|(?=\(?\+)|(?<=tel)|(?<=TEL)|(?<=Tel)|(?<=wa)|(?<=WA)|(?<=hp)|(?<=HP))"
    r"\(?\+?\(?\d(?:(?:(?![.,][ \t])[ \t./\-()]){0,3}\d)*\)?(?![A-Za-z0-9_])"
)
_CARD_RE = re.compile(r"\d{4}(?:[ \-]\d{4}){3,4}")
_IBAN_BEFORE = re.compile(r"\b[A-Z]{2}\d{2}[ ]?$")
_SLASH_RE = re.compile(r"[ \t]*/[ \t]*")
_SPACE_RE = re.compile(r"[ \t]+")
_MASK_RE = re.compile(
    r"(?P<hex>\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{16,}\b)"
    r"|(?P<url>(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/\S+)",
    re.IGNORECASE,
)
_URL_PHONE_PARAM = re.compile(r"(?:phone|tel|mobile|whatsapp|number|wa)=$", re.IGNORECASE)


def _cue_words(words: tuple[str, ...]) -> str:
    """Alternation of folded cue words: spaced scripts need word boundaries, others do not."""
    folded = sorted({fold_word(w) for w in words}, key=len, reverse=True)
    spaced = [re.escape(w).replace(r"\ ", r"\s?") for w in folded if w[0] <= "\u04ff"]
    other = [re.escape(w) for w in folded if w[0] > "\u04ff"]
    parts = [rf"(?<![^\W\d_])(?:{'|'.join(spaced)})(?![^\W\d_])"] if spaced else []
    return "|".join(parts + other) or "(?!)"


_FILLERS = (r"(?:me|us|at|on|to|no|nr|n[º°o]|num|number|nummer|numer|número|numero|номер|via|"
            r"or|an|al|à|au|a|em|el|la|de|do|da|du|my|our|now|only|today|24/7|here|us|o|ou|"
            r"[\w’']{1,12}\s+call|for|free|us)")
_CUE_BEFORE_RE = re.compile(
    rf"(?:{_cue_words(PHONE_CUE_WORDS)}|[{PHONE_CUE_SYMBOLS}])"
    rf"[^\w\n]{{0,4}}(?:{_FILLERS}[^\w\n]{{0,4}}){{0,3}}$",
    re.IGNORECASE,
)
_CUE_AFTER_RE = re.compile(
    rf"[^\w\n]{{0,3}}(?:(?:on|via|por|no|na|em)\s+)?(?:{_cue_words(PHONE_CUE_AFTER)}"
    rf"|[{PHONE_CUE_SYMBOLS}])",
    re.IGNORECASE,
)
_MESSENGER_RE = re.compile(
    r"whats\s?app|whatsap|watsapp|whts|wtsp|\bwsp\b|\bwpp\b|\bzap\b|telegram|signal|viber|wechat"
    r"|\bwa\b|\btg\b|\bline\b|kakao|\bqq\b|微信|واتساب|واتس|ватсап|вайбер|телеграм|ไลน์|카톡",
    re.IGNORECASE,
)
_JOINERS = re.compile(r"[ \t]*(?:[/,&|;]|or|ou|oder|of|o|y|e|и|или|atau|veya|или)?[ \t]*",
                      re.IGNORECASE)


def has_phone_trigger(text: str) -> bool:
    """Cheap test: folded text with at least 7 digits."""
    return digit_count(text) >= 7


def _international(text: str) -> list[tuple[int, int]]:
    """Spans libphonenumber finds from a "+CC" with no default region."""
    if "+" not in text:
        return []
    return [(m.start, m.end) for m in PhoneNumberMatcher(text, None, leniency=Leniency.POSSIBLE)]


def _double_zero(run: str) -> bool:
    """'00' followed by a possible international number: 0044 20 7946 0958."""
    digits = "".join(c for c in run if c.isdigit())
    if not digits.startswith("00") or len(digits) < 10:
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse("+" + digits[2:], None))
    except NumberParseException:
        return False


def _masked(text: str, start: int, end: int, masks: list[tuple[int, int, str]]) -> bool:
    """Inside a UUID/digest, or a URL (unless "+"-prefixed or a phone= parameter)."""
    for s, e, kind in masks:
        if s <= start and end <= e:
            return kind == "hex" or not (
                text[start] == "+" or _URL_PHONE_PARAM.search(text, max(0, start - 12), start))
    return False


def _segments(text: str, start: int, end: int) -> list[list[tuple[int, int]]]:
    """A run of more than 15 digits cut at its slashes, then (where still too long) at spaces:
    each segment is a list of pieces that may join into one number."""
    out: list[list[tuple[int, int]]] = []
    for s, e in _cut(_SLASH_RE, start, end, text):
        out.append([(s, e)] if digit_count(text[s:e]) <= 15 else _cut(_SPACE_RE, s, e, text))
    return out


def _cut(sep_re: re.Pattern[str], start: int, end: int, text: str) -> list[tuple[int, int]]:
    """text[start:end] cut at every match of sep_re, as non-empty spans."""
    out, pos = [], start
    for sep in sep_re.finditer(text, start, end):
        out.append((pos, sep.start()))
        pos = sep.end()
    out.append((pos, end))
    return [p for p in out if p[0] < p[1]]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop an unmatched leading "(" or trailing ")" that belongs to the sentence."""
    run = text[start:end]
    if run.endswith(")") and run.count(")") > run.count("("):
        end -= 1
    elif run.startswith("(") and run.count("(") > run.count(")"):
        start += 1
    return start, end


def _is_phone(text: str, start: int, end: int, intl: list[tuple[int, int]], chained: bool) -> bool:
    """Whether the run text[start:end] is a phone number (rules in the module doc)."""
    run = text[start:end]
    digits = digit_count(run)
    if not 7 <= digits <= 15 or is_date(run):
        return False
    if MONEY_BEFORE.search(text, max(0, start - 6), start) or is_identifier(text, start):
        return False
    plus = run.lstrip("(").startswith("+")
    if plus and any(s < end and start < e for s, e in intl) or _double_zero(run):
        return True
    cued = chained or bool(_CUE_BEFORE_RE.search(text, max(0, start - 40), start)
                           or _CUE_AFTER_RE.match(text, end))
    if never_phone_shape(run, cued):
        return False
    if cued:
        return True
    if is_counted_or_priced(text, start, end):
        return False
    return digits >= 8 if plus else plausible_uncued(run)


def phone_spans(text: str) -> list[Span]:
    """Spans of phone numbers in folded text; kind "messenger" when named as one."""
    masks = [(m.start(), m.end(), m.lastgroup or "url") for m in _MASK_RE.finditer(text)]
    intl = _international(text)
    found: list[tuple[int, int]] = []
    for m in _CANDIDATE_RE.finditer(text):
        start, end = _trim(text, *m.span())
        if digit_count(m.group()) < 7 or _masked(text, start, end, masks):
            continue
        segments = [[(start, end)]]
        if digit_count(m.group()) > 15:  # a list of numbers, unless a card number or an IBAN
            card = _CARD_RE.fullmatch(m.group()) or _IBAN_BEFORE.search(text, max(0, start - 5),
                                                                         start)
            segments = [] if card else _segments(text, start, end)
        for pieces in segments:
            found.extend(_judge_pieces(text, pieces, intl, found))
    return [Span(s, e, _kind(text, s, e)) for s, e in found]


def _judge_pieces(text: str, pieces: list[tuple[int, int]], intl: list[tuple[int, int]],
                  found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Phones among consecutive pieces, each as long as it can be (greedy, left to right)."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            s, e = pieces[i][0], pieces[j - 1][1]
            if len(pieces) > 1 and digit_count(text[s:e]) > 12 and text[s] != "+":
                continue  # parts of a list: national numbers have at most 12 digits
            prev = out[-1] if out else (found[-1] if found else None)
            chained = prev is not None and _JOINERS.fullmatch(text, prev[1], s) is not None
            if _is_phone(text, s, e, intl, chained):
                out.append((s, e))
                i = j
                break
        else:
            i += 1
    return out


def _kind(text: str, start: int, end: int) -> str:
    """messenger when a messenger is named just before or after the number, else phone."""
    if _MESSENGER_RE.search(text, max(0, start - 40), start) or _MESSENGER_RE.search(
            text, end, min(len(text), end + 16)):
        return KIND_MESSENGER_NUMBER
    return KIND_PHONE
