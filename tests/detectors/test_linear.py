"""Patterns tried at single positions run on ``re`` without the time limit only when detectors.linear proves
that one attempt cannot backtrack catastrophically; the check rejects the known pathological shapes, and
on the texts the engine runs it on (ASCII, without U+001C-U+001F) the ``re`` pattern finds exactly what the
limited ``regex`` pattern finds."""
from __future__ import annotations

import random
import re

import pytest
import regex

from bench.corpus import _sensitive_lines, json_line, log_line, prose_line
from detectors import load_pack
from detectors.engine import Engine, _plain
from detectors.linear import linear_time
from detectors.schema import FLAGS, Pattern

KEY = b"k"

REJECTED = [
    r"(a+)+$",  # nested repetition: exponential
    r"(a|a)*b",  # ambiguous alternatives repeated
    r"(?:a|ab)*c",
    r"(.*)*x",
    r"\d+\d+x",  # adjacent repetitions that may split a run: polynomial
    r"\w+\s?\w+!",
    r".*x.*y",
    r"[a-z]+(?=.*x)y",  # an unbounded look-ahead evaluated at every character given back
    r"(\w+)\1",  # back-reference
    r"(?>a+)b",  # atomic group: not analysed
    r"(?:ab|a)++b",  # a possessive repetition of a longer item: not analysed
    r"(?i)[a-z]+[A-Z]",  # case-insensitive: the capital may take a letter of the run
    r"(?:\d{1,9}\d{1,9}){9}",  # too many ways to split the copies
    r"(?P<v>a)|(?P<v>b)",  # compiles with ``regex`` only
    r"(?:[a-z]+)(?=.*x)y",  # the unbounded look-ahead after a group's run
    r"(?:a|[a-z]+)(?=.*x)b",
    r"(?:[a-z]+b?){1,3}c",  # copies of a run that may split between them
    r"(?:\d+\.?){3}",
    r"(?:x[a-z]*)+",
    r"(?i)(?-i:[a-z]+)X",  # the X after the case-sensitive run matches x too
    r"(?-i:[a-z]+)(?i:X)",
    r"[[:alpha:]]+X",  # a POSIX class to ``regex``, a nested set (and a warning) to ``re``
]
ACCEPTED = [
    r"[A-Z][a-z]+ [A-Z][a-z]+",
    r"\d{1,3}(?:\.\d{1,3}){3}(?!\d)",
    r"[a-z]+(?![\w])(?![ \t]+(?:St|Rd)\b)",  # the word run fails the first look-ahead at once
    r"[^\"]+\"",
    r"(?<![\w.])[1-9]?\d{2}-\d{4}",
    r"(?:[ -]?[A-Z0-9]){18}(?![A-Za-z0-9])",
    r"(?i:key)[ \t]*[:=][ \t]*[A-Za-z0-9/+]{40}",
    r"(?:\d+\.){3}\d+",  # each run ends at the dot
    r"(?:[ab]|[bc])+d",  # re parses single-character alternatives as one class: [abc]+d
    r"a++a",  # a possessive run never gives a character back (and so never matches here)
    r"(?i)auth[a-z_]*+[a-z0-9_.-]{0,30}=",  # the run takes every letter; the bounded class starts after it
]


@pytest.mark.parametrize("pattern", REJECTED)
def test_pathological_shapes_are_rejected(pattern):
    assert not linear_time(pattern)


@pytest.mark.parametrize("pattern", ACCEPTED)
def test_deterministic_shapes_are_accepted(pattern):
    assert linear_time(pattern)


def test_a_rejected_pattern_keeps_the_limited_regex():
    assert _plain(Pattern(name="p", regex=r"(a+)+$", at_hit=True)) is None
    assert _plain(Pattern(name="p", regex=r"[A-Z][a-z]+ [A-Z][a-z]+", at_words=True)) is not None


def _texts() -> list[str]:
    rng = random.Random(11)
    pack = load_pack(selector="ALL")
    out = [s if isinstance(s, str) else s.text for r in pack.rules for s in (*r.samples.positive,
                                                                            *r.samples.negative)]
    makers = [g for _, g in _sensitive_lines()] + [log_line, json_line, prose_line]
    for _ in range(300):
        out.append("\n".join(rng.choice(makers)(rng) for _ in range(3)))
    # the samples again with letters whose case folding is special (Kelvin sign, long s, dotted/dotless i,
    # sharp s) in place of their ASCII look-alikes: case-insensitive patterns must fold them alike
    swaps = str.maketrans({"k": "\u212a", "s": "\u017f", "i": "\u0131", "I": "\u0130", "S": "\u1e9e"})
    half = out[:len(out) // 2]
    out += [t.translate(swaps) for t in half]
    # and with the ASCII separators U+001C-U+001F, which re's \s takes and regex's does not, for spaces
    out += [t.replace(" ", "\x1f") for t in half[::3]]
    return out


def test_re_and_regex_differ_where_plain_patterns_are_not_used():
    # why Engine._plain_text keeps plain patterns to ASCII text without U+001C-U+001F
    assert re.match(r"\s", "\x1f") and not regex.match(r"\s", "\x1f")
    assert re.match(r"(?i)rib", "r\u0131b") and not regex.match(r"(?i)rib", "r\u0131b")
    eng = Engine(load_pack(selector="ALL"), KEY)
    assert eng._plain_text("Anna Smith, 10.0.0.1")
    assert not eng._plain_text("r\u0131b: 30006 00001 22435470093 22")
    assert not eng._plain_text("a\x1fb")


def test_plain_patterns_match_what_the_limited_ones_match():
    pack = load_pack(selector="ALL")
    eng = Engine(pack, KEY)
    texts = _texts()
    assert sum(map(eng._plain_text, texts)) > 500
    checked = 0
    for rule in pack.rules:
        for p in rule.patterns:
            if not (p.at_hit or p.at_words):
                continue
            plain = _plain(p)
            if plain is None:
                continue
            flags = 0
            for f in p.flags:
                flags |= FLAGS[f]
            limited = regex.compile(p.regex, flags)
            for t in texts:
                if not eng._plain_text(t):
                    continue  # the engine runs the limited pattern there
                for i in range(len(t)):
                    a, b = plain.match(t, i), limited.match(t, i)
                    assert (a and (a.span(), a.groupdict())) == (b and (b.span(), b.groupdict())), (rule.id, t, i)
            checked += 1
    assert checked >= 20  # the names, the phone numbers, most secrets


def test_detections_are_the_same_with_and_without_plain_patterns():
    pack = load_pack(selector="ALL")
    plain, limited = Engine(pack, KEY), Engine(pack, KEY)
    assert any(p is not None for cr in plain.rules if cr.id == "NAME" for p in cr.plain)
    for cr in limited.rules:
        cr.plain = tuple(None for _ in cr.plain)
    n = 0
    for t in _texts():
        a, b = plain.detect(t), limited.detect(t)
        assert a == b, t
        n += len(a)
    assert n > 300


def test_alternatives_count_only_those_that_may_match_at_one_position():
    from detectors.linear import _P as parser
    from detectors.linear import _overlapping_alternatives

    def alts(src):
        (op, av), = parser.parse(src)
        return av[1]

    assert _overlapping_alternatives(alts("tel|phone|fax"), False) == 1
    assert _overlapping_alternatives(alts("tel|telephone|phone"), False) == 2
    assert _overlapping_alternatives(alts("tel|Telephone|phone"), True) == 2
    assert _overlapping_alternatives(alts("tel|Telephone|phone"), False) == 1
    assert _overlapping_alternatives(alts(r"tel|\w+|phone"), False) == 3  # no literal prefix: overlaps any
