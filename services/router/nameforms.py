"""The ways a worker may write a committee member's name: pure tables and derivations (design section 9).

A worker rarely writes the registered name. A line leader called 王芳 is 王组长, 小王, 老王, 芳姐 or
阿芳 on the shop floor, "wang fang", "Fang Wang" or "Manager Wang" in a romanised message, and 王芳
again in traditional characters. :func:`forms_of` lists, for one member, every such form with the
rule that derived it, so that :mod:`services.router.names` can tell the NGO why a committee was
passed over. Forms are in the folded form of :mod:`shared.textfold`: Chinese forms as
:func:`~shared.textfold.compact` letters, romanised ones as lower-case letters without spaces.

Nothing here matches a bare surname: 王 alone (or "wang") names a fifth of a Chinese factory.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from pypinyin import Style, lazy_pinyin, pinyin, pinyin_dict

from services.router.nametables import (
    COMPOUND_SURNAMES,
    EN_TITLES,
    ENGLISH_WORDS,
    GIVEN_SUFFIXES,
    HONORIFICS,
    PINYIN_TITLES,
    SURNAME_READINGS,
    TITLES,
)
from shared.textfold import compact, fold, strip_marks

# The rules a form is derived by; a match reports them (names.py adds ``folded``), the most specific
# first (shared.contracts.NAME_RULES): a member found by several forms is reported under the first.
Rule = Literal["exact", "alias", "pinyin", "derived-title", "derived-nickname", "derived-pinyin"]
Script = Literal["han", "latin"]
MAX_READINGS = 16


@dataclass(frozen=True)
class Form:
    """One way of writing a member's name.

    ``anchor`` is where a derived Chinese form rests on the name (the surname of 王经理, the given
    name of 芳姐), so that a common word around it can veto the match. ``breaks`` are the syllable
    boundaries of a romanised form, so that "yuan" (one syllable) is not read as 于安 (yu an).
    """

    text: str
    script: Script
    rule: Rule
    anchor: tuple[int, int] | None = None
    breaks: frozenset[int] = field(default=frozenset())


@dataclass(frozen=True)
class HanName:
    surname: str
    given: str


def is_han(text: str) -> bool:
    return bool(text) and all(unicodedata.name(c, "").startswith("CJK UNIFIED IDEOGRAPH") for c in text)


def split_name(name: str) -> HanName | None:
    """Surname and given name of a Chinese personal name of two to four characters, else None.

    A registered alias such as 王主任 or 小王 is not a personal name: deriving 主任姐 from it would be
    nonsense, so a name opening with 小, 老 or 阿, or whose "given name" opens with a title, is not
    split.
    """
    if not is_han(name) or not 2 <= len(name) <= 4:
        return None
    size = 2 if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else 1
    surname, given = name[:size], name[size:]
    titled = any(given == t if len(t) == 1 else given.startswith(t) for t in TITLES)
    if name[0] in "小老阿" or titled:
        return None
    return HanName(surname, given)


@cache
def syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows, to tell "yuan" (one syllable) from "yu an"."""
    return frozenset(strip_marks(r) for v in pinyin_dict.pinyin_dict.values() for r in v.split(","))


def _u_variants(syllable: str) -> list[str]:
    # ü is typed v, u or yu: 吕 is lv, lu or lyu.
    if "v" not in syllable:
        return [syllable]
    return [syllable, syllable.replace("v", "u"), syllable.replace("v", "yu")]


def readings(han: str, surname: bool = False) -> list[tuple[str, ...]]:
    """Toneless readings of a Chinese string, each a tuple of syllables, the usual reading first.

    A surname takes its surname reading (单 is shan) besides the usual one, but no other heteronym:
    王 may be read yu elsewhere, never as a surname. A given name takes every heteronym (up to
    :data:`MAX_READINGS` combinations), since a name's reading is the parents' choice.
    """
    choices: list[tuple[str, ...]] = [(r,) for r in SURNAME_READINGS.get(han, ())] if surname else []
    choices.append(tuple(lazy_pinyin(han, style=Style.NORMAL)))
    if not surname:
        per_char = pinyin(han, style=Style.NORMAL, heteronym=True)
        choices += itertools.islice(itertools.product(*per_char), MAX_READINGS)
    variants = (v for c in choices for v in itertools.product(*(_u_variants(s) for s in c)))
    return list(itertools.islice(dict.fromkeys(variants), MAX_READINGS))


def _latin_form(parts: Sequence[str], rule: Rule) -> Form:
    offsets = itertools.accumulate(len(p) for p in parts[:-1])
    return Form("".join(parts), "latin", rule, breaks=frozenset(offsets))


def han_forms(name: HanName) -> list[Form]:
    """王经理, 王姐, 小王, 老王, 芳姐, 阿芳: what the shop floor calls 王芳."""
    s, g = name.surname, name.given
    found = [Form(s + title, "han", "derived-title", (0, len(s))) for title in TITLES]
    found += [Form(p + s, "han", "derived-nickname", (1, 1 + len(s))) for p in ("小", "老")]
    for tail in dict.fromkeys((g, g[-1])):
        found += [Form(tail + end, "han", "derived-nickname", (0, len(tail))) for end in GIVEN_SUFFIXES]
    found.append(Form("阿" + g[-1], "han", "derived-nickname", (1, 2)))
    return found


def pinyin_forms(name: HanName) -> list[Form]:
    """wangfang and fangwang, in every reading: spaces, tones and case are gone by the time we match."""
    found = []
    for sur in readings(name.surname, surname=True):
        for given in readings(name.given):
            found += [_latin_form((*sur, *given), "pinyin"), _latin_form((*given, *sur), "pinyin")]
    return found


def derived_pinyin_forms(name: HanName) -> list[Form]:
    """Mr Wang, Manager Wang, xiao wang, lao wang, wang jingli, wang zong."""
    found = []
    for sur in readings(name.surname, surname=True):
        s = "".join(sur)
        before = HONORIFICS if s in ENGLISH_WORDS else HONORIFICS + EN_TITLES
        found += [_latin_form((t, *sur), "derived-pinyin") for t in (*before, "xiao", "lao")]
        found += [_latin_form((*sur, t), "derived-pinyin") for t in PINYIN_TITLES]
    return found


def _latin(text: str) -> str:
    return "".join(c for c in strip_marks(fold(text)) if "a" <= c <= "z")


def literal_forms(value: str, rule: Rule) -> list[Form]:
    """A registered name or alias as written: its Chinese letters, or its romanised words.

    A value mixing scripts or digits yields nothing: it is not a name anyone writes.
    """
    han = compact(value)
    if is_han(han):
        return [Form(han, "han", rule)] if len(han) >= 2 else []
    words = [w for w in (_latin(w) for w in strip_marks(fold(value)).split()) if w]
    if len("".join(words)) < 2 or len("".join(words)) != len(han):
        return []
    found = [_latin_form(words, rule)]
    if len(words) == 2:  # "Wang Fang" is also written "Fang Wang"
        found.append(_latin_form(words[::-1], "pinyin" if rule == "exact" else rule))
    return found


def forms_of(name: str, aliases: Iterable[str] = ()) -> list[Form]:
    """Every form of one member: the name and aliases as written, in pinyin, and derived from both.

    An alias that is itself a personal name (a former name) derives like the name; one that is not
    (王主任, 小王) is matched as written and in its usual pinyin reading ("wang zhuren").
    """
    found: list[Form] = []
    bare: set[str] = set(COMPOUND_SURNAMES)
    values: list[tuple[str, Rule]] = [(name, "exact"), *((a, "alias") for a in aliases)]
    for value, rule in values:
        found += literal_forms(value, rule)
        han = compact(value)
        parsed = split_name(han)
        if parsed is not None:
            bare.add(parsed.surname)
            bare.update("".join(r) for r in readings(parsed.surname, surname=True))
            found += pinyin_forms(parsed) + han_forms(parsed) + derived_pinyin_forms(parsed)
        elif is_han(han) and len(han) >= 2:
            usual = lazy_pinyin(han, style=Style.NORMAL)
            found += [_latin_form(v, "pinyin") for v in itertools.product(*(_u_variants(s) for s in usual))]
    return [f for f in dict.fromkeys(found) if f.text not in bare]
