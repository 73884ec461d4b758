"""Run configuration: one YAML schema, validated at start, with errors that name the field.

`load_config(path, overrides)` reads YAML, applies `a.b.c=value` overrides (command line, Glue job
arguments), and validates with pydantic: unknown keys, wrong types and missing values are errors.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
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
    # STS for `accounts:` role assumption: None = endpoint_url (moto serves STS on the S3 port), or
    # the regional STS endpoint when endpoint_url is unset. Set it when endpoint_url is S3-only.
    sts_endpoint_url: str | None = None
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


ScopeComparator = Literal["EQ", "NE", "GT", "GTE", "LT", "LTE", "CONTAINS", "STARTS_WITH"]
_TERM_COMPARATORS: dict[str, tuple[str, ...]] = {  # what Macie accepts per scope key (reference §4)
    "OBJECT_EXTENSION": ("EQ", "NE"),
    "OBJECT_KEY": ("STARTS_WITH",),
    "OBJECT_SIZE": ("EQ", "NE", "GT", "GTE", "LT", "LTE"),
    "OBJECT_LAST_MODIFIED_DATE": ("EQ", "NE", "GT", "GTE", "LT", "LTE"),
    "OBJECT_TAG": ("EQ", "NE"),
    "S3_BUCKET_NAME": ("EQ", "NE", "STARTS_WITH", "CONTAINS"),
    "TAG": ("EQ", "NE"),
}


class TagValue(_Strict):
    key: str
    value: str | None = None  # None: the tag key is present, whatever its value


class ScopeTerm(_Strict):
    """One Macie scope term (simpleScopeTerm / tagScopeTerm); values are ORed (NE: none of them).

    Object keys: OBJECT_EXTENSION, OBJECT_KEY, OBJECT_SIZE, OBJECT_LAST_MODIFIED_DATE, OBJECT_TAG.
    Bucket criteria keys: S3_BUCKET_NAME, TAG.
    """

    key: Literal["OBJECT_EXTENSION", "OBJECT_KEY", "OBJECT_SIZE", "OBJECT_LAST_MODIFIED_DATE", "OBJECT_TAG",
                 "S3_BUCKET_NAME", "TAG"]
    comparator: ScopeComparator = "EQ"
    values: tuple[str, ...] = ()
    tag_values: tuple[TagValue, ...] = ()

    @field_validator("values", mode="before")
    @classmethod
    def _scalars_to_str(cls, v: Any) -> Any:
        if isinstance(v, (str, int, float)):
            v = [v]
        return [str(x) for x in v] if isinstance(v, (list, tuple)) else v

    @model_validator(mode="after")
    def _check(self) -> ScopeTerm:
        allowed = _TERM_COMPARATORS[self.key]
        if self.comparator not in allowed:
            raise ValueError(f"{self.key}: comparator {self.comparator} not allowed (one of {', '.join(allowed)})")
        tagged = self.key in ("OBJECT_TAG", "TAG")
        if tagged and not self.tag_values:
            raise ValueError(f"{self.key}: tag_values must list at least one {{key, value}}")
        if not tagged and not self.values:
            raise ValueError(f"{self.key}: values must list at least one value")
        if self.key == "OBJECT_SIZE":
            for x in self.values:
                if not x.isdigit():
                    raise ValueError(f"OBJECT_SIZE: {x!r} is not a size in bytes")
        if self.key == "OBJECT_LAST_MODIFIED_DATE":
            from datetime import datetime

            for x in self.values:
                try:
                    datetime.fromisoformat(x.replace("Z", "+00:00"))
                except ValueError:
                    raise ValueError(f"OBJECT_LAST_MODIFIED_DATE: {x!r} is not an ISO-8601 date") from None
        return self


class BucketCriteria(_Strict):
    """Runtime bucket criteria (Macie bucketCriteria): a bucket is in scope when it matches every
    include term and not all exclude terms. Keys: S3_BUCKET_NAME, TAG."""

    includes: tuple[ScopeTerm, ...] = ()
    excludes: tuple[ScopeTerm, ...] = ()

    @model_validator(mode="after")
    def _bucket_keys_only(self) -> BucketCriteria:
        for t in (*self.includes, *self.excludes):
            if t.key not in ("S3_BUCKET_NAME", "TAG"):
                raise ValueError(f"bucket criteria accept S3_BUCKET_NAME and TAG, not {t.key}")
        return self


ROLE_ARN = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")


def _bucket_names_to_scopes(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return [{"bucket": b} if isinstance(b, str) else b for b in v]
    return v


class AccountScope(_Strict):
    """One AWS account whose buckets the run scans (top-level `accounts:`, docs/deploy.md).

    The driver assumes `role_arn` (STS AssumeRole, with `external_id` when set) and every S3 call
    for this account's buckets - listing, tags, reads, posture - uses that role's credentials.
    Without `role_arn` the account is scanned with the job's own credentials (at most one such
    entry: the account the job runs in). `buckets`, `exclude_buckets` and `bucket_criteria` have
    the shape of their `scope.` namesakes; no buckets listed means every bucket the role can list.
    `scope.exclude_buckets` and `scope.bucket_criteria` apply to every account as well.
    """

    account_id: str
    role_arn: str | None = None
    external_id: str | None = None
    session_name: str = "lakescan"
    duration_seconds: int = Field(default=3600, ge=900, le=43200)
    buckets: tuple[BucketScope, ...] = ()
    exclude_buckets: tuple[str, ...] = ()
    bucket_criteria: BucketCriteria = BucketCriteria()

    @field_validator("account_id", mode="before")
    @classmethod
    def _quoted(cls, v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            raise ValueError("write the account id as a quoted string (\"012345678901\"): "
                             "an unquoted YAML number loses leading zeros")
        return v

    @field_validator("account_id")
    @classmethod
    def _twelve_digits(cls, v: str) -> str:
        if not ACCOUNT_ID.match(v):
            raise ValueError(f"{v!r} is not an AWS account id (12 digits)")
        return v

    @field_validator("buckets", mode="before")
    @classmethod
    def _names_to_scopes(cls, v: Any) -> Any:
        return _bucket_names_to_scopes(v)

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[\w+=,.@:/-]{2,1224}", v):
            raise ValueError("external_id must be 2-1224 characters of letters, digits and +=,.@:/-_")
        return v

    @field_validator("session_name")
    @classmethod
    def _session_name(cls, v: str) -> str:
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", v):
            raise ValueError("session_name must be 2-64 characters of letters, digits and +=,.@-_")
        return v

    @model_validator(mode="after")
    def _role_matches_account(self) -> AccountScope:
        if self.role_arn is None:
            if self.external_id is not None:
                raise ValueError(f"account {self.account_id}: external_id needs a role_arn to assume")
            return self
        m = ROLE_ARN.match(self.role_arn)
        if not m:
            raise ValueError(f"account {self.account_id}: role_arn {self.role_arn!r} is not an IAM role ARN "
                             "(arn:aws:iam::<account id>:role/<name>)")
        if m.group(1) != self.account_id:
            raise ValueError(f"account {self.account_id}: role_arn {self.role_arn!r} is a role of account "
                             f"{m.group(1)}, not of {self.account_id}")
        return self


class InventorySettings(_Strict):
    """S3 Inventory reports to enumerate from (scope.source=inventory).

    Each entry is an s3:// URL of a manifest.json, or of the report's folder
    (`s3://dest/prefix/<source-bucket>/<config-id>/`), where the latest dated manifest is used.
    """

    manifests: tuple[str, ...] = ()


class ListingSettings(_Strict):
    """Distributed listing (scope.source=list): how the driver splits the key space into pieces."""

    discovery_depth: int = Field(default=2, ge=0, le=8)   # delimiter levels the driver explores
    target_pieces: int = Field(default=64, ge=1)           # stop exploring once this many pieces exist
    split_flat: bool = True      # split a prefix with >1 page of direct keys into StartAfter key ranges


class ScopeSettings(_Strict):
    """Which buckets and objects are in scope (Macie job scoping, reference §4).

    No buckets listed (and no bucket criteria) means every bucket of the account. `includes` and
    `excludes` are Macie's object scoping blocks: an object is in scope when it matches every include
    term and does not match every exclude term. Excluded objects are out of scope: they get no
    object_results row and are counted per reason (scan_runs counters `excluded_<term>`, `lakescan plan`).
    """

    buckets: tuple[BucketScope, ...] = ()
    exclude_buckets: tuple[str, ...] = ()
    source: Literal["list", "inventory"] = "list"
    inventory: InventorySettings = InventorySettings()
    listing: ListingSettings = ListingSettings()
    bucket_criteria: BucketCriteria = BucketCriteria()
    includes: tuple[ScopeTerm, ...] = ()
    excludes: tuple[ScopeTerm, ...] = ()

    @model_validator(mode="after")
    def _object_keys_only(self) -> ScopeSettings:
        for t in (*self.includes, *self.excludes):
            if t.key in ("S3_BUCKET_NAME", "TAG"):
                raise ValueError(f"{t.key} belongs in scope.bucket_criteria, not in object includes/excludes")
        if self.source == "inventory" and not self.inventory.manifests:
            raise ValueError("scope.source=inventory needs scope.inventory.manifests")
        return self

    @field_validator("buckets", mode="before")
    @classmethod
    def _names_to_scopes(cls, v: Any) -> Any:
        return _bucket_names_to_scopes(v)


class SamplingSettings(_Strict):
    """Which in-scope objects a run reads (jobs/sampling.py, docs/enumeration.md).

    percentage: Macie's samplingPercentage (deterministic from bucket, key, etag, seed).
    mode=stratified: first `representatives` objects of each key-shape cluster, then the percentage.
    rotate: prefer objects never classified (coverage table); the percentage becomes a per-run quota.
    incremental: Macie's scheduled job: only new/changed objects; unchanged keep their last result.
    Budgets cap objects/bytes per run and per bucket (in priority order, a prefix, never skipping ahead).
    Byte ranges: text-like objects above range_threshold_bytes are read as head + spread ranges.
    """

    percentage: float = Field(default=100.0, gt=0, le=100)
    seed: int = 0
    mode: Literal["random", "stratified"] = "random"
    representatives: int = Field(default=1, ge=1)
    rotate: bool = False
    incremental: bool = False
    initial_run: bool = True
    run_max_objects: int | None = Field(default=None, ge=0)
    run_max_bytes: int | None = Field(default=None, ge=0)
    bucket_max_objects: int | None = Field(default=None, ge=0)
    bucket_max_bytes: int | None = Field(default=None, ge=0)
    range_threshold_bytes: int | None = Field(default=None, ge=1)
    range_head_bytes: int = Field(default=1024 * 1024, ge=1)
    range_count: int = Field(default=4, ge=0, le=64)
    range_bytes: int = Field(default=256 * 1024, ge=1)


class DetectorSettings(_Strict):
    selector: Literal["RECOMMENDED", "ALL", "INCLUDE", "EXCLUDE", "NONE"] = "RECOMMENDED"
    ids: tuple[str, ...] = ()
    custom_identifiers: str | None = None
    allow_lists: tuple[str, ...] = ()
    allow_regexes: tuple[str, ...] = ()
    hash_key_env: str = "LAKESCAN_HASH_KEY"
    hash_key_secret: str | None = None  # AWS Secrets Manager secret id holding the key (production)


class FormatSizeLimits(_Strict):
    """Largest object of each format that is analyzed (Macie §5); larger: FILE_EXCEEDS_SIZE_LIMIT."""

    avro: int = Field(default=8 * 1024 ** 3, ge=1)
    parquet: int = Field(default=8 * 1024 ** 3, ge=1)
    orc: int = Field(default=8 * 1024 ** 3, ge=1)
    gzip: int = Field(default=8 * 1024 ** 3, ge=1)
    bz2: int = Field(default=8 * 1024 ** 3, ge=1)
    zstd: int = Field(default=8 * 1024 ** 3, ge=1)
    zip: int = Field(default=8 * 1024 ** 3, ge=1)
    tar: int = Field(default=20 * 1024 ** 3, ge=1)
    pdf: int = Field(default=1024 * 1024 ** 2, ge=1)
    docx: int = Field(default=512 * 1024 ** 2, ge=1)
    xlsx: int = Field(default=512 * 1024 ** 2, ge=1)
    eml: int = Field(default=20 * 1024 ** 3, ge=1)
    text: int = Field(default=20 * 1024 ** 3, ge=1)  # txt/csv/tsv/json/jsonl/xml/html/yaml/...


class LimitSettings(_Strict):
    max_object_bytes: int = Field(default=20 * 1024 ** 3, ge=1)  # no object larger is read at all
    max_text_bytes: int = Field(default=64 * 1024 * 1024, ge=1)  # largest JSON document parsed as one tree
    max_locations_per_type: int = Field(default=1000, ge=1, le=1000)
    max_finding_locations: int = Field(default=15, ge=1, le=15)
    objects_per_partition: int = Field(default=16, ge=1)
    # object formats (jobs/formats): Macie's limits as defaults
    format_max_bytes: FormatSizeLimits = FormatSizeLimits()
    max_in_memory_bytes: int = Field(default=256 * 1024 * 1024, ge=1)  # formats that must be loaded whole
    json_max_depth: int = Field(default=256, ge=1, le=10_000)
    archive_max_depth: int = Field(default=10, ge=1, le=100)
    archive_max_files: int = Field(default=1_000_000, ge=1)
    archive_max_total_bytes: int = Field(default=10 * 1024 ** 3, ge=1)
    archive_max_file_bytes: int = Field(default=3 * 1024 ** 3, ge=1)
    max_compression_ratio: float = Field(default=200.0, gt=1)  # decompression-bomb guard
    ooxml_max_ratio: float = Field(default=100.0, gt=1)
    ooxml_max_uncompressed_bytes: int = Field(default=1024 ** 3, ge=1)
    stream_chunk_bytes: int = Field(default=4 * 1024 * 1024, ge=4096)
    stream_overlap_chars: int = Field(default=64 * 1024, ge=1024)  # >= longest match + keyword distance
    # per-task memory bound: the Python worker RSS, interpreter and compiled rules included
    task_memory_bytes: int = Field(default=512 * 1024 * 1024, ge=1)

    def reader_limits(self):
        """The executors' `jobs.formats.Limits` for these settings."""
        from jobs.formats import Limits

        return Limits(
            max_text_bytes=self.max_text_bytes, max_in_memory_bytes=self.max_in_memory_bytes,
            max_locations_per_type=self.max_locations_per_type, json_max_depth=self.json_max_depth,
            size_limits=tuple(self.format_max_bytes.model_dump().items()),
            archive_max_depth=self.archive_max_depth, archive_max_files=self.archive_max_files,
            archive_max_total_bytes=self.archive_max_total_bytes,
            archive_max_file_bytes=self.archive_max_file_bytes, max_compression_ratio=self.max_compression_ratio,
            ooxml_max_ratio=self.ooxml_max_ratio, ooxml_max_uncompressed_bytes=self.ooxml_max_uncompressed_bytes,
            stream_chunk_bytes=self.stream_chunk_bytes, stream_overlap_chars=self.stream_overlap_chars,
        )


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
    # Accounts of your own organization: sharing with them is INTERNAL, with any other EXTERNAL.
    own_account_ids: tuple[str, ...] = ()


class PostureSettings(_Strict):
    """Bucket inventory and policy findings (jobs/posture.py, docs/tables.md)."""

    enabled: bool = True
    account_level_bpa: bool = True  # read the account's Block Public Access with s3control


class MaintenanceSettings(_Strict):
    """Delta maintenance after a run (also `lakescan maintain`)."""

    optimize_after_run: bool = False
    vacuum_after_run: bool = False
    vacuum_retain_hours: int = Field(default=168, ge=168)
    # Keep the rows of the last N runs in the per-run tables (object_results, findings, bucket_scores,
    # bucket_inventory, policy_findings); older runs are deleted before OPTIMIZE. scan_runs keeps every
    # run (one row each). None: keep all history.
    retain_runs: int | None = Field(default=None, ge=2)


class QualitySettings(_Strict):
    """The data-quality gate at the end of a run (jobs/quality.py)."""

    gate: bool = True


class ExportSettings(_Strict):
    """Finding exports, all off by default (jobs/exports.py)."""

    macie_json_dir: str | None = None  # write Macie finding JSON files here
    security_hub: bool = False         # BatchImportFindings in ASFF
    eventbridge: bool = False          # PutEvents, one event per finding
    event_bus_name: str = "default"


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
    posture: PostureSettings = PostureSettings()
    maintenance: MaintenanceSettings = MaintenanceSettings()
    quality: QualitySettings = QualitySettings()
    exports: ExportSettings = ExportSettings()
    accounts: tuple[AccountScope, ...] = ()  # multi-account: one role per account (AccountScope)

    @model_validator(mode="after")
    def _accounts_consistent(self) -> RunConfig:
        if not self.accounts:
            return self
        if self.scope.buckets:
            raise ValueError("with accounts:, list each account's buckets under accounts[].buckets, "
                             "not in scope.buckets (scope.exclude_buckets and scope.bucket_criteria "
                             "still apply to every account)")
        seen: dict[str, int] = {}
        owner: dict[str, str] = {}
        own_creds = [a.account_id for a in self.accounts if a.role_arn is None]
        if len(own_creds) > 1:
            raise ValueError(f"accounts {', '.join(own_creds)} have no role_arn: only one account (the one the "
                             "job runs in) can be scanned with the job's own credentials")
        for i, a in enumerate(self.accounts):
            if a.account_id in seen:
                raise ValueError(f"accounts[{i}]: account {a.account_id} is already accounts[{seen[a.account_id]}]")
            seen[a.account_id] = i
            for b in a.buckets:
                if owner.get(b.bucket, a.account_id) != a.account_id:
                    raise ValueError(f"accounts[{i}]: bucket {b.bucket!r} is also listed for account "
                                     f"{owner[b.bucket]} (a bucket belongs to one account)")
                owner[b.bucket] = a.account_id
        return self

    def account_ids(self) -> tuple[str, ...]:
        """The accounts whose buckets this run scans."""
        return tuple(a.account_id for a in self.accounts) or (self.run.account_id,)

    @model_validator(mode="after")
    def _output_not_in_scanned_bucket(self) -> RunConfig:
        # Outputs (tables, Macie JSON exports) never land in a bucket the run scans: lakescan would
        # scan its own output, and the job would need write access to scanned buckets. With no bucket
        # list every bucket of the account is scanned, so the output bucket must be excluded.
        outputs = (("output.warehouse", self.output.warehouse), ("exports.macie_json_dir", self.exports.macie_json_dir))
        for field, where in outputs:
            if not where or not where.startswith(("s3://", "s3a://")):
                continue
            out_bucket = where.split("://", 1)[1].split("/", 1)[0]
            if self.accounts:  # explicitly listed, or in an account scanned whole and not excluded
                scanned = any(
                    any(b.bucket == out_bucket for b in a.buckets) if a.buckets
                    else out_bucket not in (*self.scope.exclude_buckets, *a.exclude_buckets)
                    for a in self.accounts)
                if scanned:
                    raise ValueError(
                        f"{field} {where!r} may be inside scanned bucket {out_bucket!r}: it is listed in "
                        "accounts[].buckets, or an account without a bucket list does not exclude it "
                        "(add it to scope.exclude_buckets)")
                continue
            scanned = (any(b.bucket == out_bucket for b in self.scope.buckets) if self.scope.buckets
                       else out_bucket not in self.scope.exclude_buckets)
            if scanned:
                hint = "" if self.scope.buckets else " (scope.buckets is empty: every bucket is scanned; " \
                    "add it to scope.exclude_buckets)"
                raise ValueError(
                    f"{field} {where!r} is inside scanned bucket {out_bucket!r}: "
                    f"lakescan would scan its own output{hint}"
                )
        return self

    @model_validator(mode="after")
    def _no_plaintext_endpoint_in_production(self) -> RunConfig:
        for name, url in (("endpoint_url", self.s3.endpoint_url or ""),
                          ("sts_endpoint_url", self.s3.sts_endpoint_url or "")):
            if self.run.mode == "production" and url.startswith("http://"):
                host = url[7:].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
                if host not in ("127.0.0.1", "localhost", "::1"):
                    raise ValueError(f"s3.{name} {url!r}: plain http to a remote host in production mode "
                                     "would send object contents and signed requests unencrypted; use https")
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
        if self.detectors.hash_key_secret:
            import boto3

            sm = boto3.client("secretsmanager", region_name=self.s3.region)
            return sm.get_secret_value(SecretId=self.detectors.hash_key_secret)["SecretString"].encode()
        if self.run.mode == "demo":
            return b"lakescan-demo-key-not-for-production"
        raise JobConfigError(
            f"no hash key: set the environment variable {self.detectors.hash_key_env} "
            "(findings store keyed hashes, never raw values; only run.mode=demo has a built-in key)"
        )


def _set_path(data: dict, dotted: str, value: Any) -> None:
    """`a.b.c=v`; a numeric part indexes a list (`accounts.0.external_id=...`)."""
    node: Any = data
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise JobConfigError(f"override {dotted!r}: {part!r} is not an index of the list "
                                     f"{'.'.join(parts[:i])} ({len(node)} entries)")
            if last:
                node[int(part)] = value
                return
            node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return
            node = node.setdefault(part, {})
        else:
            raise JobConfigError(f"override {dotted!r}: {parts[i - 1]!r} is not a section")
        if not isinstance(node, (dict, list)):
            raise JobConfigError(f"override {dotted!r}: {part!r} is not a section")


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


def _read_config_text(path: str) -> str:
    """A local path, or s3://bucket/key (how Glue and EMR steps pass their config)."""
    if path.startswith("s3://"):
        import boto3

        bucket, _, key = path[5:].partition("/")
        try:
            return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        except Exception as e:  # noqa: BLE001 - reported as a config error naming the path
            raise JobConfigError(f"{path}: cannot read config from S3: {type(e).__name__}") from None
    return Path(path).read_text()


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    data: dict = {}
    source = "<defaults>"
    if path is not None:
        source = str(path)
        try:
            data = yaml.safe_load(_read_config_text(str(path))) or {}
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
