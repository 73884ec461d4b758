"""Multi-account: one scan over buckets of several accounts, each reached through its own role.

Against the moto server over HTTP (no mock decorators). Moto honours accounts: the credentials that
AssumeRole returns for arn:aws:iam::111111111111:role/X act in account 111111111111, so each
account's buckets are created with its role's credentials, and ListBuckets with a role lists only
that account's buckets. Moto lets anyone assume any role (no trust policy, no external id check), so
the run talks to moto through `FaultProxy`, which refuses AssumeRole of one role with AccessDenied
the way STS does, and records which access key signed each S3 request.
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
from jobs.faultproxy import FaultProxy
from jobs.s3 import make_client
from jobs.scan import run_scan
from tests.conftest import make_config

pytestmark = [pytest.mark.spark, pytest.mark.integration]

RUN_ID = "20261124T000000Z-multiacct"
A, B, C = "111111111111", "222222222222", "333333333333"
ROLE = "arn:aws:iam::{}:role/lakescan-scan-reader"
A_HR, A_CLEAN, A_SKIP = "ma-alpha-hr", "ma-alpha-clean", "other-alpha-skip"
B_PAY = "ma-beta-payments"
C_BUCKETS = ("ma-gamma-one", "ma-gamma-two")     # the role of C cannot be assumed
BASE_BUCKET = "ma-base-own"                      # the job's own account: not configured, never scanned
# (account, bucket) -> objects in scope, sensitive objects
EXPECTED = {(A, A_HR): (3, 2), (A, A_CLEAN): (2, 0), (B, B_PAY): (3, 2)}


def _role_client(endpoint: str, account: str):
    sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    c = sts.assume_role(RoleArn=ROLE.format(account), RoleSessionName="seeding", ExternalId="seed-ext")["Credentials"]
    return make_client(dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
                            aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"]))


@pytest.fixture(scope="module")
def accounts_lake(moto_server, s3_client):
    """Seeded straight into moto (not through the proxy): the proxy only sees the scan's requests."""
    rng = random.Random(11)
    a, b = _role_client(moto_server.endpoint_url, A), _role_client(moto_server.endpoint_url, B)
    for client, bucket in ((a, A_HR), (a, A_CLEAN), (a, A_SKIP), (b, B_PAY)):
        client.create_bucket(Bucket=bucket)
    for client, bucket in ((a, A_HR), (b, B_PAY)):
        for i in range(2):
            body, _ = seeding.customer_export(rng, 5)
            client.put_object(Bucket=bucket, Key=f"exports/customers-{i}.csv", Body=body)
        client.put_object(Bucket=bucket, Key="metrics/day.csv",
                          Body=seeding.analytics_csv(rng, date(2026, 1, 1), 20))
    for i in range(2):
        a.put_object(Bucket=A_CLEAN, Key=f"m/{i}.csv", Body=seeding.analytics_csv(rng, date(2026, 1, 2), 20))
    body, _ = seeding.customer_export(rng, 5)
    a.put_object(Bucket=A_SKIP, Key="customers.csv", Body=body)  # excluded by A's bucket criteria
    s3_client.create_bucket(Bucket=BASE_BUCKET)
    s3_client.put_object(Bucket=BASE_BUCKET, Key="customers.csv", Body=body)
    assert {x["Name"] for x in a.list_buckets()["Buckets"]} == {A_HR, A_CLEAN, A_SKIP}


@pytest.fixture(scope="module")
def proxy(moto_server):
    with FaultProxy(moto_server.endpoint_url) as p:
        p.deny_assume_role(ROLE.format(C))
        yield p


@pytest.fixture(scope="module")
def cfg(proxy, tmp_path_factory):
    accounts = [
        # A: every bucket its role can list, narrowed by its own bucket criteria; an external id
        {"account_id": A, "role_arn": ROLE.format(A), "external_id": "lakescan-ext-a",
         "bucket_criteria": {"includes": [{"key": "S3_BUCKET_NAME", "comparator": "STARTS_WITH",
                                           "values": ["ma-"]}]}},
        {"account_id": B, "role_arn": ROLE.format(B), "buckets": [B_PAY], "session_name": "lakescan-nightly"},
        {"account_id": C, "role_arn": ROLE.format(C), "buckets": list(C_BUCKETS)},
    ]
    return make_config(proxy.endpoint_url, tmp_path_factory.mktemp("multi-account-warehouse"),
                       f"accounts={json.dumps(accounts)}")


@pytest.fixture(scope="module")
def run(spark, accounts_lake, cfg, proxy):
    from jobs.cli import _pack_for

    return run_scan(spark, cfg, _pack_for(cfg), run_id=RUN_ID)


def _load(spark, cfg, name):
    return spark.read.format("delta").load(cfg.output.table(name)).where(F.col("run_id") == RUN_ID) \
        if name != "coverage" else spark.read.format("delta").load(cfg.output.table(name))


def _pairs(spark, rows):
    return spark.createDataFrame(rows, "account_id string, bucket string, n long")


def test_the_run_succeeds_and_records_the_unassumable_role(spark, cfg, run):
    assert run.status == "SUCCEEDED", run.message
    assert run.account_errors == {C: "AssumeRole:AccessDenied"}
    assert {b: run.bucket_errors[b] for b in C_BUCKETS} == dict.fromkeys(C_BUCKETS, "AssumeRole:AccessDenied")
    assert run.counters["accounts_in_scope"] == 3 and run.counters["accounts_unavailable"] == 1
    row = _load(spark, cfg, "scan_runs").first()
    assert f"account {C}: AssumeRole:AccessDenied" in row["message"]
    assert all(f"bucket {b}: AssumeRole:AccessDenied" in row["message"] for b in C_BUCKETS)
    assert row["counters"]["buckets_with_errors"] == 2


def test_object_results_carry_each_buckets_account_one_row_per_object(spark, cfg, run):
    got = _load(spark, cfg, "object_results").groupBy("account_id", "bucket").agg(F.count("*").alias("n"))
    want = _pairs(spark, [(a, b, n) for (a, b), (n, _) in EXPECTED.items()])
    assert_df_equality(got, want, ignore_row_order=True, ignore_nullable=True)
    statuses = {r["status"] for r in _load(spark, cfg, "object_results").select("status").distinct().collect()}
    assert statuses == {"COMPLETE"}


def test_findings_in_both_accounts_with_ids_per_account_and_bucket(spark, cfg, run):
    f = _load(spark, cfg, "findings")
    got = f.groupBy("account_id", "bucket").agg(F.count("*").alias("n"))
    want = _pairs(spark, [(a, b, s) for (a, b), (_, s) in EXPECTED.items() if s])
    assert_df_equality(got, want, ignore_row_order=True, ignore_nullable=True)
    expect_id = F.sha2(F.concat_ws("\x00", "run_id", "account_id", "bucket", "key"), 256)
    assert f.where(F.col("finding_id") != expect_id).count() == 0


def test_bucket_scores_per_account_and_the_unreachable_buckets(spark, cfg, run):
    got = _load(spark, cfg, "bucket_scores").select("account_id", "bucket", "label")
    labels = {(r["account_id"], r["bucket"]): r["label"] for r in got.collect()}
    assert set(labels) == {*EXPECTED, *((C, b) for b in C_BUCKETS)}
    assert all(labels[(C, b)] == "Not yet analyzed" for b in C_BUCKETS)
    assert labels[(A, A_HR)] != "Not yet analyzed"


def test_posture_rows_carry_the_account_and_the_assume_role_error(spark, cfg, run):
    inv = {(r["account_id"], r["bucket"]): r for r in _load(spark, cfg, "bucket_inventory").collect()}
    assert set(inv) == {*EXPECTED, *((C, b) for b in C_BUCKETS)}
    for b in C_BUCKETS:
        assert inv[(C, b)]["error_code"] == "ACCESS_DENIED"
        assert "AssumeRole:AccessDenied" in inv[(C, b)]["error_message"]
    for key in EXPECTED:
        assert inv[key]["error_code"] is None, inv[key]["error_message"]
        assert inv[key]["bucket_arn"] == f"arn:aws:s3:::{key[1]}"
    pf = _load(spark, cfg, "policy_findings").select("account_id", "bucket").distinct().collect()
    assert pf and {(r["account_id"], r["bucket"]) for r in pf} <= set(EXPECTED)


def test_coverage_carries_the_account(spark, cfg, run):
    got = _load(spark, cfg, "coverage").groupBy("account_id", "bucket").agg(F.count("*").alias("n"))
    want = _pairs(spark, [(a, b, n) for (a, b), (n, _) in EXPECTED.items()])
    assert_df_equality(got, want, ignore_row_order=True, ignore_nullable=True)


def test_each_account_is_read_only_with_its_roles_credentials(run, proxy):
    keys: dict[str, set[str]] = {}
    for (bucket, key_id), _n in proxy.signers.items():
        keys.setdefault(bucket, set()).add(key_id)
    assert BASE_BUCKET not in keys and A_SKIP not in keys  # A_SKIP: out of A's bucket criteria
    a_keys = keys[A_HR] | keys[A_CLEAN]
    assert "testing" not in a_keys | keys[B_PAY]
    assert a_keys.isdisjoint(keys[B_PAY])
    assert not any(b in keys for b in C_BUCKETS)
    assert proxy.counts["assume_role_denied"] >= 1


def test_a_coverage_table_from_before_account_id_gains_the_column(spark, tmp_path):
    from pyspark.sql import types as T

    from jobs.coverage import COVERAGE
    from jobs.tables import add_missing_columns

    old = T.StructType([f for f in COVERAGE.fields if f.name != "account_id"])
    path = str(tmp_path / "coverage")
    spark.createDataFrame([("b", "k", *([None] * (len(old.fields) - 2)))], old).write.format("delta").save(path)
    assert add_missing_columns(spark, path, COVERAGE) == ["account_id"]
    assert add_missing_columns(spark, path, COVERAGE) == []
    df = spark.read.format("delta").load(path)
    assert "account_id" in df.columns and df.first()["account_id"] is None
