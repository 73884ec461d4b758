"""Bucket sensitivity score, -1..100, with Macie's labels (reference §8). Pure: no Spark.

The formula (docs/scoring.md has worked examples):

- no object in scope (empty bucket, or only 0-byte objects)          -> 1,  Not sensitive
- objects in scope, none classified, and at least one errored         -> -1, Classification error
- objects in scope, none classified, none errored (not sampled yet)   -> 50, Not yet analyzed
- sensitive objects found: 51 + round(48 * s), s in [0, 1] where
      s = 0.4 * min(1, types / 5)                      (kinds of sensitive data)
        + 0.3 * min(1, log10(1 + detections) / 4)      (amount: 10,000 detections saturate)
        + 0.3 * sensitive_objects / classified_objects (how much of what we read is sensitive)
  -> 51..99, Sensitive (100 is reserved for a manual override, as in Macie)
- nothing sensitive found: 49 - round(48 * coverage), coverage = classified / in scope
  -> 1..49, Not sensitive (lower = more of the bucket analyzed and found clean)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

SENSITIVE, NOT_SENSITIVE, NOT_YET_ANALYZED, CLASSIFICATION_ERROR = (
    "Sensitive", "Not sensitive", "Not yet analyzed", "Classification error")


@dataclass(frozen=True)
class BucketStats:
    objects_in_scope: int
    objects_classified: int
    objects_sensitive: int
    objects_errored: int
    detection_types: int
    detections: int


def sensitivity_score(s: BucketStats) -> tuple[int, str]:
    if s.objects_in_scope == 0:
        return 1, NOT_SENSITIVE
    if s.objects_classified == 0:
        if s.objects_errored > 0:
            return -1, CLASSIFICATION_ERROR
        return 50, NOT_YET_ANALYZED
    if s.objects_sensitive > 0:
        strength = (
            0.4 * min(1.0, s.detection_types / 5)
            + 0.3 * min(1.0, math.log10(1 + s.detections) / 4)
            + 0.3 * s.objects_sensitive / s.objects_classified
        )
        return 51 + round(48 * min(1.0, strength)), SENSITIVE
    coverage = min(1.0, s.objects_classified / s.objects_in_scope)
    return 49 - round(48 * coverage), NOT_SENSITIVE
