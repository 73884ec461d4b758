"""Shared fixtures: one moto S3 server, one SparkSession, one seeded lake and one finished run.

The server is a real HTTP endpoint on 127.0.0.1 in its own process; the job reaches it with
boto3 from the driver and the executors. Fixtures that need the JVM are only created by tests
marked `spark`, so `make test-fast` never starts one.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from jobs.config import RunConfig, ServerSettings, load_config
from jobs.s3 import MotoServer, client_kwargs, free_port, make_client

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer(ServerSettings(port=free_port())).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("warehouse")


def make_config(endpoint: str, warehouse: Path, *overrides: str) -> RunConfig:
    return load_config(REPO / "conf" / "local.yaml", (
        f"s3.endpoint_url={endpoint}",
        f"output.warehouse={warehouse}",
        f"detectors.custom_identifiers={REPO / 'conf' / 'custom_identifiers.example.yaml'}",
        "limits.objects_per_partition=8",
        *overrides,
    ))


@pytest.fixture(scope="session")
def base_config(moto_server, warehouse) -> RunConfig:
    return make_config(moto_server.endpoint_url, warehouse)


@pytest.fixture(scope="session")
def s3_client(moto_server):
    return make_client(client_kwargs(make_config(moto_server.endpoint_url, Path("/tmp")).s3))


@pytest.fixture(scope="session")
def spark(base_config):
    from jobs.spark import build_spark

    session = build_spark(base_config, app_name="lakescan-tests")
    yield session
    session.stop()
