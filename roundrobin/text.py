"""What people typed, made safe to show: no invisible characters that change how text reads.

Bidirectional overrides and isolates (U+202E, U+2066…) can make "evil<RLO>txt.exe" read as
"evilexe.txt"; zero-width spaces hide a word's real spelling. Every format and control character
goes, except a zero-width joiner inside an emoji sequence (👩‍💻 needs it) and a zero-width
non-joiner between letters (Persian and Indic scripts need it).
"""

from __future__ import annotations

import unicodedata

_ZWNJ, _ZWJ = "\u200c", "\u200d"
_EMOJI_PARTS = ("So", "Sk")  # pictographs, and skin-tone modifiers
_VARIATION = "\ufe0f"


def clean_text(text: str, multiline: bool = False) -> str:
    """Drop control and format characters (see the module docstring); one line unless multiline."""
    kept: list[str] = []
    for i, ch in enumerate(text):
        if ch in "\n\r\t":
            kept.append("\n" if multiline and ch == "\n" else " ")
        elif unicodedata.category(ch) in ("Cc", "Cf"):
            after = text[i + 1] if i + 1 < len(text) else ""
            before = kept[-1] if kept else ""
            if (
                ch == _ZWJ
                and _emoji(before)
                and _emoji(after)
                or ch == _ZWNJ
                and _letter(before)
                and _letter(after)
            ):
                kept.append(ch)
        else:
            kept.append(ch)
    cleaned = "".join(kept)
    if not multiline:
        cleaned = " ".join(cleaned.split())
    return cleaned.strip()


def _emoji(ch: str) -> bool:
    return bool(ch) and (ch == _VARIATION or unicodedata.category(ch) in _EMOJI_PARTS)


def _letter(ch: str) -> bool:
    return bool(ch) and unicodedata.category(ch).startswith(("L", "M"))
