"""Fold text so that disguised contact data matches plain patterns, keeping offsets.

fold(text) maps, one code point to at most one code point:
- fullwidth and mathematical letters, digits and signs to ASCII ("＠" "．" "𝗷𝗮𝗻𝗲" "０"),
- decimal digits of every script to ASCII ("९८७६" "٠١٢" "๑๒๓"),
- Cyrillic and Greek look-alikes to the Latin letter they imitate ("gmаil" with Cyrillic "а"),
- a few dot and at look-alikes ("。" "․" "﹫"),
and deletes zero-width characters, soft hyphens, variation selectors and keycap marks.
Because nothing expands, Folded.span() turns a span of the folded text back into a span of
the original with one bisect.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

_DELETE = "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff" \
    "\ufe0e\ufe0f\u20e3\u034f"
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
    "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ӏ": "l", "һ": "h", "ԛ": "q", "ԝ": "w",
    "к": "k", "м": "m", "н": "h", "т": "t", "п": "n", "г": "r",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S", "Ԁ": "D", "Һ": "H", "Ԛ": "Q",
    "Ԝ": "W",
    # Greek
    "α": "a", "ο": "o", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ω": "w", "γ": "y", "ς": "c", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H",
    "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Latin look-alikes and signs
    "ɡ": "g", "ı": "i", "ɑ": "a", "ℓ": "l", "ⅼ": "l", "ߋ": "o",
    "\ufe6b": "@", "\u3002": ".", "\uff61": ".", "\u2024": ".", "\u2027": ".",
    "\u3010": "[", "\u3011": "]", "\u3014": "[", "\u3015": "]", "\u2039": "<",
    "\u203a": ">", "\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ",
    "\u2002": " ", "\u2003": " ", "\u3000": " ", "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\ufe63": "-",
}
_RANGES = ((0x00C0, 0x3000), (0xA600, 0xAC00), (0xFF00, 0xFFF0), (0x1D400, 0x1D800),
           (0x1FBF0, 0x1FBFA))


def _build_table() -> dict[int, int | None]:
    """The translate() table: folds that keep one code point, and deletions."""
    table: dict[int, int | None] = {ord(c): None for c in _DELETE}
    for lo, hi in _RANGES:
        for cp in range(lo, hi):
            char = chr(cp)
            decimal = unicodedata.decimal(char, None)
            if decimal is not None:
                table[cp] = ord(str(decimal))
                continue
            if 0xFF00 <= cp or cp >= 0x1D400 or 0x2460 <= cp < 0x2500 or 0x2100 <= cp < 0x2150:
                folded = unicodedata.normalize("NFKC", char)
                if len(folded) == 1 and folded.isascii() and folded.isprintable():
                    table[cp] = ord(folded)
    table.update({ord(k): ord(v) for k, v in _HOMOGLYPHS.items()})
    return table


_TABLE = _build_table()
_DELETABLE_RE = re.compile(f"[{re.escape(_DELETE)}]")


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded text and the positions (in folded coordinates) where characters were deleted."""

    original: str
    text: str
    shifted: tuple[int, ...] = ()

    def index(self, i: int) -> int:
        """Original index of folded index i."""
        return i + bisect_right(self.shifted, i) if self.shifted else i

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original span of folded span [start, end)."""
        if not self.shifted:
            return start, end
        end = self.index(end - 1) + 1
        while end < len(self.original) and self.original[end] in _DELETE:
            end += 1  # a keycap mark or variation selector belongs to the character before
        return self.index(start), end


def fold_word(word: str) -> str:
    """A lexicon word folded the way text is, lowercased."""
    return word.translate(_TABLE).lower()


def fold(text: str) -> Folded:
    """Fold text (see the module doc); ASCII text without control marks is returned as is."""
    if text.isascii():
        return Folded(text, text)
    folded = text.translate(_TABLE)
    if len(folded) == len(text):
        return Folded(text, folded)
    deleted = [m.start() for m in _DELETABLE_RE.finditer(text)]
    return Folded(text, folded, tuple(d - k for k, d in enumerate(deleted)))
