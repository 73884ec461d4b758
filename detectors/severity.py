"""Macie's severity tables (shared reference §6) and the object-level finding classification.

Sensitive-data severity depends on the data type and on how many occurrences of it one object holds,
in three count buckets: 1 / 2-99 / >=100. Each rule names a *severity class* (``severity:`` in its YAML
record); the classes below are exactly the rows of Macie's table.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from detectors.engine import RulePack

__all__ = [
    "FINDING_TYPES",
    "SEVERITIES",
    "CONTEXT",
    "SEVERITY_CLASSES",
    "SEVERITY_CLASSES_ALL",
    "classify_counts",
    "custom_severity",
    "severity_for_count",
]

LOW, MEDIUM, HIGH = "Low", "Medium", "High"
SEVERITIES = (LOW, MEDIUM, HIGH)
_RANK = {LOW: 1, MEDIUM: 2, HIGH: 3}

#: severity class -> (severity at 1 occurrence, at 2-99, at >= 100)
SEVERITY_CLASSES: dict[str, tuple[str, str, str]] = {
    "credentials": (HIGH, HIGH, HIGH),
    "bank_or_card": (HIGH, HIGH, HIGH),
    "cc_expiration": (LOW, MEDIUM, HIGH),
    "cvv": (MEDIUM, HIGH, HIGH),
    "phi": (HIGH, HIGH, HIGH),
    "udi": (LOW, MEDIUM, HIGH),
    "national_id": (HIGH, HIGH, HIGH),
    "org_tax_id": (MEDIUM, MEDIUM, HIGH),
    "passport": (MEDIUM, HIGH, HIGH),
    "transport_card": (MEDIUM, MEDIUM, HIGH),
    "personal": (LOW, MEDIUM, HIGH),
    "gps": (LOW, MEDIUM, MEDIUM),
    "vin": (LOW, LOW, MEDIUM),
}
#: lakescan's own class for context identifiers (a date, a lone given name): detected and counted in the
#: object's results, but never a finding or a sensitive object on their own
CONTEXT = "context"
SEVERITY_CLASSES_ALL = (*SEVERITY_CLASSES, CONTEXT)

FINDING_TYPES = {
    "PERSONAL_INFORMATION": "SensitiveData:S3Object/Personal",
    "FINANCIAL_INFORMATION": "SensitiveData:S3Object/Financial",
    "CREDENTIALS": "SensitiveData:S3Object/Credentials",
    "CUSTOM_IDENTIFIER": "SensitiveData:S3Object/CustomIdentifier",
}
MULTIPLE = "SensitiveData:S3Object/Multiple"


def severity_for_count(severity_class: str, count: int) -> str | None:
    """Severity of ``count`` occurrences of a managed type of the given class (None when count < 1)."""
    if count < 1 or severity_class == CONTEXT:
        return None
    low, mid, high = SEVERITY_CLASSES[severity_class]
    if count == 1:
        return low
    return mid if count < 100 else high


def custom_severity(levels, count: int) -> str | None:
    """Severity of a custom data identifier with Macie's ``severityLevels`` semantics.

    ``levels`` is a sequence of ``(occurrencesThreshold, "LOW"|"MEDIUM"|"HIGH")`` (or objects with
    ``occurrencesThreshold`` / ``severity`` attributes). Empty -> Medium at >= 1 occurrence. Otherwise
    the highest level whose threshold is <= count; below the lowest threshold there is no finding.
    """
    pairs = [(lv.occurrencesThreshold, lv.severity) if hasattr(lv, "occurrencesThreshold") else tuple(lv)
             for lv in levels]
    if not pairs:
        return MEDIUM if count >= 1 else None
    best = None
    for threshold, sev in sorted(pairs, key=lambda p: p[0]):
        if count >= threshold:
            best = sev.capitalize()
    return best


def classify_counts(counts_by_type: Mapping[str, int], pack: RulePack) -> tuple[str, str] | None:
    """Per-type detection counts of ONE object -> ``(finding_type, severity)`` or ``None``.

    Types are managed rule ids or custom identifier names of ``pack``. Unknown types raise KeyError.
    The finding type is the category's type, or ``.../Multiple`` when more than one category reaches
    a finding; the severity is the highest per-type severity (Macie §6).
    """
    rules = {r.id: r for r in pack.rules}
    customs = {c.name: c for c in pack.custom}
    categories: set[str] = set()
    best: str | None = None
    for type_, count in counts_by_type.items():
        if type_ in customs:
            sev = custom_severity(customs[type_].severityLevels, count)
            category = "CUSTOM_IDENTIFIER"
        elif type_ in rules:
            sev = severity_for_count(rules[type_].severity, count)
            category = rules[type_].category
        else:
            raise KeyError(f"{type_}: not a rule id or custom identifier name of this pack")
        if sev is None:
            continue
        categories.add(category)
        if best is None or _RANK[sev] > _RANK[best]:
            best = sev
    if best is None:
        return None
    finding = FINDING_TYPES[categories.pop()] if len(categories) == 1 else MULTIPLE
    return finding, best
