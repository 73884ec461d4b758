"""Run configuration: one YAML schema, validated at start, with errors that name the field.

`load_config(path, overrides)` reads YAML, applies `a.b.c=value` overrides (command line, Glue job
arguments), and validates with pydantic: unknown keys, wrong types and missing values are errors.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class JobConfigError(ValueError):
    """The run configuration is invalid; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class S3Settings(_Strict):
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    max_attempts: int = Field(default=5, ge=1, le=20)
    retry_mode: Literal["adaptive", "standard", "legacy"] = "adaptive"
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)


class ServerSettings(_Strict):
    """The embedded S3 (moto) that `lakescan s3 serve` and `make demo` start."""

    host: Literal["127.0.0.1", "localhost"] = "127.0.0.1"
    port: int = Field(default=5055, ge=1024, le=65535)


class BucketScope(_Strict):
    bucket: str
    prefixes: tuple[str, ...] = ("",)


class ScopeSettings(_Strict):
    """Which buckets and prefixes are in scope. No buckets listed means every bucket of the account."""

    buckets: tuple[BucketScope, ...] = ()
    exclude_buckets: tuple[str, ...] = ()

    @field_validator("buckets", mode="before")
    @classmethod
    def _names_to_scopes(cls, v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return [{"bucket": b} if isinstance(b, str) else b for b in v]
        return v


class SamplingSettings(_Strict):
    percentage: float = Field(default=100.0, gt=0, le=100)
    seed: int = 0


class DetectorSettings(_Strict):
    selector: Literal["RECOMMENDED", "ALL", "INCLUDE", "EXCLUDE", "NONE"] = "RECOMMENDED"
    ids: tuple[str, ...] = ()
    custom_identifiers: str | None = None
    allow_lists: tuple[str, ...] = ()
    allow_regexes: tuple[str, ...] = ()
    hash_key_env: str = "LAKESCAN_HASH_KEY"


class LimitSettings(_Strict):
    max_object_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    max_text_bytes: int = Field(default=64 * 1024 * 1024, ge=1)
    max_locations_per_type: int = Field(default=1000, ge=1, le=1000)
    max_finding_locations: int = Field(default=15, ge=1, le=15)
    objects_per_partition: int = Field(default=16, ge=1)


class OutputSettings(_Strict):
    warehouse: str = ".lakescan/warehouse"

    def warehouse_path(self) -> Path:
        return Path(self.warehouse).resolve() if "://" not in self.warehouse else Path("/tmp/lakescan")

    def table(self, name: str) -> str:
        base = self.warehouse if "://" in self.warehouse else str(Path(self.warehouse).resolve())
        return f"{base.rstrip('/')}/{name}"


class SparkSettings(_Strict):
    mode: Literal["local", "cluster"] = "local"
    master: str = "local[2]"
    shuffle_partitions: int = Field(default=4, ge=1)
    driver_memory: str = "2g"
    log_level: Literal["ERROR", "WARN", "INFO"] = "ERROR"
    conf: dict[str, str] = Field(default_factory=dict)


class RunSettings(_Strict):
    name: str = "nightly"
    mode: Literal["demo", "production"] = "production"
    account_id: str = "123456789012"


class RunConfig(_Strict):
    run: RunSettings = RunSettings()
    s3: S3Settings = S3Settings()
    server: ServerSettings = ServerSettings()
    scope: ScopeSettings = ScopeSettings()
    sampling: SamplingSettings = SamplingSettings()
    detectors: DetectorSettings = DetectorSettings()
    limits: LimitSettings = LimitSettings()
    output: OutputSettings = OutputSettings()
    spark: SparkSettings = SparkSettings()

    @model_validator(mode="after")
    def _output_not_in_scanned_bucket(self) -> RunConfig:
        wh = self.output.warehouse
        if wh.startswith(("s3://", "s3a://")):
            out_bucket = wh.split("://", 1)[1].split("/", 1)[0]
            if any(b.bucket == out_bucket for b in self.scope.buckets):
                raise ValueError(
                    f"output.warehouse {wh!r} is inside scanned bucket {out_bucket!r}: "
                    "lakescan would scan its own output"
                )
        return self

    def digest(self) -> str:
        """sha256 of the validated config with secrets removed: recorded in scan_runs."""
        data = self.model_dump(mode="json")
        data["s3"].pop("secret_access_key", None)
        data["s3"].pop("access_key_id", None)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def hash_key(self) -> bytes:
        """The HMAC key for value hashes: from the environment; a fixed demo key only in demo mode."""
        key = os.environ.get(self.detectors.hash_key_env)
        if key:
            return key.encode()
        if self.run.mode == "demo":
            return b"lakescan-demo-key-not-for-production"
        raise JobConfigError(
            f"no hash key: set the environment variable {self.detectors.hash_key_env} "
            "(findings store keyed hashes, never raw values; only run.mode=demo has a built-in key)"
        )


def _set_path(data: dict, dotted: str, value: Any) -> None:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise JobConfigError(f"override {dotted!r}: {part!r} is not a section")
    node[parts[-1]] = value


def apply_overrides(data: dict, overrides: list[str] | tuple[str, ...]) -> dict:
    for item in overrides:
        if "=" not in item:
            raise JobConfigError(f"override {item!r} must look like section.key=value")
        key, raw = item.split("=", 1)
        _set_path(data, key.strip(), yaml.safe_load(raw) if raw else None)
    return data


def _format_errors(source: str, err: ValidationError) -> str:
    lines = [f"{source}: invalid configuration"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"  {loc}: {msg}")
    return "\n".join(lines)


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    data: dict = {}
    source = "<defaults>"
    if path is not None:
        source = str(path)
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except FileNotFoundError:
            raise JobConfigError(f"{source}: no such config file") from None
        except yaml.YAMLError as e:
            raise JobConfigError(f"{source}: not valid YAML: {e}") from None
        if not isinstance(data, dict):
            raise JobConfigError(f"{source}: the top level must be a mapping of sections")
    data = apply_overrides(data, overrides)
    try:
        return RunConfig.model_validate(data)
    except ValidationError as e:
        raise JobConfigError(_format_errors(source, e)) from None
