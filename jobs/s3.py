"""boto3 clients from configuration, and the embedded S3 server (moto) for laptops and tests."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jobs.config import RunConfig, S3Settings, ServerSettings


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
    """A boto3 client with bounded adaptive retries (one per partition on executors).

    Kwargs from `role_client_kwargs` (multi-account) carry `_assume_role`: the client then signs with
    that role's temporary credentials, shared by every client of this process and refreshed by
    AssumeRole before they expire (`role_credentials`).
    """
    import boto3
    from botocore.config import Config

    kw = dict(kw)
    role = kw.pop("_assume_role", None)
    retry = kw.pop("_retry", {"mode": "adaptive", "max_attempts": 5})
    connect, read = kw.pop("_timeouts", (5.0, 30.0))
    cfg = Config(
        retries=retry,
        connect_timeout=connect,
        read_timeout=read,
        s3={"addressing_style": "path"},
        max_pool_connections=16,
    )
    if role is not None:
        import botocore.session

        bs = botocore.session.get_session()
        bs._credentials = role_credentials(role)  # what boto3 documents for refreshable credentials
        client = boto3.Session(botocore_session=bs).client(service, config=cfg, **kw)
    else:
        client = boto3.client(service, config=cfg, **kw)
    client.meta.events.register("before-call", _count("s3_calls"))        # once per API call
    client.meta.events.register("request-created", _count("s3_requests"))  # once per HTTP attempt
    return client


# --------------------------------------------------------------------------- multi-account credentials

_CRED_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_ROLE_CREDENTIALS: dict[str, Any] = {}   # per process: role spec digest -> RefreshableCredentials
_ROLE_LOCK = threading.Lock()


def sts_client_kwargs(s3: S3Settings) -> dict[str, Any]:
    """The job's own (base) credentials against STS: s3.sts_endpoint_url, else s3.endpoint_url."""
    kw = client_kwargs(s3)
    url = s3.sts_endpoint_url or s3.endpoint_url
    kw.pop("endpoint_url", None)
    if url:
        kw["endpoint_url"] = url
    return kw


def assume_role(spec: dict[str, Any]) -> dict[str, str]:
    """One STS AssumeRole with the base credentials of `spec["sts"]`: botocore credential metadata."""
    sts = make_client(spec["sts"], "sts")
    params: dict[str, Any] = dict(RoleArn=spec["role_arn"], RoleSessionName=spec["session_name"],
                                  DurationSeconds=spec["duration"])
    if spec.get("external_id"):
        params["ExternalId"] = spec["external_id"]
    c = sts.assume_role(**params)["Credentials"]
    return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"], "token": c["SessionToken"],
            "expiry_time": c["Expiration"].isoformat()}


def role_credentials(spec: dict[str, Any]):
    """This process's refreshable credentials for one role, seeded with the driver's AssumeRole answer.

    botocore refreshes them (AssumeRole with the base credentials) once less than 15 minutes are
    left, so a task that starts after the seed expired, or runs past it, keeps working.
    """
    from botocore.credentials import RefreshableCredentials

    ident = {k: v for k, v in spec.items() if k != "seed"}
    key = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()
    with _ROLE_LOCK:
        creds = _ROLE_CREDENTIALS.get(key)
        if creds is None:
            creds = RefreshableCredentials.create_from_metadata(
                spec.get("seed") or assume_role(spec), refresh_using=lambda: assume_role(spec),
                method="sts-assume-role")
            _ROLE_CREDENTIALS[key] = creds
    return creds


def role_client_kwargs(base: dict[str, Any], sts: dict[str, Any], role_arn: str, external_id: str | None,
                       session_name: str, duration: int, seed: dict[str, str] | None) -> dict[str, Any]:
    """Client kwargs that act as `role_arn`: the base settings without base keys, plus the role spec."""
    kw = {k: v for k, v in base.items() if k not in _CRED_KEYS}
    kw["_assume_role"] = {"sts": sts, "role_arn": role_arn, "external_id": external_id,
                          "session_name": session_name, "duration": duration, "seed": seed}
    return kw


@dataclass
class AccountCredentials:
    """Per-account client kwargs and the account of each bucket: small and picklable (executors).

    Single account: one entry (run.account_id -> the job's credentials). Multi-account: one entry per
    account whose role was assumed; `errors` holds the accounts whose role could not be assumed.
    """

    default_account: str
    kwargs: dict[str, dict[str, Any]]
    bucket_account: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    multi: bool = False
    own: dict[str, Any] | None = None  # the job's own credentials (S3 Inventory manifests, multi-account)

    def account_of(self, bucket: str) -> str:
        return self.bucket_account.get(bucket, self.default_account)

    def kwargs_for(self, bucket: str) -> dict[str, Any]:
        return self.kwargs[self.account_of(bucket)]


def _sts_error(e: Exception) -> str:
    resp = getattr(e, "response", None)
    if isinstance(resp, dict):
        return str(resp.get("Error", {}).get("Code", type(e).__name__))
    return type(e).__name__


def account_credentials(cfg: RunConfig, base: dict[str, Any] | None = None) -> AccountCredentials:
    """Driver: assume each configured account's role once (multi-account), or the job's own account.

    A role that cannot be assumed is recorded in `errors` (`AssumeRole:<code>`), never raised.
    """
    base = client_kwargs(cfg.s3) if base is None else base
    if not cfg.accounts:
        return AccountCredentials(cfg.run.account_id, {cfg.run.account_id: base})
    sts = {**sts_client_kwargs(cfg.s3), **{k: v for k, v in base.items() if k in _CRED_KEYS}}
    out = AccountCredentials(cfg.run.account_id, {}, multi=True, own=base)
    for a in cfg.accounts:
        if a.role_arn is None:
            out.kwargs[a.account_id] = base
            continue
        spec = dict(sts=sts, role_arn=a.role_arn, external_id=a.external_id, session_name=a.session_name,
                    duration=a.duration_seconds)
        try:
            seed = assume_role(spec)
        except Exception as e:  # noqa: BLE001 - the account's buckets are recorded as errors
            out.errors[a.account_id] = f"AssumeRole:{_sts_error(e)}"
            continue
        out.kwargs[a.account_id] = role_client_kwargs(base, sts, a.role_arn, a.external_id, a.session_name,
                                                      a.duration_seconds, seed)
    return out


class Clients:
    """boto3 clients by bucket: one per account, made on first use (a partition's or the driver's).

    `s3` is plain client kwargs (one account) or `AccountCredentials`.
    """

    def __init__(self, s3: dict[str, Any] | AccountCredentials, service: str = "s3") -> None:
        self.s3, self.service = s3, service
        self._clients: dict[str | None, Any] = {}

    def for_bucket(self, bucket: str):
        if isinstance(self.s3, AccountCredentials):
            account = self.s3.account_of(bucket)
            return self.for_account(account)
        return self.for_account(None)

    def for_account(self, account: str | None):
        client = self._clients.get(account)
        if client is None:
            kw = self.s3 if not isinstance(self.s3, AccountCredentials) else self.s3.kwargs[
                account or self.s3.default_account]
            client = self._clients[account] = make_client(kw, self.service)
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
