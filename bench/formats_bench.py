"""Object formats: bounded memory on a 2 GB object, and extract+classify MB/s per core per format.

    python -m bench.formats_bench                 # both parts, writes the `formats` section of BENCHMARKS.md
    python -m bench.formats_bench --no-write      # print only
    python -m bench.formats_bench --size-gb 0.5 --s3-gb 0 --scale 0.2   # a quick check

1. Memory. A child process per measurement streams a generated text object (log lines, a planted
   SSN every 997 lines) through the readers: `--size-gb` (default 2) from a generator-backed,
   non-seekable stream with `jobs.formats.classify_stream`, and `--s3-gb` (default 0.25; a moto
   server keeps objects in its own memory, and its multipart completion fails at 2 GB) put into a
   moto S3 server on 127.0.0.1 and read by the executor's `jobs.classify.classify_object`. Each
   records the tracemalloc peak (Python heap) and the process's peak RSS during the read (Linux
   VmHWM, reset just before), checks both against `limits.task_memory_bytes`, and checks that every
   planted SSN was found exactly once with its exact line number (chunk borders included).
2. Throughput. One file per format, generated in memory, classified by `classify_bytes` on one
   core; MB/s = input bytes per CPU second (extract + classify, engine built beforehand).
"""
from __future__ import annotations

import argparse
import bz2
import gzip
import io
import json
import os
import random
import resource
import subprocess
import sys
import time

from bench import report

SSN_LINE = "employee SSN: 536-22-8725 on file"


class GeneratedText(io.RawIOBase):
    """`size` bytes of log-like text, one planted SSN line every `every` lines; never held whole."""

    def __init__(self, size: int, every: int = 997) -> None:
        rng = random.Random(5)
        words = ["request", "served", "user", "alice", "path", "/api/v1/items", "status=200", "bytes=1234",
                 "latency_ms=12", "region=us-east-1", "cache=miss", "trace=ab12cd34"]
        lines = []
        for i in range(every * 4):
            if i % every == every - 1:
                lines.append(f"2026-11-24T00:00:00Z WARN {SSN_LINE}")
            else:
                n = rng.randrange(4, 14)
                lines.append("2026-11-24T00:00:00Z INFO " + " ".join(rng.choice(words) for _ in range(n)))
        self.block = ("\n".join(lines) + "\n").encode()
        self.block_lines = len(lines)
        self.ssn_lines = [i + 1 for i, line in enumerate(lines) if SSN_LINE in line]
        self.size = size - size % len(self.block)
        self.pos = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self.pos >= self.size:
            return b""
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        off = self.pos % len(self.block)
        out = bytearray()
        while len(out) < n:
            take = min(n - len(out), len(self.block) - off)
            out += self.block[off:off + take]
            off = 0
        self.pos += n
        return bytes(out)

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def expected_lines(self, limit: int) -> list[int]:
        out, blk = [], 0
        while len(out) < limit:
            out += [blk * self.block_lines + x for x in self.ssn_lines]
            blk += 1
        return out[:limit]

    def expected_count(self) -> int:
        return (self.size // len(self.block)) * len(self.ssn_lines)


SELECTOR = os.environ.get("LAKESCAN_BENCH_SELECTOR", "RECOMMENDED")


def _engine():
    from detectors import get_engine, load_pack

    return get_engine(load_pack(selector=SELECTOR), b"bench-formats-key", settle=True)


def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak_rss() -> int:
    """Current RSS, after resetting the kernel's peak-RSS mark (Linux: clear_refs 5) where allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status_kb("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _peak_rss() -> int:
    return _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_child(size: int, source: str, endpoint: str | None) -> dict:
    """Runs in its own process: stream the object, return the measurements."""
    import tracemalloc

    from jobs.config import LimitSettings
    from jobs.formats import classify_stream

    settings = LimitSettings()
    limits = settings.reader_limits()
    engine = _engine()
    engine.detect(SSN_LINE)  # compile lazily-built parts before the baseline
    gen = GeneratedText(size)
    client = None
    if source == "s3":
        from jobs.classify import classify_object
        from jobs.config import S3Settings
        from jobs.s3 import client_kwargs, make_client

        client = make_client(client_kwargs(S3Settings(endpoint_url=endpoint, access_key_id="testing",
                                                      secret_access_key="testing")))
        head = client.head_object(Bucket="lakescan-bench", Key="big/app.log")
    base_rss = _reset_peak_rss()
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    if source == "s3":
        res, _, n_read = classify_object(client, "lakescan-bench", "big/app.log", head["ETag"].strip('"'),
                                         head["ContentLength"], engine, limits)
    else:
        res = classify_stream(gen, "big/app.log", engine, limits, size=gen.size)
        n_read = gen.pos
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = _peak_rss()
    tr = res.detections.get("USA_SOCIAL_SECURITY_NUMBER")
    got_lines = [o["line_start"] for o in (tr.occurrences if tr else [])]
    return {
        "source": source, "bytes": n_read, "status": res.status, "wall_s": wall, "cpu_s": cpu,
        "heap_peak": heap_peak, "rss_base": base_rss, "rss_peak": peak_rss, "bound": settings.task_memory_bytes,
        "found": tr.count if tr else 0, "expected": gen.expected_count(),
        "lines_ok": got_lines == gen.expected_lines(len(got_lines))
        and len(got_lines) == min(1000, gen.expected_count()),
        "chunk": limits.stream_chunk_bytes, "overlap": limits.stream_overlap_chars,
    }


def _put_object(size: int):
    """Start a moto server on 127.0.0.1 and put the generated object into it (one PUT)."""
    from jobs.config import S3Settings, ServerSettings
    from jobs.s3 import MotoServer, client_kwargs, free_port, make_client

    server = MotoServer(ServerSettings(port=free_port())).start()
    client = make_client(client_kwargs(S3Settings(endpoint_url=server.endpoint_url, access_key_id="testing",
                                                  secret_access_key="testing")))
    client.create_bucket(Bucket="lakescan-bench")
    client.put_object(Bucket="lakescan-bench", Key="big/app.log", Body=GeneratedText(size).read())
    return server


def measure_memory(size: int, source: str) -> dict:
    server = _put_object(size) if source == "s3" else None
    try:
        cmd = [sys.executable, "-m", "bench.formats_bench", "--memory-child", str(size), "--source", source]
        if server is not None:
            cmd += ["--endpoint", server.endpoint_url]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=report.REPO_ROOT,
                             env={**os.environ, "PYTHONPATH": str(report.REPO_ROOT)})
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if server is not None:
            server.stop()


# ---- throughput per format ---------------------------------------------------------------------------

def _rows(n: int, rng: random.Random) -> list[dict]:
    out = []
    for i in range(n):
        pii = rng.random() < 0.02
        out.append({"id": i, "name": rng.choice(["Ana Silva", "Bo Chen", "Cy Jones"]),
                    "email": f"user{i}@example.com" if pii else "none",
                    "ssn": "536-22-8725" if pii else "n/a", "note": "order shipped to warehouse " + str(i % 97)})
    return out


def _text(size: int) -> bytes:
    g = GeneratedText(size)
    return g.read()


def build_inputs(scale: float) -> dict[str, tuple[str, bytes, int]]:
    """format -> (key, bytes, content bytes before compression/packaging)."""
    from tests.jobs import formatgen as gen

    rng = random.Random(11)
    mb = lambda x: int(x * scale * 1024 * 1024)  # noqa: E731
    txt = _text(mb(64))
    rows = _rows(int(200_000 * scale), rng)
    csv = ("id,name,email,ssn,note\n" + "".join(
        f'{r["id"]},{r["name"]},{r["email"]},{r["ssn"]},{r["note"]}\n' for r in rows)).encode()
    jsonl = "\n".join(json.dumps(r) for r in rows).encode()
    small = rows[: int(20_000 * scale)]
    html = b"<html><body>\n" + b"".join(b"<p class='row'>" + line + b"</p>\n" for line in _text(mb(16)).split(b"\n")) \
        + b"</body></html>"
    xml = b"<log>\n" + b"".join(b"<e>" + line + b"</e>\n" for line in _text(mb(16)).split(b"\n")) + b"</log>"
    schema = {"type": "record", "name": "r", "fields": [
        {"name": k, "type": "long" if k == "id" else "string"} for k in ("id", "name", "email", "ssn", "note")]}
    paras = [f"Paragraph {i}: " + ("employee SSN: 536-22-8725" if i % 500 == 0 else "the quarterly numbers are in")
             for i in range(int(20_000 * scale))]
    pages = [[f"page {p} line {j} the quarterly numbers are in" for j in range(40)] + [SSN_LINE]
             for p in range(int(100 * scale))]
    sheet = [["id", "name", "email", "ssn", "note"]] + [[r["id"], r["name"], r["email"], r["ssn"], r["note"]]
                                                       for r in small]
    eml = gen.eml(txt[: mb(8)].decode(), {"people.csv": csv[: mb(4)]})
    members = {"logs/app.log": txt[: mb(16)], "tables/people.csv": csv[: mb(16)]}
    csv16 = csv[: mb(16)]
    out = {
        "txt": ("a/app.log", txt, len(txt)),
        "html": ("a/page.html", html, len(html)),
        "xml": ("a/log.xml", xml, len(xml)),
        "csv": ("a/people.csv", csv, len(csv)),
        "tsv": ("a/people.tsv", csv.replace(b",", b"\t"), len(csv)),
        "jsonl": ("a/people.jsonl", jsonl, len(jsonl)),
        "json": ("a/people.json", json.dumps({"rows": small}).encode(), 0),
        "parquet": ("a/people.parquet", gen.parquet(rows), len(jsonl)),
        "orc": ("a/people.orc", gen.orc(rows), len(jsonl)),
        "avro": ("a/people.avro", gen.avro(rows, schema), len(jsonl)),
        "pdf": ("a/report.pdf", gen.pdf(pages), 0),
        "docx": ("a/memo.docx", gen.docx(paras), 0),
        "xlsx": ("a/people.xlsx", gen.xlsx({"people": sheet}), 0),
        "eml": ("a/mail.eml", eml, len(eml)),
        "csv.gz": ("a/people.csv.gz", gzip.compress(csv, 6), len(csv)),
        "csv.bz2": ("a/people.csv.bz2", bz2.compress(csv16), len(csv16)),
        "csv.zst": ("a/people.csv.zst", __import__("zstandard").ZstdCompressor().compress(csv), len(csv)),
        "zip": ("a/bundle.zip", gen.zip_of(members), sum(map(len, members.values()))),
        "tar.gz": ("a/bundle.tar.gz", gzip.compress(gen.tar_of(members), 6), sum(map(len, members.values()))),
    }
    return {k: (key, data, content or len(data)) for k, (key, data, content) in out.items()}


def measure_throughput(scale: float) -> list[dict]:
    from jobs.config import LimitSettings
    from jobs.formats import classify_bytes

    engine = _engine()
    limits = LimitSettings().reader_limits()
    results = []
    for fmt, (key, data, content) in build_inputs(scale).items():
        c0 = time.process_time()
        res = classify_bytes(data, key, engine, limits)
        cpu = max(time.process_time() - c0, 1e-6)
        results.append({"format": fmt, "mb": len(data) / 1e6, "content_mb": content / 1e6, "cpu_s": cpu,
                        "mb_s": len(data) / 1e6 / cpu, "content_mb_s": content / 1e6 / cpu,
                        "status": res.status, "detections": res.detection_count})
    return results


def _mem_ok(mem: dict) -> bool:
    return (mem["heap_peak"] < mem["bound"] and mem["rss_peak"] < mem["bound"]
            and mem["found"] == mem["expected"] and mem["lines_ok"])


def render(mems: list[dict], thr: list[dict], scale: float) -> str:
    mib = lambda b: f"{b / 1024 / 1024:.1f} MiB"  # noqa: E731
    how = {"s3": "moto S3 on 127.0.0.1 over HTTP, `jobs.classify.classify_object` (the executor's reading path)",
           "stream": "a generator-backed non-seekable stream, `jobs.formats.classify_stream`"}
    heads = [f"{m['bytes'] / 1e9:.2f} GB, {m['source']}" for m in mems]
    table = [
        ["Python heap peak (tracemalloc)", *[mib(m["heap_peak"]) for m in mems]],
        ["RSS peak of the whole process during the read", *[mib(m["rss_peak"]) for m in mems]],
        ["RSS peak above the RSS before the read", *[mib(m["rss_peak"] - m["rss_base"]) for m in mems]],
        ["configured bound (`limits.task_memory_bytes`)", *[mib(m["bound"]) for m in mems]],
        ["heap and whole-process RSS within the bound", *["yes" if m["heap_peak"] < m["bound"]
                                                          and m["rss_peak"] < m["bound"] else "**NO**" for m in mems]],
        ["planted SSNs found / expected (each once)", *[f"{m['found']} / {m['expected']}" for m in mems]],
        ["first 1,000 line numbers exact", *["yes" if m["lines_ok"] else "**NO**" for m in mems]],
        ["wall / CPU seconds", *[f"{m['wall_s']:.1f} / {m['cpu_s']:.1f}" for m in mems]],
        ["MB/s per core (extract + classify)", *[f"{m['bytes'] / 1e6 / m['cpu_s']:.0f}" for m in mems]],
    ]
    lines = [
        "## Object formats (`python -m bench.formats_bench`)",
        "",
        f"- machine: {report.machine_line()}",
        f"- command: `{report.command_line('bench.formats_bench')}`; date: {report.now_utc()}; rev {report.git_rev()}",
        f"- detector selector {SELECTOR}; reader defaults from `LimitSettings()` (chunk "
        f"{mib(mems[0]['chunk'])}, overlap {mems[0]['overlap'] // 1024} Ki chars)",
        "",
        "**Bounded memory.** A generated text object (log lines, a planted SSN every 997 lines) streamed "
        "in its own process through "
        + "; ".join(f"{m['source']}: {how[m['source']]}" for m in mems) + ":",
        "",
        report.md_table(["measure", *heads], table),
        "",
        f"**Extract + classify, MB/s per core** (`classify_bytes`, one thread, selector {SELECTOR}, scale {scale}; "
        "MB/s of input bytes per CPU second; content = bytes before compression/packaging):",
        "",
        report.md_table(["format", "input MB", "content MB", "CPU s", "MB/s", "content MB/s", "status", "detections"],
                        [[r["format"], f"{r['mb']:.1f}", f"{r['content_mb']:.1f}", f"{r['cpu_s']:.2f}",
                          f"{r['mb_s']:.1f}", f"{r['content_mb_s']:.1f}", r["status"], r["detections"]] for r in thr]),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.formats_bench", description=__doc__.split("\n")[0])
    ap.add_argument("--size-gb", type=float, default=2.0, help="size of the streamed text object (default 2)")
    ap.add_argument("--s3-gb", type=float, default=0.25,
                    help="also stream an object of this size from a moto S3 server (0: skip; default 0.25)")
    ap.add_argument("--source", choices=("s3", "stream"), default="stream", help=argparse.SUPPRESS)
    ap.add_argument("--scale", type=float, default=1.0, help="scale of the per-format inputs (default 1)")
    ap.add_argument("--selector", default=SELECTOR, help="detector selector (default RECOMMENDED, the job's default)")
    ap.add_argument("--no-write", action="store_true", help="print only; do not update BENCHMARKS.md")
    ap.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ["LAKESCAN_BENCH_SELECTOR"] = args.selector
    globals()["SELECTOR"] = args.selector
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.source, args.endpoint)))
        return 0
    mems = [measure_memory(int(args.size_gb * 1e9), "stream")]
    if args.s3_gb > 0:
        mems.append(measure_memory(int(args.s3_gb * 1e9), "s3"))
    thr = measure_throughput(args.scale)
    text = render(mems, thr, args.scale)
    print(text)
    if not args.no_write:
        report.update_section("formats", text)
        print(f"\nwrote the formats section of {report.BENCHMARKS_MD}")
    ok = all(_mem_ok(m) for m in mems)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
