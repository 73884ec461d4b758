"""Distributed listing and Macie job scoping against the moto S3 server."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from jobs.enumerate import Piece, discover_pieces, enumerate_scope, key_range_pieces, list_partition
from jobs.s3 import client_kwargs
from tests.conftest import make_config

LAKE = "enum-lake"
FLAT = 2100  # more direct keys than the driver may page through (2 pages): split into key ranges


def _put_many(client, bucket: str, keys: list[str], body: bytes = b"x", **kw) -> None:
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda k: client.put_object(Bucket=bucket, Key=k, Body=body, **kw), keys))


def _lake_keys() -> list[str]:
    keys = [f"events/dt=2026-11-{d:02d}/part-{i:04d}.json" for d in range(1, 11) for i in range(30)]
    keys += [f"flat/obj-{i:05d}.txt" for i in range(FLAT)]
    keys += ["top.csv", "a/b/c/d/deep.txt", "weird key/ünïcode.txt", "zzz~tilde.log"]
    return keys


@pytest.fixture(scope="module")
def lake(s3_client):
    s3_client.create_bucket(Bucket=LAKE)
    keys = _lake_keys()
    _put_many(s3_client, LAKE, keys)
    s3_client.put_object(Bucket=LAKE, Key="folder/", Body=b"")  # a folder marker is not an object
    return keys


# ---------------------------------------------------------------- pieces (no JVM)

def test_key_range_pieces_are_contiguous_and_cover_everything():
    pieces = key_range_pieces("b", "p/", ["p/obj-00001", "p/obj-00999"], delimited=False)
    assert pieces[0].start_after is None and pieces[-1].end_at is None
    for a, b in zip(pieces, pieces[1:]):
        assert a.end_at == b.start_after
    assert pieces[1].end_at.startswith("p/obj-00")


@pytest.mark.integration
def test_discover_pieces_splits_prefixes_and_flat_ranges(s3_client, lake):
    pieces, calls = discover_pieces(s3_client, LAKE, "", depth=2, target=64)
    prefixes = {p.prefix for p in pieces if p.start_after is None and p.end_at is None and not p.delimited}
    assert "events/dt=2026-11-01/" in prefixes  # two levels deep
    assert any(p.prefix == "flat/" and p.end_at for p in pieces)  # range pieces for the flat prefix
    assert Piece(LAKE, "", delimited=True) in pieces  # keys directly at the root
    assert calls <= 20


@pytest.mark.integration
def test_listing_pieces_yield_every_key_exactly_once(s3_client, moto_server, lake):
    s3 = client_kwargs(make_config(moto_server.endpoint_url, "/tmp").s3)
    pieces, _ = discover_pieces(s3_client, LAKE, "", depth=3, target=200)
    rows = [r for p in pieces for r in list_partition(iter([p.as_tuple()]), s3)]
    keys = [r[1] for r in rows]
    assert sorted(keys) == sorted(lake)
    assert len(pieces) > 20


# ---------------------------------------------------------------- Spark: enumeration + scoping




def _cfg(moto_server, tmp_path, *overrides):
    return make_config(moto_server.endpoint_url, tmp_path, *overrides)


@pytest.mark.spark
@pytest.mark.integration
def test_distributed_listing_equals_the_bucket(spark, moto_server, tmp_path, lake):
    cfg = _cfg(moto_server, tmp_path, f"scope.buckets={json.dumps([LAKE])}", "scope.listing.target_pieces=16")
    e = enumerate_scope(spark, cfg, client_kwargs(cfg.s3))
    expected = spark.createDataFrame([(LAKE, k) for k in lake], "bucket string, key string")
    assert_df_equality(e.objects.select("bucket", "key"), expected, ignore_row_order=True, ignore_nullable=True)
    assert e.listing_pieces > 16 and e.list_calls.value >= e.listing_pieces
    e.unpersist()


SCOPE = "scope-lake"
SCOPED_OBJECTS = {  # key -> (body size, tags)
    "logs/app.log": (10, {}),
    "logs/app.json": (500, {"env": "prod"}),
    "data/customers.csv": (2000, {"env": "prod", "pii": "yes"}),
    "data/orders.CSV": (50, {"env": "dev"}),
    "tmp/scratch.txt": (5, {}),
    "images/logo.png": (300, {}),
}


@pytest.fixture(scope="module")
def scope_lake(s3_client):
    s3_client.create_bucket(Bucket=SCOPE)
    for k, (n, tags) in SCOPED_OBJECTS.items():
        kw = {"Tagging": "&".join(f"{a}={b}" for a, b in tags.items())} if tags else {}
        s3_client.put_object(Bucket=SCOPE, Key=k, Body=b"x" * n, **kw)
    for name, tags in (("crit-prod-a", {"env": "prod"}), ("crit-prod-b", {"env": "dev"}), ("crit-other", {})):
        s3_client.create_bucket(Bucket=name)
        if tags:
            s3_client.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": a, "Value": b}
                                                                          for a, b in tags.items()]})
        s3_client.put_object(Bucket=name, Key="f.txt", Body=b"hello")
    return SCOPED_OBJECTS


def _scoped(spark, moto_server, tmp_path, *terms):
    cfg = _cfg(moto_server, tmp_path, f"scope.buckets={json.dumps([SCOPE])}", *terms)
    e = enumerate_scope(spark, cfg, client_kwargs(cfg.s3))
    got = {r["key"]: r["exclusion"] for r in e.scoped.select("key", "exclusion").collect()}
    e.unpersist()
    return got


def _in(got):
    return {k for k, v in got.items() if v is None}


@pytest.mark.spark
@pytest.mark.integration
@pytest.mark.parametrize("term, expected_in, reason", [
    ({"key": "OBJECT_EXTENSION", "comparator": "EQ", "values": ["csv", ".log"]},
     {"logs/app.log", "data/customers.csv", "data/orders.CSV"}, "include:OBJECT_EXTENSION"),
    ({"key": "OBJECT_EXTENSION", "comparator": "NE", "values": ["png"]},
     set(SCOPED_OBJECTS) - {"images/logo.png"}, "include:OBJECT_EXTENSION"),
    ({"key": "OBJECT_KEY", "comparator": "STARTS_WITH", "values": ["logs/", "tmp/"]},
     {"logs/app.log", "logs/app.json", "tmp/scratch.txt"}, "include:OBJECT_KEY"),
    ({"key": "OBJECT_SIZE", "comparator": "GT", "values": [100]},
     {"logs/app.json", "data/customers.csv", "images/logo.png"}, "include:OBJECT_SIZE"),
    ({"key": "OBJECT_SIZE", "comparator": "LTE", "values": [50]},
     {"logs/app.log", "data/orders.CSV", "tmp/scratch.txt"}, "include:OBJECT_SIZE"),
    ({"key": "OBJECT_SIZE", "comparator": "EQ", "values": [10, 5]},
     {"logs/app.log", "tmp/scratch.txt"}, "include:OBJECT_SIZE"),
    ({"key": "OBJECT_SIZE", "comparator": "NE", "values": [10]},
     set(SCOPED_OBJECTS) - {"logs/app.log"}, "include:OBJECT_SIZE"),
    ({"key": "OBJECT_SIZE", "comparator": "GTE", "values": [500]},
     {"logs/app.json", "data/customers.csv"}, "include:OBJECT_SIZE"),
    ({"key": "OBJECT_SIZE", "comparator": "LT", "values": [10]}, {"tmp/scratch.txt"}, "include:OBJECT_SIZE"),
    ({"key": "OBJECT_LAST_MODIFIED_DATE", "comparator": "GT", "values": ["2020-01-01T00:00:00Z"]},
     set(SCOPED_OBJECTS), None),
    ({"key": "OBJECT_LAST_MODIFIED_DATE", "comparator": "LT", "values": ["2020-01-01T00:00:00Z"]},
     set(), "include:OBJECT_LAST_MODIFIED_DATE"),
    ({"key": "OBJECT_TAG", "comparator": "EQ", "tag_values": [{"key": "env", "value": "prod"}]},
     {"logs/app.json", "data/customers.csv"}, "include:OBJECT_TAG"),
    ({"key": "OBJECT_TAG", "comparator": "EQ", "tag_values": [{"key": "pii"}]},
     {"data/customers.csv"}, "include:OBJECT_TAG"),
    ({"key": "OBJECT_TAG", "comparator": "NE", "tag_values": [{"key": "env", "value": "prod"}]},
     set(SCOPED_OBJECTS) - {"logs/app.json", "data/customers.csv"}, "include:OBJECT_TAG"),
])
def test_each_include_term_scopes_like_macie(spark, moto_server, tmp_path, scope_lake, term, expected_in, reason):
    got = _scoped(spark, moto_server, tmp_path, f"scope.includes={json.dumps([term])}")
    assert _in(got) == expected_in
    assert {v for k, v in got.items() if k not in expected_in} <= {reason}
    assert set(got) == set(SCOPED_OBJECTS)  # excluded objects are counted, never dropped


@pytest.mark.spark
@pytest.mark.integration
def test_excludes_need_every_term_and_name_the_reason(spark, moto_server, tmp_path, scope_lake):
    excludes = [{"key": "OBJECT_KEY", "comparator": "STARTS_WITH", "values": ["data/"]},
                {"key": "OBJECT_TAG", "comparator": "EQ", "tag_values": [{"key": "env", "value": "dev"}]}]
    got = _scoped(spark, moto_server, tmp_path, f"scope.excludes={json.dumps(excludes)}")
    assert {k for k, v in got.items() if v} == {"data/orders.CSV"}
    assert got["data/orders.CSV"] == "exclude:OBJECT_KEY+OBJECT_TAG"


@pytest.mark.spark
@pytest.mark.integration
def test_bucket_criteria_by_name_and_tag(spark, moto_server, tmp_path, scope_lake):
    crit = {"includes": [{"key": "S3_BUCKET_NAME", "comparator": "STARTS_WITH", "values": ["crit-"]}],
            "excludes": [{"key": "TAG", "comparator": "EQ", "tag_values": [{"key": "env", "value": "dev"}]}]}
    cfg = _cfg(moto_server, tmp_path, f"scope.bucket_criteria={json.dumps(crit)}")
    e = enumerate_scope(spark, cfg, client_kwargs(cfg.s3))
    assert {r["bucket"] for r in e.objects.select("bucket").distinct().collect()} == {"crit-prod-a", "crit-other"}
    assert e.buckets_excluded["crit-prod-b"] == "bucket_exclude:TAG"
    assert e.buckets_excluded[SCOPE] == "bucket_include:S3_BUCKET_NAME"
    e.unpersist()


@pytest.mark.spark
@pytest.mark.integration
def test_glacier_objects_stay_in_scope(spark, moto_server, tmp_path, s3_client):
    s3_client.create_bucket(Bucket="enum-glacier")
    s3_client.put_object(Bucket="enum-glacier", Key="old.csv", Body=b"a", StorageClass="GLACIER")
    s3_client.put_object(Bucket="enum-glacier", Key="deep.csv", Body=b"a", StorageClass="DEEP_ARCHIVE")
    cfg = _cfg(moto_server, tmp_path, 'scope.buckets=["enum-glacier"]')
    e = enumerate_scope(spark, cfg, client_kwargs(cfg.s3))
    got = {r["key"]: r["storage_class"] for r in e.objects.collect()}
    assert got == {"old.csv": "GLACIER", "deep.csv": "DEEP_ARCHIVE"}
    assert e.objects.where(F.col("key").isNull()).count() == 0
    e.unpersist()
