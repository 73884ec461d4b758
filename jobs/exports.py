"""Finding exports (all off by default): Macie finding JSON, Security Hub ASFF, EventBridge events.

    exports.macie_json_dir: DIR    one JSON Lines file per run: <DIR>/<run_id>.jsonl (Macie's finding shape)
    exports.security_hub: true     BatchImportFindings, batches of 100 ASFF findings
    exports.eventbridge: true      PutEvents, batches of 10 events (source "lakescan", detail = Macie finding)

The Macie shape carries locations and counts only: never a value, a masked excerpt or a hash.
Run after a scan (`run_scan`, when enabled) or on its own: `lakescan export --run-id ID ...`.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1.0"
ASFF_SCHEMA_VERSION = "2018-10-08"
SH_BATCH, EB_BATCH = 100, 10
ASFF_TYPES = {
    "SensitiveData:S3Object/Personal": "Sensitive Data Identifications/PII",
    "SensitiveData:S3Object/Financial": "Sensitive Data Identifications/Financial",
    "SensitiveData:S3Object/Credentials": "Sensitive Data Identifications/Passwords",
    "SensitiveData:S3Object/CustomIdentifier": "Sensitive Data Identifications/PII",
    "SensitiveData:S3Object/Multiple": "Sensitive Data Identifications/PII",
}
POLICY_ASFF_TYPE = "Software and Configuration Checks/AWS Security Best Practices"
CATEGORY_NAMES = {"PERSONAL_INFORMATION": "PERSONAL_INFORMATION", "FINANCIAL_INFORMATION": "FINANCIAL_INFORMATION",
                  "CREDENTIALS": "CREDENTIALS", "CUSTOM_IDENTIFIER": "CUSTOM_IDENTIFIER"}


def _iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _occurrences(occs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Our occurrence rows -> Macie's cells / lineRanges / records / pages (locations only)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for o in occs or []:
        kind = o.get("kind")
        if kind == "cell":
            out.setdefault("cells", []).append({"row": o.get("row"), "column": o.get("column"),
                                                "columnName": o.get("column_name"),
                                                "cellReference": o.get("cell_reference")})
        elif kind == "record":
            rec = {"recordIndex": o.get("record_index")}
            if o.get("json_path"):
                rec["jsonPath"] = o["json_path"]
            out.setdefault("records", []).append(rec)
        elif kind == "page":
            out.setdefault("pages", []).append({"pageNumber": o.get("page_number")})
        else:
            out.setdefault("lineRanges", []).append({"start": o.get("line_start"), "end": o.get("line_end"),
                                                     "startColumn": o.get("start_column")})
    return out


def macie_sensitive_finding(f: dict[str, Any], region: str) -> dict[str, Any]:
    """A `findings` row as a Macie SensitiveData finding (reference section 6)."""
    by_cat: dict[str, list[dict[str, Any]]] = {}
    custom: list[dict[str, Any]] = []
    for d in f.get("detections") or []:
        det = {"type": d["type"], "count": d["count"], "occurrences": _occurrences(d.get("occurrences"))}
        if d.get("category") == "CUSTOM_IDENTIFIER":
            custom.append({"name": d["type"], "count": d["count"], "occurrences": det["occurrences"]})
        else:
            by_cat.setdefault(CATEGORY_NAMES.get(d.get("category"), d.get("category")), []).append(det)
    bucket, key = f["bucket"], f["key"]
    ext = key.rsplit(".", 1)[-1].lower() if "." in key.rsplit("/", 1)[-1] else ""
    return {
        "schemaVersion": SCHEMA_VERSION, "id": f["finding_id"], "accountId": f.get("account_id"),
        "region": region, "partition": "aws", "type": f["finding_type"], "category": "CLASSIFICATION",
        "title": f"The S3 object contains {f['finding_type'].split('/')[-1].lower()} information.",
        "description": f"The object contains sensitive data ({f.get('total_count')} detections).",
        "createdAt": _iso(f.get("created_at")), "updatedAt": _iso(f.get("created_at")),
        "count": 1, "archived": False, "sample": False,
        "severity": {"score": f.get("severity_score"), "description": f["severity"]},
        "resourcesAffected": {
            "s3Bucket": {"arn": f"arn:aws:s3:::{bucket}", "name": bucket},
            "s3Object": {"bucketArn": f"arn:aws:s3:::{bucket}", "key": key, "path": f"{bucket}/{key}",
                         "extension": ext, "eTag": f.get("etag"), "versionId": f.get("version_id")},
        },
        "classificationDetails": {
            "jobId": f["run_id"], "originType": "SENSITIVE_DATA_DISCOVERY_JOB",
            "result": {
                "status": {"code": "COMPLETE"},
                "sensitiveData": [{"category": c, "totalCount": sum(d["count"] for d in ds), "detections": ds}
                                  for c, ds in sorted(by_cat.items())],
                "customDataIdentifiers": {"totalCount": sum(c["count"] for c in custom), "detections": custom},
            },
        },
    }


def _bpa(b: dict[str, Any] | None) -> dict[str, Any] | None:
    if b is None:
        return None
    return {"blockPublicAcls": b["block_public_acls"], "ignorePublicAcls": b["ignore_public_acls"],
            "blockPublicPolicy": b["block_public_policy"], "restrictPublicBuckets": b["restrict_public_buckets"]}


def _perm(p: dict[str, Any] | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"allowsPublicReadAccess": p["allows_public_read_access"],
            "allowsPublicWriteAccess": p["allows_public_write_access"]}


def macie_policy_finding(p: dict[str, Any], inv: dict[str, Any] | None, region: str) -> dict[str, Any]:
    """A `policy_findings` row (and its bucket's inventory row) as a Macie Policy finding."""
    inv = inv or {}
    bucket = {
        "arn": p["bucket_arn"], "name": p["bucket"], "createdAt": _iso(inv.get("bucket_created_at")),
        "defaultServerSideEncryption": {"encryptionType": inv.get("encryption_type", "UNKNOWN"),
                                        "kmsMasterKeyId": inv.get("kms_master_key_id")},
        "allowsUnencryptedObjectUploads": inv.get("allows_unencrypted_object_uploads", "UNKNOWN"),
        "publicAccess": {
            "effectivePermission": inv.get("effective_permission", "UNKNOWN"),
            "permissionConfiguration": {
                "accountLevelPermissions": {"blockPublicAccess": _bpa(inv.get("account_block_public_access"))},
                "bucketLevelPermissions": {"accessControlList": _perm(inv.get("acl_permission")),
                                           "bucketPolicy": _perm(inv.get("policy_permission")),
                                           "blockPublicAccess": _bpa(inv.get("bucket_block_public_access"))},
            },
        },
        "tags": [{"key": t["key"], "value": t["value"]} for t in inv.get("tags") or []],
    }
    return {
        "schemaVersion": SCHEMA_VERSION, "id": p["finding_id"], "accountId": p.get("account_id"),
        "region": inv.get("region") or region, "partition": "aws", "type": p["finding_type"], "category": "POLICY",
        "title": p["title"], "description": p["description"], "createdAt": _iso(p.get("created_at")),
        "updatedAt": _iso(p.get("updated_at")), "count": p["count"], "archived": False, "sample": False,
        "severity": {"score": p["severity_score"], "description": p["severity"]},
        "resourcesAffected": {"s3Bucket": bucket},
        "policyDetails": {"action": {"actionType": "AWS_API_CALL",
                                     "apiCallDetails": {"lastSeen": _iso(p.get("updated_at"))}}},
    }


def to_asff(m: dict[str, Any], region: str) -> dict[str, Any]:
    """A Macie-shaped finding as an AWS Security Finding Format finding for BatchImportFindings."""
    account = m["accountId"]
    res = m["resourcesAffected"]
    if "s3Object" in res:
        o = res["s3Object"]
        resources = [{"Type": "AwsS3Object", "Id": f"{o['bucketArn']}/{o['key']}", "Partition": "aws",
                      "Region": region},
                     {"Type": "AwsS3Bucket", "Id": res["s3Bucket"]["arn"], "Partition": "aws", "Region": region}]
        types = [ASFF_TYPES.get(m["type"], "Sensitive Data Identifications/PII")]
    else:
        resources = [{"Type": "AwsS3Bucket", "Id": res["s3Bucket"]["arn"], "Partition": "aws", "Region": region}]
        types = [POLICY_ASFF_TYPE]
    return {
        "SchemaVersion": ASFF_SCHEMA_VERSION, "Id": m["id"],
        "ProductArn": f"arn:aws:securityhub:{region}:{account}:product/{account}/default",
        "GeneratorId": f"lakescan/{m['type']}", "AwsAccountId": account, "Types": types,
        "CreatedAt": m["createdAt"], "UpdatedAt": m["updatedAt"],
        "Severity": {"Label": m["severity"]["description"].upper()},
        "Title": m["title"][:256], "Description": m["description"][:1024],
        "Resources": resources,
        "ProductFields": {"lakescan/type": m["type"], "lakescan/category": m["category"],
                          "lakescan/run_id": (m.get("classificationDetails") or {}).get("jobId", "")},
    }


def to_event(m: dict[str, Any], bus: str) -> dict[str, Any]:
    return {"Source": "lakescan", "DetailType": "Macie Finding", "Detail": json.dumps(m, default=str),
            "Resources": [m["resourcesAffected"]["s3Bucket"]["arn"]], "EventBusName": bus}


def run_findings(spark, cfg, run_id: str) -> list[dict[str, Any]]:
    """Every finding of a run (sensitive data, then policy) in Macie's shape."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    region = cfg.s3.region
    out: list[dict[str, Any]] = []

    def rows(name):
        path = cfg.output.table(name)
        if not DeltaTable.isDeltaTable(spark, path):
            return []
        return [r.asDict(recursive=True) for r in
                spark.read.format("delta").load(path).where(F.col("run_id") == run_id).collect()]

    out += [macie_sensitive_finding(f, region) for f in sorted(rows("findings"), key=lambda r: r["finding_id"])]
    inventory = {r["bucket"]: r for r in rows("bucket_inventory")}
    out += [macie_policy_finding(p, inventory.get(p["bucket"]), region)
            for p in sorted(rows("policy_findings"), key=lambda r: (r["bucket"], r["finding_type"]))]
    return out


def _batches(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def write_macie_json(findings: list[dict[str, Any]], directory: str, run_id: str) -> Path:
    path = Path(directory) / f"{run_id}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(f, sort_keys=True, default=str) + "\n" for f in findings))
    return path


def send_security_hub(client, findings: list[dict[str, Any]], region: str) -> tuple[int, int]:
    ok = failed = 0
    for batch in _batches([to_asff(f, region) for f in findings], SH_BATCH):
        resp = client.batch_import_findings(Findings=batch)
        ok, failed = ok + resp.get("SuccessCount", 0), failed + resp.get("FailedCount", 0)
    return ok, failed


def send_eventbridge(client, findings: list[dict[str, Any]], bus: str) -> tuple[int, int]:
    ok = failed = 0
    for batch in _batches([to_event(f, bus) for f in findings], EB_BATCH):
        resp = client.put_events(Entries=batch)
        failed += resp.get("FailedEntryCount", 0)
        ok += len(batch) - resp.get("FailedEntryCount", 0)
    return ok, failed


def export_run(spark, cfg, run_id: str, macie_json_dir: str | None = None, security_hub: bool = False,
               eventbridge: bool = False) -> dict[str, Any]:
    """Export a run's findings to the enabled destinations; returns what was sent where."""
    from jobs.s3 import client_kwargs, make_client

    findings = run_findings(spark, cfg, run_id)
    out: dict[str, Any] = {"findings": len(findings)}
    if macie_json_dir:
        out["macie_json"] = str(write_macie_json(findings, macie_json_dir, run_id))
    kw = client_kwargs(cfg.s3)
    if security_hub and findings:
        out["security_hub"] = send_security_hub(make_client(kw, "securityhub"), findings, cfg.s3.region)
    if eventbridge and findings:
        out["eventbridge"] = send_eventbridge(make_client(kw, "events"), findings, cfg.exports.event_bus_name)
    return out
