"""Which patterns cannot backtrack catastrophically: a conservative static check.

Every pattern normally runs under the ``regex`` module's per-call time limit. That limit costs about as much as
the match itself when a pattern is tried at thousands of single positions per MB (``at_hit`` and ``at_words``
patterns: a name's words, a keyword's position). A pattern that this check accepts is run with the standard
library's ``re`` at those positions instead, without the limit (on ASCII text, where the two modules read
patterns alike: see ``Engine._plain_text``), because one match attempt of it takes time linear in the
characters it looks at, whatever the text:

* every repetition without a bound repeats one character class (``[a-z]+``, ``[ \\t]*``), and what may
  follow it (the next consuming item, through optional items, zero-width assertions and the end of the
  enclosing groups) can never start with a character of that class. Backtracking into it fails at once on
  the next item, so it never gives a character back usefully;
* a bounded repetition of one class that may give characters back (``[1-9]?\\d``, ``[\\d -]{5,17}\\d``)
  is a choice among at most ``hi - lo + 1`` lengths; a repetition of a longer item (``(?:\\.\\d{1,3}){3}``)
  has a bound of at most 64 and is checked as that many copies in a row; alternatives are a choice
  among those of them that may match at the same position (by their literal prefixes). The product of
  all these choices (each a constant of the pattern) is bounded by 4096;
* a zero-width assertion that the engine may evaluate while backtracking out of an unbounded repetition
  either fails at once on a character of that repetition or has a bounded width; every assertion's own
  content passes the same check;
* a possessive repetition is of one character class (``[A-Za-z0-9+/]{12,512}+``): it takes as many characters
  as it can and never gives one back, so what follows it cannot make the engine try it again;
* no back-references, conditional groups, atomic groups or other possessive repetitions, and the pattern
  compiles with ``re`` without a warning (``re``, unlike ``regex``, rejects a group name used twice and
  reads a POSIX class such as ``[[:alpha:]]`` as a nested set).

So the work of one attempt is that constant times the characters examined, never a power of the text's
length. Character sets are over-approximated (a class with ``\\w`` counts as every word character; in a
pattern that is case-insensitive anywhere, every class gains the other case), so the check can only err
towards rejecting; the one place where a set must be exact (a negative look-ahead that makes a run's
characters fail) is used only without case folding or ASCII-only classes. A rejected pattern keeps the
time limit. Custom data identifiers never use this (their patterns run as Macie defines them, always
under the limit)."""

from __future__ import annotations

import re
import warnings
from functools import cache, lru_cache

try:  # the standard library's parser (Python 3.11+: re._parser; earlier: sre_parse)
    from re import _constants as _K  # type: ignore[attr-defined]
    from re import _parser as _P  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Python
    import sre_constants as _K  # type: ignore[no-redef]
    import sre_parse as _P  # type: ignore[no-redef]

_BMP = 0x10000
_FULL = (1 << _BMP) - 1
_MAX_COPIES = 64  # a repetition of a longer item is checked as copies in a row: at most this many
_MAX_ASSERT_WIDTH = 64  # an assertion evaluated while backtracking out of a run: at most this wide
_MAX_WAYS = 4096  # bound on the product of the ways to take bounded repetitions that may give characters back


class _Reject(Exception):
    pass


class _Set:
    """A set of characters: a bitmask over the Basic Multilingual Plane and whether it may hold any
    character beyond it (over-approximated)."""

    __slots__ = ("astral", "mask")

    def __init__(self, mask: int = 0, astral: bool = False):
        self.mask = mask
        self.astral = astral

    def __or__(self, other: _Set) -> _Set:
        return _Set(self.mask | other.mask, self.astral or other.astral)

    def disjoint(self, other: _Set) -> bool:
        return not (self.mask & other.mask) and not (self.astral and other.astral)


_EMPTY = _Set()
_ANY = _Set(_FULL, True)


def _mask_of(code_points) -> int:
    """The bitmask of BMP code points (built in a bytearray: OR-ing bits into a big int one at a time is
    quadratic)."""
    bits = bytearray(_BMP // 8)
    for cp in code_points:
        if cp < _BMP:
            bits[cp >> 3] |= 1 << (cp & 7)
    return int.from_bytes(bits, "little")


def _code_points(mask: int):
    data = mask.to_bytes((mask.bit_length() + 7) // 8, "little")
    for i, byte in enumerate(data):
        if byte:
            for b in range(8):
                if byte >> b & 1:
                    yield i * 8 + b


@cache
def _category(code) -> _Set:
    """A ``\\d``/``\\w``/``\\s`` class (or its negation) over every mode of the flags (Unicode or ASCII)."""
    name = str(code)
    test = {"DIGIT": str.isdecimal, "WORD": lambda c: c.isalnum() or c == "_", "SPACE": str.isspace}
    for key, fn in test.items():
        if key in name:
            mask = _mask_of(cp for cp in range(_BMP) if fn(chr(cp)))
            return _Set(_FULL ^ mask, True) if "NOT" in name else _Set(mask, True)
    raise _Reject(f"category {name}")  # line-break categories and the like: not expected in our patterns


@lru_cache(maxsize=1024)
def _case_variants(mask: int) -> int:
    variants = []
    for cp in _code_points(mask):
        c = chr(cp)
        variants.extend(ord(v) for v in (c.lower(), c.upper(), c.swapcase(), c.casefold()) if len(v) == 1)
    return mask | _mask_of(variants)


def _char(cp: int) -> _Set:
    return _Set(1 << cp) if cp < _BMP else _Set(0, True)


def _item_set(op, av, icase: bool) -> _Set | None:
    """The characters one single-character item may match (None: not a single-character item)."""
    if op is _K.LITERAL:
        s = _char(av)
    elif op is _K.NOT_LITERAL:
        s = _Set(_FULL ^ (1 << av) if av < _BMP else _FULL, True)
    elif op is _K.ANY:
        return _ANY
    elif op is _K.IN:
        lits, astral, cats = 0, False, _EMPTY
        negate = False
        for o, a in av:
            if o is _K.NEGATE:
                negate = True
            elif o is _K.LITERAL:
                if a < _BMP:
                    lits |= 1 << a
                else:
                    astral = True
            elif o is _K.RANGE:
                lo, hi = a
                if hi >= _BMP:
                    astral, hi = True, _BMP - 1
                if lo <= hi:
                    lits |= ((1 << (hi + 1)) - 1) ^ ((1 << lo) - 1)
            elif o is _K.CATEGORY:
                cats = cats | _category(a)
            else:
                raise _Reject(f"set item {o}")
        if negate:
            # every character outside the listed ones (a case-insensitive [^a] takes fewer: still a superset)
            return _Set(_FULL ^ (lits | cats.mask), True)
        if icase and lits:
            lits = _case_variants(lits)  # (the \\d \\w \\s categories hold both cases already)
        return _Set(lits | cats.mask, astral or cats.astral)
    else:
        return None
    if icase and s.mask:
        s = _Set(_case_variants(s.mask), s.astral)
    return s


class _Checker:
    def __init__(self, icase: bool, ascii_only: bool):
        self.ways = 1  # product of the ways to take the bounded repetitions that may give characters back
        self.icase = icase  # case-insensitive somewhere in the pattern: every set is taken case-insensitively
        self.ascii = ascii_only  # \w \d \s mean their ASCII parts somewhere (the sets here are Unicode's)

    # -- first sets: (characters a match of the items may start with, can the items match empty)

    def first(self, items) -> tuple[_Set, bool]:
        out = _EMPTY
        for op, av in items:
            s, nullable = self.first_item(op, av)
            out = out | s
            if not nullable:
                return out, False
        return out, True

    def first_item(self, op, av) -> tuple[_Set, bool]:
        s = _item_set(op, av, self.icase)
        if s is not None:
            return s, False
        if op is _K.AT or op is _K.ASSERT or op is _K.ASSERT_NOT:
            return _EMPTY, True
        if op is _K.SUBPATTERN:
            return self.first(av[3])
        if op is _K.BRANCH:
            out, nullable = _EMPTY, False
            for alt in av[1]:
                s, n = self.first(alt)
                out, nullable = out | s, nullable or n
            return out, nullable
        if op is _K.MAX_REPEAT or op is _K.MIN_REPEAT or op is _POSSESSIVE:
            lo, _hi, body = av
            s, n = self.first(body)
            return s, n or lo == 0
        raise _Reject(f"item {op}")

    # -- the check

    def check(self, items, cont: list) -> None:
        """``items`` followed by the items ``cont`` (then the end of the match)."""
        items = list(items)
        for i, (op, av) in enumerate(items):
            if _item_set(op, av, self.icase) is not None or op is _K.AT:
                continue
            after = items[i + 1:] + cont
            if op is _K.ASSERT or op is _K.ASSERT_NOT:
                self.check(av[1], [])  # an assertion's content is matched on its own
            elif op is _K.SUBPATTERN:
                self.check(av[3], after)
            elif op is _K.BRANCH:
                alts = av[1]
                self.ways *= _overlapping_alternatives(alts, self.icase)
                if self.ways > _MAX_WAYS:
                    raise _Reject("too many ways to take the alternatives")
                for alt in alts:
                    self.check(alt, after)
            elif op is _POSSESSIVE:  # (None before Python 3.11: never an op)
                # one class taken as far as it goes and never given back: no choice, whatever follows
                if len(av[2]) != 1 or _item_set(*av[2][0], self.icase) is None:
                    raise _Reject("a possessive repetition of a longer item")
            elif op is _K.MAX_REPEAT or op is _K.MIN_REPEAT:
                lo, hi, body = av
                single = _item_set(*body[0], self.icase) if len(body) == 1 else None
                if single is not None and lo != hi:
                    if hi >= _K.MAXREPEAT:
                        self.variable_run(single, after)
                    else:
                        try:
                            self.variable_run(single, after)
                        except _Reject:
                            # hi - lo + 1 ways to take it ([1-9]?\d, [\d -]{5,17}\d): a constant of the pattern
                            self.ways *= hi - lo + 1
                            if self.ways > _MAX_WAYS:
                                raise
                elif single is not None:
                    continue  # a fixed count of one class: no choice
                elif hi > _MAX_COPIES:  # (unbounded: MAXREPEAT)
                    raise _Reject("a repetition of a longer item without a small bound")
                else:
                    body_first, body_nullable = self.first(body)
                    if body_nullable:
                        raise _Reject("a repeated item that may match empty")
                    # copies of the item in a row: each is followed by another copy or by what follows; the
                    # choices inside one copy multiply per copy
                    before, self.ways = self.ways, 1
                    self.check(body, [(_K.MAX_REPEAT, (0, 1, body))] + after if hi > 1 else after)
                    self.ways = before * self.ways ** hi
                    if lo != hi:  # one more copy or what follows: a choice unless they start differently
                        s, nullable = self.first(after)
                        if nullable or not s.disjoint(body_first):
                            self.ways *= hi - lo + 1
                    if self.ways > _MAX_WAYS:
                        raise _Reject("too many ways to take the repetitions")
            else:
                raise _Reject(f"item {op}")

    def variable_run(self, run: _Set, after: list) -> None:
        """A variable repetition of the class ``run`` followed by the items ``after``: whatever the engine tries
        after giving a character of ``run`` back must fail on that character at once."""
        for op, av in after:
            if op is _K.AT:
                continue  # \b, ^, $: constant time
            s = _item_set(op, av, self.icase)
            if s is not None:
                if s.disjoint(run):
                    return
                raise _Reject("a repetition followed by an item that may take the same character")
            if op is _K.ASSERT or op is _K.ASSERT_NOT:
                if av[0] == 1 and len(av[1]) == 1 and op is _K.ASSERT_NOT and not self.icase and not self.ascii:
                    # (the look-ahead's set must be exact here, not over-approximated: no case folding, no
                    # ASCII-only classes)
                    inner = _item_set(*av[1][0], self.icase)
                    if inner is not None and not run.mask & ~inner.mask and (inner.astral or not run.astral):
                        return  # (?![\w]) after [a-z]+: fails on every character of the run
                if op is _K.ASSERT and av[0] == 1:
                    s, nullable = self.first(av[1])
                    if not nullable and s.disjoint(run):
                        return  # a look-ahead that cannot start with a character of the run
                if _width(av[1])[1] > _MAX_ASSERT_WIDTH:
                    raise _Reject("an unbounded assertion evaluated while backtracking")
                continue  # bounded work, then the items after it decide
            s, nullable = self.first_item(op, av)
            if not s.disjoint(run):
                raise _Reject("a repetition followed by a group that may take the same character")
            if not nullable:
                return
            if _contains([(op, av)], _ASSERTIONS):
                raise _Reject("an optional group with an assertion after a repetition")
        # the end of the match: the greedy run succeeds as it is (a lazy one stops at the first success)


def _width(items) -> tuple[int, int]:
    return _P.SubPattern(_P.State(), list(items)).getwidth()


_FORBIDDEN = {getattr(_K, n) for n in ("GROUPREF", "GROUPREF_EXISTS", "GROUPREF_IGNORE", "ATOMIC_GROUP")
              if hasattr(_K, n)}
_POSSESSIVE = getattr(_K, "POSSESSIVE_REPEAT", None)


def _literal_prefix(items, icase: bool) -> str:
    """The text every match of ``items`` starts with (up to the first item that is not one literal)."""
    out = []
    for op, av in items:
        if op is not _K.LITERAL:
            break
        out.append(chr(av).lower() if icase else chr(av))
    return "".join(out)


def _overlapping_alternatives(alts, icase: bool) -> int:
    """How many of the alternatives may match at one position, at most: two whose literal prefixes differ
    before either ends cannot (``tel`` / ``phone``), two of which one prefix starts the other may
    (``tel`` / ``telephone``); an alternative without a literal prefix may overlap any."""
    prefixes = [_literal_prefix(alt, icase) for alt in alts]
    return max(sum(1 for q in prefixes if not p or not q or p.startswith(q) or q.startswith(p)) for p in prefixes)


def _contains(items, ops) -> bool:
    """Whether any item of ``items``, at any depth, is one of ``ops``."""
    return _any_item(items, lambda op, av: op in ops)


def _any_item(items, test) -> bool:
    """Whether ``test(op, av)`` holds for any item of ``items``, at any depth."""
    for op, av in items:
        if test(op, av):
            return True
        if op is _K.SUBPATTERN:
            subs = (av[3],)
        elif op is _K.BRANCH:
            subs = av[1]
        elif op is _K.MAX_REPEAT or op is _K.MIN_REPEAT:
            subs = (av[2],)
        elif op is _K.ASSERT or op is _K.ASSERT_NOT:
            subs = (av[1],)
        else:
            continue
        if any(_any_item(sub, test) for sub in subs):
            return True
    return False


_ASSERTIONS = {_K.ASSERT, _K.ASSERT_NOT}


def _flag_anywhere(tree, flag: int) -> bool:
    """Whether ``flag`` is on for the whole pattern or for one of its groups (``(?i:...)``)."""
    return bool(tree.state.flags & flag) or _any_item(tree, lambda op, av: op is _K.SUBPATTERN and bool(av[1] & flag))


@lru_cache(maxsize=4096)
def linear_time(pattern: str, flags: int = 0) -> bool:
    """Whether one match attempt of ``pattern`` (compiled by the standard library's ``re``) takes time linear
    in the characters it examines, by the rules in this module's docstring. False when unsure."""
    try:
        with warnings.catch_warnings():
            # a warning means ``re`` reads the pattern differently from ``regex`` (a POSIX class such as
            # [[:alpha:]] is a nested set to ``re``, a FutureWarning): not the same pattern, so not used
            warnings.simplefilter("error")
            re.compile(pattern, flags)
            tree = _P.parse(pattern, flags)
        if _contains(tree, _FORBIDDEN):
            return False
        # case-insensitive anywhere: every set is taken case-insensitively (an item after a run may sit in
        # a case-insensitive group while the run does not: (?i)(?-i:[a-z]+)X)
        _Checker(_flag_anywhere(tree, re.IGNORECASE), _flag_anywhere(tree, re.ASCII)).check(tree, [])
    except (_Reject, re.error, RecursionError, TypeError, ValueError, Warning):
        return False
    return True
