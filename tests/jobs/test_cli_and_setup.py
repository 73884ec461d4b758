"""The embedded S3, the demo seeder, the jar cache and the CLI (no JVM)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from jobs import jars
from jobs import seed as seeding
from jobs.cli import cli
from jobs.s3 import _port_open, client_kwargs, free_port, make_client
from tests.conftest import REPO, make_config


def test_cold_jar_cache_says_to_run_make_setup(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKESCAN_CACHE", str(tmp_path))
    with pytest.raises(jars.MissingJarsError, match="make setup"):
        jars.local_jars()


def test_incomplete_jar_cache_names_the_missing_jar(monkeypatch, tmp_path):
    monkeypatch.setenv("LAKESCAN_CACHE", str(tmp_path))
    d = jars.jars_dir()
    d.mkdir(parents=True)
    (d / "present.jar").write_bytes(b"PK")
    (d / jars.MANIFEST).write_text(json.dumps({"packages": [], "jars": ["present.jar", "gone.jar"]}))
    with pytest.raises(jars.MissingJarsError, match=r"gone\.jar.*make setup"):
        jars.local_jars()


@pytest.mark.parametrize("name, ivy, artifact", [
    ("io.delta_delta-spark_4.2_2.13-4.4.0.jar", True, "delta-spark_4.2_2.13"),
    ("org.apache.hadoop_hadoop-aws-3.5.0.jar", True, "hadoop-aws"),
    ("guava-33.6.0-jre.jar", False, "guava"),
    ("spark-core_2.13-4.2.0.jar", False, "spark-core_2.13"),
])
def test_artifact_names_match_across_ivy_and_pyspark_layouts(name, ivy, artifact):
    assert jars._artifact_name(name, ivy=ivy) == artifact


def test_jar_set_follows_the_installed_spark_line():
    js4 = jars.jar_set(spark="4.2.0", delta="4.4.0", hadoop="3.5.0")
    assert js4.packages[0] == "io.delta:delta-spark_4.2_2.13:4.4.0"
    assert "software.amazon.awssdk:bundle" in js4.excludes
    assert all("bundle" not in p for p in js4.packages)
    js35 = jars.jar_set(spark="3.5.7", delta="3.3.2", hadoop="3.3.4")
    assert js35.packages[0] == "io.delta:delta-spark_2.12:3.3.2"
    assert "org.apache.hadoop:hadoop-aws:3.3.4" in js35.packages
    with pytest.raises(jars.MissingJarsError, match="no AWS SDK pin"):
        jars.jar_set(spark="4.2.0", delta="4.4.0", hadoop="9.9.9")


def test_s3_serve_listens_on_loopback_and_stops_on_interrupt():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "s3", "serve", "--set", f"server.port={port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not _port_open("127.0.0.1", port):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)
        client = make_client(client_kwargs(make_config(f"http://127.0.0.1:{port}", REPO).s3))
        client.create_bucket(Bucket="serve-check")
        assert [b["Name"] for b in client.list_buckets()["Buckets"]] == ["serve-check"]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=20)
    assert not _port_open("127.0.0.1", port)


def test_s3_serve_refuses_a_busy_port(moto_server):
    result = CliRunner().invoke(cli, ["s3", "serve", "--set", f"server.port={moto_server.port}"])
    assert result.exit_code != 0
    assert "already in use" in result.output


@pytest.fixture(scope="module")
def seeded(moto_server):
    """The demo lake in its own server, so other tests' buckets do not interfere."""
    from jobs.config import ServerSettings
    from jobs.s3 import MotoServer

    with MotoServer(ServerSettings(port=free_port())) as server:
        result = CliRunner().invoke(cli, ["demo", "seed", "--config", str(REPO / "conf" / "local.yaml"),
                                          "--set", f"s3.endpoint_url={server.endpoint_url}"])
        assert result.exit_code == 0, result.output
        yield make_client(client_kwargs(make_config(server.endpoint_url, REPO).s3)), result.output


def test_demo_seed_builds_a_realistic_lake(seeded):
    client, output = seeded
    names = sorted(b["Name"] for b in client.list_buckets()["Buckets"])
    assert names == sorted(seeding.BUCKETS)
    keys = {b: [o["Key"] for p in client.get_paginator("list_objects_v2").paginate(Bucket=b)
                for o in p.get("Contents", [])] for b in names}
    total = sum(len(v) for v in keys.values())
    assert 250 <= total <= 400 and f"seeded {total} objects" in output
    exts = {k.rsplit(".", 1)[-1] for v in keys.values() for k in v}
    assert {"csv", "jsonl", "gz", "parquet", "json", "txt"} <= exts
    assert any(k.count("/") >= 4 for k in keys[seeding.LOGS_BUCKET])  # nested date prefixes


def test_demo_seed_bucket_postures(seeded):
    client, _ = seeded
    public = json.loads(client.get_bucket_policy(Bucket=seeding.ANALYTICS_BUCKET)["Policy"])
    assert public["Statement"][0]["Principal"] == "*"
    shared = json.loads(client.get_bucket_policy(Bucket=seeding.PARTNER_BUCKET)["Policy"])
    assert seeding.EXTERNAL_ACCOUNT in json.dumps(shared["Statement"][0]["Principal"])
    assert client.get_bucket_versioning(Bucket=seeding.LOGS_BUCKET)["Status"] == "Enabled"
    with pytest.raises(client.exceptions.ClientError, match="ServerSideEncryptionConfigurationNotFound"):
        client.get_bucket_encryption(Bucket=seeding.CUSTOMER_BUCKET)
    enc = client.get_bucket_encryption(Bucket=seeding.LOGS_BUCKET)["ServerSideEncryptionConfiguration"]
    assert enc["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_seeded_values_are_fake_and_valid():
    import random

    from detectors.validators import VALIDATORS

    rng = random.Random(3)
    for _ in range(200):
        assert VALIDATORS["luhn"](seeding.fake_card(rng))
        assert VALIDATORS["ssn"](seeding.fake_ssn(rng))


def test_config_check_reports_ok_and_errors(tmp_path):
    ok = CliRunner().invoke(cli, ["config", "check", str(REPO / "conf" / "local.yaml")])
    assert ok.exit_code == 0 and "OK" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("scope:\n  bucket: [x]\n")
    res = CliRunner().invoke(cli, ["config", "check", str(bad)])
    assert res.exit_code != 0 and "scope.bucket: unknown key" in res.output


def test_scan_refuses_to_run_without_a_hash_key_outside_demo_mode(monkeypatch):
    monkeypatch.delenv("LAKESCAN_HASH_KEY", raising=False)
    res = CliRunner().invoke(cli, ["scan", "--config", str(REPO / "conf" / "local.yaml"),
                                   "--set", "run.mode=production"])
    assert res.exit_code != 0 and "LAKESCAN_HASH_KEY" in res.output


def test_package_is_reproducible_and_the_zip_carries_the_rules(tmp_path):
    from detectors import load_pack
    from jobs.packaging import package

    first = package(tmp_path / "a")
    assert package(tmp_path / "b") == first
    assert set(first) == {"lakescan-0.1.0-py3-none-any.whl", "lakescan-pyfiles.zip", "lakescan_main.py",
                          "glue_entry.py"}
    probe = ("import detectors, json; from detectors import load_pack; p = load_pack(selector='ALL'); "
             "print(json.dumps([detectors.__file__, len(p.rules), p.digest]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path,
                         env=dict(os.environ, PYTHONPATH=str(tmp_path / "a" / "lakescan-pyfiles.zip")))
    where, n_rules, digest = json.loads(out.stdout)
    local = load_pack(selector="ALL")
    assert "lakescan-pyfiles.zip" in where
    assert (n_rules, digest) == (len(local.rules), local.digest)
