"""boto3 clients from configuration, and the embedded S3 server (moto) for laptops and tests."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

from jobs.config import S3Settings, ServerSettings


def client_kwargs(s3: S3Settings) -> dict[str, Any]:
    """Plain, picklable settings for boto3: executors build their own client from these."""
    kw: dict[str, Any] = {"region_name": s3.region}
    if s3.endpoint_url:
        kw["endpoint_url"] = s3.endpoint_url
    if s3.access_key_id and s3.secret_access_key:
        kw["aws_access_key_id"] = s3.access_key_id
        kw["aws_secret_access_key"] = s3.secret_access_key
    kw["_retry"] = {"mode": s3.retry_mode, "max_attempts": s3.max_attempts}
    kw["_timeouts"] = (s3.connect_timeout, s3.read_timeout)
    return kw


# Per process: API calls and HTTP attempts (first tries + retries) of every client from make_client.
# Executors report the difference over a partition into the run's counters (jobs/classify.py).
REQUEST_STATS: Counter[str] = Counter()
_STATS_LOCK = threading.Lock()


def _count(name: str):
    def handler(**_kwargs: Any) -> None:
        with _STATS_LOCK:
            REQUEST_STATS[name] += 1
    return handler


def request_stats() -> dict[str, int]:
    with _STATS_LOCK:
        return dict(REQUEST_STATS)


def make_client(kw: dict[str, Any], service: str = "s3"):
    """A boto3 client with bounded adaptive retries (one per partition on executors)."""
    import boto3
    from botocore.config import Config

    kw = dict(kw)
    retry = kw.pop("_retry", {"mode": "adaptive", "max_attempts": 5})
    connect, read = kw.pop("_timeouts", (5.0, 30.0))
    cfg = Config(
        retries=retry,
        connect_timeout=connect,
        read_timeout=read,
        s3={"addressing_style": "path"},
        max_pool_connections=16,
    )
    client = boto3.client(service, config=cfg, **kw)
    client.meta.events.register("before-call", _count("s3_calls"))        # once per API call
    client.meta.events.register("request-created", _count("s3_requests"))  # once per HTTP attempt
    return client


def _port_open(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3ServerError(RuntimeError):
    pass


class MotoServer:
    """A moto S3 server in its own process on 127.0.0.1 (a real HTTP endpoint, not a mock)."""

    def __init__(self, settings: ServerSettings) -> None:
        self.host = settings.host
        self.port = settings.port
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> MotoServer:
        if _port_open(self.host, self.port):
            raise S3ServerError(
                f"port {self.port} on {self.host} is already in use; stop the other server "
                "or set server.port in the config"
            )
        env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jobs.motoserve", "-H", self.host, "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise S3ServerError(f"moto server exited with code {self.proc.returncode}")
            if _port_open(self.host, self.port):
                return self
            time.sleep(0.1)
        self.stop()
        raise S3ServerError(f"moto server did not listen on {self.endpoint_url} within {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_server(settings: ServerSettings) -> Iterator[MotoServer]:
    server = MotoServer(settings).start()
    try:
        yield server
    finally:
        server.stop()
