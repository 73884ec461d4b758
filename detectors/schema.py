"""Rule, custom data identifier and allow-list records: one strict pydantic schema each.

See docs/rules.md for the YAML form. Models are frozen (hashable, picklable) and reject unknown keys.
"""
from __future__ import annotations

import itertools
from typing import Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from detectors.macie_regex import check_macie_regex
from detectors.severity import SEVERITY_CLASSES_ALL

__all__ = [
    "CANDIDATE_CLASSES",
    "FLAGS",
    "NORMALIZERS",
    "Allow",
    "AllowList",
    "CustomIdentifier",
    "Keywords",
    "Pattern",
    "Rule",
    "RuleConfigError",
    "Sample",
    "Samples",
    "SeverityLevel",
]


class RuleConfigError(ValueError):
    """A rule / custom identifier / allow list is invalid. The message names file, record and field."""


#: named regex flags (none is on by default)
FLAGS = {
    "ignorecase": regex.IGNORECASE,
    "multiline": regex.MULTILINE,
    "dotall": regex.DOTALL,
    "verbose": regex.VERBOSE,
    "ascii": regex.ASCII,
}
FlagName = Literal["ignorecase", "multiline", "dotall", "verbose", "ascii"]
CANDIDATE_CLASSES = ("digits", "card_digits", "iban", "ipv4", "name")
CandidateName = Literal["digits", "card_digits", "iban", "ipv4", "ipv6_full", "name", "name_line", "lone_name"]
NORMALIZERS = ("none", "digits", "alnum", "alnum_upper", "lower")
SeverityClass = Literal[SEVERITY_CLASSES_ALL]  # type: ignore[valid-type]
Category = Literal["CREDENTIALS", "FINANCIAL_INFORMATION", "PERSONAL_INFORMATION"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


_VALUE_GROUP = regex.compile(r"value(?:_([2-9]|[1-9]\d+))?")


def value_groups(names) -> tuple[str, ...]:
    """The groups among ``names`` that hold a pattern's reported value, in order: ``value``, then ``value_2``,
    ``value_3``, ... for alternatives that each name their own (``re`` allows a group name once)."""
    numbered = sorted((int(m.group(1) or 1), g) for g in names if (m := _VALUE_GROUP.fullmatch(g)) is not None)
    return tuple(g for _, g in numbered)


def _compile(pattern: str, flags: int = 0):
    try:
        return regex.compile(pattern, flags)
    except regex.error as exc:
        raise ValueError(f"regex does not compile: {exc}") from None


class Keywords(_Strict):
    terms: tuple[str, ...] = Field(min_length=1)
    required: bool = True
    distance: int = Field(30, ge=1, le=300)
    boundary: Literal["left", "both", "none"] = "left"
    fields_only: bool = False

    @field_validator("terms")
    @classmethod
    def _terms(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for t in v:
            t = t.strip().lower()
            if not t:
                raise ValueError("keyword terms must be non-empty strings")
            out.append(t)
        return tuple(dict.fromkeys(out))


class Pattern(_Strict):
    name: str = Field(min_length=1)
    regex: str = Field(min_length=1)
    flags: tuple[FlagName, ...] = ()
    at_hit: bool = False
    # tried at the start of every word (a letter after a non-word character) inside the rule's candidate
    # spans instead of across windows: for zero-width, look-ahead patterns whose value starts at a word of
    # a candidate (NAME). Needs ``candidate`` on the rule.
    at_words: bool = False

    @model_validator(mode="after")
    def _compiles(self) -> Pattern:
        if self.at_hit and self.at_words:
            raise ValueError("@at_words@a pattern is either at_hit or at_words, not both")
        flags = 0
        for f in self.flags:
            flags |= FLAGS[f]
        try:
            compiled = _compile(self.regex, flags)
        except ValueError as exc:
            raise ValueError(f"@regex@{exc}") from None
        groups = value_groups(compiled.groupindex)
        if groups and groups[0] != "value":
            raise ValueError(f"@regex@groups {', '.join(groups)} need a group named value (the first alternative)")
        return self

    def compiled(self):
        flags = 0
        for f in self.flags:
            flags |= FLAGS[f]
        return regex.compile(self.regex, flags)


class Allow(_Strict):
    values: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()

    @field_validator("regexes")
    @classmethod
    def _regexes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for r in v:
            _compile(r)
        return v


class Sample(_Strict):
    text: str
    field_path: tuple[str, ...] = ()


def _sample(v):
    return {"text": v} if isinstance(v, str) else v


class Samples(_Strict):
    positive: tuple[Sample, ...] = Field(min_length=1)
    negative: tuple[Sample, ...] = Field(min_length=1)

    @field_validator("positive", "negative", mode="before")
    @classmethod
    def _strings(cls, v):
        return [_sample(x) for x in v] if isinstance(v, (list, tuple)) else v


class Rule(_Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9_]*(_\(NO_KEYWORD\))?$")
    name: str = Field(min_length=1)
    category: Category
    macie: bool
    recommended: bool = False
    severity: SeverityClass
    priority: int = Field(50, ge=0, le=1000)
    confidence: float = Field(0.9, ge=0.0, le=1.0)
    confidence_without_keyword: float | None = Field(None, ge=0.0, le=1.0)
    keywords: Keywords | None = None
    anchors: tuple[str, ...] = ()
    anchor_filter: str | None = None
    anchor_boundary: Literal["left", "both", "none"] = "none"
    candidate: CandidateName | None = None
    max_length: int = Field(100, ge=1, le=100_000)
    patterns: tuple[Pattern, ...] = Field(min_length=1)
    validators: tuple[str, ...] = ()
    normalize: Literal["none", "digits", "alnum", "alnum_upper", "lower"] = "none"
    allow: Allow = Allow()
    max_detections: int | None = Field(None, ge=1)
    mask_keep: int = Field(4, ge=0, le=8)
    samples: Samples

    @field_validator("anchors")
    @classmethod
    def _anchors(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for a in v:
            if not a:
                raise ValueError("anchors must be non-empty strings")
            out.append(a.lower())
        return tuple(dict.fromkeys(out))

    @field_validator("anchor_filter")
    @classmethod
    def _anchor_filter(cls, v: str | None) -> str | None:
        if v is not None:
            _compile(v)
        return v

    @field_validator("validators")
    @classmethod
    def _validators(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from detectors.validators import VALIDATORS

        for name in v:
            if name not in VALIDATORS:
                raise ValueError(f"unknown validator {name!r} (known: {', '.join(sorted(VALIDATORS))})")
        return v

    @field_validator("patterns")
    @classmethod
    def _pattern_names(cls, v: tuple[Pattern, ...]) -> tuple[Pattern, ...]:
        names = [p.name for p in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate pattern name(s): {', '.join(sorted(dup))}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.recommended and not self.macie:
            raise ValueError("@recommended@only Macie managed identifiers (macie: true) can be RECOMMENDED")
        kw_required = self.keywords is not None and self.keywords.required
        if not kw_required and not self.anchors and self.candidate is None:
            raise ValueError(
                "@keywords@rule needs required keywords, anchors or a candidate class (otherwise it can never fire)")
        if self.anchor_filter is not None and not self.anchors:
            raise ValueError("@anchor_filter@only used with anchors")
        if kw_required and self.candidate is not None:
            raise ValueError("@candidate@only used when keywords are not required; remove it")
        if self.keywords is not None and self.keywords.fields_only and not self.keywords.required:
            raise ValueError("@keywords.fields_only@needs keywords.required: true")
        if any(p.at_words for p in self.patterns) and (self.candidate is None or self.anchors):
            raise ValueError("@patterns@at_words patterns need a candidate class and no anchors (they are tried at "
                             "the words of the candidate spans)")
        return self

    @property
    def keyword_required(self) -> bool:
        return self.keywords is not None and self.keywords.required


# --------------------------------------------------------------------------- custom data identifiers


class SeverityLevel(_Strict):
    occurrencesThreshold: int = Field(ge=1)
    severity: Literal["LOW", "MEDIUM", "HIGH"]


_SEV_ORDER = {"LOW": 0, "MEDIUM": 1, "HIGH": 2}


class CustomIdentifier(_Strict):
    """Macie's CreateCustomDataIdentifier shape (shared reference §2)."""

    name: str = Field(min_length=1, max_length=128)
    description: str | None = Field(None, max_length=512)
    regex: str = Field(min_length=1, max_length=512)
    keywords: tuple[str, ...] = Field((), max_length=50)
    ignoreWords: tuple[str, ...] = Field((), max_length=10)
    maximumMatchDistance: int = Field(50, ge=1, le=300)
    severityLevels: tuple[SeverityLevel, ...] = Field((), max_length=3)
    tags: dict[str, str] | None = None

    @field_validator("regex")
    @classmethod
    def _regex(cls, v: str) -> str:
        check_macie_regex(v)
        return v

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for k in v:
            if not 3 <= len(k) <= 90:
                raise ValueError(f"keyword {k!r} must be 3-90 characters")
        return v

    @field_validator("ignoreWords")
    @classmethod
    def _ignore(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for w in v:
            if not 4 <= len(w) <= 90:
                raise ValueError(f"ignore word {w!r} must be 4-90 characters")
        return v

    @field_validator("severityLevels")
    @classmethod
    def _levels(cls, v: tuple[SeverityLevel, ...]) -> tuple[SeverityLevel, ...]:
        sevs = [lv.severity for lv in v]
        if len(set(sevs)) != len(sevs):
            raise ValueError("each severity may appear only once")
        ordered = sorted(v, key=lambda lv: _SEV_ORDER[lv.severity])
        th = [lv.occurrencesThreshold for lv in ordered]
        if any(b <= a for a, b in itertools.pairwise(th)):
            raise ValueError("occurrencesThreshold must ascend from LOW to MEDIUM to HIGH (e.g. 1/50/100)")
        return tuple(ordered)


# --------------------------------------------------------------------------- allow lists


class AllowList(_Strict):
    """Macie allow list (§3): a text list (exact, case-insensitive, complete match) or one regex."""

    name: str = Field(min_length=1, max_length=128)
    text: tuple[str, ...] | None = Field(None, max_length=100_000)
    regex: str | None = Field(None, min_length=1, max_length=512)

    @model_validator(mode="after")
    def _one_kind(self) -> AllowList:
        if (self.text is None) == (self.regex is None):
            raise ValueError("@text@an allow list has exactly one of 'text', 'text_file' or 'regex'")
        if self.regex is not None:
            try:
                _compile(self.regex)
            except ValueError as exc:
                raise ValueError(f"@regex@{exc}") from None
        return self
