"""Bucket posture: Macie's bucket metadata (reference section 9) and its six policy findings (section 6).

Per run, one `bucket_inventory` row per bucket in scope and the `policy_findings` raised by a change
of posture since the bucket's previous inventory row (or, on a bucket's first inventory, one per
condition it is already in, with `trigger = INITIAL_STATE`).

Three layers, so the rules are unit-testable without a JVM or S3:

- `collect_bucket(...)`: boto3 calls from the driver; returns a `RawPosture` of API answers or error codes.
- `derive(...)`, `analyze_policy`, `analyze_acl`, `effective_permission`, `shared_access`, ...: pure.
- `inventory_rows(...)` / `policy_findings(...)`: pure, rows as dicts; `write_posture(...)` does the Spark part.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobs.classify import UNREADABLE_CLASSES

try:  # the readers' own list of file types they never parse
    from jobs.formats.sniff import MEDIA_EXTENSIONS, OTHER_UNSUPPORTED

    UNSUPPORTED_EXTENSIONS = frozenset(MEDIA_EXTENSIONS | OTHER_UNSUPPORTED)
except ImportError:  # pragma: no cover
    from jobs.extract import UNSUPPORTED_EXTENSIONS

PUBLIC, NOT_PUBLIC, UNKNOWN = "PUBLIC", "NOT_PUBLIC", "UNKNOWN"
EXTERNAL, INTERNAL, NOT_SHARED = "EXTERNAL", "INTERNAL", "NOT_SHARED"
ACCESS_DENIED = "ACCESS_DENIED"

BPA_DISABLED = "Policy:IAMUser/S3BlockPublicAccessDisabled"
ENCRYPTION_DISABLED = "Policy:IAMUser/S3BucketEncryptionDisabled"
BUCKET_PUBLIC = "Policy:IAMUser/S3BucketPublic"
REPLICATED_EXTERNALLY = "Policy:IAMUser/S3BucketReplicatedExternally"
SHARED_EXTERNALLY = "Policy:IAMUser/S3BucketSharedExternally"
SHARED_WITH_CLOUDFRONT = "Policy:IAMUser/S3BucketSharedWithCloudFront"

# Macie's fixed severities for policy findings (reference section 6).
POLICY_SEVERITY = {
    BPA_DISABLED: "High",
    BUCKET_PUBLIC: "High",
    REPLICATED_EXTERNALLY: "High",
    SHARED_EXTERNALLY: "High",
    SHARED_WITH_CLOUDFRONT: "Medium",
    ENCRYPTION_DISABLED: "Low",
}
SEVERITY_SCORE = {"Low": 1, "Medium": 2, "High": 3}
POLICY_TITLES = {
    BPA_DISABLED: "Block Public Access settings are disabled for the S3 bucket",
    ENCRYPTION_DISABLED: "Default server-side encryption is disabled or reset to SSE-S3 for the S3 bucket",
    BUCKET_PUBLIC: "The S3 bucket is publicly accessible",
    REPLICATED_EXTERNALLY: "The S3 bucket is replicated to an external AWS account",
    SHARED_EXTERNALLY: "The S3 bucket is shared with an external AWS account",
    SHARED_WITH_CLOUDFRONT: "The S3 bucket is shared with a CloudFront origin access identity or control",
}
INITIAL_STATE, CHANGED = "INITIAL_STATE", "CHANGED"

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
READ_ACTIONS = ("s3:getobject", "s3:getobjectversion", "s3:listbucket", "s3:listbucketversions")
WRITE_ACTIONS = ("s3:putobject", "s3:deleteobject", "s3:putobjectacl", "s3:putbucketacl",
                 "s3:putbucketpolicy", "s3:deletebucket")
# Condition keys that pin a statement to known callers: such a statement is not public.
RESTRICTING_KEYS = {"aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcearn", "aws:sourceaccount",
                    "aws:sourceowner", "aws:principalorgid", "aws:principalaccount", "aws:principalarn",
                    "aws:userid", "aws:principalorgpaths", "s3:dataaccesspointarn", "s3:dataaccesspointaccount"}
ORG_KEYS = {"aws:principalorgid", "aws:principalorgpaths"}
SSE_HEADER = "s3:x-amz-server-side-encryption"
ACCOUNT_RE = re.compile(r"^(?:arn:aws[\w-]*:(?:iam|sts)::)?(\d{12})(?::|$)")
CLOUDFRONT_OAI = "arn:aws:iam::cloudfront:user/cloudfront origin access identity"
COMPRESSED_EXTENSIONS = {"gz", "gzip", "zip"}


# ---- pure derivations ------------------------------------------------------------------------

@dataclass(frozen=True)
class BlockPublicAccess:
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False

    @classmethod
    def from_api(cls, conf: dict[str, Any] | None) -> BlockPublicAccess:
        """From a PublicAccessBlockConfiguration; None (not configured) means every setting is off."""
        conf = conf or {}
        return cls(bool(conf.get("BlockPublicAcls")), bool(conf.get("IgnorePublicAcls")),
                   bool(conf.get("BlockPublicPolicy")), bool(conf.get("RestrictPublicBuckets")))

    @property
    def all_disabled(self) -> bool:
        return not (self.block_public_acls or self.ignore_public_acls or self.block_public_policy
                    or self.restrict_public_buckets)

    def as_row(self) -> dict[str, bool]:
        return {"block_public_acls": self.block_public_acls, "ignore_public_acls": self.ignore_public_acls,
                "block_public_policy": self.block_public_policy,
                "restrict_public_buckets": self.restrict_public_buckets}


@dataclass(frozen=True)
class PolicyAnalysis:
    public_read: bool = False
    public_write: bool = False
    accounts: frozenset[str] = frozenset()       # AWS accounts named as principals
    org_shared: bool = False                      # granted to "*" but pinned to an organization
    cloudfront: bool = False                      # a CloudFront OAI or OAC principal
    other_principals: frozenset[str] = frozenset()  # canonical users we cannot map to an account
    allows_unencrypted_uploads: str = "TRUE"      # TRUE | FALSE


@dataclass(frozen=True)
class AclAnalysis:
    public_read: bool = False
    public_write: bool = False
    other_grantees: frozenset[str] = frozenset()  # canonical ids / emails other than the owner


def _as_list(v: Any) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _matches_any(patterns: list[str], actions: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(a, p.lower()) for p in patterns for a in actions)


def _condition_keys(cond: dict[str, Any]) -> dict[str, list[str]]:
    """Condition key (lowercase) -> values, over every operator; IfExists operators do not pin a key."""
    out: dict[str, list[str]] = {}
    for op, block in (cond or {}).items():
        if not isinstance(block, dict) or op.lower().endswith("ifexists"):
            continue
        for k, v in block.items():
            out.setdefault(k.lower(), []).extend(str(x) for x in _as_list(v))
    return out


def _is_restricted(cond: dict[str, Any]) -> tuple[bool, bool]:
    """(pinned to known callers, pinned to an organization)."""
    keys = _condition_keys(cond)
    pinned = {k for k, vals in keys.items() if k in RESTRICTING_KEYS and vals and not any("*" in v for v in vals)}
    return bool(pinned), bool(pinned & ORG_KEYS)


def _principals(stmt: dict[str, Any]) -> tuple[bool, list[str], list[str], list[str]]:
    """(everyone, AWS principals, service principals, canonical users)."""
    if "NotPrincipal" in stmt:
        return True, [], [], []
    p = stmt.get("Principal")
    if p == "*":
        return True, [], [], []
    if not isinstance(p, dict):
        return False, [], [], []
    aws = [str(x) for x in _as_list(p.get("AWS"))]
    return "*" in aws, [a for a in aws if a != "*"], [str(x) for x in _as_list(p.get("Service"))], \
        [str(x) for x in _as_list(p.get("CanonicalUser"))]


def _requires_sse(stmt: dict[str, Any]) -> bool:
    """A Deny on PutObject when the SSE header is missing or not the expected value."""
    if stmt.get("Effect") != "Deny" or not _matches_any([str(a) for a in _as_list(stmt.get("Action"))],
                                                        ("s3:putobject",)):
        return False
    for op, block in (stmt.get("Condition") or {}).items():
        if not isinstance(block, dict):
            continue
        vals = {k.lower(): v for k, v in block.items()}
        if SSE_HEADER not in vals:
            continue
        if op.lower() == "null" and str(_as_list(vals[SSE_HEADER])[0]).lower() == "true":
            return True
        if op.lower() == "stringnotequals":  # a missing header is "not equal" too: denied
            return True
    return False


def analyze_policy(policy: dict[str, Any] | None) -> PolicyAnalysis:
    """What a bucket policy grants: public read/write, the accounts it shares with, SSE requirement."""
    if not policy:
        return PolicyAnalysis()
    public_read = public_write = org_shared = cloudfront = requires_sse = False
    accounts: set[str] = set()
    others: set[str] = set()
    for stmt in _as_list(policy.get("Statement")):
        if not isinstance(stmt, dict):
            continue
        if _requires_sse(stmt):
            requires_sse = True
        if stmt.get("Effect") != "Allow":
            continue
        if "NotAction" in stmt:
            reads = writes = True
        else:
            actions = [str(a) for a in _as_list(stmt.get("Action"))]
            reads, writes = _matches_any(actions, READ_ACTIONS), _matches_any(actions, WRITE_ACTIONS)
        if not (reads or writes):
            continue
        everyone, aws, services, canonical = _principals(stmt)
        restricted, to_org = _is_restricted(stmt.get("Condition") or {})
        if everyone:
            if not restricted:
                public_read |= reads
                public_write |= writes
            elif to_org:
                org_shared = True
        for a in aws:
            if a.lower().startswith(CLOUDFRONT_OAI):
                cloudfront = True
            elif m := ACCOUNT_RE.match(a):
                accounts.add(m.group(1))
            else:
                others.add(a)
        if any(s.lower() == "cloudfront.amazonaws.com" for s in services):
            cloudfront = True
        others.update(f"canonical:{c}" for c in canonical)
    return PolicyAnalysis(public_read, public_write, frozenset(accounts), org_shared, cloudfront,
                          frozenset(others), "FALSE" if requires_sse else "TRUE")


def analyze_acl(acl: dict[str, Any] | None) -> AclAnalysis:
    """Public grants (AllUsers, AuthenticatedUsers) and grantees other than the bucket owner."""
    if not acl:
        return AclAnalysis()
    owner = (acl.get("Owner") or {}).get("ID")
    public_read = public_write = False
    others: set[str] = set()
    for g in acl.get("Grants") or []:
        grantee, perm = g.get("Grantee") or {}, g.get("Permission", "")
        if grantee.get("Type") == "Group":
            if grantee.get("URI") in (ALL_USERS, AUTHENTICATED_USERS):
                public_read |= perm in ("READ", "FULL_CONTROL")
                public_write |= perm in ("WRITE", "WRITE_ACP", "FULL_CONTROL")
        elif grantee.get("Type") == "CanonicalUser" and grantee.get("ID") and grantee.get("ID") != owner:
            others.add(f"canonical:{grantee['ID']}")
        elif grantee.get("Type") == "AmazonCustomerByEmail":
            others.add("email-grantee")  # never the address itself
    return AclAnalysis(public_read, public_write, frozenset(others))


def effective_permission(account_bpa: BlockPublicAccess | None, bucket_bpa: BlockPublicAccess | None,
                         acl: AclAnalysis | None, policy: PolicyAnalysis | None) -> str:
    """PUBLIC when an ACL or policy grant is public and no Block Public Access setting neutralises it.

    IgnorePublicAcls (account or bucket) neutralises public ACLs; RestrictPublicBuckets neutralises
    public policies. BlockPublicAcls/BlockPublicPolicy only refuse new public grants. `None` = unknown.
    """
    def blocked(attr: str) -> bool | None:
        vals = [getattr(b, attr) for b in (account_bpa, bucket_bpa) if b is not None]
        if any(vals):
            return True
        return None if None in (account_bpa, bucket_bpa) else False

    unknown = False
    for grant, attr in ((acl, "ignore_public_acls"), (policy, "restrict_public_buckets")):
        if grant is None:
            unknown = True
            continue
        if grant.public_read or grant.public_write:
            b = blocked(attr)
            if b is False:
                return PUBLIC
            if b is None:
                unknown = True
    return UNKNOWN if unknown else NOT_PUBLIC


def shared_access(policy: PolicyAnalysis | None, acl: AclAnalysis | None, bucket_account: str,
                  own_accounts: tuple[str, ...] | frozenset[str]) -> tuple[str, list[str]]:
    """EXTERNAL | INTERNAL | NOT_SHARED | UNKNOWN, and the accounts / grantees shared with (sorted)."""
    if policy is None or acl is None:
        return UNKNOWN, []
    own = set(own_accounts) | {bucket_account}
    others = (policy.accounts - {bucket_account}) | policy.other_principals | acl.other_grantees
    if policy.cloudfront or any(a not in own for a in others):
        return EXTERNAL, sorted(others)
    if others or policy.org_shared:
        return INTERNAL, sorted(others)
    return NOT_SHARED, []


def replication_details(conf: dict[str, Any] | None, bucket_account: str,
                        own_accounts: tuple[str, ...] | frozenset[str]) -> tuple[bool, bool, list[str]]:
    """(replicated, replicated externally, destination accounts) from a ReplicationConfiguration."""
    rules = [r for r in (conf or {}).get("Rules", []) if r.get("Status", "Enabled") == "Enabled"]
    accounts = sorted({str(r["Destination"]["Account"]) for r in rules
                       if (r.get("Destination") or {}).get("Account")})
    own = set(own_accounts) | {bucket_account}
    return bool(rules), any(a not in own for a in accounts), accounts


def encryption_of(conf: dict[str, Any] | None) -> tuple[str, str | None]:
    """(NONE | AES256 | aws:kms | aws:kms:dsse, KMS key id) from a ServerSideEncryptionConfiguration."""
    for rule in (conf or {}).get("Rules", []):
        d = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if d.get("SSEAlgorithm"):
            return d["SSEAlgorithm"], d.get("KMSMasterKeyID")
    return "NONE", None


# ---- raw collection (driver, boto3) ------------------------------------------------------------

NOT_CONFIGURED = {"NoSuchBucketPolicy", "NoSuchPublicAccessBlockConfiguration", "NoSuchTagSet",
                  "ReplicationConfigurationNotFoundError", "ServerSideEncryptionConfigurationNotFoundError",
                  "NoSuchConfiguration"}
DENIED = {"AccessDenied", "403", "AllAccessDisabled", "AccessDeniedException"}


@dataclass
class RawPosture:
    """The API answers for one bucket: a value, None (not configured) or an error code in `errors`."""

    bucket: str
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    bucket_error: str | None = None


def _code(e: Exception) -> str:
    resp = getattr(e, "response", None)
    if isinstance(resp, dict):
        return str(resp.get("Error", {}).get("Code", type(e).__name__))
    return type(e).__name__


BUCKET_CALLS = {
    "location": ("get_bucket_location", lambda r: r.get("LocationConstraint") or "us-east-1"),
    "acl": ("get_bucket_acl", lambda r: {"Owner": r.get("Owner"), "Grants": r.get("Grants", [])}),
    "policy": ("get_bucket_policy", lambda r: json.loads(r["Policy"])),
    "bpa": ("get_public_access_block", lambda r: r["PublicAccessBlockConfiguration"]),
    "encryption": ("get_bucket_encryption", lambda r: r["ServerSideEncryptionConfiguration"]),
    "replication": ("get_bucket_replication", lambda r: r["ReplicationConfiguration"]),
    "versioning": ("get_bucket_versioning", lambda r: r.get("Status")),
    "tags": ("get_bucket_tagging", lambda r: r.get("TagSet", [])),
}


def collect_bucket(client, bucket: str, bucket_error: str | None = None) -> RawPosture:
    raw = RawPosture(bucket=bucket, bucket_error=bucket_error)
    if bucket_error:
        return raw
    for name, (call, pick) in BUCKET_CALLS.items():
        try:
            raw.values[name] = pick(getattr(client, call)(Bucket=bucket))
        except Exception as e:  # noqa: BLE001 - every API failure is recorded, never dropped
            code = _code(e)
            if code in NOT_CONFIGURED:
                raw.values[name] = None
            else:
                raw.errors[name] = code
    return raw


def account_block_public_access(s3_kwargs: dict[str, Any], account_id: str) -> tuple[dict | None, str | None]:
    """The account-level BPA via s3control: (configuration or None, error code or None)."""
    from jobs.s3 import make_client

    try:
        client = make_client(s3_kwargs, "s3control")
        if s3_kwargs.get("endpoint_url"):  # a local endpoint has no <account>.host prefix
            client.meta.events.register("before-sign.s3-control.*", _strip_account_host)
        return client.get_public_access_block(AccountId=account_id)["PublicAccessBlockConfiguration"], None
    except Exception as e:  # noqa: BLE001
        code = _code(e)
        return None, None if code in NOT_CONFIGURED else code


def _strip_account_host(request, **_: Any) -> None:
    request.url = re.sub(r"//\d{12}\.", "//", request.url)


def collect(s3_kwargs: dict[str, Any], buckets: list[str], bucket_errors: dict[str, str],
            workers: int = 8) -> list[RawPosture]:
    from jobs.s3 import make_client

    client = make_client(s3_kwargs)  # boto3 clients are thread-safe
    try:
        created = {b["Name"]: b.get("CreationDate") for b in client.list_buckets().get("Buckets", [])}
    except Exception:  # noqa: BLE001 - creation dates are optional metadata
        created = {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(buckets) or 1))) as pool:
        raws = list(pool.map(lambda b: collect_bucket(client, b, bucket_errors.get(b)), buckets))
    for raw in raws:
        if raw.bucket in created and not raw.bucket_error:
            raw.values["created_at"] = created[raw.bucket]
    return raws


# ---- rows ------------------------------------------------------------------------------------

def _error_of(raw: RawPosture) -> tuple[str | None, str | None]:
    if raw.bucket_error:
        # AssumeRole:AccessDenied (multi-account) is access denied too
        code = ACCESS_DENIED if raw.bucket_error.rsplit(":", 1)[-1] in DENIED else raw.bucket_error
        return code, f"bucket could not be reached: {raw.bucket_error}"
    denied = sorted(k for k, c in raw.errors.items() if c in DENIED)
    if denied:
        return ACCESS_DENIED, "access denied reading " + ", ".join(denied)
    if raw.errors:
        return None, "; ".join(f"{k}: {c}" for k, c in sorted(raw.errors.items()))
    return None, None


def _known(raw: RawPosture, name: str) -> bool:
    return not raw.bucket_error and name not in raw.errors


def derive(raw: RawPosture, *, account_id: str, own_accounts: tuple[str, ...],
           account_bpa: BlockPublicAccess | None) -> dict[str, Any]:
    """Posture columns of one `bucket_inventory` row (everything but the object statistics)."""
    v = raw.values
    err_code, err_msg = _error_of(raw)
    policy_doc = v.get("policy") if _known(raw, "policy") else None
    policy = analyze_policy(policy_doc) if _known(raw, "policy") else None
    acl = analyze_acl(v.get("acl")) if _known(raw, "acl") else None
    bucket_bpa = BlockPublicAccess.from_api(v.get("bpa")) if _known(raw, "bpa") else None
    enc_type, kms_key = encryption_of(v.get("encryption")) if _known(raw, "encryption") else (UNKNOWN, None)
    shared, shared_with = shared_access(policy, acl, account_id, own_accounts)
    if _known(raw, "replication"):
        replicated, repl_ext, repl_accounts = replication_details(v.get("replication"), account_id, own_accounts)
    else:
        replicated, repl_ext, repl_accounts = None, None, []
    return {
        "account_id": account_id,
        "bucket": raw.bucket,
        "bucket_arn": f"arn:aws:s3:::{raw.bucket}",
        "region": v.get("location") if _known(raw, "location") else None,
        "bucket_created_at": v.get("created_at"),
        "error_code": err_code,
        "error_message": err_msg,
        "effective_permission": effective_permission(account_bpa, bucket_bpa, acl, policy),
        "account_block_public_access": account_bpa.as_row() if account_bpa else None,
        "bucket_block_public_access": bucket_bpa.as_row() if bucket_bpa else None,
        "acl_permission": ({"allows_public_read_access": acl.public_read, "allows_public_write_access":
                            acl.public_write} if acl else None),
        "policy_permission": ({"allows_public_read_access": policy.public_read,
                               "allows_public_write_access": policy.public_write} if policy else None),
        "has_bucket_policy": bool(policy_doc) if policy is not None else None,
        "policy_sha256": (hashlib.sha256(json.dumps(policy_doc, sort_keys=True).encode()).hexdigest()
                          if policy_doc else None),
        "encryption_type": enc_type,
        "kms_master_key_id": kms_key,
        "allows_unencrypted_object_uploads": policy.allows_unencrypted_uploads if policy else UNKNOWN,
        "shared_access": shared,
        "shared_with_accounts": shared_with,
        "shared_with_cloudfront": policy.cloudfront if policy else None,
        "replicated": replicated,
        "replicated_externally": repl_ext,
        "replication_accounts": repl_accounts,
        # Macie: when the bucket errors, versioning is false.
        "versioning": (v.get("versioning") == "Enabled") if _known(raw, "versioning") else False,
        "tags": ([{"key": t["Key"], "value": t["Value"]} for t in v.get("tags") or []]
                 if _known(raw, "tags") else None),
    }


EMPTY_STATS = {
    "object_count": 0, "size_in_bytes": 0, "size_in_bytes_compressed": 0,
    "classifiable_object_count": 0, "classifiable_size_in_bytes": 0,
    "unclassifiable_object_count": {"file_type": 0, "storage_class": 0, "total": 0},
    "unclassifiable_object_size_in_bytes": {"file_type": 0, "storage_class": 0, "total": 0},
}


def is_unclassifiable_storage(storage_class: str | None) -> bool:
    return (storage_class or "STANDARD") in UNREADABLE_CLASSES


def is_unclassifiable_type(extension: str | None) -> bool:
    return (extension or "") in UNSUPPORTED_EXTENSIONS


def object_statistics_df(results):
    """Per-bucket object counts and bytes, classifiable vs not, from one run's object_results."""
    from pyspark.sql import functions as F

    storage = F.coalesce(F.col("storage_class"), F.lit("STANDARD")).isin(*sorted(UNREADABLE_CLASSES))
    ftype = F.coalesce(F.col("extension"), F.lit("")).isin(*sorted(UNSUPPORTED_EXTENSIONS))
    unclass = storage | ftype
    size = F.coalesce(F.col("size"), F.lit(0))

    def n(cond):
        return F.sum(F.when(cond, 1).otherwise(0)).cast("long")

    def b(cond):
        return F.sum(F.when(cond, size).otherwise(0)).cast("long")

    return results.groupBy("bucket").agg(
        F.count("*").alias("object_count"),
        F.sum(size).cast("long").alias("size_in_bytes"),
        b(F.col("extension").isin(*sorted(COMPRESSED_EXTENSIONS))).alias("size_in_bytes_compressed"),
        n(~unclass).alias("classifiable_object_count"),
        b(~unclass).alias("classifiable_size_in_bytes"),
        F.struct(n(ftype).alias("file_type"), n(storage).alias("storage_class"),
                 n(unclass).alias("total")).alias("unclassifiable_object_count"),
        F.struct(b(ftype).alias("file_type"), b(storage).alias("storage_class"),
                 b(unclass).alias("total")).alias("unclassifiable_object_size_in_bytes"),
    )


def inventory_rows(raws: list[RawPosture], stats: dict[str, dict[str, Any]], *, run_id: str, run_date,
                   account_id: str, own_accounts: tuple[str, ...], account_bpa: BlockPublicAccess | None,
                   captured_at: datetime) -> list[dict[str, Any]]:
    rows = []
    for raw in sorted(raws, key=lambda r: r.bucket):
        row = {"run_id": run_id, "run_date": run_date,
               **derive(raw, account_id=account_id, own_accounts=own_accounts, account_bpa=account_bpa)}
        row.update(stats.get(raw.bucket, EMPTY_STATS))
        row["captured_at"] = captured_at
        rows.append(row)
    return rows


# ---- policy findings -------------------------------------------------------------------------

def active_conditions(row: dict[str, Any]) -> dict[str, str]:
    """Policy finding type -> why, for the conditions a bucket is in. Errored rows have none."""
    if row.get("error_code"):
        return {}
    out: dict[str, str] = {}
    bpa = row.get("bucket_block_public_access")
    if bpa is not None and not any(bpa.values()):
        out[BPA_DISABLED] = "every bucket-level Block Public Access setting is off"
    if row.get("encryption_type") == "NONE":
        out[ENCRYPTION_DISABLED] = "the bucket has no default encryption"
    if row.get("effective_permission") == PUBLIC:
        via = [k for k in ("acl_permission", "policy_permission")
               if any((row.get(k) or {}).values())]
        out[BUCKET_PUBLIC] = "public access granted by the " + " and ".join(
            "ACL" if k == "acl_permission" else "bucket policy" for k in via)
    if row.get("replicated_externally"):
        out[REPLICATED_EXTERNALLY] = "replicated to account(s) " + ", ".join(row.get("replication_accounts") or [])
    if row.get("shared_access") == EXTERNAL and row.get("shared_with_accounts"):
        out[SHARED_EXTERNALLY] = "shared with " + ", ".join(row["shared_with_accounts"])
    if row.get("shared_with_cloudfront"):
        out[SHARED_WITH_CLOUDFRONT] = "the bucket policy grants a CloudFront OAI/OAC principal"
    return out


def finding_id(account_id: str, bucket: str, finding_type: str) -> str:
    """Stable per (account, bucket, type): a repeat of the same finding keeps its id, as in Macie."""
    return hashlib.sha256(f"{account_id}\x00{bucket}\x00{finding_type}".encode()).hexdigest()


def policy_findings(current: list[dict[str, Any]], previous: dict[str, dict[str, Any]],
                    history: dict[tuple[str, str], tuple[int, datetime]], now: datetime) -> list[dict[str, Any]]:
    """Findings raised by this run's inventory rows.

    `previous`: bucket -> its latest inventory row from an earlier run (absent = first inventory).
    `history`: (bucket, finding type) -> (times raised before, first raised at).
    A condition raises a finding when it holds now and did not in the previous row (trigger CHANGED),
    or holds in the bucket's first inventory (trigger INITIAL_STATE). Encryption reset from a KMS key
    to SSE-S3 also raises S3BucketEncryptionDisabled (Macie's current meaning of that finding).
    """
    out = []
    for row in current:
        bucket = row["bucket"]
        prev = previous.get(bucket)
        now_active = active_conditions(row)
        if prev is not None and not prev.get("error_code"):
            before = active_conditions(prev)
            raised = {t: why for t, why in now_active.items() if t not in before}
            if (prev.get("encryption_type") in ("aws:kms", "aws:kms:dsse")
                    and row.get("encryption_type") == "AES256"):
                raised[ENCRYPTION_DISABLED] = f"default encryption reset from {prev['encryption_type']} to SSE-S3"
            trigger, prev_run = CHANGED, prev["run_id"]
        else:
            raised, trigger, prev_run = now_active, INITIAL_STATE, (prev or {}).get("run_id")
        for ftype, why in sorted(raised.items()):
            times, first = history.get((bucket, ftype), (0, None))
            sev = POLICY_SEVERITY[ftype]
            prefix = "Already in this state at the first inventory: " if trigger == INITIAL_STATE else "Changed: "
            out.append({
                "finding_id": finding_id(row["account_id"], bucket, ftype),
                "run_id": row["run_id"], "run_date": row["run_date"], "account_id": row["account_id"],
                "bucket": bucket, "bucket_arn": row["bucket_arn"], "category": "POLICY",
                "finding_type": ftype, "severity": sev, "severity_score": SEVERITY_SCORE[sev],
                "title": POLICY_TITLES[ftype], "description": prefix + why + ".",
                "trigger": trigger, "previous_run_id": prev_run, "count": times + 1,
                "created_at": first or now, "updated_at": now,
            })
    return out


# ---- Spark -----------------------------------------------------------------------------------

@dataclass
class PostureResult:
    inventory: list[dict[str, Any]]
    findings: list[dict[str, Any]]


def _previous_state(spark, cfg, run_id: str, buckets: list[str]):
    """Latest earlier inventory row per bucket, and (bucket, type) -> (count, first raised)."""
    from delta.tables import DeltaTable
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    previous: dict[str, dict[str, Any]] = {}
    history: dict[tuple[str, str], tuple[int, datetime]] = {}
    inv_path, pf_path = cfg.output.table("bucket_inventory"), cfg.output.table("policy_findings")
    if buckets and DeltaTable.isDeltaTable(spark, inv_path):
        w = Window.partitionBy("bucket").orderBy(F.col("captured_at").desc(), F.col("run_id").desc())
        inv = (spark.read.format("delta").load(inv_path)
               .where((F.col("run_id") != run_id) & F.col("bucket").isin(*buckets))
               .withColumn("_rn", F.row_number().over(w)).where("_rn = 1").drop("_rn"))
        previous = {r["bucket"]: r.asDict(recursive=True) for r in inv.collect()}
    if buckets and DeltaTable.isDeltaTable(spark, pf_path):
        hist = (spark.read.format("delta").load(pf_path)
                .where((F.col("run_id") != run_id) & F.col("bucket").isin(*buckets))
                .groupBy("bucket", "finding_type")
                .agg(F.count("*").alias("n"), F.min("created_at").alias("first")))
        history = {(r["bucket"], r["finding_type"]): (r["n"], r["first"]) for r in hist.collect()}
    return previous, history


def build_posture(spark, cfg, run_id: str, run_date, results, buckets: list[str],
                  bucket_errors: dict[str, str], s3_kwargs) -> PostureResult:
    """Collect, derive and compare; returns the rows of both tables for this run (not yet written).

    `s3_kwargs`: client kwargs (one account), or `jobs.s3.AccountCredentials` (multi-account: each
    bucket's posture and its account's Block Public Access read with that account's role)."""
    from jobs.s3 import AccountCredentials

    creds = s3_kwargs if isinstance(s3_kwargs, AccountCredentials) else None
    by_account: dict[str, list[str]] = {}
    for b in buckets:
        by_account.setdefault(creds.account_of(b) if creds else cfg.run.account_id, []).append(b)
    # every scanned account is one of yours: sharing between them is INTERNAL
    own = tuple(dict.fromkeys((*cfg.run.own_account_ids, *(cfg.account_ids() if cfg.accounts else ()))))
    stats = {r["bucket"]: {k: v for k, v in r.asDict(recursive=True).items() if k != "bucket"}
             for r in object_statistics_df(results).collect()}
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for account, names in sorted(by_account.items()):
        kw = s3_kwargs if creds is None else creds.kwargs.get(account)
        account_bpa = None
        if cfg.posture.account_level_bpa and kw is not None:
            conf, err = account_block_public_access(kw, account)
            account_bpa = None if err else BlockPublicAccess.from_api(conf)
        if kw is None:  # the account's role could not be assumed: every bucket is an error row
            raws = [RawPosture(bucket=b, bucket_error=bucket_errors.get(b) or creds.errors.get(account, "Unknown"))
                    for b in names]
        else:
            raws = collect(kw, names, bucket_errors)
        rows += inventory_rows(raws, stats, run_id=run_id, run_date=run_date, account_id=account,
                               own_accounts=own, account_bpa=account_bpa, captured_at=now)
    rows.sort(key=lambda r: r["bucket"])
    previous, history = _previous_state(spark, cfg, run_id, buckets)
    return PostureResult(rows, policy_findings(rows, previous, history, now))


def write_posture(spark, cfg, run_id: str, run_date, results, buckets: list[str],
                  bucket_errors: dict[str, str], s3_kwargs) -> PostureResult:
    """Build and MERGE `bucket_inventory` and `policy_findings` (one commit each)."""
    from jobs import tables

    res = build_posture(spark, cfg, run_id, run_date, results, buckets, bucket_errors, s3_kwargs)
    for name, rows in (("bucket_inventory", res.inventory), ("policy_findings", res.findings)):
        df = spark.createDataFrame(rows, tables.TABLES[name][0])
        tables.merge_into(spark, df, name, cfg.output.table(name))
    return res
