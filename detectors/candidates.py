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
* ``ipv4``: every match has a dot followed by ``d.d.d`` right after its first octet; a literal-led
  regex finds those dots at C speed, the precise regex is then matched at the start of the octet.
* ``name``: every match has a "lower-case letter, space, capital" junction after its first word; those are
  found with ``bytes.find`` in a translated ASCII view and the regex is matched at the first word's start.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

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
        finditer = self.regex.finditer
        n = len(tr)
        out: list[tuple[int, int]] = []
        i = find(needle)
        while i >= 0:
            e = find(b"x", i + self.min_len)
            if e < 0:
                e = n
            # endpos e + 1: the regex cannot consume the non-member at e, but its look-ahead must see it
            out.extend(m.span() for m in finditer(text, i, e + 1))
            i = find(needle, e)
        return out

    def _has_signal(self, chunk: bytes) -> bool:
        tr = chunk.translate(self.table, self.delete)
        if self.needle is not None:
            return self.needle in tr
        return self.signal.search(tr) is not None


_IPV4_DOT = re.compile(r"\.(?=\d{1,3}\.\d{1,3}\.\d)")


def _ipv4_spans(regex: re.Pattern, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
    """Matches of ``regex`` (an IPv4 regex starting with 1-3 digits not preceded by a digit or dot,
    then a dot): find the first dot of each candidate, walk back over the first octet, match there."""
    out: list[tuple[int, int]] = []
    last_end = 0
    match = regex.match
    for m in _IPV4_DOT.finditer(text):
        p = m.start()
        s = p
        while s > 0 and p - s < 4 and text[s - 1].isdigit():
            s -= 1
        if s == p or s < last_end:
            continue
        mm = match(text, s)
        if mm is not None:
            out.append(mm.span())
            last_end = mm.end()
    return out


_NAME_TABLE = _table(la=_LOWER, uA=_UPPER, s_=b" ", qq=b"?")  # a / A / space -> _ / non-ASCII -> q / x
_JUNCTIONS = (b"a_A", b"q_A", b"a_q", b"q_q")


def _name_spans(regex: re.Pattern, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
    """Matches of the name regex (``[U](?<!\\w[U])[L]+(?: ...){1,2}\\b``): every match has a *junction*
    "lower-case letter, space, upper-case letter" right after its first word. In the ASCII view (non-ASCII
    characters -> ``q``, which may be either case) the junctions are found with ``bytes.find``; the first
    word's start is found by walking back over its letters and the regex is matched there (it checks the
    look-behind and everything else), keeping ``finditer``'s left-to-right, non-overlapping order."""
    tr = ascii_text.translate(_NAME_TABLE)
    find = tr.find
    if b"q" in tr:
        pos = sorted({i for j in _JUNCTIONS for i in _find_all(find, j)})
    else:
        pos = _find_all(find, b"a_A")
    out: list[tuple[int, int]] = []
    last = 0
    match = regex.match
    lower, nonascii = 97, 113  # b"a", b"q"
    for i in pos:
        j = i
        while j > 0 and tr[j - 1] in (lower, nonascii):
            j -= 1
        s = j - 1 if j > 0 and tr[j - 1] == 65 else j  # an ASCII capital before the run, or the run's start
        if s < last:
            continue
        m = match(text, s)
        if m is not None:
            out.append(m.span())
            last = m.end()
    return out


def _find_all(find, needle: bytes) -> list[int]:
    out = []
    i = find(needle)
    while i >= 0:
        out.append(i)
        i = find(needle, i + 1)
    return out


def _ascii_runs(members: bytes) -> bytes:
    # b"?" is a non-ASCII character in the ASCII view: it may be a Unicode digit/letter, so it counts
    return _table(m0=members + b"?")


CANDIDATES: dict[str, CandidateClass] = {
    "digits": CandidateClass(
        "digits",
        re.compile(r"(?<!\d)\d(?:[ .\-]?\d){7,39}(?!\d)"),
        _ascii_runs(_DIGITS + b" .-"),
        min_len=8,
    ),
    "card_digits": CandidateClass(
        "card_digits",
        re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)"),
        _ascii_runs(_DIGITS + b" -"),
        min_len=13,
    ),
    "iban": CandidateClass(
        "iban",
        re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}(?![A-Za-z0-9])"),
        _ascii_runs(_DIGITS + _UPPER + b" "),
        min_len=14,
    ),
    "ipv4": CandidateClass(
        "ipv4",
        re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)"),
        locate=_ipv4_spans,
    ),
    "name": CandidateClass(
        "name",
        # = \b[A-Z][a-z]+(?: (?:[A-Z]\.? )?[A-Z][a-z]+){1,2}\b (capitalised words, optionally a middle
        # initial: "Faina D. Yefremova"; Latin-1 and Latin Extended-A letters: "Łukasz Wiśniewski"), with
        # the word boundary checked after the first character so that ``re`` skips positions quickly
        re.compile(r"[A-ZÀ-ÖØ-ÞĀ-ſ](?<!\w[A-ZÀ-ÖØ-ÞĀ-ſ])[a-zß-öø-ÿĀ-ſ]+"
                   r"(?: (?:[A-Z]\.? )?[A-ZÀ-ÖØ-ÞĀ-ſ][a-zß-öø-ÿĀ-ſ]+){1,2}\b"),
        locate=_name_spans,
    ),
}


def candidate_spans(name: str, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
    return CANDIDATES[name].spans(text, ascii_text)
