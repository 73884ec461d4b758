"""Finding exports: Macie finding JSON, ASFF to Security Hub, EventBridge events (moto)."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from jobs import exports as X

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
FINDING = {
    "finding_id": "f" * 64, "run_id": "r1", "run_date": date(2026, 11, 24), "account_id": "123456789012",
    "bucket": "b", "key": "exports/customers.csv", "etag": "e", "version_id": None, "category": "CLASSIFICATION",
    "finding_type": "SensitiveData:S3Object/Multiple", "severity": "High", "severity_score": 3, "total_count": 3,
    "created_at": NOW, "rule_pack_digest": "d",
    "detections": [
        {"type": "USA_SOCIAL_SECURITY_NUMBER", "category": "PERSONAL_INFORMATION", "count": 2, "occurrences": [
            {"kind": "cell", "row": 2, "column": 5, "column_name": "ssn", "masked": "***-**-8725",
             "value_hash": "ab" * 32},
            {"kind": "record", "record_index": 0, "json_path": "$.ssn", "masked": "***-**-1111", "value_hash": "c"}]},
        {"type": "EMPLOYEE_ID", "category": "CUSTOM_IDENTIFIER", "count": 1, "occurrences": [
            {"kind": "lineRange", "line_start": 3, "line_end": 3, "start_column": 7, "masked": "E-***"}]},
    ],
}


def test_macie_sensitive_finding_shape_and_locations_without_values():
    m = X.macie_sensitive_finding(FINDING, "us-east-1")
    assert (m["type"], m["category"], m["severity"], m["count"]) == (
        "SensitiveData:S3Object/Multiple", "CLASSIFICATION", {"score": 3, "description": "High"}, 1)
    assert m["resourcesAffected"]["s3Object"]["path"] == "b/exports/customers.csv"
    assert m["resourcesAffected"]["s3Object"]["extension"] == "csv"
    sd = m["classificationDetails"]["result"]["sensitiveData"]
    assert sd[0]["category"] == "PERSONAL_INFORMATION" and sd[0]["totalCount"] == 2
    occ = sd[0]["detections"][0]["occurrences"]
    assert occ["cells"] == [{"row": 2, "column": 5, "columnName": "ssn", "cellReference": None}]
    assert occ["records"] == [{"recordIndex": 0, "jsonPath": "$.ssn"}]
    cdi = m["classificationDetails"]["result"]["customDataIdentifiers"]
    assert cdi["totalCount"] == 1 and cdi["detections"][0]["occurrences"]["lineRanges"][0]["startColumn"] == 7
    blob = json.dumps(m, default=str)
    assert "***" not in blob and "ab" * 32 not in blob  # no masked excerpt, no hash


def test_asff_for_sensitive_and_policy_findings():
    a = X.to_asff(X.macie_sensitive_finding(FINDING, "us-east-1"), "us-east-1")
    assert a["SchemaVersion"] == "2018-10-08" and a["Severity"] == {"Label": "HIGH"}
    assert a["ProductArn"] == "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    assert [r["Type"] for r in a["Resources"]] == ["AwsS3Object", "AwsS3Bucket"]
    assert a["Types"] == ["Sensitive Data Identifications/PII"]
    policy = {"finding_id": "p" * 64, "account_id": "123456789012", "bucket": "b", "bucket_arn": "arn:aws:s3:::b",
              "finding_type": "Policy:IAMUser/S3BucketPublic", "severity": "High", "severity_score": 3,
              "title": "t", "description": "d", "count": 1, "created_at": NOW, "updated_at": NOW}
    m = X.macie_policy_finding(policy, {"effective_permission": "PUBLIC", "encryption_type": "AES256"}, "us-east-1")
    assert m["resourcesAffected"]["s3Bucket"]["publicAccess"]["effectivePermission"] == "PUBLIC"
    pa = X.to_asff(m, "us-east-1")
    assert pa["Resources"] == [{"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::b", "Partition": "aws",
                                "Region": "us-east-1"}]


@pytest.mark.spark
@pytest.mark.integration
def test_export_run_to_files_security_hub_and_eventbridge(spark, moto_server, s3_client, tmp_path_factory, tmp_path):
    from jobs.s3 import client_kwargs, make_client
    from tests.jobs.demo_run import DEMO_RUN_ID, demo_run

    demo = demo_run(spark, moto_server, s3_client, tmp_path_factory)
    out = X.export_run(spark, demo.cfg, DEMO_RUN_ID, str(tmp_path), security_hub=True, eventbridge=True)
    n = out["findings"]
    lines = (tmp_path / f"{DEMO_RUN_ID}.jsonl").read_text().splitlines()
    assert len(lines) == n > 100
    kinds = {json.loads(x)["category"] for x in lines}
    assert kinds == {"CLASSIFICATION", "POLICY"}
    assert out["security_hub"] == (n, 0) and out["eventbridge"] == (n, 0)
    hub = make_client(client_kwargs(demo.cfg.s3), "securityhub")
    ids = set()
    for page in hub.get_paginator("get_findings").paginate(
            Filters={"GeneratorId": [{"Value": "lakescan/", "Comparison": "PREFIX"}]}):
        ids.update(f["Id"] for f in page["Findings"])
    assert {json.loads(x)["id"] for x in lines} <= ids
    values = demo.manifest.all_values()
    blob = "\n".join(lines)
    assert not [v for v in values if len(v) >= 9 and v in blob]
