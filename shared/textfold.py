"""One folded form of a worker's text, for every rule that reads it (classification, names, keywords).

People write the same words in many ways: full-width letters from a Chinese keyboard, traditional
characters (Hong Kong, Taiwan, or a phone set that way), zero-width spaces pasted from a chat app,
and sometimes on purpose, to slip a name past a filter: 王·芳, 王 芳, 王\u200b芳. Every rule must
compare the same form, so the folding lives here, once:

- :func:`fold`: invisible characters removed (format characters such as zero-width spaces and
  joiners, the soft hyphen and the byte-order mark; variation selectors; blank fillers), NFKC
  (full-width letters, digits and spaces become ordinary ones), case folded, traditional Chinese
  folded to simplified with OpenCC's dictionaries;
- :func:`spaced`: the folded text with every run of whitespace (line breaks included) as one space,
  for rules that need word boundaries (English, pinyin);
- :func:`compact`: only the letters and digits of the folded text, for rules about Chinese, which
  has no spaces between words: separators, punctuation, middle dots and line breaks between
  characters disappear;
- :func:`strip_marks`: accents removed (Wáng Fāng -> wang fang), for romanised names.

OpenCC reads its bundled dictionary files the first time a text with non-ASCII characters is folded,
never at import time.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

# Characters that render as nothing (or as blank space that is not whitespace) but are not
# format characters: the combining grapheme joiner, Hangul and Khmer fillers, Mongolian free
# variation selectors, the braille blank.
_BLANK = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0")
_WHITESPACE_CONTROLS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85")


def _invisible(char: str) -> bool:
    if char in _BLANK:
        return True
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return True
    category = unicodedata.category(char)
    return category == "Cf" or (category == "Cc" and char not in _WHITESPACE_CONTROLS)


def strip_invisible(text: str) -> str:
    """The text without characters that show nothing: zero-width spaces, joiners, soft hyphens, BOM."""
    return "".join(char for char in text if not _invisible(char))


@cache
def _converter() -> Any:
    # opencc-python-reimplemented ships no type information; its converter keeps the dictionaries it
    # read, so one instance serves the whole process.
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters and phrases folded to simplified (報復 -> 报复, 身份證 -> 身份证)."""
    if text.isascii():
        return text
    return str(_converter().convert(text))


def fold(text: str) -> str:
    """Invisible characters removed, NFKC, case folded, traditional folded to simplified."""
    visible = strip_invisible(text)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", visible).casefold())
    return to_simplified(folded)


def spaced(text: str) -> str:
    """The folded text with whitespace runs (line breaks, full-width spaces) as single spaces."""
    return " ".join(fold(text).split())


def compact(text: str) -> str:
    """Only the letters and digits of the folded text: 王 芳, 王·芳 and 王\\n芳 all read 王芳."""
    return "".join(char for char in fold(text) if unicodedata.category(char)[0] in "LN")


def strip_marks(text: str) -> str:
    """Accents and tone marks removed: "wáng fāng" -> "wang fang", "lǚ" -> "lu"."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))
