"""`make package`: a wheel, the `--py-files` zip and the spark-submit entry script, reproducibly.

The same sources always give byte-identical artifacts: fixed timestamps (SOURCE_DATE_EPOCH for
the wheel, 1980-01-01 in the zip), sorted entries, fixed permissions, no caches.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("jobs", "detectors")
INCLUDE_SUFFIXES = {".py", ".yaml", ".yml", ".txt", ".json", ".properties", ".csv", ".gz"}
EPOCH = "315532800"  # 1980-01-01, the earliest time a zip can store


def _sources() -> list[Path]:
    files = []
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts and p.suffix in INCLUDE_SUFFIXES:
                files.append(p)
    return files


def build_pyfiles(dest: Path) -> Path:
    out = dest / "lakescan-pyfiles.zip"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in _sources():
            info = zipfile.ZipInfo(str(p.relative_to(ROOT)), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, p.read_bytes())
    return out


def build_wheel(dest: Path) -> Path:
    # LAKESCAN_PURE_PYTHON=1: without the compiled loops (detectors/_speedups.c) the wheel is py3-none-any and
    # installs on any cluster; the engine runs the Python code they replace there (same results)
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, PYTHONHASHSEED="0", LAKESCAN_PURE_PYTHON="1")
    build = ROOT / "build"
    shutil.rmtree(build, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dest), str(ROOT)], check=True, env=env, cwd=ROOT)
    shutil.rmtree(build, ignore_errors=True)
    return next(dest.glob("lakescan-*.whl"))


def package(dest: Path | None = None) -> dict[str, str]:
    dest = dest or ROOT / "dist"
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    artifacts = [build_wheel(dest), build_pyfiles(dest)]
    for src, name in (("main.py", "lakescan_main.py"), ("glue_entry.py", "glue_entry.py")):
        shutil.copyfile(ROOT / "jobs" / src, dest / name)
        artifacts.append(dest / name)
    sums = {a.name: hashlib.sha256(a.read_bytes()).hexdigest() for a in artifacts}
    (dest / "SHA256SUMS").write_text("".join(f"{h}  {n}\n" for n, h in sorted(sums.items())))
    return sums


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    for name, digest in package(out).items():
        print(f"{digest}  dist/{name}")
