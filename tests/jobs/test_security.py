"""Nothing leaks, the job needs only read access, unsafe configurations are refused.

- The job runs as `python -m jobs.main scan` (its own driver) with Spark event logs and Macie JSON
  exports on; every output is then searched for the seeded raw values (SeedManifest.all_values()):
  every Delta table (all columns, nested ones included, as JSON), the Delta logs, the job's stdout
  and stderr, Spark's event logs, the exported finding files and any other file the run wrote.
- A moto server with IAM authentication enforced: the scanner user has a read-only policy (Get/List
  only) and the run completes with it; a write with the same keys is refused.
- Config validation refuses outputs inside scanned buckets and plain-http remote endpoints in
  production, and a production run without a hash key.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from jobs import seed as seeding
from jobs.config import JobConfigError, load_config
from jobs.s3 import _port_open, free_port
from tests.conftest import REPO, make_config

LAKE = "security-lake"


def _seed(client) -> seeding.SeedManifest:
    rng = random.Random(17)
    m = seeding.SeedManifest()
    client.create_bucket(Bucket=LAKE)
    for i in range(6):
        body, values = seeding.customer_export(rng, 8)
        client.put_object(Bucket=LAKE, Key=f"exports/{i}/customers.csv", Body=body)
        m.add(LAKE, f"exports/{i}/customers.csv", values)
    for i in range(6):
        body, values = seeding.app_log(rng, seeding.date(2026, 10, 1 + i), 20, leak=True)
        client.put_object(Bucket=LAKE, Key=f"logs/{i}/events.jsonl", Body=body)
        m.add(LAKE, f"logs/{i}/events.jsonl", values)
    for i in range(6):
        body, values = seeding.partner_note(rng, sensitive=True)
        client.put_object(Bucket=LAKE, Key=f"memos/{i}.txt", Body=body)
        m.add(LAKE, f"memos/{i}.txt", values)
    return m


def _needles(values: set[str]) -> list[str]:
    digits = {"".join(c for c in v if c.isdigit()) for v in values}
    return sorted(v for v in values | {d for d in digits if len(d) >= 9} if len(v) >= 9)


def _run_cli(cfg, tmp: Path, run_id: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    cfg_file = tmp / "run.yaml"
    cfg_file.write_text(yaml.safe_dump(cfg.model_dump(mode="json")))
    env = dict(os.environ, PYTHONPATH=str(REPO), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "jobs.main", "scan", "--config", str(cfg_file), "--run-id", run_id],
                          cwd=tmp, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.spark
@pytest.mark.integration
def test_no_seeded_value_in_any_output(spark, s3_client, moto_server, tmp_path):
    from pyspark.sql import functions as F

    from jobs.tables import TABLES

    manifest = _seed(s3_client)
    needles = _needles(manifest.all_values())
    assert len(needles) > 50
    events, exports, wh = tmp_path / "events", tmp_path / "exports", tmp_path / "wh"
    events.mkdir()
    cfg = make_config(moto_server.endpoint_url, wh, f"scope.buckets={json.dumps([LAKE])}",
                      f"exports.macie_json_dir={exports}", "spark.log_level=INFO",
                      f'spark.conf={json.dumps({"spark.eventLog.enabled": "true", "spark.eventLog.dir": str(events)})}')
    proc = _run_cli(cfg, tmp_path, "20261124T050000Z-security")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "objects in scope" in proc.stdout or "objects" in proc.stdout

    outputs: dict[str, str] = {"stdout": proc.stdout, "stderr": proc.stderr}
    for name in TABLES:
        df = spark.read.format("delta").load(cfg.output.table(name))
        outputs[f"table {name}"] = "\n".join(r[0] for r in df.select(F.to_json(F.struct(*df.columns))).collect())
    assert outputs["table findings"].count("finding_id") >= len(manifest.sensitive_objects[LAKE])
    for f in tmp_path.rglob("*"):  # Delta logs, event logs, exports, Spark/derby logs, anything else
        if f.is_file() and f.suffix != ".parquet" and ".crc" not in f.name:
            outputs[str(f.relative_to(tmp_path))] = f.read_bytes().decode("utf-8", "replace")
    assert any(k.startswith("events") for k in outputs) and any(k.startswith("exports") for k in outputs)
    # every table's Delta log was read too (the commit files hold column statistics: min/max values)
    assert {k.split("/")[1] for k in outputs if "/_delta_log/" in k and k.endswith(".json")} >= set(TABLES)
    leaks = {where: [v for v in needles if v in text] for where, text in outputs.items()}
    leaks = {k: v[:3] for k, v in leaks.items() if v}
    assert not leaks, f"raw values found in {sorted(leaks)}"


# --------------------------------------------------------------------------- read-only access

# Get/List only. moto authorizes HEAD on a bucket as the action "s3:HeadBucket" (AWS uses s3:ListBucket;
# "s3:HeadBucket" grants nothing on AWS), so it is listed for moto's sake.
READ_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:HeadBucket"], "Resource": "*"}]}
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture()
def auth_server(tmp_path):
    """A moto server that enforces IAM after the 6 setup actions (2 users, 2 policies, 2 keys)."""
    import time

    import boto3

    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="6", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not _port_open("127.0.0.1", port):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port}"
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        keys = {}
        for user, doc in (("seeder", ADMIN), ("scanner", READ_ONLY)):
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName=f"{user}-policy", PolicyDocument=json.dumps(doc))
            k = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = (k["AccessKeyId"], k["SecretAccessKey"])
        yield url, keys
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(10)


@pytest.mark.spark
@pytest.mark.integration
def test_scan_works_with_read_only_keys_and_auth_enforced(spark, auth_server, tmp_path):
    from botocore.exceptions import ClientError
    from pyspark.sql import functions as F

    from jobs.s3 import client_kwargs, make_client

    url, keys = auth_server
    seeder = make_client(client_kwargs(make_config(
        url, tmp_path, f"s3.access_key_id={keys['seeder'][0]}", f"s3.secret_access_key={keys['seeder'][1]}").s3))
    manifest = _seed(seeder)
    cfg = make_config(url, tmp_path / "wh", f"scope.buckets={json.dumps([LAKE])}",
                      f"s3.access_key_id={keys['scanner'][0]}", f"s3.secret_access_key={keys['scanner'][1]}")
    scanner = make_client(client_kwargs(cfg.s3))
    with pytest.raises(ClientError) as denied:  # auth is really enforced: the scanner cannot write
        scanner.put_object(Bucket=LAKE, Key="x.txt", Body=b"x")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    bogus = make_client(client_kwargs(make_config(url, tmp_path, "s3.access_key_id=AKIAIOSFODNN7NOTREAL",
                                                  "s3.secret_access_key=nope").s3))
    with pytest.raises(ClientError):
        bogus.list_objects_v2(Bucket=LAKE)

    from jobs.cli import _pack_for
    from jobs.scan import run_scan

    report = run_scan(spark, cfg, _pack_for(cfg), run_id="20261124T050000Z-readonly")
    res = spark.read.format("delta").load(cfg.output.table("object_results"))
    assert res.count() == manifest.object_count == report.counters["objects_in_scope"]
    assert res.where(F.col("status") != "COMPLETE").count() == 0
    assert report.counters["findings"] == len(manifest.sensitive_objects[LAKE])
    assert report.bucket_errors == {}


# --------------------------------------------------------------------------- config validation

@pytest.mark.parametrize(("overrides", "message"), [
    (("scope.buckets=[lake]", "output.warehouse=s3://lake/lakescan"), "inside scanned bucket 'lake'"),
    (("scope.buckets=[]", "output.warehouse=s3://results/lakescan"), "every bucket is scanned"),
    (("scope.buckets=[lake]", "exports.macie_json_dir=s3://lake/macie/"), "exports.macie_json_dir"),
    (("run.mode=production", "s3.endpoint_url=http://s3.example.com"), "plain http"),
])
def test_config_rejects_unsafe_settings(overrides, message):
    with pytest.raises(JobConfigError, match=message.replace("(", r"\(")):
        load_config(None, overrides)


def test_config_accepts_the_safe_variants():
    load_config(None, ("scope.buckets=[]", "scope.exclude_buckets=[results]", "output.warehouse=s3://results/x"))
    load_config(None, ("run.mode=production", "s3.endpoint_url=http://127.0.0.1:5055"))
    load_config(None, ("run.mode=production", "s3.endpoint_url=https://s3.example.com"))


def test_production_run_refuses_to_start_without_a_hash_key(monkeypatch):
    monkeypatch.delenv("LAKESCAN_HASH_KEY", raising=False)
    with pytest.raises(JobConfigError, match="no hash key"):
        load_config(None, ("run.mode=production",)).hash_key()
    monkeypatch.setenv("LAKESCAN_HASH_KEY", "0123456789abcdef")
    assert load_config(None, ("run.mode=production",)).hash_key() == b"0123456789abcdef"
