"""How sizes and names read on the pages: decimal units, and names that cannot disguise
themselves."""

from __future__ import annotations

import unicodedata

__all__ = ["human_duration", "human_size", "shown_name"]

# Characters that change how the text around them is laid out (the bidi controls, which make
# "invoice<U+202E>fdp.exe" read as "invoiceexe.pdf", and line breaks): shown as their code.
# fs-core refuses them in stored names; a client's own name, quoted in a refusal, may hold them.
_LAYOUT_CHARS = frozenset(
    "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def human_size(size: int | None) -> str:
    """A size in decimal units, as disks and networks count them: 1 MB is 1,000,000 bytes
    (what is 1,048,576 bytes reads "1.05 MB"). Three significant digits."""
    size = int(size or 0)
    if size < 1000:
        return "1 byte" if size == 1 else f"{size:,} bytes"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        text = f"{value:.3g}"
        if float(text) < 1000:
            return f"{text} {unit}"
    return f"{value:,.0f} TB"


def human_duration(seconds: int) -> str:
    """``600`` → ``'10 minutes'``; whole hours, minutes, or seconds."""
    for unit, length in (("hour", 3600), ("minute", 60)):
        if seconds >= length and seconds % length == 0:
            count = seconds // length
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def shown_name(name: str) -> str:
    """``name`` with its control and bidi characters written as ``[U+202E]``: what a person
    reads is then the name's real order of characters. Everything else is kept (accents,
    right-to-left scripts, emoji with their joiners)."""
    return "".join(
        f"[U+{ord(char):04X}]"
        if char in _LAYOUT_CHARS or unicodedata.category(char) in ("Cc", "Cs")
        else char
        for char in name
    )
