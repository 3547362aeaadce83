"""Pure text helpers for the labeler: folding, tokens, hashtags, username parts, link hosts.

Folding is the same for rule patterns and for profile text, so a pattern matches whatever
spelling a bio uses: NFKD, combining accents dropped (Latin U+0300–U+036F; Arabic harakat and
the hamza NFKD splits off "أ ؤ ئ", U+064B–U+065F and U+0670; Hebrew points U+0591–U+05C7, which
would otherwise split a word in two), casefold.
Scripts without spaces between words (Devanagari, Thai, kana, CJK, Hangul) and the other Indic
scripts are matched as substrings; everything else is matched on whole words.
"""

from __future__ import annotations

import re
import unicodedata

_MARKS = re.compile("[\u0300-\u036f\u0591-\u05c7\u064b-\u065f\u0670]")
# A token is a run of letters/digits; any other symbol (punctuation, separators, emoji) or a
# line break is a BREAK, except the joiners - ' ’ & @ # $ % that sit inside names and phrases.
_WORD = re.compile(r"[^\W_]+|[^\w\s\-'’&@#$%]|\n")
BREAK = ""
_HASHTAG = re.compile(r"[#＃]([^\W_][\w]*)")
_USERNAME_SPLIT = re.compile(r"[^a-z]+")
_UNSPACED = re.compile(
    # Hangul also as its conjoining jamo (\u1100-\u11ff): accent folding decomposes syllables.
    # Other Indic scripts (Bengali to Sinhala, \u0980-\u0dff) are spaced, but their vowel signs
    # are combining marks that split \w tokens, so they are matched as substrings too.
    "[\u0900-\u0dff\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]"
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_EMOJI_NOISE = frozenset("\ufe0f\ufe0e\u200d")


def fold(text: str) -> str:
    """Accent-folded, case-folded NFKD text (same function for patterns and profiles)."""
    if text.isascii():
        return text.casefold()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def words(folded: str) -> list[str]:
    """Word tokens of folded text; punctuation becomes BREAK, so phrases never span it."""
    return [t if t[0].isalnum() else BREAK for t in _WORD.findall(folded)]


def has_unspaced_script(text: str) -> bool:
    """True when the text holds a script written without spaces between words."""
    return _UNSPACED.search(text) is not None


def is_unspaced_pattern(pattern: str) -> bool:
    """True when a rule pattern must be matched as a substring rather than as words."""
    return has_unspaced_script(pattern)


def split_camel(body: str) -> list[str]:
    """Split a hashtag body on case changes and digits: RealEstateAgent -> real estate agent."""
    parts: list[str] = []
    current = ""
    for index, char in enumerate(body):
        if char == "_":
            parts.append(current)
            current = ""
            continue
        if current:
            prev = current[-1]
            nxt = body[index + 1] if index + 1 < len(body) else ""
            upper_after_lower = char.isupper() and (prev.islower() or prev.isdigit())
            acronym_end = char.isupper() and prev.isupper() and nxt.islower()
            digit_edge = char.isdigit() != prev.isdigit()
            if upper_after_lower or acronym_end or digit_edge:
                parts.append(current)
                current = ""
        current += char
    parts.append(current)
    return [fold(part) for part in parts if part]


def hashtags(text: str) -> list[str]:
    """The hashtag bodies in a text, as written (without the #)."""
    return _HASHTAG.findall(text) if "#" in text or "＃" in text else []


def strip_hashtags(text: str) -> str:
    """Text with its hashtags removed (they are matched separately)."""
    return _HASHTAG.sub(" ", text) if "#" in text or "＃" in text else text


def username_letters(username: str) -> str:
    """A username folded to its letters only: Chef_Maria.22 -> chefmaria."""
    return _USERNAME_SPLIT.sub("", fold(username))


def username_words(username: str) -> list[str]:
    """A username split on separators, digits and case changes: nyc_realtor -> nyc realtor."""
    return [w for part in re.split(r"[\W_\d]+", username) if part for w in split_camel(part)]


def emoji_chars(text: str) -> set[str]:
    """The distinct non-ASCII symbol code points of a text (emoji candidates)."""
    return {c for c in text if ord(c) > 0x2000 and c not in _EMOJI_NOISE}


def emoji_key(pattern: str) -> str:
    """The code point an emoji rule matches on: the first one that is not a joiner/selector."""
    for char in pattern:
        if char not in _EMOJI_NOISE:
            return char
    return pattern


def link_host(url: str) -> str:
    """The lower-case host of a link, without scheme, port, 'www.' or path."""
    text = url.strip().casefold()
    text = _SCHEME.sub("", text)
    host = re.split(r"[/?#]", text, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    return host[4:] if host.startswith("www.") else host


def host_suffixes(host: str) -> list[str]:
    """The host, each parent domain, then the top-level domain: a.b.com -> a.b.com, b.com, .com."""
    parts = host.split(".")
    suffixes = [".".join(parts[i:]) for i in range(max(len(parts) - 1, 1))]
    return suffixes + [f".{parts[-1]}"] if len(parts) > 1 else suffixes
