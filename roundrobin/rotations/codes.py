"""A rotation code made from its name, for people who leave the code empty ("Primary on-call" → PRIMARY-ON-CALL)."""

from __future__ import annotations

import re
import unicodedata

from roundrobin.rotations.draft import CODE_PATTERN

MAX_LENGTH = 20
FALLBACK = "ROTATION"


def from_name(name: str) -> str:
    """Whole words of the name, upper-case, joined by single hyphens, within 20 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^A-Za-z0-9]+", ascii_name.upper()) if w]
    code = ""
    for word in words:
        longer = f"{code}-{word}" if code else word
        if len(longer) > MAX_LENGTH:
            break
        code = longer
    if not code and words:
        code = words[0][:MAX_LENGTH]  # one very long word: its beginning
    return code if CODE_PATTERN.fullmatch(code or "") else FALLBACK


def numbered(code: str, n: int) -> str:
    """The n-th alternative of a code that is taken: OPS-2, OPS-3…, still within 20 characters."""
    suffix = f"-{n}"
    return code[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
