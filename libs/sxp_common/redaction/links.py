"""Contact links: mailto:, tel:/sms:/callto:, WhatsApp, Telegram invite/number, Signal, Viber.

Public t.me/<name> channel links and every other URL stay: they are no contact data.
"""

from __future__ import annotations

import re

from sxp_common.redaction.spans import KIND_EMAIL, KIND_MESSENGER, KIND_PHONE, Span

_LINK_RE = re.compile(
    r"(?P<email>mailto:[^\s<>\"']+)"
    r"|(?P<phone>\b(?:tel|sms|callto|facetime):[ \t]*\+?[\d \t().\-/]{4,}\d)"
    r"|(?P<messenger>(?:https?://)?(?:www\.)?(?:"
    r"wa\.me/|wa\.link/|(?:api|web|chat)\.whatsapp\.com/|whatsapp\.com/(?:send|message|qr)"
    r"|whatsapp://|(?:t|telegram)\.me/(?:\+|joinchat/|\d{6,})|tg://resolve\?phone"
    r"|signal\.me/|signal\.group/|sgnl://|invite\.viber\.com/|viber://"
    r"|line\.me/ti/p/|qr\.kakao\.com/)[^\s<>\"']*)",
    re.IGNORECASE,
)
_TRIGGER_RE = re.compile(
    r"me/|whatsapp|viber|wa\.link|mailto:|tel:|sms:|callto:|facetime:|signal\.group|sgnl:|tg:"
    r"|qr\.kakao"
)


def has_link_trigger(lower: str) -> bool:
    """Cheap test: could lower (folded, lowercased text) hold a contact link?"""
    return (":" in lower or "/" in lower or "whatsapp" in lower) and \
        _TRIGGER_RE.search(lower) is not None


def link_spans(text: str) -> list[Span]:
    """Spans of contact links in folded text, with their kind."""
    out: list[Span] = []
    for m in _LINK_RE.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in ".,;:!?)]}":
            end -= 1  # sentence punctuation after a link is not part of it
        kind = {"email": KIND_EMAIL, "phone": KIND_PHONE}.get(m.lastgroup or "", KIND_MESSENGER)
        out.append(Span(m.start(), end, kind))
    return out
