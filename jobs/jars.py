"""The JVM jars lakescan adds to Spark: Delta Lake and S3A, fetched once into a cache outside the clone.

`make setup` runs `python -m jobs.jars fetch`. It resolves the coordinates below from Maven Central
with Spark's own Ivy resolver, keeps only the jars the installed pyspark does not already ship
(so Spark's newer Hadoop, Parquet, Jackson and Netty are never shadowed), and writes a manifest.
The session factory reads that manifest and never downloads anything: a missing jar is an error
that says to run `make setup`.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

MANIFEST = "manifest.json"


class MissingJarsError(RuntimeError):
    """The jar cache is cold or incomplete."""


@dataclass(frozen=True)
class JarSet:
    """Maven coordinates for one Spark line, and artifacts to leave out (found elsewhere)."""

    spark_line: str
    packages: tuple[str, ...]
    excludes: tuple[str, ...]


def cache_root() -> Path:
    """Where jars live: $LAKESCAN_CACHE, else ~/.cache/lakescan (outside the clone)."""
    env = os.environ.get("LAKESCAN_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "lakescan"


def _pyspark_jars_dir() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "jars"


def spark_version() -> str:
    return metadata.version("pyspark")


def hadoop_version() -> str:
    """The Hadoop client version the installed pyspark ships (hadoop-aws must match it)."""
    for jar in _pyspark_jars_dir().glob("hadoop-client-api-*.jar"):
        return jar.name[len("hadoop-client-api-"):-len(".jar")]
    raise MissingJarsError("pyspark ships no hadoop-client-api jar; is pyspark installed?")


# AWS SDK versions hadoop-aws was built against (hadoop-project pom), one entry per Hadoop release.
# We fetch the few SDK modules S3A uses instead of the multi-hundred-MB `bundle` artifact.
_SDK_V2 = {"3.5.0": "2.35.4", "3.4.2": "2.29.52", "3.4.1": "2.24.6"}
_SDK_V1 = {"3.3.4": "1.12.262", "3.3.6": "1.12.367"}


def jar_set(spark: str | None = None, delta: str | None = None, hadoop: str | None = None) -> JarSet:
    spark = spark or spark_version()
    delta = delta or metadata.version("delta-spark")
    hadoop = hadoop or hadoop_version()
    line = ".".join(spark.split(".")[:2])
    if int(spark.split(".")[0]) >= 4:
        # Delta 4.x publishes one artifact per Spark line, e.g. delta-spark_4.2_2.13.
        delta_pkg = f"io.delta:delta-spark_{line}_2.13:{delta}"
    else:
        delta_pkg = f"io.delta:delta-spark_2.12:{delta}"
    packages = [delta_pkg, f"org.apache.hadoop:hadoop-aws:{hadoop}"]
    if hadoop in _SDK_V2:
        sdk = _SDK_V2[hadoop]
        packages += [f"software.amazon.awssdk:{m}:{sdk}" for m in ("s3", "sts", "s3-transfer-manager")]
        excludes = ("software.amazon.awssdk:bundle",)
    elif hadoop in _SDK_V1:
        sdk = _SDK_V1[hadoop]
        packages += [f"com.amazonaws:aws-java-sdk-{m}:{sdk}" for m in ("s3", "sts", "dynamodb")]
        excludes = ("com.amazonaws:aws-java-sdk-bundle",)
    else:
        raise MissingJarsError(
            f"no AWS SDK pin for Hadoop {hadoop}; add it to jobs/jars.py (_SDK_V2/_SDK_V1)"
        )
    return JarSet(spark_line=line, packages=tuple(packages), excludes=excludes)


def jars_dir(spark: str | None = None) -> Path:
    spark = spark or spark_version()
    return cache_root() / "jars" / f"spark-{spark}"


def _artifact_name(jar_name: str, ivy: bool = False) -> str:
    """`guava-33.6.0-jre.jar` -> `guava`; with ivy=True the `[organisation]_` prefix Ivy adds is
    dropped first: `io.delta_delta-spark_4.2_2.13-4.4.0.jar` -> `delta-spark_4.2_2.13`."""
    base = jar_name.split("_", 1)[1] if ivy and "_" in jar_name else jar_name
    m = re.match(r"^(.*?)-\d", base)
    return m.group(1) if m else base.removesuffix(".jar")


def local_jars() -> list[str]:
    """The cached jars for the installed pyspark, or MissingJarsError saying to run `make setup`."""
    d = jars_dir()
    manifest = d / MANIFEST
    if not manifest.exists():
        raise MissingJarsError(
            f"Delta/S3A jars for pyspark {spark_version()} are not in {d}. Run `make setup` "
            "(or `python -m jobs.jars fetch`) once; nothing is downloaded at run time."
        )
    entries = json.loads(manifest.read_text())["jars"]
    paths = [d / name for name in entries]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise MissingJarsError(f"jar cache {d} is incomplete (missing {missing}); run `make setup`")
    return [str(p) for p in paths]


def fetch(force: bool = False) -> Path:
    """Resolve the jar set with Spark's Ivy into the cache; keep what pyspark does not ship."""
    target = jars_dir()
    js = jar_set()
    if (target / MANIFEST).exists() and not force:
        try:
            same = tuple(json.loads((target / MANIFEST).read_text())["packages"]) == js.packages
            if same and local_jars():
                return target
        except (MissingJarsError, KeyError, ValueError):
            pass
    ivy = cache_root() / "ivy" / f"spark-{spark_version()}"
    if ivy.exists():
        shutil.rmtree(ivy / "jars", ignore_errors=True)
    from jobs.spark import resolve_packages

    resolve_packages(js.packages, js.excludes, ivy)
    shipped = {_artifact_name(p.name) for p in _pyspark_jars_dir().glob("*.jar")}
    target.mkdir(parents=True, exist_ok=True)
    kept = []
    for jar in sorted((ivy / "jars").glob("*.jar")):
        if _artifact_name(jar.name, ivy=True) in shipped:
            continue
        shutil.copy2(jar, target / jar.name)
        kept.append(jar.name)
    (target / MANIFEST).write_text(
        json.dumps({"spark": spark_version(), "packages": js.packages, "jars": kept}, indent=2)
    )
    return target


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "fetch"
    if cmd == "fetch":
        d = fetch(force="--force" in argv)
        jars = local_jars()
        size = sum(Path(j).stat().st_size for j in jars) / 1e6
        print(f"{len(jars)} jars ({size:.0f} MB) ready in {d}")
        return 0
    if cmd == "check":
        try:
            print("\n".join(local_jars()))
            return 0
        except MissingJarsError as e:
            print(e, file=sys.stderr)
            return 1
    print("usage: python -m jobs.jars [fetch [--force] | check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
