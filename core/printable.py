"""Text from files, shown as it is: control, format and direction characters made visible.

A file name or a layer's code can hold a newline that starts a fake line, a right-to-left
override that turns ``cod.tcanvas`` around, or a terminal escape; `printable` writes each
such character as an escape (``\\n``, ``\\u202e``), so what is shown is what is there."""

from __future__ import annotations

import unicodedata

HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def printable(text: str, keep: str = "") -> str:
    """``text`` with every control, format, line-separator and lone-surrogate character
    (a byte a file name could not decode) written as a backslash escape; the characters
    in ``keep`` (e.g. ``"\\n\\t"`` for code) stay as they are."""
    if text.isprintable():  # no Other or Separator character but the space
        return text
    out = []
    for char in text:
        if char in keep or unicodedata.category(char) not in HIDDEN:
            out.append(char)
            continue
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x100:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{code:02x}"))
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def hidden_characters(text: str, keep: str = "\n\t") -> int:
    """How many characters `printable` would make visible."""
    return sum(1 for char in text
               if char not in keep and unicodedata.category(char) in HIDDEN)
