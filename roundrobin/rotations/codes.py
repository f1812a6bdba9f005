"""A short rotation code made from its name, for people who leave the code empty.

People type codes (`/rr who PLAT`, `@Round Robin PLAT …`), so a made code is short: the name's
first word when it is at most 8 letters ("Platform on-call" → PLATFORM), otherwise its initials
("Infrastructure on-call" → IOC). Markup is never a word ("<!channel> support" → SUPPORT).
"""

from __future__ import annotations

import re
import unicodedata

from roundrobin.rotations.draft import CODE_PATTERN

MAX_LENGTH = 20
SHORT = 8
FALLBACK = "ROTATION"
_MARKUP = re.compile(r"<[^<>]*>|&[a-z]+;")
_FILLER = {"THE", "A", "AN", "OUR", "MY", "TEAM"}


def from_name(name: str) -> str:
    """The code suggested for a name (the first of `candidates`)."""
    return candidates(name)[0]


def candidates(name: str) -> list[str]:
    """Short codes for a name, best first: its first word, its initials, its first two words."""
    words = _words(name)
    if not words:
        return [FALLBACK]
    first = words[0]
    initials = "".join(w[0] for w in words) if len(words) > 1 else ""
    found = []
    if len(first) <= SHORT:
        found.append(first)
    if len(initials) >= 2:
        found.append(initials[:SHORT])
    if len(words) > 1:
        found.append(f"{words[0]}-{words[1]}"[:MAX_LENGTH].rstrip("-"))
    found.append(first[:SHORT])
    return [c for c in dict.fromkeys(found) if CODE_PATTERN.fullmatch(c)] or [FALLBACK]


def _words(name: str) -> list[str]:
    plain = _MARKUP.sub(" ", name)
    ascii_name = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^A-Za-z0-9]+", ascii_name.upper()) if w]
    meaningful = [w for w in words if w not in _FILLER]
    return meaningful or words


def numbered(code: str, n: int) -> str:
    """The n-th alternative of a code that is taken: OPS-2, OPS-3…, still within 20 characters."""
    suffix = f"-{n}"
    return code[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
