"""What text may go into an X12 element, and what we do with text that may not.

Policy for non-ASCII text (documented in README): ``transliterate`` (the default) maps
accented and typographic characters to their closest basic-ASCII form (é -> e, ß -> SS,
curly quotes -> straight quotes, en dash -> hyphen); a character with no ASCII form is
refused. ``refuse`` refuses any non-ASCII character. Control characters are always
refused. Text is never re-encoded behind the user's back (no mojibake).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

TextPolicy = Literal["transliterate", "refuse"]

_SPECIAL = str.maketrans({
    "ß": "SS", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ł": "L", "ł": "l",
    "Đ": "D", "đ": "d", "Þ": "TH", "þ": "th", "ı": "i",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ", "\u2026": "...",
})
_PRINTABLE_ASCII = re.compile(r"[ -~]*\Z")


class UnrepresentableText(ValueError):
    """Text holds a character that has no place in an X12 element under the chosen policy."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(message)


def to_x12_text(value: str, policy: TextPolicy = "transliterate") -> str:
    """Return ``value`` as printable ASCII, or raise :class:`UnrepresentableText`."""
    if _PRINTABLE_ASCII.match(value):
        return value
    if policy == "transliterate":
        out = unicodedata.normalize("NFKD", value.translate(_SPECIAL))
        out = "".join(c for c in out if not unicodedata.combining(c))
        if _PRINTABLE_ASCII.match(out):
            return out
        bad = next(c for c in out if not (" " <= c <= "~"))
    else:
        bad = next(c for c in value if not (" " <= c <= "~"))
    if unicodedata.category(bad).startswith("C"):
        raise UnrepresentableText("control-character", "control characters are not allowed in X12 text")
    raise UnrepresentableText(
        "invalid-character", f"character U+{ord(bad):04X} has no basic-ASCII form (policy: {policy})"
    )
