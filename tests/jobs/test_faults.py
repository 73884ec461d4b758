"""The nightly job behind a fault-injecting proxy (jobs/faultproxy.py) in front of the moto S3 server.

One clean run reads a small lake straight from moto; a second run of the same lake goes through the
proxy with 20% of requests answered 503 SlowDown or reset, plus objects deleted and overwritten
between listing and reading, objects and a bucket answering 403, and an SSE-C object. Every object
must still end with exactly one row with the right status and reason, the findings must equal the
clean run's, and the run's counters must show the retries.
"""
from __future__ import annotations

import gzip
import json
import os
import random
from datetime import date

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs import seed as seeding
from jobs.classify import TRANSIENT_REREADS
from jobs.faultproxy import FaultProxy
from jobs.s3 import client_kwargs, make_client
from jobs.scan import run_scan
from tests.conftest import make_config

LAKE = "fault-lake"
EDGE = "fault-edge"
LOCKED = "fault-locked"
CLEAN_RUN = "20261124T020000Z-faultcln"
FAULT_RUN = "20261124T020000Z-faultrun"
MAX_ATTEMPTS = 8  # botocore retries per call: 0.2**9 odds that one call fails for good
FAST = ("posture.enabled=false", "quality.gate=false")

# key in EDGE -> (status, reason) after the faulty run
EDGE_EXPECTED = {
    "gone/deleted-after-listing.txt": ("SKIPPED", "SOURCE_OBJECT_NO_LONGER_AVAILABLE"),
    "changed/overwritten-after-listing.txt": ("SKIPPED", "OBJECT_VERSION_MISMATCH"),
    "locked/denied.txt": ("SKIPPED", "PERMISSION_DENIED"),
    "sse-c/customer-key.txt": ("SKIPPED", "INVALID_ENCRYPTION"),
    "plain/ok.txt": ("COMPLETE", None),
}


def _seed_lake(client) -> seeding.SeedManifest:
    """About 40 objects with a mix of formats, a third of them sensitive (fake values only)."""
    rng = random.Random(91)
    m = seeding.SeedManifest()
    client.create_bucket(Bucket=LAKE)

    def put(key, body, values=None):
        client.put_object(Bucket=LAKE, Key=key, Body=body)
        m.add(LAKE, key, values)

    for i in range(10):
        body, values = seeding.customer_export(rng, 6)
        put(f"exports/{i:02d}/customers.csv", body, values)
    for i in range(10):
        body, values = seeding.app_log(rng, date(2026, 10, 1 + i), 30, leak=i % 2 == 0)
        put(f"logs/{i:02d}/events.jsonl", body, values)
    for i in range(10):
        body, values = seeding.partner_note(rng, sensitive=i % 3 == 0)
        put(f"memos/memo-{i:02d}.txt", body, values)
    for i in range(8):
        put(f"pageviews/part-{i:03d}.csv", seeding.analytics_csv(rng, date(2026, 10, 1), 20))
    body, values = seeding.customer_export(rng, 5)
    put("exports/customers.csv.gz", gzip.compress(body, mtime=0), values)
    return m


@pytest.fixture(scope="module")
def proxy(moto_server):
    with FaultProxy(moto_server.endpoint_url, rate=0.0, seed=20261124) as p:
        yield p


@pytest.fixture(scope="module")
def lake(s3_client, proxy):
    manifest = _seed_lake(s3_client)
    s3_client.create_bucket(Bucket=EDGE)
    s3_client.create_bucket(Bucket=LOCKED)
    s3_client.put_object(Bucket=LOCKED, Key="private.txt", Body=b"SSN 536-22-8725\n")
    for key in EDGE_EXPECTED:
        if not key.startswith("sse-c/"):
            s3_client.put_object(Bucket=EDGE, Key=key, Body=f"{key}: employee SSN 536-22-8725\n".encode())
    # SSE-C: PUT through the proxy with a customer key (moto stores it; the proxy then enforces it as S3 does)
    via_proxy = make_client(client_kwargs(make_config(proxy.endpoint_url, "/tmp").s3))
    via_proxy.put_object(Bucket=EDGE, Key="sse-c/customer-key.txt", Body=b"SSN 536-22-8725\n",
                         SSECustomerAlgorithm="AES256", SSECustomerKey=os.urandom(32))
    return manifest


@pytest.fixture(scope="module")
def runs(spark, lake, moto_server, proxy, s3_client, tmp_path_factory):
    from jobs.cli import _pack_for

    wh = tmp_path_factory.mktemp("faults-warehouse")
    clean_cfg = make_config(moto_server.endpoint_url, wh / "clean", f"scope.buckets={json.dumps([LAKE])}", *FAST)
    fault_cfg = make_config(proxy.endpoint_url, wh / "faulty", f"scope.buckets={json.dumps([LAKE, EDGE, LOCKED])}",
                            f"s3.max_attempts={MAX_ATTEMPTS}", *FAST)
    pack = _pack_for(clean_cfg)
    clean = run_scan(spark, clean_cfg, pack, run_id=CLEAN_RUN)

    proxy.reset_counts()
    proxy.deny_bucket(LOCKED)
    proxy.deny_object(EDGE, "locked/denied.txt")
    proxy.before_get(EDGE, "gone/deleted-after-listing.txt",
                     lambda: s3_client.delete_object(Bucket=EDGE, Key="gone/deleted-after-listing.txt"))
    proxy.before_get(EDGE, "changed/overwritten-after-listing.txt",
                     lambda: s3_client.put_object(Bucket=EDGE, Key="changed/overwritten-after-listing.txt",
                                                  Body=b"rewritten while the job ran\n"))
    proxy.set_faults(0.2, ("slowdown", "reset"))
    try:
        faulty = run_scan(spark, fault_cfg, pack, run_id=FAULT_RUN)
    finally:
        proxy.set_faults(0.0)
    return clean, faulty, clean_cfg, fault_cfg, dict(proxy.counts), dict(proxy.attempts)


def _results(spark, cfg, run_id):
    return (spark.read.format("delta").load(cfg.output.table("object_results"))
            .where(F.col("run_id") == run_id))


def _findings(spark, cfg, run_id, bucket):
    df = spark.read.format("delta").load(cfg.output.table("findings"))
    return (df.where((F.col("run_id") == run_id) & (F.col("bucket") == bucket))
            .select("bucket", "key", "etag", "finding_type", "severity", "total_count",
                    F.transform("detections", lambda d: F.struct(d["type"], d["count"])).alias("d")))


@pytest.mark.spark
@pytest.mark.integration
def test_faulty_run_has_one_row_per_object_with_the_clean_runs_results(spark, lake, runs):
    clean, faulty, clean_cfg, fault_cfg, counts, _ = runs
    assert counts["slowdown"] >= 3 and counts["reset"] >= 3, counts  # the faults really happened
    cols = ("bucket", "key", "etag", "size", "status", "reason", "detection_count", "sensitive", "finding_type")
    got = _results(spark, fault_cfg, FAULT_RUN).where(F.col("bucket") == LAKE).select(*cols)
    want = _results(spark, clean_cfg, CLEAN_RUN).select(*cols)
    assert got.groupBy("bucket", "key").count().where(F.col("count") > 1).count() == 0
    assert_df_equality(got, want, ignore_row_order=True, ignore_nullable=True)
    assert {(r["bucket"], r["key"]) for r in got.collect()} == {(LAKE, k) for k in lake.objects[LAKE]}
    assert_df_equality(_findings(spark, fault_cfg, FAULT_RUN, LAKE), _findings(spark, clean_cfg, CLEAN_RUN, LAKE),
                       ignore_row_order=True, ignore_nullable=True)
    assert clean.counters["findings"] == len(lake.sensitive_objects[LAKE])


@pytest.mark.spark
@pytest.mark.integration
def test_objects_changed_denied_or_encrypted_get_their_reason(spark, runs):
    _, _, _, fault_cfg, counts, _ = runs
    got = _results(spark, fault_cfg, FAULT_RUN).where(F.col("bucket") == EDGE).select("key", "status", "reason")
    want = spark.createDataFrame([(k, s, r) for k, (s, r) in EDGE_EXPECTED.items()],
                                 "key string, status string, reason string")
    assert_df_equality(got, want, ignore_row_order=True, ignore_nullable=True)
    assert counts["hooks"] == 2 and counts["denied"] >= 1 and counts["sse_c_refused"] >= 1


@pytest.mark.spark
@pytest.mark.integration
def test_denied_bucket_is_recorded_not_dropped(spark, runs):
    _, faulty, _, fault_cfg, _, _ = runs
    assert faulty.bucket_errors == {LOCKED: "403"}
    assert faulty.counters["buckets_with_errors"] == 1
    run = (spark.read.format("delta").load(fault_cfg.output.table("scan_runs"))
           .where(F.col("run_id") == FAULT_RUN).first())
    assert run["status"] == "SUCCEEDED" and f"bucket {LOCKED}: 403" in run["message"]
    score = (spark.read.format("delta").load(fault_cfg.output.table("bucket_scores"))
             .where((F.col("run_id") == FAULT_RUN) & (F.col("bucket") == LOCKED)).first())
    assert score["label"] == "Not yet analyzed"
    assert _results(spark, fault_cfg, FAULT_RUN).where(F.col("bucket") == LOCKED).count() == 0


@pytest.mark.spark
@pytest.mark.integration
def test_counters_show_the_retries_and_attempts_stay_bounded(runs):
    clean, faulty, _, _, counts, attempts = runs
    c, f = clean.counters, faulty.counters
    assert c["s3_get_retries"] == 0 and c["s3_get_requests"] == c["s3_get_calls"] > 0
    assert f["s3_get_retries"] > 0 and f["s3_get_requests"] == f["s3_get_calls"] + f["s3_get_retries"]
    assert f.get("objects_read_failed", 0) == 0
    # every GetObject of one key, whatever the faults: at most 1 + MAX_ATTEMPTS HTTP attempts per call
    gets = {path: n for (method, path), n in attempts.items() if method == "GET" and "?" not in path
            and path.count("/") >= 2}
    assert gets and max(gets.values()) <= (1 + MAX_ATTEMPTS) * (1 + TRANSIENT_REREADS)
    assert f["max_task_peak_rss_bytes"] > 0


def test_retries_are_bounded_when_every_request_fails(moto_server, s3_client):
    """Adaptive retry mode with max_attempts=N makes exactly 1 + N HTTP attempts, then gives up."""
    from botocore.exceptions import ClientError, ConnectionClosedError

    s3_client.create_bucket(Bucket="fault-bounded")
    s3_client.put_object(Bucket="fault-bounded", Key="a.txt", Body=b"x")
    with FaultProxy(moto_server.endpoint_url, rate=1.0, seed=1, kinds=("slowdown",)) as p:
        client = make_client(client_kwargs(make_config(p.endpoint_url, "/tmp", "s3.max_attempts=2").s3))
        assert client.meta.config.retries["mode"] == "adaptive"
        with pytest.raises(ClientError) as err:
            client.get_object(Bucket="fault-bounded", Key="a.txt")
        assert err.value.response["Error"]["Code"] == "SlowDown"
        assert p.counts["requests"] == 3
        p.set_faults(1.0, ("reset",))
        p.reset_counts()
        with pytest.raises(ConnectionClosedError):
            client.get_object(Bucket="fault-bounded", Key="a.txt")
        assert p.counts["requests"] == 3


def test_broken_body_is_read_again_and_counted(moto_server, s3_client):
    """A body cut mid-stream (headers sent, then a reset) is read again from the start."""
    from jobs.classify import ExecutorContext, classify_partition
    from jobs.config import load_config

    s3_client.create_bucket(Bucket="fault-truncate")
    body = b"".join(f"line {i} employee SSN 536-22-{8700 + i % 90:04d}\n".encode() for i in range(2000))
    s3_client.put_object(Bucket="fault-truncate", Key="big.txt", Body=body)
    head = s3_client.head_object(Bucket="fault-truncate", Key="big.txt")
    cfg = load_config(None, ("run.mode=demo",))
    with FaultProxy(moto_server.endpoint_url, rate=0.0, seed=7) as p:  # seed 7: the 6th GET is cut, the 7th not
        from jobs.cli import _pack_for

        ctx = ExecutorContext(
            s3=client_kwargs(make_config(p.endpoint_url, "/tmp").s3), pack=_pack_for(cfg), hash_key=b"k",
            limits=cfg.limits.reader_limits(), max_object_bytes=10 ** 9, sampling_percentage=100.0,
            sampling_seed=0, run_id="r", run_date=date(2026, 11, 24), account_id="1")
        row = {"bucket": "fault-truncate", "key": "big.txt", "size": len(body), "etag": head["ETag"].strip('"'),
               "last_modified": head["LastModified"], "storage_class": "STANDARD"}

        class Bc:
            value = ctx

        class Acc:
            value: dict = {}

            def add(self, d):
                self.value = d

        acc = Acc()
        (clean,) = list(classify_partition(iter([row]), Bc(), acc))
        assert clean[12] == "COMPLETE" and clean[18] >= 2000 and "objects_reread" not in acc.value
        p.set_faults(1.0, ("truncate",))  # every body cut: re-read TRANSIENT_REREADS times, then give up
        (out,) = list(classify_partition(iter([row]), Bc(), acc))
        assert (out[12], out[13]) == ("SKIPPED", "UNABLE_TO_PARSE_FILE") and "broke" in out[14], out[14]
        assert acc.value["objects_reread"] == TRANSIENT_REREADS and acc.value["objects_read_failed"] == 1
        p.set_faults(0.5, ("truncate",))  # some bodies cut: the object is read whole in the end
        (out,) = list(classify_partition(iter([row]), Bc(), acc))
        assert out[12:19] == clean[12:19] and acc.value["objects_reread"] == 1
        assert out[16] == len(body)
