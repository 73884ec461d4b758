"""bucket_inventory and policy_findings from real runs against the moto S3 server."""
from __future__ import annotations

import json

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import posture as P
from jobs import seed as seeding
from jobs.scan import run_scan
from tests.conftest import make_config
from tests.jobs.demo_run import DEMO_RUN_ID, demo_run

pytestmark = [pytest.mark.spark, pytest.mark.integration]

FLIP = "lakescan-posture-flip"
PARTNER = seeding.EXTERNAL_ACCOUNT


@pytest.fixture(scope="module")
def demo(spark, moto_server, s3_client, tmp_path_factory):
    return demo_run(spark, moto_server, s3_client, tmp_path_factory)


def _load(spark, cfg, name, run_id):
    return spark.read.format("delta").load(cfg.output.table(name)).where(F.col("run_id") == run_id)


INVENTORY_COLUMNS = (
    "bucket string, effective_permission string, encryption_type string, allows_unencrypted string, "
    "shared_access string, shared_with array<string>, replicated boolean, versioning boolean, error_code string, "
    "tags array<struct<key:string,value:string>>, object_count long, classifiable long, unclassifiable long")


def _inventory(df):
    return df.select(
        "bucket", "effective_permission", "encryption_type",
        F.col("allows_unencrypted_object_uploads").alias("allows_unencrypted"), "shared_access",
        F.col("shared_with_accounts").alias("shared_with"), "replicated", "versioning", "error_code", "tags",
        "object_count", F.col("classifiable_object_count").alias("classifiable"),
        F.col("unclassifiable_object_count.total").alias("unclassifiable"))


def test_demo_postures_produce_the_expected_inventory_rows(spark, demo):
    n = {b: len(keys) for b, keys in demo.manifest.objects.items()}
    expected = spark.createDataFrame([
        (seeding.ANALYTICS_BUCKET, "PUBLIC", "AES256", "TRUE", "NOT_SHARED", [], False, False, None, [],
         n[seeding.ANALYTICS_BUCKET], n[seeding.ANALYTICS_BUCKET], 0),
        (seeding.LOGS_BUCKET, "NOT_PUBLIC", "AES256", "TRUE", "NOT_SHARED", [], False, True, None, [],
         n[seeding.LOGS_BUCKET], n[seeding.LOGS_BUCKET], 0),
        (seeding.CUSTOMER_BUCKET, "NOT_PUBLIC", "NONE", "TRUE", "NOT_SHARED", [], False, False, None,
         [("team", "crm"), ("data-class", "restricted")], n[seeding.CUSTOMER_BUCKET], n[seeding.CUSTOMER_BUCKET], 0),
        (seeding.PARTNER_BUCKET, "NOT_PUBLIC", "AES256", "TRUE", "EXTERNAL", [PARTNER], False, False, None, [],
         n[seeding.PARTNER_BUCKET], n[seeding.PARTNER_BUCKET], 0),
    ], INVENTORY_COLUMNS)
    actual = _inventory(_load(spark, demo.cfg, "bucket_inventory", DEMO_RUN_ID))
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


def test_demo_inventory_bytes_match_object_results(spark, demo):
    inv = _load(spark, demo.cfg, "bucket_inventory", DEMO_RUN_ID).select("bucket", "size_in_bytes",
                                                                           "classifiable_size_in_bytes")
    sizes = (_load(spark, demo.cfg, "object_results", DEMO_RUN_ID).groupBy("bucket")
             .agg(F.sum("size").alias("size_in_bytes"), F.sum("size").alias("classifiable_size_in_bytes")))
    assert_df_equality(inv, sizes, ignore_row_order=True, ignore_nullable=True, ignore_column_order=True)


def test_demo_postures_raise_the_expected_policy_findings(spark, demo):
    rows = [(b, t, P.POLICY_SEVERITY[t], P.INITIAL_STATE, 1) for b, t in [
        (seeding.ANALYTICS_BUCKET, P.BPA_DISABLED), (seeding.ANALYTICS_BUCKET, P.BUCKET_PUBLIC),
        (seeding.LOGS_BUCKET, P.BPA_DISABLED),
        (seeding.CUSTOMER_BUCKET, P.BPA_DISABLED), (seeding.CUSTOMER_BUCKET, P.ENCRYPTION_DISABLED),
        (seeding.PARTNER_BUCKET, P.BPA_DISABLED), (seeding.PARTNER_BUCKET, P.SHARED_EXTERNALLY),
    ]]
    expected = spark.createDataFrame(rows, "bucket string, finding_type string, severity string, trigger string, "
                                           "count long")
    actual = _load(spark, demo.cfg, "policy_findings", DEMO_RUN_ID).select(
        "bucket", "finding_type", "severity", "trigger", "count")
    assert_df_equality(actual, expected, ignore_row_order=True, ignore_nullable=True)


# ---- a bucket whose posture changes between runs ---------------------------------------------

LOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def _policy(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{FLIP}/*"}]})


@pytest.fixture(scope="module")
def flip(spark, moto_server, s3_client, tmp_path_factory, demo):
    s3 = s3_client
    s3.create_bucket(Bucket=FLIP)
    s3.put_object(Bucket=FLIP, Key="notes/a.txt", Body=b"quarterly plan, nothing sensitive\n")
    s3.put_bucket_encryption(Bucket=FLIP, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_public_access_block(Bucket=FLIP, PublicAccessBlockConfiguration=LOCKED)
    cfg = make_config(moto_server.endpoint_url, tmp_path_factory.mktemp("flip-warehouse"),
                      f"scope.buckets={json.dumps([FLIP])}")
    runs = ["20261124T010000Z-flip0001", "20261124T020000Z-flip0002", "20261124T030000Z-flip0003"]
    run_scan(spark, cfg, demo.pack, run_id=runs[0])                       # locked down
    s3.put_bucket_policy(Bucket=FLIP, Policy=_policy({"AWS": f"arn:aws:iam::{PARTNER}:root"}))
    run_scan(spark, cfg, demo.pack, run_id=runs[1])                       # shared with a partner
    s3.delete_public_access_block(Bucket=FLIP)
    s3.put_bucket_policy(Bucket=FLIP, Policy=_policy("*"))
    run_scan(spark, cfg, demo.pack, run_id=runs[2])                       # BPA off, public
    return cfg, runs


def _raised(spark, cfg, run_id):
    return sorted((r["finding_type"], r["trigger"], r["previous_run_id"], r["count"]) for r in
                  _load(spark, cfg, "policy_findings", run_id).collect())


def test_locked_down_bucket_raises_no_policy_finding(spark, flip):
    cfg, runs = flip
    assert _raised(spark, cfg, runs[0]) == []
    row = _load(spark, cfg, "bucket_inventory", runs[0]).first()
    assert (row["effective_permission"], row["shared_access"], row["encryption_type"]) == (
        "NOT_PUBLIC", "NOT_SHARED", "AES256")


def test_policy_change_to_an_external_account_raises_shared_externally(spark, flip):
    cfg, runs = flip
    assert _raised(spark, cfg, runs[1]) == [(P.SHARED_EXTERNALLY, P.CHANGED, runs[0], 1)]
    row = _load(spark, cfg, "bucket_inventory", runs[1]).first()
    assert (row["shared_access"], row["shared_with_accounts"]) == ("EXTERNAL", [PARTNER])


def test_public_policy_and_bpa_removal_raise_their_findings_and_nothing_else(spark, flip):
    cfg, runs = flip
    assert _raised(spark, cfg, runs[2]) == [
        (P.BPA_DISABLED, P.CHANGED, runs[1], 1), (P.BUCKET_PUBLIC, P.CHANGED, runs[1], 1)]
    assert _load(spark, cfg, "bucket_inventory", runs[2]).first()["effective_permission"] == "PUBLIC"


def test_account_level_block_public_access_is_read_through_s3control(moto_server):
    from jobs.s3 import client_kwargs, make_client

    kw = client_kwargs(make_config(moto_server.endpoint_url, "/tmp").s3)
    assert P.account_block_public_access(kw, "123456789012") == (None, None)  # not configured
    control = make_client(kw, "s3control")
    control.meta.events.register("before-sign.s3-control.*", P._strip_account_host)
    control.put_public_access_block(AccountId="123456789012", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False})
    try:
        conf, err = P.account_block_public_access(kw, "123456789012")
        assert err is None and P.BlockPublicAccess.from_api(conf) == P.BlockPublicAccess(ignore_public_acls=True)
    finally:
        control.delete_public_access_block(AccountId="123456789012")
