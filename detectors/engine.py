"""The compiled detector: one Aho-Corasick automaton, windowed patterns, validators, allow lists.

``get_engine(pack, hash_key)`` compiles a ``RulePack`` once per process (module-level cache keyed by
``(pack.digest, sha256(hash_key))``). ``Engine.detect(text, field_path)`` then:

1. lowercases ``text`` once and runs ONE literal pass (all keywords, keyword variants, literal
   anchors and custom-identifier keywords) with the pyahocorasick automaton - or, for ASCII text of
   512+ chars when the optional ``ahocorasick-rs`` package is installed, with an equivalent Rust DFA
   over bytes (identical hits, tested); a text with no hit and no anchorless rule returns ``[]``
   right there (the fast path); anchors may carry a boundary (checked by the automaton) and a rule's
   ``anchor_filter`` regex drops anchor hits that cannot start a value (e.g. lower-case `` way``);
2. runs the candidate classes needed by anchorless rules (``detectors/candidates.py``);
3. for each rule with hits, merges windows around the hits and runs its patterns only there
   (``regex`` with a per-call ``timeout``; a timeout is counted and that pattern is skipped for the
   rest of the text); ``at_hit`` patterns are tried only at hits whose text can start them (a cached
   ``regex`` partial match of the hit text, e.g. ``webhook`` never starts ``(?i)token=...``); a
   windowed pattern is not run in an ASCII window that lacks its required literals or digit (read
   from the pattern's parse tree, ``_window_prefilter``); the highest-volume anchorless rules
   (IP_ADDRESS, card numbers without keyword) have exact fast paths (``_FAST_PATHS``, tested equal);
4. filters: anchor inside the match / candidate overlap, keyword proximity (Macie: a keyword within
   ``distance`` chars before or after, or in ``field_path``), validators, per-rule allow values and
   regexes, the pack's allow lists;
5. resolves overlaps between managed rules by explicit ``priority``, applies ``max_detections``;
6. returns ``Detection``s with a masked excerpt and an HMAC-SHA256 of the normalised value (from
   precomputed key pads; each distinct value once per call). The raw value never leaves this module.

The per-item loops with the most items per MB (the literal pass's haystack and hits on ASCII text, the IPv4 and
digit-run candidate passes, the word-view scans of the name and IBAN passes, the IP_ADDRESS and card-number fast
paths, overlap resolution, building the detections; the index at the top of ``detectors/_speedups.c``) run in C
when the optional extension ``detectors._speedups`` is built (setup.py does when a compiler is there): the same
results, tested side by side (``tests/detectors/test_speedups.py``); without it, or with
``LAKESCAN_PURE_PYTHON=1``, the Python code here runs.
"""
from __future__ import annotations

import bisect
import functools
import gc
import hashlib
import hmac
import operator
import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick
import regex

from detectors.candidates import CANDIDATES
from detectors.candidates import forget as forget_texts
from detectors.linear import linear_time
from detectors.pack import RulePack
from detectors.schema import FLAGS, CustomIdentifier, Rule, value_groups
from detectors.validators import remembered

__all__ = ["Detection", "Engine", "field_tokens", "get_engine", "keyword_variants"]


@dataclass(frozen=True, slots=True)
class Detection:
    type: str
    category: str
    start: int
    end: int
    line: int
    column: int
    confidence: float
    masked: str
    value_hash: str


# --------------------------------------------------------------------------- helpers

_SEPARATORS = (" ", "_", "-", "")


def keyword_variants(term: str) -> tuple[str, ...]:
    """``credit card`` -> credit card, credit_card, credit-card, creditcard (Macie §1.5)."""
    term = term.lower()
    if " " not in term:
        return (term,)
    return tuple(dict.fromkeys(term.replace(" ", sep) for sep in _SEPARATORS))


_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def field_tokens(element: str) -> tuple[str, ...]:
    """Split a column / JSON element name into lowercase tokens (camelCase, snake_case, kebab, spaces)."""
    return tuple(t.lower() for t in _CAMEL.findall(element))


def _compact(term: str) -> str:
    return "".join(ch for ch in term.lower() if ch.isalnum())


def _normalise(value: str, how: str) -> str:
    if how == "digits":
        return "".join(ch for ch in value if ch.isdigit())
    if how == "alnum":
        return "".join(ch for ch in value if ch.isalnum())
    if how == "alnum_upper":
        return "".join(ch for ch in value if ch.isalnum()).upper()
    if how == "lower":
        return value.lower()
    return value


_ALNUM_RUN = re.compile(r"[^\W_]+")
_WORD_START = re.compile(r"(?<!\w)[^\W\d_]")  # a letter not preceded by a letter, digit or underscore


def _word_starts(text: str, spans) -> list[int]:
    """Where the words inside ``spans`` start, in order (``at_words`` patterns)."""
    return sorted({m.start() for s, e in spans for m in _WORD_START.finditer(text, s, e)})


_ASCII_ALNUM_STAR_BYTES = bytes(42 if chr(c).isascii() and chr(c).isalnum() else c for c in range(256))


def _mask(value: str, keep: int) -> str:
    """Every letter/digit becomes ``*`` except the last ``keep`` (at most half of them)."""
    if value.isascii():  # bytes: a C-level translate and integer compares
        raw = value.encode("ascii")
        hidden = raw.translate(_ASCII_ALNUM_STAR_BYTES)
        n_alnum = hidden.count(42) - raw.count(42)  # 42 = b"*"
        if keep > n_alnum // 2:
            keep = n_alnum // 2
        if not keep:
            return hidden.decode("ascii")
        i = len(raw)
        while keep:
            i -= 1
            if raw[i] != hidden[i]:
                keep -= 1
        return (hidden[:i] + raw[i:]).decode("ascii")
    runs = [m.span() for m in _ALNUM_RUN.finditer(value)]
    n_alnum = sum(e - s for s, e in runs)
    keep = min(keep, n_alnum // 2)
    out = []
    pos = 0
    left = n_alnum - keep  # letters/digits still to hide
    for s, e in runs:
        out.append(value[pos:s])
        hide = min(left, e - s)
        out.append("*" * hide)
        out.append(value[s + hide:e])
        left -= hide
        pos = e
    out.append(value[pos:])
    return "".join(out)


def _merge(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if len(windows) <= 1:
        return windows
    windows.sort()
    out = [windows[0]]
    for s, e in windows[1:]:
        ls, le = out[-1]
        if s <= le:
            if e > le:
                out[-1] = (ls, e)
        else:
            out.append((s, e))
    return out


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # a few characters (e.g. U+0130) lowercase to two code points: keep offsets 1:1
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


# required literals: "every match of this pattern inside an ASCII window contains one of these strings
# (lowercased)", read from the pattern's parse tree; a window whose lowercased text holds none of them
# cannot contain a match, so the pattern is not run there (same results, fewer regex calls)
_REQ_MIN_LEN = 3
_REQ_MAX_COUNT = 16
_NON_QUANTIFIER_BRACE = re.compile(r"\{(?!\d*,?\d*\})")  # also an escaped one: no guessing


def _selective(lit: str) -> bool:
    """A literal rare enough to skip windows by: three characters or more, or two with a punctuation mark
    (``-p``, ``::``; two letters or digits, ``de`` or ``20``, are in most windows)."""
    return len(lit) >= _REQ_MIN_LEN or (len(lit) == 2 and not lit.isalnum())


def _required_literals(src: str) -> tuple[str, ...] | None:
    """Strings (ASCII, lowercase) one of which every match of ``src`` in ASCII text contains, or None."""
    return _analyse(src)[0]


def _window_prefilter(src: str):
    """A predicate on a lowercased ASCII window: False when no match of ``src`` can lie in it (the
    window holds none of the required literals, or no digit although every match has one); None when
    the pattern gives no such hint."""
    lits, digit = _analyse(src)
    if lits is not None:
        if len(lits) == 1:
            lit = lits[0]
            return lambda w: lit in w
        return lambda w: any(x in w for x in lits)
    if digit:
        return _HAS_DIGIT
    return None


_HAS_DIGIT = re.compile(r"[0-9]").search


def _analyse(src: str) -> tuple[tuple[str, ...] | None, bool]:
    """(required literals or None, "every match contains an ASCII digit") for ASCII text.

    The pattern is parsed with the stdlib parser (the ``regex`` dialect is a superset): patterns it
    rejects, and syntax it would read differently (fuzzy ``{e<=1}``, POSIX ``[[:alpha:]]``), give
    nothing. Look-behinds (which may see text before the window) and negative look-arounds are ignored;
    positive look-aheads count (they cannot see past the window's end)."""
    if "[[:" in src or _NON_QUANTIFIER_BRACE.search(src):
        return None, False
    try:
        from re import _constants as C
        from re import _parser as P
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_constants as C
        import sre_parse as P
    try:
        tree = P.parse(src)
    except Exception:  # noqa: BLE001 - any dialect difference: no prefilter
        return None, False
    ignore_case = bool(tree.state.flags & C.SRE_FLAG_IGNORECASE)
    repeats = (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT))

    def lit_char(op, av, ci):
        """The lowercased ASCII character an item always matches, "" if it never matches ASCII, else None."""
        if op is C.LITERAL:
            ch = chr(av)
        elif op is C.IN and av and all(o is C.LITERAL for o, _ in av):
            low = {chr(a).lower() for _, a in av}
            if len(low) != 1:
                return None
            ch = next(iter(low))
        else:
            return None
        if ch.isascii():
            return ch.lower()
        return None if ci else ""  # a case-sensitive non-ASCII literal never occurs in ASCII text

    def digit_class(op, av) -> bool:
        r"""An item that always matches one digit (``\d``, ``[0-9]``, ``[13]``)."""
        if op is not C.IN or not av:
            return False
        for o, a in av:
            if o is C.CATEGORY and a is C.CATEGORY_DIGIT:
                continue
            if o is C.LITERAL and 48 <= a <= 57:
                continue
            if o is C.RANGE and 48 <= a[0] <= a[1] <= 57:
                continue
            return False
        return True

    def literal_alternatives(alts, ci):
        """The strings of a branch whose alternatives are plain literals (None otherwise); alternatives
        that cannot match ASCII text are left out."""
        out = set()
        for alt in alts:
            chars = [lit_char(op, av, ci) for op, av in alt]
            if any(c is None for c in chars):
                return None
            if "" not in chars:
                out.add("".join(chars))
        return out

    def leading_literals(alts, ci):
        """Each alternative's leading run of literals (up to its first other item); alternatives whose run
        cannot occur in ASCII text are left out. A literal run before the branch, followed by one of these, is
        in every match: ``-(?:-password[= ]|p)`` (how ``re`` parses ``(?:--password[= ]|-p)``) holds
        ``--password`` or ``-p``."""
        out = set()
        for alt in alts:
            lead = []
            for op, av in alt:
                ch = lit_char(op, av, ci)
                if ch is None:
                    break
                if ch == "":
                    lead = None
                    break
                lead.append(ch)
            if lead is not None:
                out.add("".join(lead))
        return out

    def seq(items, ci):
        """-> (literals: frozenset | None, digit: bool, impossible: bool) for a sequence of items."""
        best = None
        digit = False
        impossible = False
        cur = {""}  # the current run of literals (several strings after a literal branch)

        def consider(cand):
            nonlocal best
            if cand and (best is None or (min(map(len, cand)), -len(cand)) > (min(map(len, best)), -len(best))):
                best = cand

        def take(sub):
            nonlocal digit, impossible
            lits, dig, imp = sub
            consider(lits)
            digit = digit or dig
            impossible = impossible or imp

        def flush():
            nonlocal cur
            if cur and min(map(len, cur)) > 0:
                consider(frozenset(cur))
            cur = {""}

        for op, av in items:
            ch = lit_char(op, av, ci)
            if ch is not None:
                if ch == "":
                    impossible = True
                    flush()
                else:
                    cur = {c + ch for c in cur}
                    digit = digit or ch.isdigit()
                continue
            if op is C.BRANCH:
                alts = literal_alternatives(av[1], ci)
                if alts is not None and len(alts) * len(cur) <= _REQ_MAX_COUNT:
                    if not alts:
                        impossible = True
                        flush()
                    else:
                        cur = {c + a for c in cur for a in alts}
                        digit = digit or all(any(x.isdigit() for x in a) for a in alts)
                    continue
                leads = leading_literals(av[1], ci)
                if cur != {""} and leads and len(leads) * len(cur) <= _REQ_MAX_COUNT:
                    consider(frozenset(c + a for c in cur for a in leads))
            flush()
            if digit_class(op, av):
                digit = True
            elif op is C.SUBPATTERN:
                _group, add, delete, sub = av
                sub_ci = (ci or bool(add & C.SRE_FLAG_IGNORECASE)) and not (delete & C.SRE_FLAG_IGNORECASE)
                take(seq(sub, sub_ci))
            elif op is C.BRANCH:
                parts = [seq(b, ci) for b in av[1]]
                live = [p for p in parts if not p[2]]
                if not live:
                    impossible = True
                    continue
                lits = None
                if all(p[0] is not None for p in live):
                    lits = frozenset().union(*(p[0] for p in live))
                take((lits, all(p[1] for p in live), False))
            elif op in repeats:
                lo, _hi, sub = av
                if lo >= 1:
                    take(seq(sub, ci))
            elif op is getattr(C, "ATOMIC_GROUP", None):
                take(seq(av, ci))
            elif op is C.ASSERT and av[0] == 1:  # positive look-ahead: inside the window too
                take(seq(av[1], ci))
        flush()
        return best, digit, impossible

    lits, digit, impossible = seq(list(tree), ignore_case)
    if impossible:
        return None, False
    if lits is not None and (len(lits) > _REQ_MAX_COUNT or not all(map(_selective, lits))):
        lits = None
    return (tuple(sorted(lits, key=len, reverse=True)) if lits is not None else None), digit


# --------------------------------------------------------------------------- compiled records


class _CRule:
    """One managed rule, compiled."""

    __slots__ = (
        "allow_regexes",
        "all_at_hit",
        "allow_values",
        "anchor_filter",
        "anchors",
        "at_hit",
        "at_words",
        "candidate",
        "category",
        "conf_kw",
        "conf_nokw",
        "field_terms",
        "fields_only",
        "has_keywords",
        "id",
        "idx",
        "kw_distance",
        "kw_required",
        "mask_keep",
        "max_det",
        "max_kw_len",
        "normalize",
        "patterns",
        "plain",
        "priority",
        "radius",
        "required",
        "rule",
        "start_ok",
        "valid_memo",
        "validators",
        "value_groups",
    )

    def __init__(self, rule: Rule, idx: int, validators: dict[str, Any]):
        self.rule = rule
        self.idx = idx
        self.id = rule.id
        self.category = rule.category
        self.patterns = tuple((p.name, p.compiled()) for p in rule.patterns)
        # the groups that hold the reported value: ``value``, then ``value_2``, ``value_3``, ... for alternatives
        # that each name their own (``re`` allows a group name once); the first that took part is the value
        self.value_groups = tuple(value_groups(c.groupindex) for _, c in self.patterns)
        # patterns tried at single positions (hits, a candidate's words) that cannot backtrack
        # catastrophically (detectors.linear): the same pattern compiled by ``re``, run there without the
        # per-call time limit, which costs as much as such a match (None: the ``regex`` pattern, limited)
        self.plain = tuple(_plain(p) if p.at_hit or p.at_words else None for p in rule.patterns)
        self.at_hit = tuple(p.at_hit for p in rule.patterns)
        self.at_words = tuple(p.at_words for p in rule.patterns)
        # no windows are needed when every pattern is tried at hits or at the words of candidate spans
        self.all_at_hit = all(a or w for a, w in zip(self.at_hit, self.at_words))
        # at_hit patterns: per hit text (e.g. "webhook", "Key"), can the pattern start there at all?
        # (``regex`` partial match of the hit text alone; lazily filled). Not for patterns whose first
        # assertions need the text before the hit (positive look-behind, \B).
        self.start_ok = tuple({} if p.at_hit and "(?<=" not in p.regex and "\\B" not in p.regex else None
                              for p in rule.patterns)
        self.validators = tuple(validators[v] for v in rule.validators)
        # hash(value) -> whether every validator accepts the value. Validators are pure functions of the value,
        # and values recur (a user agent's "Intel Mac" on every access log line, a person named again and again
        # in a text), so their verdicts are remembered, up to _VALID_MEMO_MAX values per rule per process, keyed
        # by the value's hash (validators.remembered): the memo keeps no value found in a scanned object alive
        self.valid_memo: dict[int, bool] = {}
        self.normalize = rule.normalize
        self.allow_values = frozenset(_normalise(v, rule.normalize) for v in rule.allow.values)
        # one alternation: fullmatch of (?:a)|(?:b) <=> a or b fullmatches (one call per value)
        self.allow_regexes = (regex.compile("|".join(f"(?:{r})" for r in rule.allow.regexes)),) \
            if rule.allow.regexes else ()
        kw = rule.keywords
        self.has_keywords = kw is not None
        self.kw_required = bool(kw and kw.required)
        self.kw_distance = kw.distance if kw else 0
        self.fields_only = bool(kw and kw.fields_only)
        self.field_terms = tuple(_compact(t) for t in kw.terms) if kw else ()
        self.max_kw_len = max((len(v) for t in kw.terms for v in keyword_variants(t)), default=0) if kw else 0
        self.anchors = rule.anchors
        self.anchor_filter = regex.compile(rule.anchor_filter) if rule.anchor_filter else None
        self.candidate = rule.candidate
        self.radius = rule.max_length + self.kw_distance
        self.conf_kw = rule.confidence
        self.conf_nokw = rule.confidence_without_keyword if rule.confidence_without_keyword is not None \
            else rule.confidence
        self.priority = rule.priority
        self.max_det = rule.max_detections
        self.mask_keep = rule.mask_keep
        # windowed patterns: literals one of which every match contains (None: no such prefilter)
        # (at_words patterns: checked on each candidate span's window before its words are tried)
        self.required = tuple(None if p.at_hit else _window_prefilter(p.regex) for p in rule.patterns)

    def valid(self, value: str) -> bool:
        """Every validator's verdict on ``value``, from ``valid_memo`` when it was judged before (the memo is
        emptied when it holds _VALID_MEMO_MAX verdicts)."""
        return remembered(self.valid_memo, value, self._judge, _VALID_MEMO_MAX)

    def _judge(self, value: str) -> bool:
        return all(v(value) for v in self.validators)


_VALID_MEMO_MAX = 4096


def _plain(p) -> re.Pattern | None:
    flags = 0
    for f in p.flags:
        flags |= FLAGS[f]
    return re.compile(p.regex, flags) if linear_time(p.regex, flags) else None


class _CCustom:
    __slots__ = ("cdi", "distance", "ignore", "keywords", "name", "pattern")

    def __init__(self, cdi: CustomIdentifier):
        self.cdi = cdi
        self.name = cdi.name
        self.pattern = regex.compile(cdi.regex)
        self.keywords = tuple(k.lower() for k in cdi.keywords)
        self.ignore = cdi.ignoreWords
        self.distance = cdi.maximumMatchDistance


# automaton payload kinds
_KW, _ANCHOR, _CDI_KW = 0, 1, 2
#: ASCII characters that satisfy a keyword's left boundary (the optional bytes backend registers
#: "<sep><keyword>" keys for each, so in-word hits such as "pan" in "company" never reach Python)
_ASCII_SEPARATORS = tuple(chr(c) for c in range(128) if not chr(c).isalnum())
_ASCII_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyz")  # bytes of lowercased ASCII alnum
_SEP_KEY_MAX = 5
_RS_MIN_LEN = 512  # below this the Python call overhead of the Rust pass outweighs its speed

try:  # optional faster literal pass (Rust aho-corasick, DFA): same hits as pyahocorasick, ASCII text only
    import ahocorasick_rs as _ac_rs
except ImportError:  # pragma: no cover - depends on the environment
    _ac_rs = None

BACKENDS = ("auto", "pyahocorasick", "ahocorasick_rs")

# optional compiled per-item loops (detectors/_speedups.c, built by setup.py when a C compiler is there): the
# same results as the Python code they replace (tests/detectors/test_speedups.py); LAKESCAN_PURE_PYTHON=1 or
# Engine(compiled=False) leaves them out
if os.environ.get("LAKESCAN_PURE_PYTHON") == "1":  # pragma: no cover - depends on the environment
    _speedups = None
else:
    try:
        from detectors import _speedups
    except ImportError:  # pragma: no cover - depends on the environment
        _speedups = None


class Engine:
    """A compiled ``RulePack``. Build it with ``get_engine``; ``detect`` is pure and thread-safe
    apart from the cumulative ``counters`` (a ``Counter`` of e.g. ``regex_timeouts``)."""

    def __init__(self, pack: RulePack, hash_key: bytes, backend: str = "auto", fast_paths: bool = True,
                 compiled: bool = True):
        from detectors.validators import VALIDATORS

        self.pack = pack
        self._key = bytes(hash_key)
        self._hmac_inner, self._hmac_outer = _hmac_pads(self._key)
        #: the compiled loops (``detectors._speedups``) when built and wanted, else None: the Python code runs
        self._c = _speedups if compiled else None
        self.compiled = self._c is not None
        if self._c is not None:
            self._hmac_mid = self._c.hmac_midstates(_hmac_block_key(self._key))
        self.counters: Counter[str] = Counter()
        self._timeout = pack.regex_timeout
        self._plain_memo: tuple[str | None, bool] = (None, False)  # see _plain_text
        self.settled = False  # see settle()
        self.rules = tuple(_CRule(r, i, VALIDATORS) for i, r in enumerate(pack.rules))
        self.customs = tuple(_CCustom(c) for c in pack.custom)
        self._allow_text = frozenset(e.lower() for a in pack.allow_lists if a.text is not None for e in a.text)
        self._allow_regex = tuple(regex.compile(a.regex) for a in pack.allow_lists if a.regex is not None)

        # automaton keys -> items (kind, index, left_check, right_check, length). One pyahocorasick
        # automaton over the lowercased text holds every keyword (and its variants), every literal
        # anchor and every custom-identifier keyword; boundaries are checked on the hits.
        entries: dict[str, list[tuple[int, int, bool, bool, int]]] = {}
        for cr in self.rules:
            kw = cr.rule.keywords
            if kw is not None and not kw.fields_only:
                for term in kw.terms:
                    for v in keyword_variants(term):
                        left = kw.boundary != "none" and v[0].isalnum()
                        right = kw.boundary == "both" and v[-1].isalnum()
                        entries.setdefault(v, []).append((_KW, cr.idx, left, right, len(v)))
            ab = cr.rule.anchor_boundary
            for a in cr.anchors:
                entries.setdefault(a, []).append((_ANCHOR, cr.idx, ab != "none" and a[0].isalnum(),
                                                  ab == "both" and a[-1].isalnum(), len(a)))
        for ci, cc in enumerate(self.customs):
            for k in cc.keywords:
                entries.setdefault(k, []).append((_CDI_KW, ci, False, False, len(k)))
        self._automaton = None
        if entries:
            A = ahocorasick.Automaton()
            for key, items in entries.items():
                A.add_word(key, tuple(dict.fromkeys(items)))
            A.make_automaton()
            self._automaton = A
        self._keys = tuple(entries)
        # optional bytes backend for ASCII text: keys "<sep>keyword" for left-boundary keywords, over
        # b" " + text, so the left check is done by the automaton; results are identical (tested)
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}")
        if backend == "ahocorasick_rs" and _ac_rs is None:
            raise ValueError("backend ahocorasick_rs requested but the ahocorasick-rs package is not installed")
        self.backend = "pyahocorasick" if backend == "pyahocorasick" or _ac_rs is None or not entries \
            else "ahocorasick_rs"
        self._rs = None
        if self.backend == "ahocorasick_rs":
            rs_entries: dict[bytes, list[tuple[int, int, bool, bool, int]]] = {}
            for key, items in entries.items():
                for kind, idx, left, right, length in dict.fromkeys(items):
                    if not key.isascii():
                        continue  # can never occur in ASCII text
                    # short keywords hit inside words a lot; each such hit costs a Python step, but next to nothing
                    # in the compiled loop (_speedups.raw_hits), where a DFA of a quarter of the keys is faster
                    if left and self._c is None and len(key) <= _SEP_KEY_MAX:
                        for sep in _ASCII_SEPARATORS:
                            rs_entries.setdefault((sep + key).encode("ascii"), []).append(
                                (kind, idx, False, right, length))
                    else:
                        rs_entries.setdefault(key.encode("ascii"), []).append((kind, idx, left, right, length))
            rs_keys = list(rs_entries)
            self._rs_items = tuple(tuple(dict.fromkeys(rs_entries[k])) for k in rs_keys)
            self._rs = _ac_rs.BytesAhoCorasick(rs_keys, implementation=_ac_rs.Implementation.DFA) \
                if rs_keys else None
        # anchorless rules grouped by candidate class
        by_class: dict[str, list[int]] = {}
        for cr in self.rules:
            if cr.candidate is not None:
                by_class.setdefault(cr.candidate, []).append(cr.idx)
        #: (candidate class, its rules, the function that finds its spans: compiled for ipv4 when built)
        self._candidates = tuple((CANDIDATES[k], tuple(v), self._locator(CANDIDATES[k])) for k, v in by_class.items())
        self._filtered_anchor_rules = tuple(cr.idx for cr in self.rules if cr.anchor_filter is not None)
        self._always_custom = tuple(ci for ci, cc in enumerate(self.customs) if not cc.keywords)
        self._field_cache: dict[tuple[str, ...], tuple[frozenset[int], frozenset[int]]] = {}
        self._rule_meta = tuple((cr.id, cr.category, cr.normalize, cr.mask_keep) for cr in self.rules)
        # rule fast paths (same results as ``_run_rule``, tested): by exact rule definition, see _FAST_PATHS
        self._fast: dict[int, Any] = {}
        if not fast_paths:  # the general path only (tests compare both)
            for cr in self.rules:
                cr.required = (None,) * len(cr.patterns)
        if fast_paths:
            for cr in self.rules:
                fn = _FAST_PATHS.get(_fast_signature(cr.rule))
                if fn is not None:
                    self._fast[cr.idx] = fn
        self._any_max_det = any(cr.max_det is not None for cr in self.rules)

    def _locator(self, cls):
        """``cls.spans``, or its compiled equivalent (``_speedups.ipv4_spans`` for the ipv4 class,
        ``_speedups.run_spans`` for the runs of digits and separators, the name and IBAN passes with their
        compiled scans)."""
        if self._c is None:
            return cls.spans
        if cls.name == "ipv4":
            ipv4_spans = self._c.ipv4_spans
            return lambda text, _ascii_text: ipv4_spans(text)
        if cls.name == "ipv6_full":
            ipv6_full_spans = self._c.ipv6_full_spans
            return lambda _text, ascii_text: ipv6_full_spans(ascii_text)
        if cls.name in ("name", "lone_name", "iban"):  # their scans of the word view
            locate, regex_, c = cls.locate, cls.regex, self._c
            return lambda text, ascii_text: locate(regex_, text, ascii_text, c)
        if cls.min_len and cls.locate is None:  # runs of digits and separators
            run_spans, args = self._c.run_spans, (cls.table, cls.min_len, cls.seps, cls.min_core, cls.digits_max,
                                                  cls.regex.finditer, *_inline_digit_range(cls))
            return lambda text, ascii_text: run_spans(text, ascii_text, *args)
        return cls.spans

    # ------------------------------------------------------------------ public

    def triggers(self, text: str, field_path: Sequence[str] = ()) -> dict[str, set[str]]:
        """What makes each rule / custom identifier look at ``text``: automaton keys (keywords, keyword
        variants, anchors, custom keywords) that pass the boundary check, ``field:<element>`` and
        ``candidate:<class>``. Used by the sample tests to prove the prefilter fires."""
        out: dict[str, set[str]] = {}
        low = _lower_same_length(text)
        kw_hits, anchor_hits, cdi_hits = self._hits(text, low)
        for kind_hits, names in ((kw_hits, self.rules), (anchor_hits, self.rules), (cdi_hits, self.customs)):
            for idx, hits in kind_hits.items():
                name = names[idx].id if names is self.rules else names[idx].name
                out.setdefault(name, set()).update(low[s:e] for s, e in hits)
        rules, cdis = self._field_matches(tuple(field_path)) if field_path else (frozenset(), frozenset())
        for idx in rules:
            out.setdefault(self.rules[idx].id, set()).add("field:" + "/".join(map(str, field_path)))
        for ci in cdis:
            out.setdefault(self.customs[ci].name, set()).add("field:" + "/".join(map(str, field_path)))
        if self._candidates:
            ascii_text = text.encode("ascii", "replace")
            for cls, idxs, spans_of in self._candidates:
                if spans_of(text, ascii_text):
                    for i in idxs:
                        out.setdefault(self.rules[i].id, set()).add("candidate:" + cls.name)
        return out

    def detect(self, text: str, field_path: Sequence[str] = (), stats: Counter | None = None) -> list[Detection]:
        """Detections in ``text``; ``field_path`` is the structural context (column / JSON path names).

        ``stats`` (optional ``Counter``) is incremented with ``regex_timeouts`` for this call and, per
        managed rule that ran, ``hits:<ID>`` (keyword/anchor/candidate hits) and ``seconds:<ID>``.
        The caches that serve one call (the text's ASCII views, its name spans) are emptied when it returns.
        The cyclic garbage collector is paused during the call (if it was running): a MB of text makes some
        hundred thousand short-lived, acyclic objects that reference counting frees, and the collector's passes
        over them cost about 4% of the time; it runs again when the call returns, as before.
        """
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return self._detect(text, field_path, stats)
        finally:
            if paused:
                gc.enable()
            self._plain_memo = (None, False)
            forget_texts()

    def _detect(self, text: str, field_path: Sequence[str], stats: Counter | None) -> list[Detection]:
        if not text:
            return []
        field_path = tuple(field_path)
        field_rules, field_cdis = self._field_matches(field_path) if field_path else (frozenset(), frozenset())
        # 1. one automaton pass
        kw_hits, anchor_hits, cdi_hits = self._hits(text, None)
        if not (kw_hits or anchor_hits or cdi_hits or field_rules or field_cdis or self._candidates
                or self._always_custom):
            return []  # fast path
        # 2. candidate passes
        cand_spans: dict[int, list[tuple[int, int]]] = {}
        if self._candidates:
            ascii_text = text.encode("ascii", "replace")
            for _cls, idxs, spans_of in self._candidates:
                spans = spans_of(text, ascii_text)
                if spans:
                    for i in idxs:
                        cand_spans[i] = spans
        timeouts = Counter()
        found: list[tuple] = []  # (priority, confidence, start, end, rule_idx, value)
        # 3./4. managed rules
        todo = set(kw_hits) | set(anchor_hits) | set(cand_spans) | set(field_rules)
        fast = self._fast
        if stats is None:
            for idx in sorted(todo):
                if idx in fast and idx not in kw_hits and idx not in anchor_hits and idx not in field_rules:
                    fast[idx](self, self.rules[idx], text, cand_spans[idx], found, timeouts)
                    continue
                self._run_rule(self.rules[idx], text, kw_hits.get(idx, ()), anchor_hits.get(idx, ()),
                               cand_spans.get(idx, ()), idx in field_rules, found, timeouts)
        else:  # profiling: per-rule prefilter hits and seconds spent in windows/patterns/validators
            for idx in sorted(todo):
                t0 = time.perf_counter()
                kws, ans, cds = kw_hits.get(idx, ()), anchor_hits.get(idx, ()), cand_spans.get(idx, ())
                if idx in fast and not kws and not ans and idx not in field_rules:
                    fast[idx](self, self.rules[idx], text, cds, found, timeouts)
                else:
                    self._run_rule(self.rules[idx], text, kws, ans, cds, idx in field_rules, found, timeouts)
                rid = self.rules[idx].id
                stats[f"hits:{rid}"] += len(kws) + len(ans) + len(cds)
                stats[f"seconds:{rid}"] += time.perf_counter() - t0
        dets = self._resolve(found)
        n_managed = len(dets)
        # custom data identifiers (independent of managed rules and of each other)
        for ci, cc in enumerate(self.customs):
            if ci in cdi_hits or ci in field_cdis or not cc.keywords:
                self._run_custom(ci, cc, text, cdi_hits.get(ci, ()), ci in field_cdis, dets, timeouts)
        if timeouts:
            self.counters.update(timeouts)
            if stats is not None:
                stats.update(timeouts)
        if not dets:
            return []
        if len(dets) > n_managed:  # custom identifiers appended after the (start-ordered) managed ones
            dets.sort(key=_DET_ORDER)
        return self._build(text, dets)

    def settle(self) -> None:
        """Ready the engine for a long-lived worker: load what its rules load on first use (the name
        lexicons, data files, lazily compiled patterns) by detecting every rule's positive samples once,
        then move every object alive into the garbage collector's permanent generation (``gc.collect()``,
        ``gc.freeze()``), so that the collector's full passes, which ``detect()``'s allocations set off now
        and then, no longer walk the compiled rules and lexicons. Detections are unchanged; objects that
        die later are still freed by reference counting. About 0.2 s with ALL, once per worker process."""
        counters = Counter(self.counters)
        for rule in self.pack.rules:
            for sample in rule.samples.positive:
                self.detect(sample.text, sample.field_path)
        self.counters = counters
        gc.collect()
        gc.freeze()
        self.settled = True

    # ------------------------------------------------------------------ internals

    def _hits(self, text: str, low: str | None):
        kw_hits, anchor_hits, cdi_hits = self._raw_hits(text, low)
        for idx in self._filtered_anchor_rules:
            hits = anchor_hits.get(idx)
            if hits:
                match = self.rules[idx].anchor_filter.match
                kept = [h for h in hits if match(text, h[0]) is not None]
                if kept:
                    anchor_hits[idx] = kept
                else:
                    del anchor_hits[idx]
        return kw_hits, anchor_hits, cdi_hits

    def _raw_hits(self, text: str, low: str | None):
        """One literal pass -> (keyword hits, anchor hits, custom keyword hits), each
        ``{index: [(start, end), ...]}`` in text offsets, boundary checks applied."""
        kw_hits: dict[int, list[tuple[int, int]]] = {}
        anchor_hits: dict[int, list[tuple[int, int]]] = {}
        cdi_hits: dict[int, list[tuple[int, int]]] = {}
        if self._automaton is None:
            return kw_hits, anchor_hits, cdi_hits
        by_kind = (kw_hits, anchor_hits, cdi_hits)
        if self._rs is not None and len(text) >= _RS_MIN_LEN and text.isascii():
            low_b = b" " + text.lower().encode("ascii") if self._c is None else self._c.spaced_lower(text)
            matches = self._rs.find_matches_as_indexes(low_b, overlapping=True)
            if self._c is not None:
                self._c.raw_hits(matches, self._rs_items, low_b, by_kind)
                return kw_hits, anchor_hits, cdi_hits
            n = len(low_b) - 1
            items_of = self._rs_items
            for key_idx, _s, end in matches:
                end -= 1  # exclusive end in text
                for kind, idx, left, right, length in items_of[key_idx]:
                    if end < length:
                        continue  # a key starting with a separator matched the prepended b" "
                    # alphanumeric in lowercased ASCII: 0-9 (0x30-0x39), a-z (0x61-0x7A)
                    if left and end > length and low_b[end - length] in _ASCII_ALNUM:
                        continue
                    if right and end < n and low_b[end + 1] in _ASCII_ALNUM:
                        continue
                    by_kind[kind].setdefault(idx, []).append((end - length, end))
            return kw_hits, anchor_hits, cdi_hits
        if low is None:
            low = _lower_same_length(text)
        n = len(low)
        for last, items in self._automaton.iter(low):
            end = last + 1
            for kind, idx, left, right, length in items:
                start = end - length
                if left and start > 0 and low[start - 1].isalnum():
                    continue
                if right and end < n and low[end].isalnum():
                    continue
                by_kind[kind].setdefault(idx, []).append((start, end))
        return kw_hits, anchor_hits, cdi_hits


    def _field_matches(self, field_path: tuple[str, ...]) -> tuple[frozenset[int], frozenset[int]]:
        cached = self._field_cache.get(field_path)
        if cached is not None:
            return cached
        token_runs: set[str] = set()
        lowered = []
        for el in field_path:
            el = str(el)  # JSON array indices may come as ints
            toks = field_tokens(el)
            lowered.append(el.lower())
            for i in range(len(toks)):
                acc = ""
                for j in range(i, len(toks)):
                    acc += toks[j]
                    token_runs.add(acc)
        rules = frozenset(cr.idx for cr in self.rules if cr.has_keywords and any(t in token_runs
                                                                                 for t in cr.field_terms))
        cdis = frozenset(ci for ci, cc in enumerate(self.customs) if any(k in el for k in cc.keywords
                                                                           for el in lowered))
        if len(self._field_cache) > 4096:
            self._field_cache.clear()
        self._field_cache[field_path] = (rules, cdis)
        return rules, cdis

    def _finditer(self, pattern, text: str, lo: int, hi: int, key, timeouts: Counter, dead: set):
        if key in dead:
            return ()
        try:
            return list(pattern.finditer(text, lo, hi, timeout=self._timeout))
        except TimeoutError:
            timeouts["regex_timeouts"] += 1
            dead.add(key)
            return ()

    def _plain_text(self, text: str) -> bool:
        """Whether ``re`` and ``regex`` read ``text`` alike, so that ``_CRule.plain`` patterns may run on it:
        ASCII (beyond it their ``\\w``, ``\\s`` and case folding differ: ``regex`` follows Unicode's properties,
        ``re`` the ``str`` methods) and without the separators U+001C-U+001F (``str.isspace`` is true for
        them, so ``re``'s ``\\s`` takes them; ``regex``'s does not). Remembered for the last text."""
        last, ok = self._plain_memo
        if last is not text:
            ok = text.isascii() and not any(c in text for c in "\x1c\x1d\x1e\x1f")
            self._plain_memo = (text, ok)
        return ok

    def _match_at(self, pattern, text: str, starts: list[int], key, timeouts: Counter, dead: set):
        if key in dead:
            return ()
        if type(pattern) is re.Pattern:  # linear time (see _CRule.plain): no time limit needed
            match = pattern.match
            n = len(text)
            return [m for st in starts if (m := match(text, st, n)) is not None]
        out = []
        n = len(text)
        try:
            for st in starts:
                m = pattern.match(text, st, n, timeout=self._timeout)
                if m is not None:
                    out.append(m)
        except TimeoutError:
            timeouts["regex_timeouts"] += 1
            dead.add(key)
        return out

    def _run_rule(self, cr: _CRule, text: str, kws, anchors, cands, field_ok: bool, found: list,
                  timeouts: Counter) -> None:
        n = len(text)
        if cr.kw_required and not field_ok and not kws:
            return
        if cr.all_at_hit and (kws or anchors or cands):
            windows = ()  # every pattern is tried at the hits only
        elif cr.kw_required:
            if field_ok:
                windows = [(0, n)]
            else:
                r = cr.radius
                windows = _merge([(max(0, s - r), min(n, e + r)) for s, e in kws])
        elif anchors or cands:
            # a match contains an anchor hit (so it starts at most max_length before it) or overlaps a
            # candidate span; candidate classes find values from their first character (a digit run, an
            # IBAN, the first word of a name), so a match starts inside the span or after it
            r = cr.rule.max_length
            windows = _merge([(max(0, s - r), min(n, e + r)) for s, e in anchors]
                             + [(s, min(n, e + r)) for s, e in cands])
        else:
            return
        if len(kws) > 1:
            kws = sorted(kws)
        if len(anchors) > 1:
            anchors = sorted(anchors)
        kw_starts = [s for s, _ in kws]
        cand_starts = [s for s, _ in cands]
        d = cr.kw_distance
        check_anchor = bool(cr.anchors)
        cores = None  # anchor hits without their leading/trailing punctuation, built on the first match
        check_cand = cr.candidate is not None and not cr.kw_required
        has_kw, kw_required, max_kw_len = cr.has_keywords, cr.kw_required, cr.max_kw_len
        has_validators, valid, normalize = bool(cr.validators), cr.valid, cr.normalize
        allow_values, allow_regexes = cr.allow_values, cr.allow_regexes
        pack_allow = bool(self._allow_text or self._allow_regex)
        priority, conf_kw, conf_nokw, idx = cr.priority, cr.conf_kw, cr.conf_nokw, cr.idx
        seen: set[tuple[int, int]] = set()
        dead: set = set()
        hit_starts = None
        hits_by_text = None
        word_starts = None
        win_text = None  # lowercased window texts (None: not ASCII), built for the first prefiltered pattern
        for pi, (_, pat) in enumerate(cr.patterns):
            groups = cr.value_groups[pi]
            plain = cr.plain[pi]
            if plain is not None and not self._plain_text(text):
                plain = None
            if cr.at_words[pi]:
                # a value overlapping a candidate span starts at one of its words (see schema.Pattern.at_words);
                # spans whose ASCII window lacks the pattern's required literals are skipped, as windows are
                req = cr.required[pi]
                if req is not None:
                    r = cr.rule.max_length
                    starts = _word_starts(text, [(s, e) for s, e in cands if not (w := text[s:min(n, e + r)]).isascii()
                                                 or req(w.lower())])
                else:
                    if word_starts is None:
                        word_starts = _word_starts(text, cands)
                    starts = word_starts
                matches = self._match_at(plain or pat, text, starts, pi, timeouts, dead) if starts else ()
            elif cr.at_hit[pi] and (kws or anchors or cands):
                ok = cr.start_ok[pi]
                if ok is None:
                    if hit_starts is None:
                        hit_starts = sorted({s for s, _ in (*kws, *anchors, *cands)})
                    starts = hit_starts
                else:
                    if hits_by_text is None:  # the hits' starts by hit text, once for all the rule's patterns
                        hits_by_text = {}
                        for s, e in (*kws, *anchors):
                            k = text[s:e]
                            got = hits_by_text.get(k)
                            if got is None:
                                hits_by_text[k] = [s]
                            else:
                                got.append(s)
                    st = {s for s, _ in cands}
                    for k, ss in hits_by_text.items():
                        v = ok.get(k)
                        if v is None:
                            if len(ok) > 4096:
                                ok.clear()
                            v = ok[k] = pat.match(k, partial=True) is not None
                        if v:
                            st.update(ss)
                    starts = sorted(st)
                matches = self._match_at(plain or pat, text, starts, pi, timeouts, dead) if starts else ()
            else:
                req = cr.required[pi]
                if req is not None and windows:
                    if win_text is None:
                        win_text = [text[ws:we] for ws, we in windows]
                        win_text = [w.lower() if w.isascii() else None for w in win_text]
                    # an ASCII window without the pattern's required literals (or digit) cannot hold a match
                    matches = [m for (ws, we), w in zip(windows, win_text)
                               if w is None or req(w)
                               for m in self._finditer(pat, text, ws, we, pi, timeouts, dead)]
                else:
                    matches = [m for ws, we in windows
                               for m in self._finditer(pat, text, ws, we, pi, timeouts, dead)]
            for m in matches:
                if groups:
                    s, e = m.span(groups[0])
                    if s < 0:
                        for g in groups[1:]:
                            s, e = m.span(g)
                            if s >= 0:
                                break
                else:
                    s, e = m.span()
                if s < 0 or s == e or (s, e) in seen:
                    continue
                # a match holds an anchor hit or overlaps a candidate span (either, for a rule with both)
                if check_anchor:
                    if cores is None:
                        cores = _anchor_cores(text, anchors)
                        anchor_starts = [s for s, _ in cores]
                    ms, me = m.span()
                    if not _contains_hit(anchor_starts, cores, ms, me) and not (
                            check_cand and _overlaps(cand_starts, cands, s, e)):
                        continue
                elif check_cand and not _overlaps(cand_starts, cands, s, e):
                    continue
                near = field_ok or (has_kw and _near(kw_starts, kws, s, e, d, max_kw_len))
                if kw_required and not near:
                    continue
                value = text[s:e]
                if has_validators and not valid(value):
                    continue
                if allow_values and _normalise(value, normalize) in allow_values:
                    continue
                if allow_regexes and any(a.fullmatch(value) for a in allow_regexes):
                    continue
                if pack_allow and self._allowed(value):
                    continue
                seen.add((s, e))
                found.append((priority, conf_kw if (near or not has_kw) else conf_nokw, s, e, idx, value))

    def _allowed(self, value: str) -> bool:
        if self._allow_text and value.strip().lower() in self._allow_text:
            return True
        for a in self._allow_regex:
            try:
                if a.fullmatch(value, timeout=self._timeout):
                    return True
            except TimeoutError:
                self.counters["regex_timeouts"] += 1
        return False

    def _resolve(self, found: list[tuple]) -> list[tuple]:
        """Overlaps between managed detections: higher priority, then confidence, then longer, then
        earlier wins. Then ``max_detections`` per rule (earliest kept).

        The greedy choice is made per group of mutually overlapping (chained) spans: spans of different
        groups never overlap, so the result is that of one global greedy pass; most groups (IPs in a
        log) have a single member and are kept as they are."""
        if not found:
            return []
        found.sort(key=_START)
        if self._c is not None and not self._any_max_det:
            return self._c.resolve(found, self._rule_meta)
        kept = []
        group: list[tuple] = []
        group_end = -1
        for f in found:
            if f[2] >= group_end:  # starts after everything so far: a new group
                if group:
                    if len(group) == 1:
                        kept.append(group[0])
                    else:
                        kept.extend(_greedy(group))
                group = [f]
                group_end = f[3]
            else:
                group.append(f)
                if f[3] > group_end:
                    group_end = f[3]
        if len(group) == 1:
            kept.append(group[0])
        else:
            kept.extend(_greedy(group))
        meta = self._rule_meta
        if not self._any_max_det:
            return [(s, e, *meta[idx][:2], conf, value, idx, *meta[idx][2:]) for _pr, conf, s, e, idx, value in kept]
        per_rule: Counter[int] = Counter()
        out = []
        rules = self.rules
        for _pr, conf, s, e, idx, value in kept:
            max_det = rules[idx].max_det
            if max_det is not None:
                per_rule[idx] += 1
                if per_rule[idx] > max_det:
                    continue
            out.append((s, e, *meta[idx][:2], conf, value, idx, *meta[idx][2:]))
        return out

    def _run_custom(self, ci: int, cc: _CCustom, text: str, kws, field_ok: bool, dets: list,
                    timeouts: Counter) -> None:
        n = len(text)
        if not cc.keywords or field_ok:
            windows = [(0, n)]
        else:
            # a keyword must precede the match; match end <= keyword end + maximumMatchDistance
            windows = _merge([(e, min(n, e + cc.distance + 1)) for _, e in kws])
        kw_ends = sorted(e for _, e in kws)
        seen: set[tuple[int, int]] = set()
        dead: set = set()
        for ws, we in windows:
            for m in self._finditer(cc.pattern, text, ws, we, 0, timeouts, dead):
                s, e = m.span()
                if s == e or (s, e) in seen:
                    continue
                if cc.keywords and not field_ok:
                    # some keyword ends at or before the match start, within distance of the match end
                    j = bisect.bisect_right(kw_ends, s)
                    if j == 0 or e - kw_ends[j - 1] > cc.distance:
                        continue
                value = text[s:e]
                if any(w in value for w in cc.ignore):
                    continue
                if self._allowed(value):
                    continue
                seen.add((s, e))
                dets.append((s, e, cc.name, "CUSTOM_IDENTIFIER", 1.0, value, -1 - ci, "none", 4))

    def _build(self, text: str, dets: list[tuple]) -> list[Detection]:
        if self._c is not None:
            return self._c.build(text, dets, self._hmac_mid, Detection, _DETECTION_DESCRIPTORS, _normalise, _mask)
        out = []
        append = out.append
        line = 1
        line_start = 0
        pos = 0
        count, rfind = text.count, text.rfind
        inner, outer = self._hmac_inner, self._hmac_outer
        new = object.__new__
        (set_type, set_category, set_start, set_end, set_line, set_column, set_confidence, set_masked,
         set_hash) = _DETECTION_SETTERS
        done: dict[tuple[str, str, int], tuple[str, str]] = {}  # repeated values (IPs in logs) hashed once
        for s, e, type_, category, conf, value, _idx, how, keep in dets:
            if s > pos:
                nl = count("\n", pos, s)
                if nl:
                    line += nl
                    line_start = rfind("\n", pos, s) + 1
                pos = s
            ck = (value, how, keep)
            got = done.get(ck)
            if got is None:
                # HMAC-SHA256 (RFC 2104) from the precomputed key pads: = hmac.digest(key, msg, "sha256")
                h = inner.copy()
                h.update((value if how == "none" else _normalise(value, how)).encode("utf-8", "surrogatepass"))
                o = outer.copy()
                o.update(h.digest())
                got = done[ck] = (o.hexdigest(), _mask(value, keep))
            d = new(Detection)  # = Detection(...) without the frozen dataclass's per-field __setattr__ calls
            set_type(d, type_)
            set_category(d, category)
            set_start(d, s)
            set_end(d, e)
            set_line(d, line)
            set_column(d, s - line_start + 1)
            set_confidence(d, conf)
            set_masked(d, got[1])
            set_hash(d, got[0])
            append(d)
        return out


def _greedy(group: list[tuple]) -> list[tuple]:
    """Greedy overlap resolution of one group: highest priority, confidence, length, earliest first."""
    starts: list[int] = []
    ends: list[int] = []
    kept = []
    for f in sorted(group, key=_RANK):
        s, e = f[2], f[3]
        i = bisect.bisect_left(starts, s)
        if (i > 0 and ends[i - 1] > s) or (i < len(starts) and starts[i] < e):
            continue
        starts.insert(i, s)
        ends.insert(i, e)
        kept.append(f)
    kept.sort(key=_START)
    return kept


def _rank(f: tuple) -> tuple:
    return (-f[0], -f[1], -(f[3] - f[2]), f[2], f[4])


_RANK = _rank
_START = operator.itemgetter(2)
_DET_ORDER = operator.itemgetter(0, 1, 2)
#: slot setters of the frozen ``Detection`` (bypass its ``__setattr__``, which raises)
_DETECTION_SETTERS = tuple(getattr(Detection, f).__set__ for f in Detection.__slots__)
#: the same descriptors, in the order ``_speedups.build`` fills them
_DETECTION_DESCRIPTORS = tuple(Detection.__dict__[f] for f in ("type", "category", "start", "end", "line", "column",
                                                                 "confidence", "masked", "value_hash"))


_DIGIT_RUN_REGEX = re.compile(r"\(\?<!\\d\)\\d\(\?:\[((?:[ .,/]|\\-)+)\]\?\\d\)\{(\d+),(\d+)\}\(\?!\\d\)")


def _inline_digit_range(cls) -> tuple[int, int]:
    """(lo, hi) when the runs class's regex is ``(?<!\\d)\\d(?:[SEPS]?\\d){lo-1,hi-1}(?!\\d)`` with its own
    separators (``_speedups.run_spans`` then matches ASCII runs itself), else (0, 0): finditer as always."""
    m = _DIGIT_RUN_REGEX.fullmatch(cls.regex.pattern)
    if m is None or set(m.group(1).replace("\\-", "-")) != set(cls.seps.decode("ascii")):
        return 0, 0
    return int(m.group(2)) + 1, int(m.group(3)) + 1


def _hmac_block_key(key: bytes) -> bytes:
    """The HMAC key as one SHA-256 block (RFC 2104): hashed when longer than 64 bytes, padded with zeros."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    return key.ljust(64, b"\0")


def _hmac_pads(key: bytes):
    """sha256 objects fed with the HMAC inner and outer key pads (RFC 2104, block size 64)."""
    key = _hmac_block_key(key)
    return hashlib.sha256(key.translate(hmac.trans_36)), hashlib.sha256(key.translate(hmac.trans_5C))


def _anchor_cores(text: str, hits) -> list[tuple[int, int]]:
    """Anchor hits trimmed of leading/trailing non-alphanumeric characters: the anchor ``' st '`` (a space on
    either side keeps it rare) is inside the match ``1668 Glyn St`` when its core ``st`` is. Hits that are
    all punctuation (``'@'``, ``'://'``) stay as they are."""
    out = []
    for s, e in hits:
        if text[s].isalnum() and text[e - 1].isalnum():  # most anchors are words: nothing to trim
            out.append((s, e))
            continue
        a, b = s, e
        while a < b and not text[a].isalnum():
            a += 1
        while b > a and not text[b - 1].isalnum():
            b -= 1
        out.append((a, b) if a < b else (s, e))
    out.sort()
    return out


def _contains_hit(starts: list[int], hits, ms: int, me: int) -> bool:
    i = bisect.bisect_left(starts, ms)
    while i < len(hits) and hits[i][0] < me:
        if hits[i][1] <= me:
            return True
        i += 1
    return False


def _overlaps(starts: list[int], spans, s: int, e: int) -> bool:
    i = bisect.bisect_right(starts, e - 1)
    return i > 0 and spans[i - 1][1] > s


def _near(starts: list[int], hits, s: int, e: int, distance: int, max_len: int) -> bool:
    """A keyword hit within ``distance`` chars before or after [s, e) (touching/overlapping = 0)."""
    i = bisect.bisect_left(starts, s - distance - max_len)
    while i < len(hits):
        ks, ke = hits[i]
        if ks > e + distance:
            return False
        if ke >= s - distance:
            return True
        i += 1
    return False


# --------------------------------------------------------------------------- rule fast paths
#
# High-frequency anchorless rules get a per-candidate loop with the rule's regex, validator and allow
# regexes inlined for ASCII text. A fast path is keyed by the rule's exact definition (candidate class,
# patterns, validators, allow regexes, no keywords/anchors): a rule edited in its YAML simply falls back
# to ``_run_rule``. Candidates whose surroundings are not ASCII go through ``_run_rule`` as well. The
# results equal ``_run_rule``'s (tests/detectors/test_perf_paths.py compares both on generated text).


def _fast_signature(rule: Rule) -> tuple:
    return (rule.candidate, tuple((p.regex, p.at_hit, p.at_words) for p in rule.patterns), tuple(rule.validators),
            tuple(rule.allow.regexes), rule.keywords is None and not rule.anchors)


_IPV4_OCTETS = frozenset(str(i) for i in range(256))
_IPV4_BAD_FIRST = frozenset(("0", "127", "255"))


def _accept_tail(eng: Engine, cr: _CRule, value: str) -> bool:
    """The per-rule allow values and the pack's allow lists (as in ``_run_rule``)."""
    if cr.allow_values and _normalise(value, cr.normalize) in cr.allow_values:
        return False
    return not ((eng._allow_text or eng._allow_regex) and eng._allowed(value))


def _fast_ipv4(eng: Engine, cr: _CRule, text: str, cands, found: list, timeouts: Counter) -> None:
    r"""IP_ADDRESS: pattern ``(?<![\w.-])OCTET(?:\.OCTET){3}(?![\w-]|\.\d)`` at ipv4 candidates (which are
    ``\d{1,3}(?:\.\d{1,3}){3}`` not preceded by a digit/dot nor followed by ``.?\d``): it matches exactly
    the candidate when the neighbours allow and every group is an octet 0-255 without leading zero;
    validator ``ipv4`` (first octet not 0/127/255, not 1.2.3.4) and allow regexes ``x.x.x.0``, ``255.x``."""
    priority, conf, idx = cr.priority, cr.conf_kw, cr.idx
    check_allow = bool(cr.allow_values or eng._allow_text or eng._allow_regex)
    if eng._c is not None and not check_allow:
        slow = eng._c.ipv4_rule(text, cands, priority, conf, idx, found)
        if slow:
            eng._run_rule(cr, text, (), (), slow, False, found, timeouts)
        return
    n = len(text)
    octets, bad_first = _IPV4_OCTETS, _IPV4_BAD_FIRST
    slow = []
    for s, e in cands:
        ctx = text[s - 1 if s else 0:e + 2]
        if not ctx.isascii():
            slow.append((s, e))
            continue
        if s:
            c = ctx[0]
            if c.isalnum() or c == "_" or c == "." or c == "-":
                continue
        if e < n:
            c = text[e]
            if c.isalnum() or c == "_" or c == "-" or (c == "." and e + 1 < n and text[e + 1].isdigit()):
                continue
        value = text[s:e]
        a, b, c, d = value.split(".")
        if a in bad_first or d == "0" or a not in octets or b not in octets or c not in octets \
                or d not in octets or value == "1.2.3.4":
            continue
        if check_allow and not _accept_tail(eng, cr, value):
            continue
        found.append((priority, conf, s, e, idx, value))
    if slow:
        eng._run_rule(cr, text, (), (), slow, False, found, timeouts)


_CARD_BRAND = re.compile(r"4|5[0-5]|2[2-7]|3[04-9]|6(?:011|2|4[4-9]|5)")


def _fast_card_digits(eng: Engine, cr: _CRule, text: str, cands, found: list, timeouts: Counter) -> None:
    r"""CREDIT_CARD_NUMBER_(NO_KEYWORD): pattern ``(?<![\w\-]|\d[ ])(?=BRAND)\d(?:[ \-]?\d){12,18}
    (?![\d]|[ \-]\d)`` over windows from card_digits candidates (``\d(?:[ \-]?\d){12,18}`` not preceded
    or followed by a digit). Inside a candidate a digit follows a digit, ``-`` or ``digit space``, which the
    look-behind rejects, so a match can only start at a candidate's start; it then spans exactly the
    candidate (a shorter or longer one would be followed by ``[ -]?\d``) when the candidate is not followed
    by ``[ -]\d``. Then the ``card_number`` validator as usual."""
    valid = cr.valid
    priority, conf, idx = cr.priority, cr.conf_kw, cr.idx
    check_allow = bool(cr.allow_values or eng._allow_text or eng._allow_regex)
    if eng._c is not None and eng._c.card_rule(text, cands, priority, conf, idx, valid,
                                               functools.partial(_accept_tail, eng, cr) if check_allow else None,
                                               found):
        return  # ASCII text: done in C (the same checks; the validators and allow lists still run in Python)
    n = len(text)
    brand = _CARD_BRAND.match
    slow = []
    for s, e in cands:
        ctx = text[s - 2 if s > 1 else 0:e + 2]
        if not ctx.isascii():
            slow.append((s, e))
            continue
        if s:
            c = text[s - 1]
            if c.isalnum() or c == "_" or c == "-" or (c == " " and s > 1 and text[s - 2].isdigit()):
                continue
        if e + 1 < n and (text[e] == " " or text[e] == "-") and text[e + 1].isdigit():
            continue
        if brand(text, s) is None:
            continue
        value = text[s:e]
        if not valid(value):
            continue
        if check_allow and not _accept_tail(eng, cr, value):
            continue
        found.append((priority, conf, s, e, idx, value))
    if slow:
        eng._run_rule(cr, text, (), (), slow, False, found, timeouts)


_FAST_PATHS = {
    ("ipv4",
     ((r"(?<![\w.-])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\w-]|\.\d)",
       True, False),),
     ("ipv4",), (r"(?:\d+\.){3}0", r"255\.\d+\.\d+\.\d+"), True): _fast_ipv4,
    ("card_digits",
     ((r"(?<![\w\-]|\d[ ])(?=4|5[0-5]|2[2-7]|3[04-9]|6(?:011|2|4[4-9]|5))\d(?:[ \-]?\d){12,18}(?![\d]|[ \-]\d)",
       False, False),),
     ("card_number", "not_gtin13"), (), True): _fast_card_digits,
}


# --------------------------------------------------------------------------- per-process cache

_ENGINES: dict[tuple[str, str, str], Engine] = {}


def get_engine(pack: RulePack, hash_key: bytes, backend: str = "auto", settle: bool = False) -> Engine:
    """The compiled engine for ``pack`` in this process (built on first use, then cached).

    ``backend``: ``auto`` (the ahocorasick-rs DFA for ASCII text when that package is installed,
    pyahocorasick otherwise), ``pyahocorasick`` or ``ahocorasick_rs``. Results are identical.
    ``settle``: ``Engine.settle()`` the engine if it is not yet (for worker processes that detect for a long
    time: the executors' Python workers, ``lakescan detect --jsonl``).
    """
    if isinstance(hash_key, str):
        hash_key = hash_key.encode("utf-8")
    cache_key = (pack.digest, hashlib.sha256(hash_key).hexdigest(), backend)
    eng = _ENGINES.get(cache_key)
    if eng is None:
        eng = Engine(pack, hash_key, backend)
        if len(_ENGINES) >= 16:
            _ENGINES.pop(next(iter(_ENGINES)))
        _ENGINES[cache_key] = eng
    if settle and not eng.settled:
        eng.settle()
    return eng
