"""Which in-scope objects a run reads, and how much of each. Deterministic, so retries and reruns
pick the same objects.

`select_objects` adds, per object, the columns the classifier uses:

| column | meaning |
|---|---|
| `sampled` | read and classify this object in this run |
| `sample_detail` | why not (budget, percentage, incremental...), written to object_results.detail |
| `read_ranges` | null = the whole object; else `[{start, length}]` byte ranges (head + spread) |
| `read_bytes` | bytes the read is planned to cost (sum of the ranges, or the size) |
| `carry` | incremental run: unchanged object whose last result is carried forward (jobs/coverage.py) |
| `cluster` | xxhash64(bucket, key shape): dates, uuids, hashes, numbers normalised, extension kept |

Order of decisions: incremental (changed or not) -> candidates (percentage; stratified
representatives; rotation quota) -> per-bucket budget -> per-run budget. Budgets take candidates in
priority order as a prefix (they never skip ahead to a smaller object), so a budget is never exceeded
and the choice is stable. Priority: stratified representatives first, then (rotation) objects never
classified in their current version, then the oldest classified, then the sampling hash.

Unreadable objects (Glacier Flexible, Deep Archive, over the size limit) are always passed to the
classifier (SKIPPED with their Macie reason, never silently dropped) and consume no budget.
"""
from __future__ import annotations

import hashlib
import math
import re

TEXT_LIKE = frozenset({"csv", "tsv", "json", "jsonl", "ndjson", "txt", "log", "xml", "html", "htm", "yaml",
                       "yml", "md", "sql", "ini", "conf", "cfg", "properties", "env", "tf", "py", "js", "sh"})
UNREADABLE_CLASSES = ("GLACIER", "DEEP_ARCHIVE", "EXPRESS_ONEZONE", "OUTPOSTS")

# Key-shape normalisation, applied in order (Python `re` and Java regex read these the same way).
SHAPE_RULES: tuple[tuple[str, str], ...] = (
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "{uuid}"),
    (r"(19|20)\d\d[-_/.]?(0[1-9]|1[0-2])[-_/.]?(0[1-9]|[12]\d|3[01])([T _-]?\d\d[:-]?\d\d([:-]?\d\d)?Z?)?",
     "{date}"),
    (r"(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*[0-9])[0-9a-fA-F]{8,}(?![0-9A-Za-z])", "{hex}"),
    (r"\d+", "{n}"),
)
_SHAPE_RES = tuple((re.compile(p), r) for p, r in SHAPE_RULES)


def should_sample(bucket: str, key: str, etag: str, seed: int, percentage: float) -> bool:
    """Deterministic in (bucket, key, etag, seed): retries and reruns pick the same objects."""
    if percentage >= 100:
        return True
    return sample_hash(bucket, key, etag, seed) * 100 < percentage


def sample_hash(bucket: str, key: str, etag: str, seed: int) -> float:
    """Uniform in [0, 1): the first 8 bytes of sha256(seed NUL bucket NUL key NUL etag)."""
    h = hashlib.sha256(f"{seed}\x00{bucket}\x00{key}\x00{etag}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def key_shape(key: str) -> str:
    """`logs/2026-11-24/host-17/part-0003.json.gz` -> `logs/{date}/host-{n}/part-{n}.json.gz`."""
    for rx, rep in _SHAPE_RES:
        key = rx.sub(rep, key)
    return key


def byte_ranges(size: int, head: int, count: int, span: int) -> list[tuple[int, int]]:
    """Head plus `count` ranges of `span` bytes spread evenly to the end: [(start, length)]."""
    out = [(0, head)]
    room = size - span - head
    for i in range(1, count + 1):
        out.append((head + room * i // count, span))
    return out


def range_threshold(cfg) -> int | None:
    """Objects above this size are range-read; never below what the ranges would read anyway."""
    s = cfg.sampling
    if s.range_threshold_bytes is None:
        return None
    return max(s.range_threshold_bytes, s.range_head_bytes + s.range_count * s.range_bytes)


# --------------------------------------------------------------------------- Spark expressions

def hash_col(seed: int):
    """`sample_hash` as a column (same bits: sha2 hex -> first 16 hex digits -> / 2**64)."""
    from pyspark.sql import functions as F

    digest = F.sha2(F.concat_ws("\x00", F.lit(str(seed)), "bucket", "key", F.coalesce("etag", F.lit(""))), 256)
    return F.conv(F.substring(digest, 1, 16), 16, 10).cast("decimal(20,0)").cast("double") / float(2**64)


def shape_col():
    from pyspark.sql import functions as F

    c = F.col("key")
    for pat, rep in SHAPE_RULES:
        c = F.regexp_replace(c, pat, rep)
    return c


def ranges_col(cfg):
    """`byte_ranges` as an array<struct<start, length>> column; null = whole object."""
    from pyspark.sql import functions as F

    s = cfg.sampling
    thr = range_threshold(cfg)
    if thr is None:
        return F.lit(None).cast("array<struct<start:long,length:long>>")
    ext = F.lower(F.regexp_extract(F.col("key"), r"\.([^./]+)$", 1))
    head = F.struct(F.lit(0).cast("long").alias("start"), F.lit(s.range_head_bytes).cast("long").alias("length"))
    room = F.col("size") - F.lit(s.range_bytes + s.range_head_bytes)
    spread = F.transform(F.sequence(F.lit(1), F.lit(max(1, s.range_count))), lambda i: F.struct(
        (F.lit(s.range_head_bytes) + F.floor(room * i / F.lit(max(1, s.range_count)))).cast("long").alias("start"),
        F.lit(s.range_bytes).cast("long").alias("length")))
    ranges = F.concat(F.array(head), spread) if s.range_count else F.array(head)
    return F.when((F.col("size") > F.lit(thr)) & ext.isin(sorted(TEXT_LIKE)), ranges).otherwise(
        F.lit(None).cast("array<struct<start:long,length:long>>"))


def running_totals(df, order_cols: list, group_col: str | None = None):
    """Adds `_cum_n` and `_cum_b` (objects and read_bytes up to and including each row, in `order_cols`
    order, per `group_col` or overall) with a distributed prefix sum: range-partition and sort, sum
    within partitions, collect one total per (partition, group), add the offsets. The driver holds
    O(partitions + groups) numbers, never rows; no single-partition window."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    spark = df.sparkSession
    groups = [group_col] if group_col else []
    n = max(1, int(spark.conf.get("spark.sql.shuffle.partitions")))
    s = (df.repartitionByRange(n, *[F.col(g) for g in groups], *order_cols)
         .withColumn("_pid", F.spark_partition_id()).localCheckpoint(eager=True))
    w = Window.partitionBy("_pid", *groups).orderBy(*order_cols).rowsBetween(Window.unboundedPreceding, 0)
    s = s.withColumn("_n", F.count(F.lit(1)).over(w)).withColumn("_b", F.sum("read_bytes").over(w))
    totals = (s.groupBy("_pid", *groups).agg(F.count(F.lit(1)).alias("n"), F.sum("read_bytes").alias("b"))
              .collect())
    running: dict = {}
    offsets = []
    for r in sorted(totals, key=lambda r: r["_pid"]):
        g = r[group_col] if group_col else None
        on, ob = running.get(g, (0, 0))
        offsets.append((r["_pid"], g, on, ob))
        running[g] = (on + r["n"], ob + (r["b"] or 0))
    off = spark.createDataFrame(offsets, "_opid int, _g string, _on long, _ob long")
    cond = [s["_pid"] == off["_opid"]]
    if group_col:
        cond.append(s[group_col] == off["_g"])
    out = s.join(F.broadcast(off), cond, "left")
    return (out.withColumn("_cum_n", F.col("_n") + F.coalesce("_on", F.lit(0)))
            .withColumn("_cum_b", F.col("_b") + F.coalesce("_ob", F.lit(0)))
            .drop("_pid", "_opid", "_g", "_on", "_ob", "_n", "_b"))


def _within(cum_n, cum_b, max_n: int | None, max_b: int | None):
    from pyspark.sql import functions as F

    c = F.lit(True)
    if max_n is not None:
        c = c & (cum_n <= F.lit(max_n))
    if max_b is not None:
        c = c & (cum_b <= F.lit(max_b))
    return c


def select_objects(cfg, objects, coverage=None, first_run: bool = True):
    """objects (bucket, key, size, etag, last_modified, storage_class, version_id) -> + the columns above.

    `coverage`: the coverage table (jobs/coverage.py) or None. `first_run`: no completed run yet
    (incremental runs with initial_run=false then analyse nothing that exists already)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    s = cfg.sampling
    df = (objects.withColumn("h", hash_col(s.seed))
          .withColumn("cluster", F.xxhash64("bucket", shape_col()))
          .withColumn("read_ranges", ranges_col(cfg)))
    df = df.withColumn("read_bytes", F.when(F.col("read_ranges").isNull(), F.col("size")).otherwise(
        F.aggregate("read_ranges", F.lit(0).cast("long"), lambda acc, r: acc + F.least(r["length"], F.col("size")))))
    exempt = (F.coalesce("storage_class", F.lit("STANDARD")).isin(*UNREADABLE_CLASSES)
              | (F.col("size") > F.lit(cfg.limits.max_object_bytes)))
    df = df.withColumn("exempt", exempt).withColumn(
        "read_bytes", F.when(F.col("exempt"), F.lit(0).cast("long")).otherwise(F.col("read_bytes")))

    # Coverage state of each object (never classified when there is no coverage table).
    if coverage is not None:
        cov = coverage.select("bucket", "key", F.col("last_seen_etag").alias("_seen_etag"),
                              F.col("last_modified").alias("_seen_lm"),
                              F.col("last_classified_etag").alias("_cls_etag"),
                              F.col("last_classified_at").alias("_cls_at"),
                              F.col("last_result_run").alias("_result_run"))
        df = df.join(cov, ["bucket", "key"], "left")
    else:
        df = df.withColumns({c: F.lit(None).cast(t) for c, t in (
            ("_seen_etag", "string"), ("_seen_lm", "timestamp"), ("_cls_etag", "string"),
            ("_cls_at", "timestamp"), ("_result_run", "string"))})
    covered = F.coalesce(F.col("_cls_etag") == F.col("etag"), F.lit(False))
    df = df.withColumn("covered", covered)

    # Incremental (Macie initialRun): changed = not seen before in this version.
    detail = F.lit(None).cast("string")
    eligible = F.lit(True)
    carry = F.lit(False)
    if s.incremental:
        changed = (F.col("_seen_etag").isNull() | (F.col("_seen_etag") != F.col("etag"))
                   | (F.coalesce(F.col("last_modified") > F.col("_seen_lm"), F.lit(False))))
        if first_run and not s.initial_run:
            eligible = F.lit(False)
            detail = F.lit("incremental: existing object, initial_run=false")
        else:
            carry = ~changed & covered & F.col("_result_run").isNotNull()
            eligible = changed | (F.lit(s.rotate) & ~carry)
            detail = F.when(carry, F.concat(F.lit("incremental: unchanged, result carried from run "),
                                            F.col("_result_run"))) \
                .when(~eligible, F.lit("incremental: unchanged since the last run"))
    df = df.withColumn("carry", carry).withColumn("eligible", eligible & ~F.col("carry")).withColumn(
        "sample_detail", detail)

    # Stratified: the first `representatives` of each key-shape cluster, by the sampling hash.
    if s.mode == "stratified":
        # Only the lowest-hash rows of a cluster can be among its first k: rank the rows with
        # h < 32k / cluster size (all rows of small clusters), not the whole cluster; join the flags back.
        k = s.representatives
        elig = df.where("eligible")
        thr = elig.groupBy("cluster").count().select(
            "cluster", F.least(F.lit(1.0), F.lit(32.0 * k) / F.col("count")).alias("_thr"))
        few = elig.join(thr, "cluster").where(F.col("h") <= F.col("_thr"))
        w = Window.partitionBy("cluster").orderBy(F.col("covered"), "h", "key")
        reps = (few.withColumn("_r", F.row_number().over(w)).where(F.col("_r") <= k)
                .select("bucket", "key", F.lit(True).alias("rep")))
        df = df.join(reps, ["bucket", "key"], "left").withColumn(
            "rep", F.coalesce(F.col("rep"), F.lit(False)) & F.col("eligible"))
    else:
        df = df.withColumn("rep", F.lit(False))

    order = [F.col("rep").desc(), F.col("covered").asc(), F.col("_cls_at").asc_nulls_first(), F.col("h").asc(),
             F.col("key").asc()] if s.rotate else [F.col("rep").desc(), F.col("h").asc(), F.col("key").asc()]

    pool = df.where(F.col("eligible") & ~F.col("exempt"))
    rest = df.where(~(F.col("eligible") & ~F.col("exempt")))
    if s.rotate and s.percentage < 100:
        # The percentage is a per-bucket quota taken in priority order (never-classified first).
        counts = pool.groupBy("bucket").count().collect()
        quota = {r["bucket"]: math.ceil(r["count"] * s.percentage / 100) for r in counts}
        qdf = pool.sparkSession.createDataFrame(list(quota.items()), "_qb string, _quota long")
        pool = running_totals(pool, order, "bucket")
        pool = (pool.join(F.broadcast(qdf), pool["bucket"] == qdf["_qb"], "left")
                .withColumn("cand", F.col("rep") | (F.col("_cum_n") <= F.col("_quota")))
                .withColumn("why", F.when(~F.col("cand"), F.lit("sampling: rotation quota")))
                .drop("_qb", "_quota", "_cum_n", "_cum_b"))
    else:
        pool = (pool.withColumn("cand", F.col("rep") | (F.col("h") * 100 < F.lit(s.percentage)))
                .withColumn("why", F.when(~F.col("cand"), F.lit("sampling: percentage"))))

    bucket_budget = s.bucket_max_objects is not None or s.bucket_max_bytes is not None
    run_budget = s.run_max_objects is not None or s.run_max_bytes is not None
    if bucket_budget or run_budget:
        # Budgets only rank the candidates: materialise them once (a percentage of the scope), so the
        # budget passes never re-read the listing; the others pass through untouched.
        others = pool.where(~F.col("cand"))
        cands = pool.where("cand").localCheckpoint(eager=True)
        if bucket_budget:
            cands = running_totals(cands, order, "bucket")
            ok = _within(F.col("_cum_n"), F.col("_cum_b"), s.bucket_max_objects, s.bucket_max_bytes)
            cands = (cands.withColumn("why", F.when(~ok, F.lit("budget: bucket"))).withColumn("cand", ok)
                     .drop("_cum_n", "_cum_b"))
        if run_budget:
            over = cands.where(~F.col("cand"))
            cands = running_totals(cands.where("cand"), order)
            ok = _within(F.col("_cum_n"), F.col("_cum_b"), s.run_max_objects, s.run_max_bytes)
            cands = (cands.withColumn("why", F.when(~ok, F.lit("budget: run"))).withColumn("cand", ok)
                     .drop("_cum_n", "_cum_b")).unionByName(over)
        pool = cands.unionByName(others)

    pool = pool.withColumn("sampled", F.col("cand")).withColumn(
        "sample_detail", F.coalesce("sample_detail", "why")).drop("cand", "why")
    # Exempt (unreadable) objects: picked by the percentage alone, no budget; skipped by the classifier.
    rest = rest.withColumn("sampled", F.col("eligible") & (F.col("h") * 100 < F.lit(s.percentage))).withColumn(
        "sample_detail", F.coalesce("sample_detail", F.when(F.col("eligible") & ~F.col("sampled"),
                                                            F.lit("sampling: percentage"))))
    out = pool.unionByName(rest)
    return out.drop("_seen_etag", "_seen_lm", "_cls_etag", "_result_run", "eligible").withColumnRenamed(
        "_cls_at", "last_classified_at")


class Selection:
    """What a run reads: `to_classify` (persisted, with the columns above), `carried` (incremental:
    object_results rows carried forward, or None) and counters for scan_runs."""

    def __init__(self, to_classify, carried, counters: dict[str, int], selected) -> None:
        self.to_classify = to_classify
        self.carried = carried
        self.counters = counters
        self._selected = selected

    def unpersist(self) -> None:
        self._selected.unpersist()


def prepare_run(spark, cfg, enum, run_id: str, run_date) -> Selection:
    """Coverage-aware selection for one run, plus the counters of scope and sampling decisions."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from jobs import coverage

    cov = coverage.load(spark, cfg)
    selected = select_objects(cfg, enum.objects, cov, first_run=cov is None).persist(StorageLevel.MEMORY_AND_DISK)
    carried = None
    if cfg.sampling.incremental and cov is not None:
        carried = coverage.carry_forward(spark, cfg, selected.where("carry"), run_id, run_date)
    to_classify = selected.where(~F.col("carry"))
    agg = selected.agg(
        F.count("*").alias("n"), F.sum(F.col("sampled").cast("long")).alias("s"),
        F.sum(F.when(F.col("sampled"), F.col("read_bytes")).otherwise(0)).alias("rb"),
        F.sum(F.col("carry").cast("long")).alias("c"),
        F.sum(F.when(F.col("sampled") & F.col("read_ranges").isNotNull(), 1).otherwise(0)).alias("rr"),
    ).first()
    counters = {
        "objects_selected": int(agg["s"] or 0),
        "bytes_planned": int(agg["rb"] or 0),
        "objects_carried_forward": int(agg["c"] or 0),
        "objects_range_read": int(agg["rr"] or 0),
        "listing_pieces": enum.listing_pieces,
        "list_requests": enum.driver_list_calls + int(enum.list_calls.value if enum.list_calls else 0),
        "tag_requests": int(enum.tag_calls.value if enum.tag_calls else 0),
        "buckets_excluded": len(enum.buckets_excluded),
    }
    excluded = 0
    for (_b, reason), (n, _bytes) in enum.excluded_by_reason().items():
        counters[f"excluded_{reason}"] = counters.get(f"excluded_{reason}", 0) + n
        excluded += n
    counters["objects_excluded"] = excluded
    for r in selected.where(F.col("sample_detail").isNotNull()).groupBy("sample_detail").count().collect():
        d = r["sample_detail"]
        name = "carried" if d.startswith("incremental: unchanged, result carried") else d
        counters[f"not_sampled_{name}"] = counters.get(f"not_sampled_{name}", 0) + r["count"]
    return Selection(to_classify, carried, counters, selected)
