"""Enumeration and scoping: the objects in scope, as a DataFrame. Never a driver-side list of objects.

Two sources (`scope.source`):

- `list`: the driver resolves the buckets (explicit list or Macie bucket criteria on name and tags),
  then discovers the key space of each (bucket, prefix): a delimiter listing a few levels deep
  (`scope.listing.discovery_depth`) turns common prefixes into pieces; a prefix with more than one
  page of direct keys is split into StartAfter key ranges instead of being paged through by the
  driver. Executors list the pieces in parallel with ListObjectsV2 paginators.
- `inventory`: S3 Inventory reports (CSV, ORC, Parquet) read by Spark (jobs/inventory.py).

Scoping (Macie job scoping, reference §4) is then a set of column expressions: each object gets an
`exclusion` reason (null = in scope). Excluded objects are out of scope (no object_results row) and
counted per reason. Objects in unreadable storage classes stay in scope and are SKIPPED with
INVALID_OBJECT_STATE by the classifier. Bucket-level errors are recorded, never dropped.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobs.config import AccountScope, RunConfig, ScopeTerm
from jobs.s3 import AccountCredentials, Clients, account_credentials, make_client

LISTING_SCHEMA = ("bucket string, key string, size long, etag string, last_modified timestamp, "
                  "storage_class string, version_id string, error string")
OBJECT_COLUMNS = ("bucket", "key", "size", "etag", "last_modified", "storage_class", "version_id")
# Boundaries for key-range pieces: the next character after the prefix shared by the first page.
RANGE_ALPHABET = "-.0123456789=ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
PAGE = 1000  # ListObjectsV2 keys per page


def _error_code(e: Exception) -> str:
    resp = getattr(e, "response", None)
    if isinstance(resp, dict):
        return str(resp.get("Error", {}).get("Code", type(e).__name__))
    return type(e).__name__


# --------------------------------------------------------------------------- pieces

@dataclass(frozen=True)
class Piece:
    """A unit of listing: keys under `prefix`, after `start_after` (exclusive) up to `end_at`
    (inclusive); `delimited` lists only the keys directly at `prefix` (not under a sub-prefix)."""

    bucket: str
    prefix: str
    start_after: str | None = None
    end_at: str | None = None
    delimited: bool = False

    def as_tuple(self) -> tuple:
        return (self.bucket, self.prefix, self.start_after, self.end_at, self.delimited)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


def key_range_pieces(bucket: str, prefix: str, first_keys: list[str], delimited: bool) -> list[Piece]:
    """Split the keys under `prefix` into contiguous (start_after, end_at] ranges.

    The boundaries are `stem + c` for each c of RANGE_ALPHABET, where `stem` is the prefix the
    first page's keys share: together the ranges cover every key (any character), disjointly.
    """
    stem = prefix
    if first_keys:
        stem = _common_prefix(first_keys[0], first_keys[-1])
        if not stem.startswith(prefix):
            stem = prefix
    bounds = [stem + c for c in RANGE_ALPHABET]
    pieces, lo = [], None
    for b in bounds:
        pieces.append(Piece(bucket, prefix, lo, b, delimited))
        lo = b
    pieces.append(Piece(bucket, prefix, lo, None, delimited))
    return pieces


def discover_pieces(client, bucket: str, prefix: str, depth: int, target: int,
                    split_flat: bool = True, max_pages: int = 2) -> tuple[list[Piece], int]:
    """Explore the key space below `prefix` with delimiter listings; returns (pieces, LIST calls).

    The driver reads at most `max_pages` pages per prefix and level; it never pages through the
    objects themselves: a prefix with more direct keys than that becomes key-range pieces.
    """
    calls = 0
    pieces: list[Piece] = []
    frontier = [prefix]
    for _ in range(depth):
        if not frontier or len(frontier) + len(pieces) >= target:
            break
        nxt: list[str] = []
        for p in frontier:
            subs: list[str] = []
            direct: list[str] = []
            token = None
            complete = False
            for _page in range(max_pages):
                kw: dict[str, Any] = dict(Bucket=bucket, Prefix=p, Delimiter="/", MaxKeys=PAGE)
                if token:
                    kw["ContinuationToken"] = token
                resp = client.list_objects_v2(**kw)
                calls += 1
                subs.extend(cp["Prefix"] for cp in resp.get("CommonPrefixes", []))
                if len(direct) < PAGE:
                    direct.extend(o["Key"] for o in resp.get("Contents", [])[: PAGE - len(direct)])
                token = resp.get("NextContinuationToken")
                if not resp.get("IsTruncated"):
                    complete = True
                    break
            if not complete:
                # Too much under this prefix for the driver: ranges over everything below it.
                pieces.extend(key_range_pieces(bucket, p, direct, delimited=False) if split_flat
                              else [Piece(bucket, p)])
                continue
            if direct:
                pieces.append(Piece(bucket, p, delimited=True))
            nxt.extend(subs)
        frontier = nxt
    pieces.extend(Piece(bucket, p) for p in frontier)
    return pieces, calls


def list_partition(pieces: Iterator[tuple], s3: dict[str, Any] | AccountCredentials,
                   counter=None) -> Iterator[tuple]:
    """Pieces -> (bucket, key, size, etag, last_modified, storage_class, version_id, error) rows.

    `s3`: client kwargs, or per-account credentials (each bucket listed with its account's role)."""
    clients = Clients(s3)
    calls = 0
    for piece in pieces:
        if len(piece) == 2:  # (bucket, prefix)
            piece = (*piece, None, None, False)
        bucket, prefix, start_after, end_at, delimited = piece
        client = clients.for_bucket(bucket)
        kw: dict[str, Any] = dict(Bucket=bucket, Prefix=prefix)
        if start_after:
            kw["StartAfter"] = start_after
        if delimited:
            kw["Delimiter"] = "/"
        try:
            done = False
            for page in client.get_paginator("list_objects_v2").paginate(**kw):
                calls += 1
                for o in page.get("Contents", []):
                    k = o["Key"]
                    if end_at is not None and k > end_at:  # code point order = UTF-8 byte order
                        done = True
                        break
                    if k.endswith("/") and o["Size"] == 0:
                        continue  # folder marker, not an object
                    yield (bucket, k, int(o["Size"]), o.get("ETag", "").strip('"'),
                           o.get("LastModified"), o.get("StorageClass", "STANDARD"), None, None)
                if done:
                    break
        except Exception as e:  # noqa: BLE001 - becomes a recorded bucket error
            yield (bucket, None, 0, None, None, None, None, _error_code(e))
    if counter is not None:
        counter.add(calls)


# --------------------------------------------------------------------------- buckets

def _match_name(term: ScopeTerm, name: str) -> bool:
    c, vals = term.comparator, term.values
    if c == "EQ":
        return name in vals
    if c == "NE":
        return name not in vals
    if c == "STARTS_WITH":
        return any(name.startswith(v) for v in vals)
    return any(v in name for v in vals)  # CONTAINS


def _match_tags(term: ScopeTerm, tags: dict[str, str]) -> bool:
    hit = any(tv.key in tags and (tv.value is None or tags[tv.key] == tv.value) for tv in term.tag_values)
    return hit if term.comparator == "EQ" else not hit


def bucket_in_criteria(cfg: RunConfig, name: str, tags_of, account: AccountScope | None = None) -> str | None:
    """None when the bucket is in scope, else the reason (`bucket_criteria:<KEY>`).

    With an account (multi-account), its own bucket criteria must hold as well as scope's."""
    crits = (cfg.scope.bucket_criteria, *((account.bucket_criteria,) if account is not None else ()))
    for crit in crits:
        for t in crit.includes:
            ok = _match_name(t, name) if t.key == "S3_BUCKET_NAME" else _match_tags(t, tags_of(name))
            if not ok:
                return f"bucket_include:{t.key}"
        if crit.excludes and all(
                _match_name(t, name) if t.key == "S3_BUCKET_NAME" else _match_tags(t, tags_of(name))
                for t in crit.excludes):
            return "bucket_exclude:" + "+".join(t.key for t in crit.excludes)
    return None


def resolve_buckets(cfg: RunConfig, s3: dict[str, Any], check: bool = True, account: AccountScope | None = None
                    ) -> tuple[list[tuple[str, str]], dict[str, str], dict[str, str]]:
    """(bucket, prefix) scopes, bucket errors (bucket -> code), buckets out of scope (bucket -> reason).

    `account` (multi-account): that account's bucket list and criteria, with `s3` its credentials."""
    client = make_client(s3)
    errors: dict[str, str] = {}
    excluded: dict[str, str] = {}
    listed = account.buckets if account is not None else cfg.scope.buckets
    exclude = (*cfg.scope.exclude_buckets, *(account.exclude_buckets if account is not None else ()))
    if listed:
        scopes = [(b.bucket, b.prefixes) for b in listed]
    else:
        scopes = [(b["Name"], ("",)) for b in client.list_buckets().get("Buckets", [])]
    tag_cache: dict[str, dict[str, str]] = {}

    def tags_of(name: str) -> dict[str, str]:
        if name not in tag_cache:
            try:
                ts = client.get_bucket_tagging(Bucket=name).get("TagSet", [])
            except Exception:  # noqa: BLE001 - NoSuchTagSet: no tags
                ts = []
            tag_cache[name] = {t["Key"]: t["Value"] for t in ts}
        return tag_cache[name]

    scoped = []
    for bucket, prefixes in scopes:
        if bucket in exclude:
            excluded[bucket] = "exclude_buckets"
            continue
        reason = bucket_in_criteria(cfg, bucket, tags_of, account)
        if reason:
            excluded[bucket] = reason
            continue
        if check:
            try:
                client.head_bucket(Bucket=bucket)
            except Exception as e:  # noqa: BLE001
                errors[bucket] = _error_code(e)
                continue
        scoped.extend((bucket, p) for p in prefixes)
    return scoped, errors, excluded


# --------------------------------------------------------------------------- object scoping

def _ext_col():
    from pyspark.sql import functions as F

    return F.lower(F.regexp_extract(F.col("key"), r"\.([^./]+)$", 1))


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def term_column(term: ScopeTerm):
    """Macie's semantics for one object scope term, as a boolean column (values ORed; NE: none)."""
    from pyspark.sql import functions as F

    c, vals = term.comparator, term.values
    if term.key == "OBJECT_EXTENSION":
        exts = [v.lower().lstrip(".") for v in vals]
        hit = _ext_col().isin(exts)
        return hit if c == "EQ" else ~hit
    if term.key == "OBJECT_KEY":
        out = F.lit(False)
        for v in vals:
            out = out | F.col("key").startswith(v)
        return out
    if term.key == "OBJECT_TAG":
        hit = F.lit(False)
        for tv in term.tag_values:
            # S3 tag values are strings ("" at least), so a null lookup means the key is absent; this also
            # runs on Spark 3.5, whose map_contains_key takes no Column
            present = F.coalesce(F.col("tags").getItem(tv.key).isNotNull(), F.lit(False))
            hit = hit | (present if tv.value is None
                         else present & (F.col("tags").getItem(tv.key) == F.lit(tv.value)))
        return hit if c == "EQ" else ~hit
    if term.key == "OBJECT_SIZE":
        col, lits = F.col("size"), [F.lit(int(v)) for v in vals]
    else:  # OBJECT_LAST_MODIFIED_DATE
        col = F.col("last_modified")
        lits = [F.lit(_aware(datetime.fromisoformat(v.replace("Z", "+00:00")))) for v in vals]
    ops = {"EQ": lambda a, b: a == b, "GT": lambda a, b: a > b, "GTE": lambda a, b: a >= b,
           "LT": lambda a, b: a < b, "LTE": lambda a, b: a <= b}
    if c == "NE":
        out = F.lit(True)
        for lit in lits:
            out = out & (col != lit)
        return out
    out = F.lit(False)
    for lit in lits:
        out = out | ops[c](col, lit)
    return out


def exclusion_column(includes: tuple[ScopeTerm, ...], excludes: tuple[ScopeTerm, ...]):
    """The first failing include term (`include:<KEY>`), or `exclude:<KEYS>` when every exclude term
    matches, else null (in scope)."""
    from pyspark.sql import functions as F

    out = F.lit(None).cast("string")
    if excludes:
        all_match = F.lit(True)
        for t in excludes:
            all_match = all_match & F.coalesce(term_column(t), F.lit(False))
        out = F.when(all_match, F.lit("exclude:" + "+".join(t.key for t in excludes))).otherwise(out)
    for t in reversed(includes):  # the first failing include wins
        out = F.when(~F.coalesce(term_column(t), F.lit(False)), F.lit(f"include:{t.key}")).otherwise(out)
    return out


def tag_partition(rows: Iterator[Any], s3: dict[str, Any] | AccountCredentials, counter=None) -> Iterator[tuple]:
    """Executors: GetObjectTagging for objects still in scope (tag terms need it; LIST does not return tags)."""
    clients = Clients(s3)
    calls = 0
    for r in rows:
        tags = None
        if r["exclusion"] is None:
            client = clients.for_bucket(r["bucket"])
            try:
                kw = dict(Bucket=r["bucket"], Key=r["key"])
                if r["version_id"]:
                    kw["VersionId"] = r["version_id"]
                ts = client.get_object_tagging(**kw).get("TagSet", [])
                tags = {t["Key"]: t["Value"] for t in ts}
            except Exception:  # noqa: BLE001 - an unreadable tag set matches no tag term
                tags = {}
            calls += 1
        yield (*[r[c] for c in OBJECT_COLUMNS], r["exclusion"], tags)
    if counter is not None:
        counter.add(calls)


def apply_scope(spark, cfg: RunConfig, objects, s3: dict[str, Any] | AccountCredentials, counter=None):
    """objects + `exclusion` (null = in scope) + `tags` (map, only fetched when a tag term exists)."""
    from pyspark.sql import functions as F

    sc = cfg.scope
    plain_inc = tuple(t for t in sc.includes if t.key != "OBJECT_TAG")
    has_tags = any(t.key == "OBJECT_TAG" for t in (*sc.includes, *sc.excludes))
    if not has_tags:
        return (objects.withColumn("tags", F.lit(None).cast("map<string,string>"))
                .withColumn("exclusion", exclusion_column(sc.includes, sc.excludes)))
    pre = objects.withColumn("exclusion", exclusion_column(plain_inc, ()))
    schema = ("bucket string, key string, size long, etag string, last_modified timestamp, storage_class string, "
              "version_id string, exclusion string, tags map<string,string>")
    tagged = spark.createDataFrame(pre.rdd.mapPartitions(lambda it: tag_partition(it, s3, counter)), schema)
    return tagged.withColumn("exclusion", F.coalesce(F.col("exclusion"),
                                                     exclusion_column(sc.includes, sc.excludes)))


# --------------------------------------------------------------------------- the entry points

@dataclass
class Enumeration:
    """What enumeration produced. `objects` are in scope; `scoped` also holds the excluded ones."""

    objects: Any
    scoped: Any
    listed: Any
    pieces: list[tuple[str, str]]
    bucket_errors: dict[str, str]
    buckets_excluded: dict[str, str] = field(default_factory=dict)
    listing_pieces: int = 0
    driver_list_calls: int = 0
    list_calls: Any = None   # accumulator: executor LIST pages
    tag_calls: Any = None    # accumulator: executor GetObjectTagging calls
    source: str = "list"
    credentials: AccountCredentials | None = None  # per-account clients and the account of each bucket

    def excluded_by_reason(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(bucket, reason) -> (objects, bytes) out of scope. One small aggregate."""
        from pyspark.sql import functions as F

        rows = (self.scoped.where(F.col("exclusion").isNotNull()).groupBy("bucket", "exclusion")
                .agg(F.count("*").alias("n"), F.sum("size").alias("b")).collect())
        return {(r["bucket"], r["exclusion"]): (int(r["n"]), int(r["b"] or 0)) for r in rows}

    def unpersist(self) -> None:
        self.listed.unpersist()


def resolve_accounts(cfg: RunConfig, creds: AccountCredentials, check: bool = True
                     ) -> tuple[list[tuple[str, str]], dict[str, str], dict[str, str]]:
    """`resolve_buckets` over every account (multi-account): fills `creds.bucket_account`.

    The explicit buckets of an account whose role could not be assumed become bucket errors
    (`AssumeRole:<code>`); without a bucket list the error is the account's alone (`creds.errors`)."""
    scopes: list[tuple[str, str]] = []
    errors: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for a in cfg.accounts:
        if a.account_id in creds.errors:
            for b in a.buckets:
                if b.bucket not in cfg.scope.exclude_buckets and b.bucket not in a.exclude_buckets:
                    errors[b.bucket] = creds.errors[a.account_id]
                    creds.bucket_account[b.bucket] = a.account_id
            continue
        try:
            s, e, x = resolve_buckets(cfg, creds.kwargs[a.account_id], check, account=a)
        except Exception as exc:  # noqa: BLE001 - ListBuckets denied: the account's error, not the run's
            creds.errors[a.account_id] = f"ListBuckets:{_error_code(exc)}"
            continue
        for bucket in {b for b, _ in s} | set(e) | set(x):
            creds.bucket_account[bucket] = a.account_id
        scopes.extend(s)
        errors.update(e)
        excluded.update(x)
    return scopes, errors, excluded


def inventory_gaps(scopes: list[tuple[str, str]], infos: list[dict[str, Any]], known: set[str]
                   ) -> tuple[dict[str, str], dict[str, str]]:
    """Multi-account inventory runs: (bucket errors, buckets out of scope) the reports leave.

    A bucket in an account's scope without an inventory report is the error ``NoInventoryReport`` (its
    objects were never enumerated); a report whose source bucket is in no account's scope is out of
    scope, ``not_in_accounts`` (counted in ``buckets_excluded`` and listed by ``lakescan plan``)."""
    sources = {i["source_bucket"] for i in infos if i["source_bucket"]}
    errors = {b: "NoInventoryReport" for b, _ in scopes if b not in sources}
    return errors, {b: "not_in_accounts" for b in sources if b not in known}


def enumerate_scope(spark, cfg: RunConfig, s3: dict[str, Any] | AccountCredentials) -> Enumeration:
    """`s3`: the job's client kwargs (roles of `accounts:` are assumed here), or credentials already
    resolved by `jobs.s3.account_credentials`."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    sc = spark.sparkContext
    list_calls = sc.accumulator(0)
    tag_calls = sc.accumulator(0)
    creds = s3 if isinstance(s3, AccountCredentials) else account_credentials(cfg, s3)
    # what executors get: one account's kwargs, or every account's (bucket -> account routing)
    s3 = creds if creds.multi else creds.kwargs[creds.default_account]
    if cfg.scope.source == "inventory":
        from jobs.inventory import read_inventory

        if creds.multi:
            # the reports are read with the job's own credentials (a central inventory destination); each
            # report's source bucket belongs to the account that lists it (accounts[].buckets, or ListBuckets
            # with the account's role); the objects are then read with that account's role
            scopes, bucket_errors, excluded = resolve_accounts(cfg, creds, check=False)
            listed, _info = read_inventory(spark, cfg, creds.own, scopes, excluded, accounts=True)
            gaps, outside = inventory_gaps(scopes, _info, set(creds.bucket_account) | set(excluded))
            bucket_errors.update(gaps)
            excluded.update(outside)
            scopes = [(b, p) for b, p in scopes if b not in bucket_errors]
        else:
            scopes, bucket_errors, excluded = resolve_buckets(cfg, s3, check=False)
            listed, _info = read_inventory(spark, cfg, s3, scopes, excluded)
            if not cfg.scope.buckets:  # the report's source buckets are the scope
                scopes = sorted({(i["source_bucket"], "") for i in _info
                                 if i["source_bucket"] and i["source_bucket"] not in excluded})
        # Not cached: re-reading columnar files is cheaper than holding billions of rows.
        listed = listed.withColumn("error", F.lit(None).cast("string"))
        n_pieces, driver_calls = len(_info), 0
    else:
        if creds.multi:
            scopes, bucket_errors, excluded = resolve_accounts(cfg, creds)
        else:
            scopes, bucket_errors, excluded = resolve_buckets(cfg, s3)
        clients = Clients(s3)
        pieces: list[Piece] = []
        driver_calls = 0
        lc = cfg.scope.listing
        per_scope_target = max(1, lc.target_pieces // max(1, len(scopes)))
        for bucket, prefix in scopes:
            try:
                ps, calls = discover_pieces(clients.for_bucket(bucket), bucket, prefix, lc.discovery_depth,
                                            per_scope_target, lc.split_flat)
            except Exception as e:  # noqa: BLE001
                bucket_errors[bucket] = _error_code(e)
                continue
            pieces.extend(ps)
            driver_calls += calls
        n_pieces = len(pieces)
        tuples = [p.as_tuple() for p in pieces]
        n_slices = max(1, min(len(tuples), int(os.environ.get("LAKESCAN_MAX_LIST_SLICES", "512"))))
        listed = spark.createDataFrame(
            sc.parallelize(tuples, n_slices).mapPartitions(lambda it: list_partition(it, s3, list_calls)),
            LISTING_SCHEMA,
        ).persist(StorageLevel.MEMORY_AND_DISK)
        for r in listed.where(F.col("key").isNull()).select("bucket", "error").distinct().collect():
            bucket_errors[r["bucket"]] = r["error"]
    objects = listed.where(F.col("key").isNotNull()).select(*OBJECT_COLUMNS)
    if cfg.scope.source == "list":  # overlapping configured prefixes list a key twice
        objects = objects.dropDuplicates(["bucket", "key"])
    scoped = apply_scope(spark, cfg, objects, s3, tag_calls)
    if any(t.key == "OBJECT_TAG" for t in (*cfg.scope.includes, *cfg.scope.excludes)):
        scoped = scoped.persist(StorageLevel.MEMORY_AND_DISK)  # tags are fetched once
    in_scope = scoped.where(F.col("exclusion").isNull()).select(*OBJECT_COLUMNS)
    return Enumeration(objects=in_scope, scoped=scoped, listed=listed, pieces=scopes,
                       bucket_errors=bucket_errors, buckets_excluded=excluded, listing_pieces=n_pieces,
                       driver_list_calls=driver_calls, list_calls=list_calls, tag_calls=tag_calls,
                       source=cfg.scope.source, credentials=creds)


def enumerate_objects(spark, cfg: RunConfig, s3: dict[str, Any]):
    """Returns (objects in scope, the persisted listing, (bucket, prefix) scopes, bucket errors)."""
    e = enumerate_scope(spark, cfg, s3)
    return e.objects, e.listed, e.pieces, e.bucket_errors
