"""Run configuration: validated at start, errors name the field (no JVM)."""
from __future__ import annotations

import pytest

from jobs.config import JobConfigError, load_config
from tests.conftest import REPO


def test_shipped_local_config_is_valid():
    cfg = load_config(REPO / "conf" / "local.yaml")
    assert cfg.s3.endpoint_url.startswith("http://127.0.0.1:")
    assert cfg.run.mode == "demo"


def test_unknown_key_is_named(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("sampling:\n  percentage: 10\n  persentage: 5\n")
    with pytest.raises(JobConfigError, match=r"sampling\.persentage: unknown key"):
        load_config(p)


def test_wrong_type_is_named(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("sampling:\n  percentage: lots\n")
    with pytest.raises(JobConfigError, match=r"sampling\.percentage"):
        load_config(p)


@pytest.mark.parametrize("value", ["0", "101", "-5"])
def test_sampling_percentage_out_of_range(value):
    with pytest.raises(JobConfigError, match="sampling.percentage"):
        load_config(None, [f"sampling.percentage={value}"])


def test_overrides_apply_and_are_typed():
    cfg = load_config(REPO / "conf" / "local.yaml", ["sampling.percentage=25", 'scope.buckets=["a","b"]'])
    assert cfg.sampling.percentage == 25.0
    assert [b.bucket for b in cfg.scope.buckets] == ["a", "b"]
    assert cfg.scope.buckets[0].prefixes == ("",)


def test_malformed_override_is_rejected():
    with pytest.raises(JobConfigError, match="section.key=value"):
        load_config(None, ["sampling.percentage"])


def test_output_inside_scanned_bucket_is_refused():
    with pytest.raises(JobConfigError, match="inside scanned bucket 'data'"):
        load_config(None, ['scope.buckets=["data"]', "output.warehouse=s3a://data/lakescan"])


def test_hash_key_required_outside_demo_mode(monkeypatch):
    monkeypatch.delenv("LAKESCAN_HASH_KEY", raising=False)
    cfg = load_config(None, ["run.mode=production"])
    with pytest.raises(JobConfigError, match="LAKESCAN_HASH_KEY"):
        cfg.hash_key()
    monkeypatch.setenv("LAKESCAN_HASH_KEY", "s3cr3t-from-env")
    assert cfg.hash_key() == b"s3cr3t-from-env"


def test_digest_ignores_credentials_but_not_settings():
    a = load_config(None, ["s3.secret_access_key=one"])
    b = load_config(None, ["s3.secret_access_key=two"])
    c = load_config(None, ["sampling.percentage=50"])
    assert a.digest() == b.digest() != c.digest()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(JobConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")
