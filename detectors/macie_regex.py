"""Checks that a custom data identifier / allow-list regex stays inside the PCRE subset Macie accepts.

Macie (shared reference §2) rejects: backreferences, capturing groups, conditional patterns, embedded
code, global flags (``/i``, ``/m``, ``/x``), recursive patterns, lookahead/lookbehind, oversized bounded
repetition (``\\d{100,1000}``) and repeated wildcards (``a*b*a*``). ``check_macie_regex`` raises
``ValueError`` with a message saying which construct was found and what to write instead.
"""
from __future__ import annotations

import regex

__all__ = ["MAX_BOUNDED_REPEAT", "MAX_REGEX_LEN", "check_macie_regex"]

MAX_REGEX_LEN = 512
MAX_BOUNDED_REPEAT = 100  # largest explicit bound in {m,n}; use an open bound {m,} instead

_GLOBAL_FLAGS = regex.compile(r"^/.*/[a-zA-Z]+$", regex.DOTALL)
_REPEAT = regex.compile(r"\{(\d*)(,?)(\d*)\}")
_ALLOWED_INLINE_FLAGS = set("i-")


def check_macie_regex(pattern: str) -> None:
    """Raise ``ValueError`` if ``pattern`` uses a construct Macie does not support."""
    if not pattern:
        raise ValueError("regex is empty")
    if len(pattern) > MAX_REGEX_LEN:
        raise ValueError(f"regex is {len(pattern)} characters; Macie allows at most {MAX_REGEX_LEN}")
    if _GLOBAL_FLAGS.match(pattern):
        raise ValueError("global flags (/.../i) are not supported; use an inline (?i) instead")
    i, n = 0, len(pattern)
    in_class = False
    unbounded_run = 0  # consecutive atoms quantified with * (Macie's "repeated wildcards")
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1] if i + 1 < n else ""
            if not in_class and (nxt in "123456789" or nxt in ("g", "k")):
                raise ValueError(f"backreference \\{nxt} at position {i} is not supported")
            i += 2
            if not in_class and (i >= n or pattern[i] != "*"):
                unbounded_run = 0
            continue
        if in_class:
            if c == "]":
                in_class = False
                if i + 1 >= n or pattern[i + 1] != "*":
                    unbounded_run = 0
            i += 1
            continue
        if c == "[":
            in_class = True
            # a ']' right after '[' or '[^' is literal
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            i = j
            continue
        if c == "(":
            rest = pattern[i + 1:i + 4]
            if not rest.startswith("?"):
                raise ValueError(
                    f"capturing group at position {i} is not supported; use a non-capturing group (?:...)")
            if rest.startswith(("?=", "?!", "?<=", "?<!")):
                raise ValueError(f"lookahead/lookbehind at position {i} is not supported")
            if rest.startswith(("?P<", "?<", "?'")):
                raise ValueError(f"named capturing group at position {i} is not supported; use (?:...)")
            if rest.startswith("?P="):
                raise ValueError(f"backreference (?P=...) at position {i} is not supported")
            if rest.startswith("?("):
                raise ValueError(f"conditional pattern at position {i} is not supported")
            if rest.startswith(("?R", "?&", "?P>", "?0", "?+", "?1", "?2", "?3", "?4", "?5", "?6",
                                "?7", "?8", "?9")):
                raise ValueError(f"recursive pattern at position {i} is not supported")
            if rest.startswith(("?{", "??{")):
                raise ValueError(f"embedded code at position {i} is not supported")
            if rest.startswith("?#"):
                end = pattern.find(")", i)
                i = n if end < 0 else end + 1
                continue
            # inline flags (?i) (?i:...) (?-i:...): only case-insensitivity is meaningful for Macie
            j = i + 2
            while j < n and pattern[j].isalpha() or (j < n and pattern[j] == "-"):
                j += 1
            flags = pattern[i + 2:j]
            if flags and j < n and pattern[j] in ":)":
                bad = set(flags) - _ALLOWED_INLINE_FLAGS
                if bad:
                    raise ValueError(
                        f"inline flag(s) {''.join(sorted(bad))} at position {i} are not supported; only (?i)")
            i += 1
            unbounded_run = 0
            continue
        if c == "{":
            m = _REPEAT.match(pattern, i)
            if m:
                lo, comma, hi = m.groups()
                bound = int(hi) if hi else (int(lo) if lo and not comma else 0)
                if bound > MAX_BOUNDED_REPEAT:
                    raise ValueError(
                        f"bounded repetition {m.group(0)} at position {i} is too large (max {MAX_BOUNDED_REPEAT}); "
                        f"use an open upper bound such as {{{lo or 0},}}")
                unbounded_run = unbounded_run + 1 if comma and not hi else 0
                i = m.end()
                continue
        if c == "*":
            unbounded_run += 1
            if unbounded_run >= 3:
                raise ValueError(f"repeated wildcards (like a*b*a*) ending at position {i} are not supported")
            i += 1
            continue
        if c in "+?" and i > 0 and pattern[i - 1] not in "*+?}":
            i += 1
            continue
        if c not in "*+?":
            # a new atom: reset the run unless the NEXT char quantifies it with '*'
            nxt = pattern[i + 1] if i + 1 < n else ""
            if nxt != "*" and c not in ")|":
                unbounded_run = 0
            if c == "|":
                unbounded_run = 0
        i += 1
    try:
        regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"regex does not compile: {exc}") from None
