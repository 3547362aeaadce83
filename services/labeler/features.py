"""Pure feature extraction for the learned layer: script-independent features of one card.

A card becomes a set of named features, each in one group; each group is scaled to unit L2
norm, so a long bio's many character n-grams do not drown its few words or the count signals.

- word (`w:coach`, `w:real estate`): folded bio, display-name and category words and word
  bigrams; hashtags camel-split into words.
- char (`c:<gy`): character 3-5-grams of the folded words, padded (`<gym>`); they reach Thai,
  Japanese and compounds.
- meta (`h:fitfam`, `u:coach`, `d:github.com`, `f:4`): hashtag bodies, username parts, the link
  host and its parent domain, emoji, platform, follower/post tiers, verified, an empty bio.

Names carry a group prefix; the evidence shown on a card is built from readable words
(`display_name`), never from digit runs, so no contact string that escaped redaction is echoed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from services.labeler.text import (
    BREAK,
    emoji_chars,
    fold,
    hashtags,
    host_suffixes,
    link_host,
    split_camel,
    strip_hashtags,
    username_words,
    words,
)

CHAR_MIN, CHAR_MAX = 3, 5
MAX_CHARS = 400  # a bio longer than this adds little; it would only cost time
GROUPS = ("word", "char", "meta")
PREFIX_GROUP = {"w": "word", "c": "char"}


# Links written in a bio ("https://t.co/x1Y2") say nothing about the profile in their words;
# the profile's own link is read as a host (`d:`), from external_url.
_URL = re.compile(r"\S*(?:https?://|www\.)\S*")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _tier(count: int) -> str:
    """log10 bucket of a count: 0 for none, 1 for 1-9, 2 for 10-99, ... capped at 7."""
    return str(min(7, int(math.log10(count)) + 1)) if count > 0 else "0"


def _word_features(tokens: list[str], out: set[str]) -> None:
    previous = BREAK
    for token in tokens:
        if token == BREAK or len(token) == 1 and token.isascii():
            previous = BREAK
            continue
        out.add(f"w:{token}")
        if previous != BREAK:
            out.add(f"w:{previous} {token}")
        previous = token


def _char_features(tokens: list[str], out: set[str]) -> None:
    """Character n-grams of the padded words, in one pass over "<word1> <word2> ..."."""
    line = " ".join(f"<{t}>" for t in tokens if t != BREAK and not t.isdigit())
    for n in range(CHAR_MIN, CHAR_MAX + 1):
        out.update([f"c:{line[i:i + n]}" for i in range(len(line) - n + 1)])
    out.discard("c: ")


def _str(card: Mapping[str, Any], field: str) -> str:
    value = card.get(field)
    return value if isinstance(value, str) else ""


def _meta_features(card: Mapping[str, Any], bio: str, out: set[str]) -> None:
    out.add(f"pl:{_str(card, 'platform') or 'unknown'}")
    out.add(f"f:{_tier(_int(card.get('followers')))}")
    out.add(f"p:{_tier(_int(card.get('posts')))}")
    if card.get("verified") is True:
        out.add("v:1")
    if not bio.strip():
        out.add("bio:empty")
    for part in username_words(_str(card, "username")):
        if len(part) > 1:
            out.add(f"u:{part}")
    if url := _str(card, "external_url"):
        for suffix in host_suffixes(link_host(url))[:2]:
            out.add(f"d:{suffix}")
    for char in emoji_chars(f"{_str(card, 'display_name')} {bio}"):
        out.add(f"e:{char}")


def card_features(card: Mapping[str, Any]) -> dict[str, float]:
    """Feature name -> value for one card; each group (word, char, meta) has unit L2 norm."""
    bio = _URL.sub(" ", _str(card, "bio")[:MAX_CHARS])
    name = _str(card, "display_name")
    text_tokens: list[str] = []
    for text in (strip_hashtags(bio), strip_hashtags(name), _str(card, "category")):
        text_tokens += [*words(fold(text)), BREAK]
    grouped: dict[str, set[str]] = {group: set() for group in GROUPS}
    _word_features(text_tokens, grouped["word"])
    _char_features(text_tokens, grouped["char"])
    for body in hashtags(f"{bio} {name}"):
        grouped["meta"].add(f"h:{fold(body)}")
        _word_features([*split_camel(body), BREAK], grouped["word"])
    _meta_features(card, bio, grouped["meta"])
    features: dict[str, float] = {}
    for names in grouped.values():
        if names:
            value = 1.0 / math.sqrt(len(names))
            features.update(dict.fromkeys(names, value))
    return features


def display_name(feature: str) -> str | None:
    """How a feature reads on a card's evidence ("coach", "#fit", "github.com"), or None for
    features that do not read as words (character n-grams, tiers, digit runs)."""
    prefix, _, body = feature.partition(":")
    if prefix == "v":
        return "verified"
    if not body or any(c.isdigit() for c in body):
        return None
    if prefix == "w":
        return body
    if prefix == "h":
        return f"#{body}"
    if prefix in ("u", "d"):
        return body
    if prefix == "e":
        return body
    return None
