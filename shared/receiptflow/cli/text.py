"""Text from outside (file names, messages) made safe for a terminal: never markup, never escapes.

File names may hold ANSI/OSC escape sequences, bidi overrides, line breaks, or bytes that are not UTF-8
(Python keeps them as lone surrogates, which a UTF-8 stream cannot even encode). :func:`safe` shows each
such character as a visible escape (``\\x1b``, ``\\u202e``, ``\\udcff``); rich markup is a separate
concern: pass the result as a ``rich.text.Text`` or through ``rich.markup.escape``.
"""

from __future__ import annotations

import unicodedata

_SHOWN_AS_IS = frozenset({"\u200c", "\u200d"})  # zero-width (non-)joiners: part of emoji and scripts


def _unsafe(ch: str) -> bool:
    if ch in _SHOWN_AS_IS:
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _escape(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def safe(text: str) -> str:
    """``text`` with control, format, surrogate and unassigned characters written as escapes."""
    if text.isprintable() and text.isascii():
        return text
    return "".join(_escape(ord(ch)) if _unsafe(ch) else ch for ch in text)
