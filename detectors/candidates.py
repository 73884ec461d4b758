"""Candidate classes: one cheap pass that finds where anchorless families (digit runs, IBAN-like
tokens, capitalised names) could be, so rule patterns run only in windows around them.

Each class has a precise ``re`` regex (run on the original ``str``) and a *signal*: the text, as ASCII
bytes (one byte per character, non-ASCII -> ``?``), is translated block by block (characters of a
kind collapse to one byte, separators are deleted) and searched for a literal or a tiny bytes regex.
``bytes.translate`` + ``bytes.find`` run at several hundred MB/s, so blocks without any signal are
skipped without ever running the precise regex over them. The signal over-approximates the regex.
"""
from __future__ import annotations

import re
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
    table: bytes
    delete: bytes
    needle: bytes | None = None          # literal searched in the translated block
    signal: re.Pattern | None = None     # or a bytes regex searched in the translated block

    def spans(self, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
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

    def _has_signal(self, chunk: bytes) -> bool:
        tr = chunk.translate(self.table, self.delete)
        if self.needle is not None:
            return self.needle in tr
        return self.signal.search(tr) is not None


CANDIDATES: dict[str, CandidateClass] = {
    "digits": CandidateClass(
        "digits",
        re.compile(r"(?<!\d)\d(?:[ .\-]?\d){7,39}(?!\d)"),
        _table(d0=_DIGITS),
        b" .-",
        needle=b"0" * 8,
    ),
    "card_digits": CandidateClass(
        "card_digits",
        re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)"),
        _table(d0=_DIGITS),
        b" -",
        needle=b"0" * 13,
    ),
    "iban": CandidateClass(
        "iban",
        re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}(?![A-Za-z0-9])"),
        _table(d0=_DIGITS, uA=_UPPER),
        b" ",
        signal=re.compile(rb"AA00[A0]{10}"),
    ),
    "ipv4": CandidateClass(
        "ipv4",
        re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)"),
        _table(d0=_DIGITS, p_=b"."),
        b"",
        signal=re.compile(rb"0_0{1,3}_0{1,3}_0"),
    ),
    "name": CandidateClass(
        "name",
        re.compile(r"\b[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?: [A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+){1,2}\b"),
        _table(uA=_UPPER + b"?", la=_LOWER + b"?", s_=b" "),
        b"",
        signal=re.compile(rb"[A][a]+_[A][a]"),
    ),
}


def candidate_spans(name: str, text: str, ascii_text: bytes) -> list[tuple[int, int]]:
    return CANDIDATES[name].spans(text, ascii_text)
