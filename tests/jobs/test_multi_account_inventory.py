"""Multi-account runs enumerated from S3 Inventory reports (scope.source=inventory with accounts:).

The member accounts deliver their reports to a central bucket of the job's own account; the run reads
the manifests and report files with its own credentials and each source bucket's objects with the role
of the account that owns the bucket. Against the moto server over HTTP: moto keeps buckets per account,
so an object read with the wrong account's credentials fails (NoSuchBucket) instead of passing.
"""
from __future__ import annotations

import json
import random
from datetime import date

import boto3
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import seed as seeding
from jobs.inventory import put_report
from jobs.s3 import make_client
from jobs.scan import run_scan
from tests.conftest import make_config

pytestmark = [pytest.mark.spark, pytest.mark.integration]

RUN_ID = "20261124T000000Z-multiacct-inventory"
D, E = "444444444444", "555555555555"
ROLE = "arn:aws:iam::{}:role/lakescan-scan-reader"
D_HR, D_NO_REPORT = "mai-delta-hr", "mai-delta-no-report"
E_PAY, E_OTHER = "mai-epsilon-payments", "mai-epsilon-other"   # E lists only E_PAY
ORPHAN = "mai-orphan"                          # a report for a bucket of no configured account: out of scope
DEST = "mai-central-inventory"                 # the job's own account
# (account, bucket) -> objects in scope, sensitive objects
EXPECTED = {(D, D_HR): (3, 2), (E, E_PAY): (3, 2)}


def _role_client(endpoint: str, account: str):
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    c = sts.assume_role(RoleArn=ROLE.format(account), RoleSessionName="seeding")["Credentials"]
    return make_client(dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
                            aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"]))


def _report(owner, central, bucket: str, fmt: str) -> str:
    """The bucket's inventory report (every object, from a listing with its owner's role), in DEST."""
    rows = [{"bucket": bucket, "key": o["Key"], "size": o["Size"], "last_modified": o["LastModified"],
             "etag": o["ETag"].strip('"'), "storage_class": o.get("StorageClass", "STANDARD")}
            for o in owner.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return put_report(central, DEST, "member-inventories", bucket, "daily", rows, fmt, n_files=2)


@pytest.fixture(scope="module")
def manifests(moto_server, s3_client):
    rng = random.Random(23)
    d, e = _role_client(moto_server.endpoint_url, D), _role_client(moto_server.endpoint_url, E)
    for client, bucket in ((d, D_HR), (d, D_NO_REPORT), (e, E_PAY), (e, E_OTHER), (s3_client, ORPHAN)):
        client.create_bucket(Bucket=bucket)
    for client, bucket in ((d, D_HR), (e, E_PAY), (e, E_OTHER), (s3_client, ORPHAN)):
        for i in range(2):
            body, _ = seeding.customer_export(rng, 5)
            client.put_object(Bucket=bucket, Key=f"exports/customers-{i}.csv", Body=body)
        client.put_object(Bucket=bucket, Key="metrics/day.csv", Body=seeding.analytics_csv(rng, date(2026, 1, 1), 20))
    d.put_object(Bucket=D_NO_REPORT, Key="customers.csv", Body=seeding.customer_export(rng, 5)[0])
    s3_client.create_bucket(Bucket=DEST)
    return [_report(d, s3_client, D_HR, "Parquet"), _report(e, s3_client, E_PAY, "CSV"),
            _report(e, s3_client, E_OTHER, "CSV"), _report(s3_client, s3_client, ORPHAN, "ORC")]


@pytest.fixture(scope="module")
def cfg(moto_server, manifests, tmp_path_factory):
    accounts = [{"account_id": D, "role_arn": ROLE.format(D)},          # every bucket its role lists
                {"account_id": E, "role_arn": ROLE.format(E), "buckets": [E_PAY]}]
    return make_config(moto_server.endpoint_url, tmp_path_factory.mktemp("multi-account-inventory"),
                       f"accounts={json.dumps(accounts)}", "scope.source=inventory",
                       f"scope.inventory.manifests={json.dumps(manifests)}")


@pytest.fixture(scope="module")
def run(spark, cfg):
    from jobs.cli import _pack_for

    return run_scan(spark, cfg, _pack_for(cfg), run_id=RUN_ID)


def _load(spark, cfg, name):
    return spark.read.format("delta").load(cfg.output.table(name)).where(F.col("run_id") == RUN_ID)


def test_buckets_without_a_report_or_an_account_are_recorded_not_dropped(spark, cfg, run):
    assert run.status == "SUCCEEDED", run.message
    assert run.bucket_errors == {D_NO_REPORT: "NoInventoryReport"}
    assert f"bucket {D_NO_REPORT}: NoInventoryReport" in _load(spark, cfg, "scan_runs").first()["message"]
    # reports of buckets in no account's scope (E_OTHER: E lists E_PAY only; ORPHAN: no account)
    assert run.counters["buckets_excluded"] == 2


def test_objects_from_the_reports_are_read_with_each_accounts_role(spark, cfg, run):
    res = _load(spark, cfg, "object_results")
    got = res.groupBy("account_id", "bucket").agg(F.count("*").alias("n"))
    want = spark.createDataFrame([(a, b, n) for (a, b), (n, _) in EXPECTED.items()],
                                 "account_id string, bucket string, n long")
    assert_df_equality(got, want, ignore_row_order=True, ignore_nullable=True)
    # moto keeps buckets per account: a GET with another account's credentials would fail
    assert {r["status"] for r in res.select("status").distinct().collect()} == {"COMPLETE"}
    f = _load(spark, cfg, "findings").groupBy("account_id", "bucket").agg(F.count("*").alias("n"))
    want_f = spark.createDataFrame([(a, b, s) for (a, b), (_, s) in EXPECTED.items()],
                                   "account_id string, bucket string, n long")
    assert_df_equality(f, want_f, ignore_row_order=True, ignore_nullable=True)


def test_bucket_scores_show_the_unscanned_buckets(spark, cfg, run):
    labels = {(r["account_id"], r["bucket"]): r["label"]
              for r in _load(spark, cfg, "bucket_scores").select("account_id", "bucket", "label").collect()}
    assert labels[(D, D_NO_REPORT)] == "Not yet analyzed"
    assert all(labels[k] != "Not yet analyzed" for k in EXPECTED)
    assert not {E_OTHER, ORPHAN} & {b for _, b in labels}   # out of scope


def test_the_plan_lists_the_reports_out_of_the_accounts_scope(spark, cfg, run):
    from jobs.plan import make_plan

    plan = make_plan(spark, cfg)
    assert plan.buckets_excluded == {E_OTHER: "not_in_accounts", ORPHAN: "not_in_accounts"}
    assert plan.bucket_errors == {D_NO_REPORT: "NoInventoryReport"}
    assert {b.bucket: b.objects_in_scope for b in plan.buckets} == {D_HR: 3, E_PAY: 3}
