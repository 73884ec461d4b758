"""Bucket sensitivity score: the formula of docs/scoring.md on constructed cases (no JVM)."""
from __future__ import annotations

import pytest

from jobs.scoring import BucketStats, sensitivity_score


def stats(**kw) -> BucketStats:
    base = dict(objects_in_scope=100, objects_classified=100, objects_sensitive=0, objects_errored=0,
                detection_types=0, detections=0)
    return BucketStats(**{**base, **kw})


def test_empty_bucket_scores_one():
    assert sensitivity_score(stats(objects_in_scope=0, objects_classified=0)) == (1, "Not sensitive")


def test_nothing_analyzed_yet_scores_fifty():
    assert sensitivity_score(stats(objects_classified=0)) == (50, "Not yet analyzed")


def test_only_errors_scores_minus_one():
    assert sensitivity_score(stats(objects_classified=0, objects_errored=3)) == (-1, "Classification error")


@pytest.mark.parametrize("classified, expected", [(100, 1), (50, 25), (10, 44), (1, 49)])
def test_clean_buckets_score_lower_with_more_coverage(classified, expected):
    assert sensitivity_score(stats(objects_classified=classified)) == (expected, "Not sensitive")


def test_sensitive_worked_example():
    # 2 types, 120 detections, 10 of 40 classified objects sensitive:
    # s = 0.4*2/5 + 0.3*log10(121)/4 + 0.3*10/40 = 0.16 + 0.15616 + 0.075 = 0.39116 -> 51 + 19 = 70
    s = stats(objects_in_scope=40, objects_classified=40, objects_sensitive=10, detection_types=2,
              detections=120)
    assert sensitivity_score(s) == (70, "Sensitive")


def test_sensitive_score_saturates_below_100():
    s = stats(objects_sensitive=100, detection_types=30, detections=10**9)
    assert sensitivity_score(s) == (99, "Sensitive")


def test_more_kinds_of_data_score_higher():
    low = sensitivity_score(stats(objects_sensitive=5, detection_types=1, detections=5))[0]
    high = sensitivity_score(stats(objects_sensitive=5, detection_types=4, detections=5))[0]
    assert 51 <= low < high <= 99
