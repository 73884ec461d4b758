"""The data-quality gate: a great-expectations suite over every table of one run.

At the end of `run_scan` (before its `scan_runs` row is written) `validate_run` reads back this run's
rows of every table and checks: keys not null, enums valid, scores in range, exactly one
`object_results` row per in-scope object, and counts consistent across tables. A failed gate marks
the run FAILED in `scan_runs` with the failed expectations in `message`; no data is deleted.

`lakescan quality check --run-id ID` runs the same gate on an existing run and records the outcome.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from detectors.severity import FINDING_TYPES, MULTIPLE
from jobs import posture
from jobs.classify import BYTE_RANGES_SAMPLED, NOT_SAMPLED

STATUSES = ["COMPLETE", "PARTIAL", "SKIPPED"]
REASONS = sorted({
    "ARCHIVE_CONTAINS_UNPROCESSED_FILES", "ARCHIVE_EXCEEDS_SIZE_LIMIT", "ARCHIVE_NESTING_LEVEL_OVER_LIMIT",
    "ARCHIVE_TOTAL_BYTES_EXTRACTED_OVER_LIMIT", "ARCHIVE_TOTAL_DOCUMENTS_PROCESSED_OVER_LIMIT",
    "FILE_EXCEEDS_SIZE_LIMIT", "JSON_NESTING_LEVEL_OVER_LIMIT", "OOXML_UNCOMPRESSED_RATIO_EXCEEDS_LIMIT",
    "OOXML_UNCOMPRESSED_SIZE_EXCEEDS_LIMIT", "INVALID_ENCRYPTION", "INVALID_KMS_KEY", "INVALID_OBJECT_STATE",
    "MALFORMED_FILE", "MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT", "UNABLE_TO_PARSE_FILE",
    "UNSUPPORTED_FILE_TYPE_EXCEPTION", "NO_SUCH_BUCKET_AVAILABLE", "OBJECT_VERSION_MISMATCH",
    "SOURCE_OBJECT_NO_LONGER_AVAILABLE", "PERMISSION_DENIED", "TIME_CUT_OFF_REACHED", NOT_SAMPLED,
    BYTE_RANGES_SAMPLED,
})
SEVERITIES = ["Low", "Medium", "High"]
SENSITIVE_TYPES = sorted([*FINDING_TYPES.values(), MULTIPLE])
LABELS = ["Sensitive", "Not sensitive", "Not yet analyzed", "Classification error"]
RUN_STATUSES = ["SUCCEEDED", "FAILED"]

log = logging.getLogger(__name__)


@dataclass
class GateResult:
    run_id: str
    checks: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def message(self, limit: int = 8) -> str:
        head = "; ".join(self.failures[:limit])
        more = f"; and {len(self.failures) - limit} more" if len(self.failures) > limit else ""
        return f"quality gate failed ({len(self.failures)} of {self.checks} checks): {head}{more}"


def _suites(counts: dict[str, int]) -> dict[str, list[Any]]:
    """Table -> expectations. `counts` holds what the run's scan_runs row says it wrote."""
    import great_expectations.expectations as gxe

    def not_null(*cols):
        return [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in cols]

    def in_set(col, values):
        return gxe.ExpectColumnValuesToBeInSet(column=col, value_set=list(values))

    n_objects = counts.get("objects_in_scope", 0)
    return {
        "object_results": [
            *not_null("run_id", "run_date", "account_id", "bucket", "key", "status"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["bucket", "key"]),
            gxe.ExpectTableRowCountToEqual(value=n_objects),
            in_set("status", STATUSES), in_set("reason", REASONS), in_set("severity", SEVERITIES),
            in_set("finding_type", SENSITIVE_TYPES),
            gxe.ExpectColumnValuesToBeBetween(column="size", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="detection_count", min_value=0),
        ],
        "findings": [
            *not_null("finding_id", "run_id", "run_date", "account_id", "bucket", "key", "finding_type", "severity"),
            gxe.ExpectColumnValuesToBeUnique(column="finding_id"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["bucket", "key"]),
            gxe.ExpectTableRowCountToEqual(value=counts.get("sensitive_objects", 0)),
            in_set("finding_type", SENSITIVE_TYPES), in_set("severity", SEVERITIES),
            in_set("category", ["CLASSIFICATION"]),
            gxe.ExpectColumnValuesToBeBetween(column="severity_score", min_value=1, max_value=3),
            gxe.ExpectColumnValuesToBeBetween(column="total_count", min_value=1),
        ],
        "bucket_scores": [
            *not_null("run_id", "run_date", "account_id", "bucket", "sensitivity_score", "label"),
            gxe.ExpectColumnValuesToBeUnique(column="bucket"),
            gxe.ExpectTableRowCountToEqual(value=counts.get("buckets_in_scope", 0)),
            gxe.ExpectColumnValuesToBeBetween(column="sensitivity_score", min_value=-1, max_value=100),
            gxe.ExpectColumnValuesToNotBeInSet(column="sensitivity_score", value_set=[0]),
            in_set("label", LABELS),
            gxe.ExpectColumnSumToBeBetween(column="objects_in_scope", min_value=n_objects, max_value=n_objects),
        ],
        "scan_runs": [
            *not_null("run_id", "run_date", "status"),
            gxe.ExpectTableRowCountToEqual(value=1),
            in_set("status", RUN_STATUSES),
        ],
        "bucket_inventory": [
            *not_null("run_id", "run_date", "account_id", "bucket", "effective_permission", "encryption_type",
                      "allows_unencrypted_object_uploads", "shared_access"),
            gxe.ExpectColumnValuesToBeUnique(column="bucket"),
            gxe.ExpectTableRowCountToEqual(value=counts.get("buckets_in_scope", 0)),
            in_set("effective_permission", [posture.PUBLIC, posture.NOT_PUBLIC, posture.UNKNOWN]),
            in_set("encryption_type", ["NONE", "AES256", "aws:kms", "aws:kms:dsse", posture.UNKNOWN]),
            in_set("allows_unencrypted_object_uploads", ["TRUE", "FALSE", posture.UNKNOWN]),
            in_set("shared_access", [posture.EXTERNAL, posture.INTERNAL, posture.NOT_SHARED, posture.UNKNOWN]),
            gxe.ExpectColumnValuesToBeBetween(column="object_count", min_value=0),
            # classifiable + unclassifiable = all objects; the bucket's objects = what bucket_scores counted
            gxe.ExpectColumnPairValuesToBeEqual(column_A="object_count", column_B="_classifiable_plus_not"),
            gxe.ExpectColumnPairValuesToBeEqual(column_A="object_count", column_B="_scores_objects_in_scope"),
        ],
        "policy_findings": [
            *not_null("finding_id", "run_id", "run_date", "account_id", "bucket", "finding_type", "severity",
                      "trigger"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["bucket", "finding_type"]),
            in_set("finding_type", list(posture.POLICY_SEVERITY)),
            in_set("trigger", [posture.INITIAL_STATE, posture.CHANGED]),
            in_set("category", ["POLICY"]),
            gxe.ExpectColumnPairValuesToBeEqual(column_A="severity", column_B="_fixed_severity"),
            gxe.ExpectColumnValuesToBeBetween(column="count", min_value=1),
        ],
    }


def _frames(spark, cfg, run_id: str, scan_run=None) -> dict[str, Any]:
    """This run's rows of every table that exists, with the derived columns the suite compares."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    from jobs.tables import TABLES

    out = {}
    for name in TABLES:
        path = cfg.output.table(name)
        if name == "scan_runs" and scan_run is not None:
            out[name] = scan_run
        elif DeltaTable.isDeltaTable(spark, path):
            out[name] = spark.read.format("delta").load(path).where(F.col("run_id") == run_id)
    if "object_results" in out:  # nested columns are not validated: keep the scans narrow
        out["object_results"] = out["object_results"].drop("detections")
    if "findings" in out:
        out["findings"] = out["findings"].drop("detections")
    if "bucket_inventory" in out:
        scores = out.get("bucket_scores")
        inv = out["bucket_inventory"].withColumn(
            "_classifiable_plus_not",
            F.col("classifiable_object_count") + F.col("unclassifiable_object_count.total"))
        if scores is not None:
            inv = inv.join(scores.select("bucket", F.col("objects_in_scope").alias("_scores_objects_in_scope")),
                           "bucket", "left")
        else:
            inv = inv.withColumn("_scores_objects_in_scope", F.col("object_count"))
        out["bucket_inventory"] = inv.select(
            [c for c in inv.columns if c not in ("tags", "unclassifiable_object_count",
                                                 "unclassifiable_object_size_in_bytes")])
    if "policy_findings" in out:
        sev = F.create_map(*[F.lit(x) for kv in posture.POLICY_SEVERITY.items() for x in kv])
        out["policy_findings"] = out["policy_findings"].withColumn("_fixed_severity", sev[F.col("finding_type")])
    return out


def _describe(name: str, r) -> str:
    cfg = r.expectation_config
    kw = {k: v for k, v in cfg.kwargs.items() if k in ("column", "column_list", "column_A", "column_B", "value")}
    res = r.result or {}
    seen = {k: res[k] for k in ("observed_value", "unexpected_count") if k in res}
    if "partial_unexpected_list" in res and res["partial_unexpected_list"]:
        seen["e.g."] = res["partial_unexpected_list"][:3]
    return f"{name}: {cfg.type} {kw} {seen}".replace("'", "")


def validate_run(spark, cfg, run_id: str, scan_run=None) -> GateResult:
    """Validate every table's rows of `run_id`. `scan_run`: the run's row before it is written."""
    import great_expectations as gx
    from pyspark.sql import functions as F

    for noisy in ("great_expectations", "py4j"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    frames = _frames(spark, cfg, run_id, scan_run)
    result = GateResult(run_id)
    runs = frames.get("scan_runs")
    row = runs.first() if runs is not None else None
    if row is None:
        result.failures.append(f"scan_runs: no row for run {run_id}")
        return result
    counters = dict(row["counters"] or {})
    counts = {
        "objects_in_scope": int(counters.get("objects_in_scope", 0)),
        "buckets_in_scope": int(counters.get("buckets_in_scope", 0)),
        "sensitive_objects": (frames["object_results"].where(F.col("sensitive")).count()
                              if "object_results" in frames else 0),
    }
    frames = {name: df.cache() for name, df in frames.items()}  # each expectation re-reads otherwise
    ctx = gx.get_context(mode="ephemeral")
    source = ctx.data_sources.add_spark(name="lakescan")
    for name, expectations in _suites(counts).items():
        if name not in frames:
            if name in ("object_results", "findings", "bucket_scores"):
                result.failures.append(f"{name}: table missing")
            continue
        batch = (source.add_dataframe_asset(name=name)
                 .add_batch_definition_whole_dataframe(f"{name}-run")
                 .get_batch(batch_parameters={"dataframe": frames[name]}))
        suite = ctx.suites.add(gx.ExpectationSuite(name=f"lakescan-{name}", expectations=expectations))
        res = batch.validate(suite, result_format="SUMMARY")
        result.checks += len(res.results)
        result.failures.extend(_describe(name, r) for r in res.results if not r.success)
    for df in frames.values():
        df.unpersist()
    return result


def record_failure(spark, cfg, result: GateResult) -> None:
    """Mark an existing run FAILED with the gate's reasons (one scan_runs commit; nothing deleted)."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    DeltaTable.forPath(spark, cfg.output.table("scan_runs")).update(
        condition=F.col("run_id") == F.lit(result.run_id),
        set={"status": F.lit("FAILED"), "message": F.lit(result.message())},
    )


def gate_run_row(spark, cfg, run_id: str, run_df):
    """Run the gate inside `run_scan`: returns the scan_runs row (FAILED + reasons if it failed) and the result."""
    from pyspark.sql import functions as F

    result = validate_run(spark, cfg, run_id, scan_run=run_df)
    if not result.passed:
        log.warning("run %s: %s", run_id, result.message())
        run_df = (run_df.withColumn("message", F.concat_ws("; ", F.lit(result.message()), F.col("message")))
                  .withColumn("status", F.lit("FAILED")))
    return run_df, result
