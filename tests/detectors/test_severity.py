from __future__ import annotations

import pytest

from detectors import load_pack
from detectors.severity import (
    SEVERITY_CLASSES,
    classify_counts,
    custom_severity,
    severity_for_count,
)


def test_severity_classes_match_macie_table():
    assert SEVERITY_CLASSES == {
        "credentials": ("High", "High", "High"),
        "bank_or_card": ("High", "High", "High"),
        "cc_expiration": ("Low", "Medium", "High"),
        "cvv": ("Medium", "High", "High"),
        "phi": ("High", "High", "High"),
        "udi": ("Low", "Medium", "High"),
        "national_id": ("High", "High", "High"),
        "org_tax_id": ("Medium", "Medium", "High"),
        "passport": ("Medium", "High", "High"),
        "transport_card": ("Medium", "Medium", "High"),
        "personal": ("Low", "Medium", "High"),
        "gps": ("Low", "Medium", "Medium"),
        "vin": ("Low", "Low", "Medium"),
    }


@pytest.mark.parametrize("count, expected", [(0, None), (1, "Low"), (2, "Medium"), (99, "Medium"), (100, "High")])
def test_severity_for_count_buckets(count, expected):
    assert severity_for_count("personal", count) == expected


def test_classify_counts_personal_financial_credentials_multiple():
    pack = load_pack(selector="ALL")
    assert classify_counts({"EMAIL_ADDRESS": 1}, pack) == ("SensitiveData:S3Object/Personal", "Low")
    assert classify_counts({"EMAIL_ADDRESS": 100}, pack) == ("SensitiveData:S3Object/Personal", "High")
    assert classify_counts({"USA_SOCIAL_SECURITY_NUMBER": 1}, pack) == ("SensitiveData:S3Object/Personal", "High")
    assert classify_counts({"CREDIT_CARD_NUMBER": 3}, pack) == ("SensitiveData:S3Object/Financial", "High")
    assert classify_counts({"AWS_CREDENTIALS": 1}, pack) == ("SensitiveData:S3Object/Credentials", "High")
    assert classify_counts({"EMAIL_ADDRESS": 2, "AWS_ACCESS_KEY_ID": 1}, pack) == (
        "SensitiveData:S3Object/Multiple", "High")
    assert classify_counts({}, pack) is None
    assert classify_counts({"EMAIL_ADDRESS": 0}, pack) is None


def test_context_identifiers_are_never_a_finding_on_their_own():
    pack = load_pack(selector="ALL")
    context = {r.id for r in pack.rules if r.severity == "context"}
    assert {"DATE", "DATE_TIME", "SINGLE_NAME"} <= context
    assert severity_for_count("context", 1) is None and severity_for_count("context", 500) is None
    assert classify_counts({"DATE": 300, "SINGLE_NAME": 4}, pack) is None
    # next to a real type they change neither its finding type nor its severity
    assert classify_counts({"DATE": 300, "USA_SOCIAL_SECURITY_NUMBER": 1}, pack) == (
        "SensitiveData:S3Object/Personal", "High")
    assert classify_counts({"DATE": 300, "EMAIL_ADDRESS": 1}, pack) == ("SensitiveData:S3Object/Personal", "Low")


def test_classify_counts_unknown_type_raises():
    with pytest.raises(KeyError, match="NOPE"):
        classify_counts({"NOPE": 1}, load_pack())


def test_custom_identifier_default_severity_is_medium_from_one():
    assert custom_severity((), 1) == "Medium"
    assert custom_severity((), 0) is None


@pytest.mark.parametrize("count, expected", [(1, "Low"), (49, "Low"), (50, "Medium"), (99, "Medium"),
                                             (100, "High"), (10_000, "High")])
def test_custom_identifier_thresholds_pick_highest_reached(count, expected):
    levels = [(1, "LOW"), (50, "MEDIUM"), (100, "HIGH")]
    assert custom_severity(levels, count) == expected


@pytest.mark.parametrize("count, expected", [(4, None), (5, "Medium"), (9, "Medium"), (10, "High")])
def test_custom_identifier_below_lowest_threshold_no_finding(count, expected):
    assert custom_severity([(5, "MEDIUM"), (10, "HIGH")], count) == expected


def test_classify_counts_custom_identifiers():
    cdis = [
        {"name": "EMP", "regex": r"EMP-\d{6}",
         "severityLevels": [{"occurrencesThreshold": 5, "severity": "LOW"},
                            {"occurrencesThreshold": 10, "severity": "HIGH"}]},
        {"name": "PROJ", "regex": r"project-[a-z]+"},
    ]
    pack = load_pack(selector="NONE", custom_identifiers=cdis)
    assert classify_counts({"EMP": 4}, pack) is None
    assert classify_counts({"EMP": 5}, pack) == ("SensitiveData:S3Object/CustomIdentifier", "Low")
    assert classify_counts({"EMP": 4, "PROJ": 1}, pack) == ("SensitiveData:S3Object/CustomIdentifier", "Medium")
    assert classify_counts({"EMP": 10, "PROJ": 1}, pack) == ("SensitiveData:S3Object/CustomIdentifier", "High")
    pack = load_pack(selector="ALL", custom_identifiers=cdis)
    assert classify_counts({"EMP": 4, "EMAIL_ADDRESS": 1}, pack) == ("SensitiveData:S3Object/Personal", "Low")
    assert classify_counts({"PROJ": 1, "EMAIL_ADDRESS": 1}, pack) == ("SensitiveData:S3Object/Multiple", "Medium")
