"""E-mail addresses, plain and obfuscated, found in folded text (see normalize.fold).

An address is a local part, an "at" (the sign, or an at-word in one of many languages, bare,
bracketed or decorated), and a domain of labels joined by dots (".", " . ", "[.]", a dot-word)
ending in a TLD. What each "at" needs of its domain:
- "@" glued to both sides: any domain whose last label is 2+ letters ("a@b.co", "josé@x.mx");
- "[at]" "(arroba)" "-at-", or a word that only means "@" ("arroba", "собака", "アットマーク"):
  a known TLD;
- "@" with a space before or after it, or an everyday word ("at", "chez"): a known TLD and either an
  obfuscated dot (" dot ", "[.]", or " . " before a lowercase TLD), a mail provider as the
  first label ("jane at gmail.com"), or an e-mail cue nearby ("📧 jane at studio.com");
  the local part must not be an everyday word ("me at site.com").
Letters spaced out one by one ("n a m e @ g m a i l . c o m") are joined and checked as plain.
"""

from __future__ import annotations

import re

from sxp_common.redaction.lexicon import (
    AT_WORDS_STRONG,
    AT_WORDS_WEAK,
    DOT_WORDS,
    EMAIL_CUES,
    MAIL_PROVIDERS,
    MAILBOX_WORDS,
    TLDS,
    WEAK_LOCAL_STOPWORDS,
)
from sxp_common.redaction.normalize import fold_word
from sxp_common.redaction.spans import KIND_EMAIL, Span

_L = r"0-9A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_LOCAL_CHARS = frozenset(".%+'-_")
_LABEL = rf"[{_L}](?:[{_L}\-]*[{_L}])?"
_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"


def _words(words: tuple[str, ...], spaced: bool) -> str:
    """Alternation of the folded words written in a script with (or without) word spaces."""
    folded = sorted({fold_word(w) for w in words}, key=len, reverse=True)
    chosen = [w for w in folded if (w[0] <= "\u04ff") == spaced]
    return "|".join(re.escape(w).replace(r"\ ", r"\s?") for w in chosen) or "(?!)"


_AT_ALL_LAT = _words(AT_WORDS_STRONG + AT_WORDS_WEAK, True)
_AT_ALL_NON = _words(AT_WORDS_STRONG + AT_WORDS_WEAK, False)
_AT_STRONG_LAT = _words(AT_WORDS_STRONG, True)
_DOT_LAT, _DOT_NON = _words(DOT_WORDS, True), _words(DOT_WORDS, False)

_ANCHOR_RE = re.compile(
    rf"(?P<bracket>\s*{_OPEN}\s*(?:@|{_AT_ALL_LAT}|{_AT_ALL_NON})\s*{_CLOSE}\s*"
    rf"|\s*(?P<dec>[-_*#~])(?:@|{_AT_ALL_LAT})(?P=dec)\s*)"
    rf"|(?P<sym>[ \t]{{0,2}}@[ \t]{{0,2}})"
    rf"|(?P<strong>[ \t]+(?:{_AT_STRONG_LAT})[ \t]+|[ \t]*(?:{_AT_ALL_NON})[ \t]*)"
    rf"|(?P<weak>[ \t]+(?:{_AT_ALL_LAT})[ \t]+)",
    re.IGNORECASE,
)
_SEP_RE = re.compile(
    rf"(?P<plain>\.)(?=[{_L}])"
    rf"|(?P<spaced>[ \t]+\.[ \t]*|\.[ \t]+(?=[a-z]{{2,24}}(?![{_L}])))(?=[{_L}])"
    rf"|(?P<obf>\s*{_OPEN}\s*(?:\.|{_DOT_LAT}|{_DOT_NON})\s*{_CLOSE}\s*"
    rf"|\s*([-_*])(?:{_DOT_LAT})\4\s*|[ \t]+(?:{_DOT_LAT})[ \t]+|[ \t]*(?:{_DOT_NON})[ \t]*)",
    re.IGNORECASE,
)
_LABEL_RE = re.compile(_LABEL)
_LABEL_END_RE = re.compile(rf"(?<![{_L}\-]){_LABEL}$")
_TLD_RE = re.compile(r"[^\W\d_]{2,24}")
_LOCAL_TAIL_RE = re.compile(
    rf"{_LABEL}(?:\s*{_OPEN}\s*(?:\.|{_DOT_LAT})\s*{_CLOSE}\s*|[ \t]+(?:{_DOT_LAT})[ \t]+)$",
    re.IGNORECASE,
)
_EMAIL_CUE_RE = re.compile(
    "|".join(re.escape(fold_word(c)) for c in EMAIL_CUES), re.IGNORECASE
)
_SPACED_CHAR = rf"[{_L}._%+'@-]"  # only characters of an address: "✨ j a n e @ …" starts at j
_SPACED_RUN_RE = re.compile(rf"(?<!\S)(?:{_SPACED_CHAR} ){{4,}}{_SPACED_CHAR}(?!\S)")
_PLAIN_RE = re.compile(rf"[{_L}._%+'-]+@{_LABEL}(?:\.{_LABEL})*\.[^\W\d_]{{2,24}}")
_TLDS = frozenset(fold_word(t) for t in TLDS)
# "janeATgmailDOTcom": lowercase parts glued with capital AT and DOT, a known TLD last.
_GLUED_RE = re.compile(
    r"(?<![A-Za-z0-9])[a-z0-9][a-z0-9._-]*AT[a-z0-9][a-z0-9-]*(?:DOT[a-z0-9-]+)*DOT"
    r"(?P<tld>[a-z]{2,24})(?![A-Za-z0-9])"
)


_AT_WORD_TRIGGER_RE = re.compile("|".join(
    re.escape(w) for w in sorted({fold_word(w) for w in AT_WORDS_STRONG + AT_WORDS_WEAK} - {"at"})))


def has_email_trigger(text: str, lower: str) -> bool:
    """Cheap test: could folded text (and its lowercase) hold an "@" or an at-word?"""
    if "DOT" in text and _GLUED_RE.search(text):
        return True
    if "@" in text or ("at" in lower and (" at " in lower or "at]" in lower or "at)" in lower
                                         or "at}" in lower or "at>" in lower or "at-" in lower
                                         or "at_" in lower or "at*" in lower or "at\t" in lower
                                         or "\tat" in lower or "at#" in lower or "at~" in lower)):
        return True
    return _AT_WORD_TRIGGER_RE.search(lower) is not None


def _domain(text: str, pos: int) -> tuple[list[tuple[int, str]], int] | None:
    """Labels after an anchor: [(label_end, kind of the separator before it)], and the end."""
    label = _LABEL_RE.match(text, pos)
    if label is None:
        return None
    labels: list[tuple[int, str]] = [(label.end(), "")]
    end = label.end()
    while len(labels) < 8:
        sep = _SEP_RE.match(text, end)
        if sep is None:
            break
        label = _LABEL_RE.match(text, sep.end())
        if label is None:
            break
        labels.append((label.end(), sep.lastgroup or "obf"))
        end = label.end()
    return labels, end


def _accept(anchor: str, text: str, pos: int, labels: list[tuple[int, str]], cue: bool) -> int:
    """End of the address after the anchor (0 when the rules reject every TLD choice)."""
    first = text[pos:labels[0][0]].lower()
    for k in range(len(labels) - 1, 0, -1):
        tld = _label_text(text, labels, k)
        if tld.lower() not in _TLDS or not _TLD_RE.fullmatch(tld):
            continue
        kinds = {kind for _, kind in labels[1:k + 1]}
        if anchor in ("sym_tight", "bracket", "strong"):
            return labels[k][0]
        obf = "obf" in kinds or ("spaced" in kinds and tld.islower() and first.islower())
        if obf or first in MAIL_PROVIDERS or cue:
            return labels[k][0]
    if anchor == "sym_tight" and all(kind == "plain" for _, kind in labels[1:]):
        for k in range(len(labels) - 1, 0, -1):  # an unlisted TLD: "name@studio.museum"
            if _TLD_RE.fullmatch(_label_text(text, labels, k)):
                return labels[k][0]
    return 0


def _label_text(text: str, labels: list[tuple[int, str]], k: int) -> str:
    """The text of label k (without the separator before it)."""
    m = _LABEL_END_RE.search(text, labels[k - 1][0], labels[k][0])
    return m.group() if m else ""


def _local_start(text: str, end: int) -> int:
    """Start of the local part ending at end (== end when there is none)."""
    i = end
    while i > 0 and (text[i - 1] in _LOCAL_CHARS or _is_local_letter(text[i - 1])):
        i -= 1
    for _ in range(3):  # "maria dot lopez at …", "maria[.]lopez[at]…"
        tail = _LOCAL_TAIL_RE.search(text, max(0, i - 40), i)
        if tail is None or tail.start() == i or i == end:
            break
        i = tail.start()
    while i < end and text[i] in ".'-+":
        i += 1
    return i


def _everyday_word(local: str) -> bool:
    """A local part that is a word of the sentence: "me", "Engineer", "Writing", "Looking"."""
    lower = local.lower()
    return lower in WEAK_LOCAL_STOPWORDS or (
        len(lower) > 5 and lower.endswith("ing") and lower.isalpha()
        and lower not in MAILBOX_WORDS)


def _is_local_letter(c: str) -> bool:
    """A letter or digit a local part may hold: Latin, Greek, Cyrillic or a digit."""
    return c.isalnum() and (c.isascii() or "\u00c0" <= c <= "\u04ff")


def _anchor_kind(m: re.Match[str]) -> str:
    """sym_tight, sym_spaced, bracket, strong or weak."""
    kind = m.lastgroup if m.lastgroup != "dec" else "bracket"
    if kind == "sym":
        return "sym_tight" if m.group() == "@" else "sym_spaced"
    return kind or "weak"


def email_spans(text: str) -> list[Span]:
    """Spans of e-mail addresses in folded text."""
    out: list[Span] = []
    for m in _ANCHOR_RE.finditer(text):
        kind = _anchor_kind(m)
        found = _domain(text, m.end())
        start = _local_start(text, m.start())
        if found is None or start == m.start():
            continue
        local = text[start:m.start()]
        if kind in ("weak", "sym_spaced") and _everyday_word(local):
            continue
        cue = kind in ("weak", "sym_spaced") and _EMAIL_CUE_RE.search(
            text, max(0, start - 40), start) is not None
        end = _accept(kind, text, m.end(), found[0], cue)
        if end:
            out.append(Span(start, end, KIND_EMAIL))
    if "@" in text:
        out.extend(_spaced_letters(text))
    if "DOT" in text:
        out.extend(Span(m.start(), m.end(), KIND_EMAIL) for m in _GLUED_RE.finditer(text)
                   if m.group("tld") in _TLDS)
    return out


def _spaced_letters(text: str) -> list[Span]:
    """Addresses spelled one character at a time: "n a m e @ g m a i l . c o m"."""
    out: list[Span] = []
    for m in _SPACED_RUN_RE.finditer(text):
        joined = m.group().replace(" ", "")
        if "@" in joined and _PLAIN_RE.fullmatch(joined):
            out.append(Span(m.start(), m.end(), KIND_EMAIL))
    return out
