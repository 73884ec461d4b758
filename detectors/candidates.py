"""Candidate classes: one cheap pass that finds where anchorless families (digit runs, IBAN-like
tokens, IPv4 addresses, capitalised names) could be, so rule patterns run only in windows around them.

Each class has a precise ``re`` regex (run on the original ``str``); ``spans(text, ascii_text)`` returns
exactly the spans of ``regex.finditer(text)`` but avoids running the regex over the whole text (on logs
and CSV, where digits and capitals are everywhere, a per-position regex costs 15-30 ms per MB):

* ``runs`` classes (digit and IBAN families): every match consists only of characters of a small set
  (digits and separators, say) and is at least ``min_len`` long, so it lies inside a maximal run of such
  characters. The text, as ASCII bytes (one byte per character, non-ASCII -> ``?``, which is counted as a
  member so that Unicode digits are not lost), is translated to ``0`` (member) / ``x`` (other) with
  ``bytes.translate`` and the runs of at least ``min_len`` are found with ``bytes.find``; the regex runs
  only inside those runs (its look-arounds still see the characters outside).
  A run must also hold ``min_core`` non-separator members (a match does), which skips runs such as
  ``" 200 155710 2158"`` in an access log with two ``bytes.count`` calls instead of a regex; a run of ASCII
  digits only is one match up to ``digits_max`` characters and none beyond (digit classes).
* ``ipv4``: every match has a ``.d.d.d`` tail right after its first octet; a literal-led regex finds
  those tails at C speed, the first octet is checked in Python (ASCII) or by the precise regex.
* ``name``: every match starts with a capitalised word followed by a space and a capital (or a surname
  particle); the possible starts are found by literal-led scans of a translated ASCII view and the regex is
  matched there (see ``_name_spans``).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate, compress, count

from detectors.validators import PARTICLES, PLACE_PREFIXES, SECOND_PARTICLES

__all__ = ["CANDIDATES", "CandidateClass", "candidate_spans"]

BLOCK = 1 << 16
OVERLAP = 256  # longer than any candidate


def _table(**kinds: bytes) -> bytes:
    t = bytearray(b"x" * 256)
    for target, chars in kinds.items():
        for c in chars:
            t[c] = ord(target[-1])
    return bytes(t)


_DIGITS = b"0123456789"
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = b"abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class CandidateClass:
    name: str
    regex: re.Pattern
    table: bytes = b""
    delete: bytes = b""
    needle: bytes | None = None          # literal searched in the translated block
    signal: re.Pattern | None = None     # or a bytes regex searched in the translated block
    min_len: int = 0                     # > 0: "runs" class, table maps members to b"0"
    seps: bytes = b""                    # runs classes: separator members (every other member is "core")
    min_core: int = 0                    # runs classes: a match has at least this many core members
    digits_max: int = 0                  # runs classes: a run of ASCII digits only is one match up to this long
    locate: Callable[[re.Pattern, str, bytes], list[tuple[int, int]]] | None = None

    def spans(self, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
        if self.locate is not None:
            return self.locate(self.regex, text, ascii_text)
        if self.min_len:
            return self._run_spans(text, ascii_text)
        n = len(text)
        if n <= BLOCK + OVERLAP:
            if not self._has_signal(ascii_text):
                return []
            return [m.span() for m in self.regex.finditer(text)]
        out: list[tuple[int, int]] = []
        for i in range(0, n, BLOCK):
            hi = min(n, i + BLOCK + OVERLAP)
            if not self._has_signal(ascii_text[i:hi]):
                continue
            own = i + BLOCK
            for m in self.regex.finditer(text, i, hi):
                if m.start() >= own:
                    break
                if out and m.start() < out[-1][1]:
                    continue  # already reported by the previous block
                out.append(m.span())
        return out

    def _run_spans(self, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
        tr = ascii_text.translate(self.table)
        needle = b"0" * self.min_len
        find = tr.find
        count = ascii_text.count
        seps, min_core = tuple(self.seps[j:j + 1] for j in range(len(self.seps))), self.min_core
        finditer = self.regex.finditer
        n = len(tr)
        out: list[tuple[int, int]] = []
        i = find(needle)
        digits_max = self.digits_max
        while i >= 0:
            e = find(b"x", i + self.min_len)
            if e < 0:
                e = n
            if digits_max and ascii_text[i:e].isdigit():
                # ASCII digits only (an EAN column, an account number): the regex, anchored by non-digits
                # on both sides, matches the whole run when it is short enough and nothing in it otherwise
                if e - i <= digits_max:
                    out.append((i, e))
                i = find(needle, e)
                continue
            # a match needs min_core non-separator members: runs of separators and short numbers
            # (" 200 155710 2158" in an access log, "172-30-127-167" in a host name) are skipped without
            # running the regex
            core = e - i
            for c in seps:
                core -= count(c, i, e)
            if core >= min_core:
                # endpos e + 1: the regex cannot consume the non-member at e, but its look-ahead must see it
                out.extend(m.span() for m in finditer(text, i, e + 1))
            i = find(needle, e)
        return out

    def _has_signal(self, chunk: bytes) -> bool:
        tr = chunk.translate(self.table, self.delete)
        if self.needle is not None:
            return self.needle in tr
        return self.signal.search(tr) is not None


# an uncompressed IPv6 address in the ASCII view: eight groups of 1-4 hex digits (the compressed form, with
# "::", is found by the IPV6_ADDRESS rule's "::" anchor)
_IPV6_FULL = re.compile(rb"(?<![0-9A-Za-z_:.])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![0-9A-Za-z_:.])")
# hex digits -> "h", ":" stays, anything else -> "x"; seven colons with six groups between them, literal-led
_HEX_VIEW = bytes(104 if chr(b) in "0123456789abcdefABCDEF" else 58 if b == 58 else 120 for b in range(256))
_IPV6_COLONS = re.compile(rb":h{1,4}:h{1,4}:h{1,4}:h{1,4}:h{1,4}:h{1,4}:")


def _ipv6_full_spans(regex, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
    """``_IPV6_FULL.finditer(ascii_text)``'s spans without running its class-led regex over the whole text (22
    ms/MB): in the hex view, the literal-led ``_IPV6_COLONS`` finds the runs of hex digits and colons that can
    hold a match (every match has seven colons with six groups between them); the first such place in a run
    lies at most four characters after the run's first match starts, so ``_IPV6_FULL`` is run from there to
    the end of the run (plus the character after it, which its look-ahead must see). ``regex`` (the class's
    str regex) is not used; the rule's own pattern checks each candidate on the text."""
    if ascii_text.count(b":") < 7:
        return []
    tr = ascii_text.translate(_HEX_VIEW)
    n = len(tr)
    out: list[tuple[int, int]] = []
    last = 0
    for m in _IPV6_COLONS.finditer(tr):
        if m.start() < last:
            continue  # in the run already searched
        end = tr.find(b"x", m.end())
        last = n if end < 0 else end + 1
        out.extend(x.span() for x in _IPV6_FULL.finditer(ascii_text, max(0, m.start() - 4), last))
    return out


_IPV4_TAIL = re.compile(r"\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\.?\d)")
_ASCII_DIGITS = frozenset("0123456789")


def _ipv4_spans(regex: re.Pattern, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
    r"""Matches of ``regex`` (``(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)``): a literal-led regex finds
    the ``.d.d.d`` tail after the first octet at C speed; the first octet is the 1-3 digits before it,
    not preceded by a digit or a dot. Tails never overlap a real match's start (its characters are
    digits and dots), so consuming them loses nothing. Non-ASCII characters before the tail (Unicode
    digits) are left to ``regex`` itself."""
    out: list[tuple[int, int]] = []
    last_end = 0
    match = regex.match
    digits = _ASCII_DIGITS
    for m in _IPV4_TAIL.finditer(text):
        p = m.start()
        lo = p - 5 if p >= 5 else 0
        head = text[lo:p]
        if not head.isascii():
            s = p
            while s > 0 and p - s < 4 and text[s - 1].isdigit():
                s -= 1
            if s == p or s < last_end:
                continue
            mm = match(text, s)
            if mm is not None:
                out.append(mm.span())
                last_end = mm.end()
            continue
        k = len(head)
        j = k
        while j and head[j - 1] in digits:
            j -= 1
        if j == k or k - j > 3:
            continue  # no first octet, or 4+ digits before the dot
        if j and head[j - 1] == ".":
            continue  # (?<![\d.])
        out.append((p - k + j, m.end()))
        last_end = m.end()
    return out


# the word view shared by the name and IBAN passes: a / A / 0 / space -> _ / non-ASCII -> q / anything else x
_WORD_TABLE = _table(la=_LOWER, uA=_UPPER, d0=_DIGITS, s_=b" ", qq=b"?")
_LAST_VIEW: tuple[bytes, bytes] = (b"", b"")


def _word_view(ascii_text: bytes) -> bytes:
    """``ascii_text`` through ``_WORD_TABLE``, translated once per ``detect()`` call (the passes get the same
    ASCII view object)."""
    global _LAST_VIEW
    src, tr = _LAST_VIEW
    if src is not ascii_text:
        tr = ascii_text.translate(_WORD_TABLE)
        _LAST_VIEW = (ascii_text, tr)
    return tr


# two ASCII capitals, two digits (ASCII or not), then the ten ASCII capitals or digits (each after at most one space)
# that every match has at least: tested by a look-ahead, so that the scan's hits stay four characters long
_IBAN_START = re.compile(rb"AA[0q][0q](?=(?:_?[A0]){10})")


def _iban_spans(regex: re.Pattern, text: str, ascii_text: bytes, c=None) -> list[tuple[int, int]]:
    r"""Matches of ``regex`` (``(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}(?![A-Za-z0-9])``): every
    match starts at ``AA00`` in the word view (a non-ASCII character there may be a Unicode digit), followed by
    at least ten ``A`` / ``0`` with at most one space (``_``) before each (``[A-Z0-9]`` is ASCII only). One
    literal-led scan finds those starts (a warehouse code ``WH11`` ending every row of a CSV costs no regex
    call); the regex is matched at each in order, skipping starts inside the previous match, which is
    ``finditer``'s result. A start never lies inside the four characters of another start (the ten are checked
    by a look-ahead), so the scan's non-overlapping hits miss none. ``c``: the compiled scan
    (``detectors._speedups.iban_starts``), same starts."""
    tr = _word_view(ascii_text)
    return _leftmost_matches(regex, text, [m.start() for m in _IBAN_START.finditer(tr)] if c is None
                             else c.iban_starts(tr))


def _leftmost_matches(regex: re.Pattern, text: str, starts) -> list[tuple[int, int]]:
    """``regex.finditer(text)``'s spans, given (in order) every position where one of them may start: the
    regex is matched at each, skipping positions inside the previous match."""
    out: list[tuple[int, int]] = []
    last = 0
    match = regex.match
    for s in starts:
        if s < last:
            continue
        m = match(text, s)
        if m is not None:
            out.append(m.span())
            last = m.end()
    return out


_A_WORD = re.compile(rb"A[aq]+(?=_[Aq])")  # a capitalised word before a space and a capital (translated view)
_Q_WORD = re.compile(rb"q[aq]+(?=_[Aq])")  # the same, starting with a non-ASCII character


_PARTICLE_RE = "(?:" + "|".join(PARTICLES) + ")(?: (?:" + "|".join(SECOND_PARTICLES) + "))?"
_PARTICLE_WORDS = frozenset(p.encode() for p in PARTICLES + SECOND_PARTICLES)
# a particle between spaces before a capital or a non-ASCII character, in the ASCII view (one pass: the
# pattern starts with a literal space)
_PARTICLE_BEFORE_CAPITAL = re.compile(rb" (?:" + b"|".join(sorted(_PARTICLE_WORDS)) + rb") (?=[A-Z?])")
_PARTICLE_WORD_TUPLE = tuple(sorted(_PARTICLE_WORDS))  # for the compiled scan (lower-case ASCII letters only)
assert all(re.fullmatch(rb"[a-z]+", w) for w in _PARTICLE_WORD_TUPLE)

_LAST_NAME_SPANS: tuple[str, list[tuple[int, int]]] = ("", [])


def _word_start(tr: bytes, end: int) -> int:
    """Start of the word that ends at ``end`` in the translated view: its run of lower-case / non-ASCII
    letters and an ASCII capital before it (``end`` itself when no letter precedes)."""
    j = end
    while j > 0 and tr[j - 1] in (97, 113):  # b"a", b"q"
        j -= 1
    return j - 1 if j > 0 and tr[j - 1] == 65 else j  # b"A"


def _before_particles(tr: bytes, ascii_text: bytes, j: int) -> int:
    """Start of the word before the particle word at ``j`` (and before one more particle), else ``j``."""
    for _ in range(2):
        if j < 2 or tr[j - 1] != 95:  # b"_": a space before the particle
            return j
        start = _word_start(tr, j - 1)
        if start == j - 1:
            return j
        if ascii_text[start:j - 1] not in _PARTICLE_WORDS:
            return start
        j = start
    return j


def _name_spans(regex: re.Pattern, text: str, ascii_text: bytes, c=None) -> list[tuple[int, int]]:
    """Matches of the name regex (``[U](?<!\\w[U])[L]+(?: ...){1,2}\\b``), as ``finditer`` finds them. A match
    starts at a first word followed by a space and a capital (or a surname particle). In the word view
    (``_word_view``: ASCII capital -> ``A``, ASCII lower-case letter -> ``a``, space -> ``_``, anything
    non-ASCII -> ``q``, which may be a letter of either case or not a letter at all) every possible start is
    one of:

    * an ``A`` that begins ``A[aq]+`` followed by ``_A`` or ``_q`` (one C-level ``finditer``: its pattern
      starts with a literal, so ``re`` skips from capital to capital);
    * a ``q`` inside a run ``q[aq]+`` followed by ``_A`` / ``_q``: every ``q`` of the run, since a non-ASCII
      quote or dash may stand before a non-ASCII capital (``«Łukasz Wiśniewski»``, ``—Émile Zola``);
    * the word before a surname particle that is followed by a capital (``Maika van de Noort``), found from
      the particle (one ``finditer`` whose pattern starts with a space).

    The regex is matched at each candidate start in order, skipping those inside the previous match, which
    gives ``finditer``'s leftmost, non-overlapping result: every start ``finditer`` could use is a
    candidate, and the regex itself checks the look-behind and everything else.

    ``c``: the compiled scans (``detectors._speedups``: ``a_word_starts``, ``q_word_starts``, ``particle_spaces``),
    same results."""
    tr = _word_view(ascii_text)
    starts = [m.start() for m in _A_WORD.finditer(tr)] if c is None else c.a_word_starts(tr)
    find = tr.find

    def add_with_inner_q(s: int, e: int) -> None:  # s, and every non-ASCII character of tr[s + 1:e]
        while s >= 0:
            starts.append(s)
            s = find(b"q", s + 1, e)

    if b"q" in tr:
        if c is None:
            for m in _Q_WORD.finditer(tr):
                add_with_inner_q(*m.span())
        else:
            starts += c.q_word_starts(tr)
    particles = [m.start() for m in _PARTICLE_BEFORE_CAPITAL.finditer(ascii_text)] if c is None \
        else c.particle_spaces(ascii_text, tr, _PARTICLE_WORD_TUPLE)
    for e in particles:  # the space before the particle
        add_with_inner_q(_before_particles(tr, ascii_text, e + 1), e)
    out = _leftmost_matches(regex, text, sorted(set(starts)))
    global _LAST_NAME_SPANS
    _LAST_NAME_SPANS = (text, out)  # the lone-name pass of the same detect() call reuses them
    return out


_CAP_WORD = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž]{2,}")
# the text between two _CAP_WORD matches, a match, the text up to the next, ... (see _lone_name_spans)
_CAP_WORD_SPLIT = re.compile("(" + _CAP_WORD.pattern + ")")
_PREV_WORD = re.compile(r"(?:(\d+)|([^\W\d_]+)\.?)[ \t]+$")
# capitalised words that may stand before a name at the start of a sentence or a line (Hi Freddy, Why is...)
_LEAD_WORDS = frozenset({
    "hi", "hello", "hey", "dear", "thanks", "thank", "congratulations", "welcome", "goodbye", "bye", "cheers",
    "yes", "no", "oh", "well", "ok", "okay", "please", "sorry", "and", "but", "or", "so", "then", "if", "when",
    "while", "because", "although", "though", "after", "before", "since", "until", "as", "why", "what", "who",
    "whom", "where", "how", "is", "was", "are", "were", "did", "does", "do", "has", "have", "had", "will",
    "would", "can", "could", "should", "may", "might", "must", "let", "ask", "tell", "call", "meet", "say",
    "said", "says", "with", "to", "from", "by", "for", "of", "on", "in", "at", "about", "unlike", "like", "per",
    "via", "cc", "attn", "re", "fwd", "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "uncle", "aunt",
    "grandma", "grandpa", "mom", "dad", "mum", "brother", "sister", "cousin", "saint", "pope", "the", "a", "an",
    "my", "your", "his", "her", "our", "their", "i", "we", "you", "he", "she", "they", "it", "this", "that",
    "maybe", "perhaps", "also", "only", "even", "just", "not", "every", "each", "both", "either", "neither",
    "producer", "director", "author", "writer", "singer", "actor", "actress", "president", "professor",
    "doctor", "captain", "coach", "agent", "officer", "judge", "senator", "governor", "mayor", "minister"})
_ORG_AFTER = re.compile(r"[ \t]+(?:Orchestra|Inc\b|LLC|Ltd\b|Group|Company|Co\b|Corp\b|Corporation|Partners|"
                        r"Associates|Brothers|Bros\b|LLP|PLC|GmbH|AG\b|Foundation|Institute|Consulting|Law|Band|"
                        r"Architects|Agency|Holdings|Industries|Enterprises|Solutions|Systems|Technologies)")
_NUMBER_NEXT = re.compile(r"[ \t]+\d")
_NEXT_WORD = re.compile(r"[ \t]+(?:(?:de|del|da|di|do|du|la|le|van|von|der)[ \t]+)?[A-ZÀ-ÖØ-ÞĀ-Ž]")


# "and" and a street line: the name is the first street of a corner (Leon and Eyrarodda 66, Katrina and Rúa do
# Paseo 46): one to three words, the first no known name, then a house number
_CORNER_NEXT = re.compile(r"[ \t]+and[ \t]+([^\W\d_]+)\.?(?:[ \t]+[^\W\d_][\w'’.-]*){0,2}[ \t]+\d{1,5}[a-zA-Z]?"
                          r"(?![\w,/-]|\.\d)")
_CITY_LINE_BEFORE = re.compile(r"\d\.?,?[ \t]*\n[ \t>?*•·|]*$")
_LINE_END = re.compile(r"[ \t]*,?[ \t]*(?:\n|$)")


def _lone_name_ok(text: str, i: int, e: int, stop: frozenset[str]) -> bool:
    """The context checks of a lone given name ``text[i:e]`` (see ``_lone_name_spans``)."""
    n = len(text)
    if i > 0 and (text[i - 1].isalnum() or text[i - 1] in "-_'’.@/"):
        return False
    if e < n and (text[e].isalnum() or text[e] in "-_@" or (text[e] == "." and text[e + 1:e + 2].isalnum())):
        return False
    if _NEXT_WORD.match(text, e) is not None:
        return False
    if _CITY_LINE_BEFORE.search(text, max(0, i - 60), i) is not None and _LINE_END.match(text, e) is not None:
        return False  # alone on the line after a street or unit line: a city (Suite 413⏎ Warwick⏎)
    if (m := _CORNER_NEXT.match(text, e)) is not None:
        from detectors.validators import _name_lexicons

        first, last, _ = _name_lexicons()
        if (w := m.group(1).lower()) not in first and w not in last:
            return False  # a street corner: Leon and Eyrarodda 66 (but Maria and Lucas 10 ...)
    prev = _prev_word(text, max(0, i - 40), i)  # a number (""): a street; a capitalised word: not a lead word
    return prev is None or bool(prev) and prev.lower() not in PLACE_PREFIXES and (prev.islower()
                                                                                or prev.lower() in _LEAD_WORDS)


def _prev_word(text: str, lo: int, i: int) -> str | None:
    """``_PREV_WORD.search(text, lo, i)`` read from its end: the word (letters, then an optional dot) or number
    before the spaces and tabs that end ``text[lo:i]``; ``""`` for a number, None when there is neither. The
    regex tries every start in the 40 characters (about 7 µs); the token it finds is the maximal run before
    those spaces (its characters are no spaces), so a few steps back find it. (``$`` also matches before a
    newline that ends the window.)"""
    if i > lo and text[i - 1] == "\n":
        i -= 1
    j = i
    while j > lo and text[j - 1] in " \t":
        j -= 1
    if j in (i, lo):
        return None
    c = text[j - 1]
    if c.isdecimal():  # \d
        return ""
    dot = c == "."
    e = j - 1 if dot else j
    k = e
    while k > lo and (c := text[k - 1]).isalnum() and not c.isdecimal():  # [^\W\d_]: \w without digits and "_"
        k -= 1
    return text[k:e] if k < e else None


_LIST_RIGHT = re.compile(r"(?:,[ \t]+(?:and[ \t]+)?|[ \t]+and[ \t]+)([A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž]+)(?![\w-])")
_LIST_LEFT = re.compile(r"(?<![\w'’.@/-])([A-ZÀ-ÖØ-ÞĀ-Ž][a-zß-öø-ÿā-ž]+)(?:,[ \t]+(?:and[ \t]+)?|[ \t]+and[ \t]+)$")


def _expand_lists(text: str, spans: list[tuple[int, int]], stop: frozenset[str]) -> list[tuple[int, int]]:
    """Coordinated names: in a list of single capitalised words (``Kónya, Becker and Vasquez``, ``They had 6:
    Gaetane, Hannah, Anthony``) in which two or more items are names already found, the other items are
    names too, also known names that are words (``Sheila, Donna, Sherry``), unless they are stop words or
    place words (``Rudi, Jackson and Campos``: Jackson stays out) or a capitalised word follows them; with one name
    found (``Lamovec and Morales``), only the items of 4+ letters that are no English word, or in a pair
    (``Dale and White``) a known given name or surname that is no place; a list followed by a firm's word
    (``Orchestra``, ``Inc``, ``Partners``) is a firm's name and none of it is reported."""
    if not spans:
        return spans
    from detectors.validators import _english_words, _load_data, _name_english_words, _name_lexicons

    places = _load_data("single_name_exclusions.txt")
    english, name_english = _english_words(), _name_english_words()
    first, last = _name_lexicons()[:2]
    found = set(spans)
    extra: set[tuple[int, int]] = set()
    drop: set[tuple[int, int]] = set()
    done: set[tuple[int, int]] = set()
    for sp in spans:
        if sp in done:
            continue
        chain = [sp]
        e = sp[1]
        while (m := _LIST_RIGHT.match(text, e)) is not None:
            chain.append(m.span(1))
            e = m.end(1)
        b = sp[0]
        while (m := _LIST_LEFT.search(text, max(0, b - 60), b)) is not None:
            chain.insert(0, m.span(1))
            b = m.start(1)
        done.update(chain)
        if len(chain) >= 2 and _ORG_AFTER.match(text, chain[-1][1]) is not None:
            drop.update(chain)  # The Davis, Reynolds and Williamson Orchestra: a firm's name
            continue
        known = sum(c in found for c in chain)
        if known == 0:
            continue
        for c in chain:
            w = text[c[0]:c[1]].lower()
            known_word = w in first or w in last
            vouched = (known >= 2 or (len(w) >= 4 and w not in english and w not in name_english)
                       or (len(chain) == 2 and len(w) >= 4 and known_word))
            if (vouched and c not in found and w not in stop and w not in places
                    and _NEXT_WORD.match(text, c[1]) is None
                    and _NUMBER_NEXT.match(text, c[1]) is None):  # (Leon and Eyrarodda 66: a street)
                extra.add(c)
    if drop:
        return sorted((found | extra) - drop)
    return sorted(found | extra) if extra else spans


# a speaker's label at the start of a line of a dialogue or chat transcript: Nicole: Remember me / tracy:"i'm
_SPEAKER = re.compile(r"(?m)^[ \t>*-]*([^\W\d_]{3,}):(?!:)[ \t]*\S")


def _speakers(text: str, named: Callable[[int, int], bool]) -> list[tuple[int, int]]:
    """The speakers of a transcript (``Ubul: What a wife.⏎Nicole: Remember me``): when two or more lines start
    with a single-word label and a colon, and ``named`` says that one of the labels is a name found already,
    or all labels are capitalised name words of which one is a known given name and another no word of any
    dictionary (``Vsevolod: "Who are you?"⏎Heather:``; not ``Redis:⏎Kafka:``, neither a given name),
    the labels that are no stop or place word and either no English word or a known given name
    (``Destiny``) are names too. Labels of another case than the first one's (``Ubul``
    / ``NOTE``) are left alone; ``Mark: 5⏎Grade: A`` is no transcript."""
    from detectors.validators import lone_name

    labels = [m.span(1) for m in _SPEAKER.finditer(text)]
    if len(labels) < 2:
        return []
    vouched = {sp for sp in labels if lone_name(w := text[sp[0]:sp[1]]) or _given_word(w)}
    if not any(named(a, b) for a, b in labels):
        if len(vouched) < len(labels) or not text[labels[0][0]].isupper():
            return []
        cap = {text[a:b] for a, b in labels}
        given = {w for w in cap if _given_word(w)}
        if not given or not any(lone_name(w) for w in cap if w not in given or len(given) > 1):
            return []
    lower = text[labels[0][0]:labels[0][1]].islower()
    return [(a, b) for a, b in labels if text[a:b].islower() == lower and (named(a, b) or (a, b) in vouched)]


def _given_word(word: str) -> bool:
    """A known given name, also one that is a word (``sherry``), that is no stop or place word."""
    from detectors.validators import _given_names

    return word.lower() in _given_names()


_SURNAME_END_RE: re.Pattern | None = None


def _name_candidates(text: str, ascii_text: bytes | None = None) -> list[tuple[int, int]]:
    """The ``name`` candidates of ``text``: those of the name pass of the same ``detect()`` call, which ran
    first (``_LAST_NAME_SPANS``), else the pass run here."""
    last_text, spans = _LAST_NAME_SPANS
    if last_text is not text:
        spans = CANDIDATES["name"].spans(text, text.encode("ascii", "replace") if ascii_text is None else ascii_text)
    return spans


def _lone_vocabulary(text: str, cap_words: Iterable[str] | None = None) -> set[str]:
    """The capitalised words of ``text`` (``cap_words``: its ``_CAP_WORD`` matches, when the caller has them)
    taken as lone names: those of the lexicon (``validators._lone_names_capitalised``, a C-level set
    intersection), the words of the full names (``validators.person_name``) in the text and, in a text that
    has at least one of those, the unknown words with a surname ending (``Dratchev``, ``Szczepańska``,
    ``Šušulić``: one regex over the distinct words)."""
    from detectors.validators import (
        _SURNAME_ENDINGS,
        _lone_names_capitalised,
        _name_lexicons,
        _surname_shaped,
        person_name,
    )

    words = set(_CAP_WORD.findall(text) if cap_words is None else cap_words)
    hits = words.intersection(_lone_names_capitalised())
    # the words of a full name found in the same text name that person later on their own (Joakim Westgård
    # ... starring Westgård; Aantje Mourik ... calls me Aantje; Ayna Khadzhiyev's Tales ... early Khadzhiyev)
    stop = _name_lexicons()[2]
    for full in {text[a:b] for a, b in _name_candidates(text)}:
        if person_name(full):
            # (only words the capitalised-word pass can report: not McConnan, whose _CAP_WORD is Connan)
            hits.update(w for w in full.split() if w in words and w.lower() not in stop)
    if hits:  # a text with names in it (not a log or a table of codes): also look at the surname endings
        words -= hits
        global _SURNAME_END_RE
        if _SURNAME_END_RE is None:
            _SURNAME_END_RE = re.compile("(?m)^.{3,}(?:" + "|".join(map(re.escape, _SURNAME_ENDINGS)) + ")$")
        hits.update(w for w in _SURNAME_END_RE.findall("\n".join(words)) if _surname_shaped(w.lower()))
    return hits


# all lower-case texts longer than this (lower-case logs, dumps) are not searched for name pairs: that costs
# about 100 ms per MB, the capitalised-word pass 5-10
_LOWER_MAX = 8192
_LOWER_WORD = re.compile(r"[^\W\d_A-Z]{4,}")
# (a possessive 's may follow: olga krylova's killers)
_LOWER_PAIR = re.compile(r"(?<![\w'’.@/-])([^\W\d_]{2,})(?: [^\W\d_]\.?)? ([^\W\d_]{2,})(?![\w@/-]|['’](?!s\b))")


def _lower_pairs(text: str) -> list[tuple[int, int]]:
    """In an all lower-case text: a known given name, an optional initial and a known or surname-shaped
    surname, none of them an English word (``follow up with patricia desrosiers``, ``olga krylova's``). The
    distinct words are intersected with the given names first (C-level), so a lower-case log costs one
    ``findall``."""
    from detectors.validators import _lower_given_names, lone_name

    firsts = _lower_given_names().intersection(_LOWER_WORD.findall(text))
    if not firsts:
        return []
    starts = []
    for w in firsts:
        i = text.find(w)
        while i >= 0:
            starts.append(i)
            i = text.find(w, i + len(w))
    starts.sort()
    out: list[tuple[int, int]] = []
    last = 0
    for i in starts:
        if i < last:
            continue
        m = _LOWER_PAIR.match(text, i)
        if m is not None and lone_name(m.group()):
            out.append(m.span())
            last = m.end()
    if "," in text:
        out = _lower_lists(text, out)
    if ":" in text:
        out = _with_speakers(text, out, lambda a, b: text[a:b] in firsts)
    return out


# a lower-case list of three or more single words: "a, b, c and d" / "a, b and c" (an Oxford comma may
# stand before the "and")
_LOWER_LIST = re.compile(r"(?<![\w'’.@/-])[^\W\d_]{2,}(?:,[ \t]+[^\W\d_]{2,}){1,}(?:,?[ \t]+and[ \t]+[^\W\d_]{2,})?"
                         r"(?![\w@/-]|['’](?!s\b))")
_LOWER_ITEM = re.compile(r"[^\W\d_]{2,}")


def _lower_lists(text: str, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Coordinated given names in all lower-case text (``they had 6: leonti, terrence, pamela, donna, andrea and
    brian``): in a list of three or more single words of which at least two, and at least half, are known given
    names (no English word: ``validators._lower_given_names``), every item that is no English word, stop word
    or place word, or is a known given name although also a word (``sherry``; not ``pears``, only a surname),
    is a name, as in a capitalised list (``_expand_lists``). Spans already taken by ``pairs`` stay as they
    are."""
    from detectors.validators import _lower_given_names, lone_name

    given = _lower_given_names()
    extra: list[tuple[int, int]] = []
    for m in _LOWER_LIST.finditer(text):
        items = [(w.start(), w.end()) for w in _LOWER_ITEM.finditer(text, m.start(), m.end())
                 if w.group() != "and"]
        known = sum(text[a:b] in given for a, b in items)
        if len(items) >= 3 and known >= 2 and 2 * known >= len(items):
            extra += [(a, b) for a, b in items if lone_name(text[a:b]) or _given_word(text[a:b])]
    if not extra:
        return pairs
    return sorted(set(pairs) | {sp for sp in extra if not any(a < sp[1] and sp[0] < b for a, b in pairs)})


_ASCII_CAP_WORD = re.compile(rb"Aaa+")  # _CAP_WORD in the word view of an ASCII text (literal-led)


def _lone_name_spans(regex, text: str, ascii_text: bytes, c=None) -> list[tuple[int, int]]:
    """Lone given names (``Catherine is very reliable``, ``said Gladys to Logan``): the distinct capitalised
    words of the text (one C-level scan: of the word view in ASCII text, else a ``split``) are intersected
    with the lexicon (``validators._lone_names_capitalised``) as sets, and only the words in both are located. An
    occurrence is kept when it is a whole word, not followed by a capitalised word (``Victoria Street``,
    ``Laura Carvalho``: the full-name rule's business), not preceded by a number (``6076 Piroska u. 97``: a
    street) or by a place prefix (``St Georges``, ``Via del Campo``), not alone on the line after a line that
    ends in a number (a city in an address block), and not preceded by a capitalised word unless that is a
    stop word (``Hi Freddy``). Same result as ``_LoneNameReference.finditer``. ``c``: the compiled scans
    (``detectors._speedups.cap_word_set``, ``cap_word_spans``), same results."""
    from detectors.validators import _name_lexicons

    if len(text) <= _LOWER_MAX and text.islower():
        # no capital anywhere (a lower-cased cell or message): given name + surname pairs instead
        return _lower_pairs(text)
    # words: the capitalised words (or, compiled, the distinct ones); places(hits): where those in hits are
    if text.isascii() and c is not None:
        view = _word_view(ascii_text)
        words = c.cap_word_set(text, view)  # one str a distinct word

        def places(hits: set[str]) -> list[tuple[int, int]]:
            return c.cap_word_spans(text, view, hits)
    elif text.isascii():
        # _CAP_WORD is [A-Z][a-z]{2,} here, "Aaa+" in the word view: re skips from one "Aaa" to the next
        found = list(_ASCII_CAP_WORD.finditer(_word_view(ascii_text)))
        words = [text[m.start():m.end()] for m in found]

        def places(hits: set[str]) -> list[tuple[int, int]]:
            return [found[k].span() for k in compress(count(), map(hits.__contains__, words))]
    else:
        parts = _CAP_WORD_SPLIT.split(text)  # one C-level pass: the words are the odd pieces
        words = parts[1::2]

        def places(hits: set[str]) -> list[tuple[int, int]]:
            # the running sum of the pieces' lengths gives each word's start without a Python step per word
            starts = list(accumulate(map(len, parts)))[0::2]  # starts[k]: where words[k] begins
            return [(starts[k], starts[k] + len(words[k])) for k in compress(count(), map(hits.__contains__, words))]
    hits = _lone_vocabulary(text, words)
    if not hits:
        return []
    cands = places(hits)
    stop = _name_lexicons()[2]
    # the given names that are also words (Mark, Maria) in the text: a C-level set intersection
    voc = _vocative_names().intersection(words) if len(text) <= _VOCATIVE_MAX else ()
    return _in_context(text, [(i, e) for i, e in cands if _lone_name_ok(text, i, e, stop)], stop, voc)


def _in_context(text: str, base: list[tuple[int, int]], stop: frozenset[str],
                vocatives: Iterable[str] = ()) -> list[tuple[int, int]]:
    """The lone names of ``text`` from the words found on their own (``base``): with the other items of their
    lists (``_expand_lists``), the speakers of a transcript (``_with_speakers``) and the ones addressed
    (``_with_vocatives``: those of the ``vocatives`` words); then without the found words that alone are
    mostly a common word (the words of a full name that lend themselves to later mentions: ``Frank`` of
    ``Frank Miller``; validators.lone_name judges them), which only vouch for their neighbours."""
    from detectors.validators import lone_name

    spans = _with_vocatives(text, _with_speakers(text, _expand_lists(text, base, stop)), vocatives)
    weak = {sp for sp in base if not lone_name(text[sp[0]:sp[1]])}
    return [sp for sp in spans if sp not in weak] if weak else spans


# texts longer than this (a 1 MiB chunk of logs) are not searched for the ones addressed: the lexicon's given
# names that are also words (Kit, Man, Little) stand in most such chunks, and each one's scan costs about
# 0.5 ms per MB; messages, cells and documents of up to 64 KiB are
_VOCATIVE_MAX = 65536


@functools.lru_cache(maxsize=1)
def _vocative_names() -> frozenset[str]:
    """Known given names that are also words (``Mark``, ``Maria``), capitalised; no stop or place words. Alone
    they are no name (``validators._lone_names``); addressed at the end of a clause they are."""
    from detectors.validators import _given_names, _lone_names

    return frozenset(n.capitalize() for n in _given_names() - _lone_names() if len(n) >= 3 and n.isalpha())


def _with_vocatives(text: str, spans: list[tuple[int, int]], words: Iterable[str]) -> list[tuple[int, int]]:
    """``spans`` and, in a text with names in it, the ``words`` (of ``_vocative_names``) where they stand after
    a word and a comma and before ``!`` or ``?``: ``Don't go to town, Mark!``, ``Remember me, Maria?``. Each
    word's ", Word" is looked for with ``str.find`` (a C-level scan, and there are few such words)."""
    if not spans or not words or ("!" not in text and "?" not in text):
        return spans
    n = len(text)
    more = []
    for w in words:
        needle = ", " + w
        i = text.find(needle)
        while i >= 0:
            s, e = i + 2, i + len(needle)
            j = e
            while j < n and text[j] in " \t":
                j += 1
            if i > 0 and text[i - 1].isalpha() and j < n and text[j] in "!?":
                more.append((s, e))
            i = text.find(needle, i + 1)
    return sorted(set(spans).union(more)) if more else spans


def _with_speakers(text: str, spans: list[tuple[int, int]],
                   named: Callable[[int, int], bool] | None = None) -> list[tuple[int, int]]:
    """``spans`` and the speakers of a transcript in ``text`` (``_speakers``) that ``named`` vouches for; by
    default a label is named when it is one of ``spans``, and the transcript is looked for only in a text
    with names in it: in a short one (a message, a cell: up to ``_LOWER_MAX`` characters) always, in a longer
    one only when a name found is followed by a colon (a scan of all line starts costs about 10 ms per MB of
    logs)."""
    found = set(spans)
    if named is None:
        if not spans or len(text) > _LOWER_MAX and not any(text[e:e + 1] == ":" for _, e in spans):
            return spans
        named = lambda a, b: (a, b) in found
    more = [sp for sp in _speakers(text, named) if sp not in found]
    return sorted(found.union(more)) if more else spans


class _Span:
    __slots__ = ("_span",)

    def __init__(self, span: tuple[int, int]):
        self._span = span

    def span(self) -> tuple[int, int]:
        return self._span


class _LoneNameReference:
    """The precise definition behind the ``lone_name`` candidate class, word by word (slow; for tests and as
    the documentation of what ``_lone_name_spans`` computes)."""

    pattern = "lone given name (lexicon + context)"

    def finditer(self, text: str):
        from detectors.validators import _name_lexicons

        if len(text) <= _LOWER_MAX and text.islower():
            yield from (_Span(sp) for sp in _lower_pairs(text))
            return
        lex, stop = _lone_vocabulary(text), _name_lexicons()[2]
        if not lex:
            return
        spans = [m.span() for m in _CAP_WORD.finditer(text)
                 if m.group() in lex and _lone_name_ok(text, *m.span(), stop)]
        voc = _vocative_names().intersection(_CAP_WORD.findall(text)) if len(text) <= _VOCATIVE_MAX else ()
        for sp in _in_context(text, spans, stop, voc):
            yield _Span(sp)


# what may stand before a name at the start of a line of a contact block (a quote mark, a bullet, "???" for
# characters lost in an export), at most this many characters
_LINE_PREFIX = " \t>?*•·|"
_LINE_PREFIX_MAX = 4


def _alone_on_line(text: str, s: int, e: int) -> bool:
    """``text[s:e]`` is all of its line but up to ``_LINE_PREFIX_MAX`` prefix characters and trailing blanks."""
    i, lo = s, max(0, s - _LINE_PREFIX_MAX)
    while i > lo and text[i - 1] in _LINE_PREFIX:
        i -= 1
    if i > 0 and text[i - 1] != "\n":
        return False
    n = len(text)
    while e < n and text[e] in " \t":
        e += 1
    return e == n or text[e] == "\n"


def _name_line_spans(regex, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
    """The ``name`` candidates that are alone on their line (a contact block's first line: ``>Gyala Antall``),
    from the name pass of the same ``detect()`` call (a few comparisons per name candidate)."""
    return [(s, e) for s, e in _name_candidates(text, ascii_text) if _alone_on_line(text, s, e)]


class _NameLineReference:
    """The definition behind the ``name_line`` candidate class: the ``name`` regex's matches alone on their line."""

    pattern = "name candidate alone on its line"

    def finditer(self, text: str):
        for m in CANDIDATES["name"].regex.finditer(text):
            if _alone_on_line(text, *m.span()):
                yield m


def _ascii_runs(members: bytes) -> bytes:
    # b"?" is a non-ASCII character in the ASCII view: it may be a Unicode digit/letter, so it counts
    return _table(m0=members + b"?")


CANDIDATES: dict[str, CandidateClass] = {
    "digits": CandidateClass(
        "digits",
        re.compile(r"(?<!\d)\d(?:[ .\-]?\d){7,39}(?!\d)"),
        _ascii_runs(_DIGITS + b" .-"),
        min_len=8,
        seps=b" .-",
        min_core=8,
        digits_max=40,
    ),
    "card_digits": CandidateClass(
        "card_digits",
        re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)"),
        _ascii_runs(_DIGITS + b" -"),
        min_len=13,
        seps=b" -",
        min_core=13,
        digits_max=19,
    ),
    "iban": CandidateClass(
        "iban",
        re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}(?![A-Za-z0-9])"),
        locate=_iban_spans,
    ),
    "ipv4": CandidateClass(
        "ipv4",
        re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)"),
        locate=_ipv4_spans,
    ),
    "ipv6_full": CandidateClass(
        "ipv6_full",
        re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:.])"),
        locate=_ipv6_full_spans,
    ),
    "name": CandidateClass(
        "name",
        # = \b[A-Z][a-z]+(?: (?:[A-Z]\.? )?[A-Z][a-z]+){1,2}\b (capitalised words, optionally a middle
        # initial: "Faina D. Yefremova", "Agatha Á Ottarsdóttir"; Latin-1 and Latin Extended-A letters:
        # "Łukasz Wiśniewski"; surname particles: "Maika van de Noort"), with the word boundary checked after
        # the first character so that ``re`` skips positions quickly
        re.compile(r"[A-ZÀ-ÖØ-ÞĀ-ſ](?<!\w[A-ZÀ-ÖØ-ÞĀ-ſ])[a-zß-öø-ÿĀ-ſ]+"
                   r"(?: (?:[A-ZÀ-ÖØ-Þ]\.? |" + _PARTICLE_RE + r" )?(?:Mc)?[A-ZÀ-ÖØ-ÞĀ-ſ][a-zß-öø-ÿĀ-ſ]+){1,2}\b"),
        locate=_name_spans,
    ),
    "name_line": CandidateClass(
        "name_line",
        _NameLineReference(),  # type: ignore[arg-type]
        locate=_name_line_spans,
    ),
    "lone_name": CandidateClass(
        "lone_name",
        _LoneNameReference(),  # type: ignore[arg-type]
        locate=_lone_name_spans,
    ),
}


def forget() -> None:
    """Drop the text that the one-entry caches of the passes (``_word_view``, the name spans) still hold: the
    engine calls this when ``detect()`` returns, so that no scanned text stays in memory until the next call."""
    global _LAST_VIEW, _LAST_NAME_SPANS
    _LAST_VIEW = (b"", b"")
    _LAST_NAME_SPANS = ("", [])


def candidate_spans(name: str, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
    return CANDIDATES[name].spans(text, ascii_text)
