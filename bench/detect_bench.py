"""``make bench`` (detector part): detect throughput in MB/s on one core, lakescan vs. baselines.

    python -m bench.detect_bench [--write] [--quick] [--cpu 1] [--low-mb 50] [--high-mb 8]

1. Generates (once, cached in ``.lakescan/bench/``) a seeded low-density corpus (≥ 50 MiB of logs, CSV,
   JSON Lines and prose, about one sensitive value per 50 KB) and a high-density one (most lines carry a
   value); see ``bench/corpus.py``.
2. Pins the process to one CPU (``os.sched_setaffinity``; default CPU 1, like ``taskset -c 1``).
3. Measures lakescan (``get_engine(load_pack(selector)).detect(chunk)``) for RECOMMENDED and ALL over the
   whole of both corpora, fed in line-aligned chunks (default 1 MiB).
4. On an evenly spaced sub-sample of the same corpora (default 2 MiB low, 1 MiB high) measures lakescan
   again and the baselines: Presidio's pattern recognizers (no NLP model), detect-secrets and plain ``re``
   (``bench/baselines.py``); the ratios lakescan ÷ baseline are taken on that identical text.

Throughput is bytes (UTF-8) / CPU seconds of this process (``time.process_time``), which on a pinned core is
"MB/s per core" and is not inflated by other load on the machine; wall-clock figures are kept in the JSON.
MB = 10^6 bytes. Each measurement stops after ``--budget`` CPU seconds (or twice that in wall-clock time, when
the core is shared) and reports what it covered.
``--write`` replaces the "Detector throughput" section of BENCHMARKS.md between
``<!-- detect-bench:start -->`` and ``<!-- detect-bench:end -->``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.baselines import BASELINES, BaselineUnavailable
from bench.corpus import CACHE_DIR, chunks, get_corpus, subsample
from bench.report import (
    BENCHMARKS_MD,
    command_line,
    git_rev,
    machine_line,
    md_table,
    now_utc,
    update_section,
    version,
)

HASH_KEY = b"lakescan-bench-not-a-secret"
TARGETS = {
    "ALL": 50.0,
    "RECOMMENDED": 100.0,
}  # MB/s on one core, low-density text (engine issue)
MB = 1e6


@dataclass
class Measure:
    tool: str
    corpus: str
    bytes: int = 0
    total_bytes: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    findings: int = 0
    partial: bool = False
    error: str = ""
    by_type: dict = field(default_factory=dict)
    pass_cpu_s: list = field(default_factory=list)  # CPU seconds of each whole pass (cpu_s: the least)

    @property
    def mbps(self) -> float:
        return self.bytes / MB / self.cpu_s if self.cpu_s > 0 else 0.0

    @property
    def wall_mbps(self) -> float:
        return self.bytes / MB / self.wall_s if self.wall_s > 0 else 0.0


def reference_seconds() -> float:
    """The least CPU seconds of three runs of a fixed pure-Python loop: how fast the (virtual) machine runs
    Python right now, so that figures from different runs can be compared."""
    best = float("inf")
    for _ in range(3):
        t = time.process_time()
        sum(range(10**7))
        best = min(best, time.process_time() - t)
    return best


def pin_cpu(cpu: int) -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    current = os.sched_getaffinity(0)
    if cpu < 0:
        return f"not pinned (affinity {sorted(current)})"
    if len(current) == 1 and cpu not in current:
        return f"CPU {next(iter(current))} (inherited, e.g. taskset)"
    if cpu not in current:
        cpu = max(current)
    os.sched_setaffinity(0, {cpu})
    return f"CPU {cpu}"


def measure(
    tool: str,
    corpus: str,
    pieces: list[str],
    scan: Callable[[str], object],
    budget: float,
    count_types: bool = False,
    passes: int = 1,
) -> Measure:
    """One pass over ``pieces`` (stopped at the budget), then up to ``passes - 1`` more whole passes while the
    budget allows; the figures are those of the pass with the least CPU time (this VM's speed drifts by 10-40%
    from one second to the next: the least is the one the least disturbed)."""
    m = Measure(tool, corpus, total_bytes=sum(len(p.encode("utf-8")) for p in pieces))
    sizes = [len(p.encode("utf-8")) for p in pieces]
    if pieces:  # warm-up on a small slice (caches, lazy compilation); not counted
        scan(pieces[0][:65536])
    types: Counter = Counter()
    spent = 0.0
    for k in range(passes):
        findings = n_bytes = 0
        c0, w0 = time.process_time(), time.perf_counter()
        for piece, size in zip(pieces, sizes):
            out = scan(piece)
            if isinstance(out, int):
                findings += out
            else:
                findings += len(out)
                if count_types and k == 0:
                    types.update(d.type for d in out)
            n_bytes += size
            if time.process_time() - c0 > budget or time.perf_counter() - w0 > 2 * budget:
                break
        cpu_s, wall_s = time.process_time() - c0, time.perf_counter() - w0
        m.pass_cpu_s.append(cpu_s)
        if k == 0 or cpu_s < m.cpu_s:
            m.cpu_s, m.wall_s, m.findings, m.bytes = cpu_s, wall_s, findings, n_bytes
        spent += cpu_s
        if n_bytes < m.total_bytes or spent + cpu_s > budget:
            break
    m.partial = m.bytes < m.total_bytes
    m.by_type = dict(types.most_common())
    return m


def lakescan_engines(selectors: list[str]) -> tuple[dict, str]:
    """{selector: (engine, compile_seconds, n_rules)} or an error string."""
    try:
        from detectors import get_engine, load_pack
    except ImportError as exc:
        return {}, f"detector engine not importable: {exc}"
    out = {}
    try:
        for sel in selectors:
            t0 = time.process_time()
            pack = load_pack(selector=sel)
            engine = get_engine(pack, hash_key=HASH_KEY, settle=True)  # as the executors run it (warmed up)
            rules = getattr(pack, "rules", None)
            out[sel] = (
                engine,
                time.process_time() - t0,
                len(rules) if rules is not None else None,
            )
    except Exception as exc:  # noqa: BLE001 - report any engine failure instead of crashing the bench
        return out, f"engine failed for {sel}: {type(exc).__name__}: {exc}"
    return out, ""


def _mbps(m: Measure | None) -> str:
    if m is None:
        return "—"
    if m.error:
        return "n/a"
    return f"{m.mbps:.2f}" + ("*" if m.partial else "") if m.mbps < 10 else f"{m.mbps:.1f}" + ("*" if m.partial else "")


def _ratio(a: Measure | None, b: Measure | None) -> str:
    if not a or not b or a.error or b.error or not b.mbps:
        return "—"
    return f"{a.mbps / b.mbps:,.0f}×" if a.mbps / b.mbps >= 10 else f"{a.mbps / b.mbps:.1f}×"


def _rule_seconds(stats: Counter) -> list[tuple[float, str]]:
    """(seconds, rule id) from the engine's ``stats`` counters, slowest first."""
    return sorted(((v, k[len("seconds:"):]) for k, v in stats.items() if k.startswith("seconds:")), reverse=True)


def profile(engine, pieces: list[str], top: int = 25) -> None:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    for piece in pieces:
        engine.detect(piece, field_path=())
    prof.disable()
    print(f"\nprofile of lakescan on the low sub-sample (top {top} by internal time):")
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(top)
    # per rule: prefilter hits and seconds in windows/patterns/validators (engine ``stats``), unprofiled
    stats: Counter = Counter()
    for piece in pieces:
        engine.detect(piece, field_path=(), stats=stats)
    per_rule = _rule_seconds(stats)
    total_mb = sum(len(p.encode("utf-8")) for p in pieces) / MB
    print(f"rules by time on the low sub-sample ({total_mb:.2f} MB; ms per MB, prefilter hits):")
    for secs, rid in per_rule[:top]:
        print(f"  {secs * 1000 / max(total_mb, 1e-9):8.2f} ms/MB  {rid}  ({stats['hits:' + rid]} hits)")


def _best_cpu(fn: Callable[[list], object], arg: list, repeats: int = 3) -> float:
    """The least CPU seconds of ``repeats`` calls of ``fn(arg)`` (one-shot figures of a few MB carry a garbage
    collection or a page fault now and then)."""
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        fn(arg)
        best = min(best, time.process_time() - t)
    return best


def breakdown(engine, seed: int, mixed: list[str], size_mb: float = 2.0) -> list[dict]:
    """Where one core's time goes, per text format of the low corpus: ``size_mb`` of that format alone
    (same generators), its MB/s, and the CPU ms per MB of the three stages of ``detect()`` - the literal
    (automaton) pass, the candidate passes of the anchorless families, and the rest (rule patterns in
    their windows, validators, overlap resolution, masked excerpts and keyed hashes) - with the rules
    that take longest; then the same for ``mixed`` (chunks of the mixed low corpus, share None). Stages
    are timed by calling them alone, the rest is the total minus both; each the best of three runs."""
    import random

    from bench import corpus as K

    formats = [("logs (access + application)", K.log_line, K.BLOCK_WEIGHTS["log"]),
               ("JSON Lines", K.json_line, K.BLOCK_WEIGHTS["json"]),
               ("prose", K.prose_line, K.BLOCK_WEIGHTS["prose"])]
    formats += [(f"CSV `{header.split(',')[0]},{header.split(',')[1]},…`", row,
                 K.BLOCK_WEIGHTS["csv"] / len(K.CSV_SCHEMAS)) for header, row in K.CSV_SCHEMAS]
    inputs = []
    for label, gen, weight in formats:
        rng = random.Random(seed)
        lines, n = [], 0
        while n < size_mb * MB:
            line = gen(rng)
            lines.append(line)
            n += len(line.encode("utf-8")) + 1
        inputs.append((label, weight, chunks("\n".join(lines), 1 << 20)))
    inputs.append(("the mixed low corpus (its sub-sample)", None, mixed))
    out = []
    for label, weight, pieces in inputs:
        mb = sum(len(p.encode("utf-8")) for p in pieces) / MB
        dets = sum(len(engine.detect(p)) for p in pieces)  # also the warm-up (lexicons load on first use)
        total = _best_cpu(lambda ps: [engine.detect(p) for p in ps], pieces)
        lit = _best_cpu(lambda ps: [engine._hits(p, None) for p in ps], pieces)
        both = [(p, p.encode("ascii", "replace")) for p in pieces]
        cand = _best_cpu(lambda pa: [spans_of(p, a) for p, a in pa for _, _, spans_of in engine._candidates], both)
        stats: Counter = Counter()
        for p in pieces:
            engine.detect(p, stats=stats)
        rules = _rule_seconds(stats)
        out.append({"format": label, "share": weight, "mb": mb, "mbps": mb / total, "ms_total": total * 1e3 / mb,
                    "ms_literal": lit * 1e3 / mb, "ms_candidates": cand * 1e3 / mb,
                    "ms_rest": max(0.0, total - lit - cand) * 1e3 / mb, "detections_per_mb": dets / mb,
                    "top_rules": [(rid, secs * 1e3 / mb) for secs, rid in rules[:3]]})
    return out


#: identifier groups taken out of ALL one after another by ``ablation`` (cumulatively)
ABLATION_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("person names (NAME, SINGLE_NAME[_CUED], PERSON_NAME, KIN_NAME, CONTACT_NAME)",
     ("NAME", "SINGLE_NAME", "SINGLE_NAME_CUED", "PERSON_NAME", "KIN_NAME", "CONTACT_NAME")),
    ("IP addresses (IP_ADDRESS)", ("IP_ADDRESS",)),
    ("postal addresses (ADDRESS, STREET_ADDRESS)", ("ADDRESS", "STREET_ADDRESS")),
)


def ablation(pieces: list[str]) -> list[dict]:
    """ALL, then ALL without each group of ``ABLATION_GROUPS`` in turn (cumulatively), on the same ``pieces``:
    what the costliest identifier families cost per MB, measured rather than estimated from stage timers."""
    from detectors import get_engine, load_pack

    out = []
    excluded: tuple[str, ...] = ()
    steps = [("ALL", ())] + [(("ALL without " if i == 0 else "… and without ") + label, ids)
                             for i, (label, ids) in enumerate(ABLATION_GROUPS)]
    for label, ids in steps:
        excluded += ids
        pack = load_pack(selector="EXCLUDE", ids=excluded) if excluded else load_pack(selector="ALL")
        engine = get_engine(pack, hash_key=HASH_KEY, settle=True)
        engine.detect(pieces[0])  # warm-up, as in ``breakdown``
        # best of three passes, as the breakdown measures: a single pass of a few MB is off by 10-30% now and
        # then, which here would be charged to one family
        cpu = _best_cpu(lambda ps, e=engine: [e.detect(p) for p in ps], pieces)
        mb = sum(len(p.encode("utf-8")) for p in pieces) / 1e6
        out.append({"label": label, "rules": len(pack.rules), "mbps": mb / cpu, "ms": 1e3 * cpu / mb})
    return out


def item_costs(engine, seed: int, size_mb: float = 2.0) -> list[dict]:
    """What single items of the commonest kinds cost with ALL (CPU microseconds each, best of three): an IPv4
    address of an access log through the three steps it takes (candidate pass, the rule's fast path, the
    detection's output: masked excerpt, keyed hash, line and column), a run of 13+ digits and separators (the
    card-number candidate pass), a capitalised word (listed by the lone-name pass), and the literal pass with
    the automaton's scan alone. ``[]`` when the engine's internals differ from what this reads."""
    import random

    from bench import corpus as K
    from detectors import candidates as C
    from detectors import engine as E

    def text_of(gen) -> list[str]:
        rng = random.Random(seed)
        lines, n = [], 0
        while n < size_mb * MB:
            lines.append(gen(rng))
            n += len(lines[-1]) + 1
        return chunks("\n".join(lines), 1 << 20)

    try:
        logs, prose = text_of(K.log_line), text_of(K.prose_line)
        ip_rule = next(cr for cr in engine.rules if cr.id == "IP_ADDRESS")
        cards = C.CANDIDATES["card_digits"]
        # the passes as the engine runs them (compiled when detectors._speedups is built)
        ipv4_spans, card_spans = engine._locator(C.CANDIDATES["ipv4"]), engine._locator(cards)
        both = [(p, p.encode("ascii", "replace")) for p in logs]
        cands = [ipv4_spans(p, a) for p, a in both]
        found = []
        for p, c in zip(logs, cands):
            f: list = []
            E._fast_ipv4(engine, ip_rule, p, c, f, Counter())
            found.append((p, engine._resolve(f)))
        n_ip = sum(map(len, cands))
        n_det = sum(len(d) for _, d in found)
        t_cand = _best_cpu(lambda pa: [ipv4_spans(p, a) for p, a in pa], both)
        t_fast = _best_cpu(lambda pc: [E._fast_ipv4(engine, ip_rule, p, c, [], Counter()) for p, c in pc],
                           list(zip(logs, cands)))
        t_out = _best_cpu(lambda pd: [engine._build(p, d) for p, d in pd], found)
        n_runs = sum(len(re.findall(rb"0{13,}", a.translate(cards.table))) for _, a in both)
        t_runs = _best_cpu(lambda pa: [card_spans(p, a) for p, a in pa], both)
        views = [(p, p.encode("ascii", "replace").translate(C._WORD_TABLE)) for p in prose]
        n_words = sum(len(C._ASCII_CAP_WORD.findall(v)) for _, v in views)
        if getattr(engine, "_c", None) is not None:  # as the engine collects them: the distinct words, in C
            t_words = _best_cpu(lambda pv: [engine._c.cap_word_set(p, v) for p, v in pv], views)
        else:
            t_words = _best_cpu(lambda pv: [[p[m.start():m.end()] for m in C._ASCII_CAP_WORD.finditer(v)]
                                            for p, v in pv], views)
        logs_mb, prose_mb = sum(map(len, logs)) / MB, sum(map(len, prose)) / MB
        rows = [
            {"item": "IPv4 address in logs: candidate pass", "per_mb": n_ip / logs_mb, "us": t_cand * 1e6 / n_ip,
             "ms": t_cand * 1e3 / logs_mb},
            {"item": "… the IP_ADDRESS rule (fast path)", "per_mb": n_ip / logs_mb, "us": t_fast * 1e6 / n_ip,
             "ms": t_fast * 1e3 / logs_mb},
            {"item": "… its detection's output (masked excerpt, keyed hash, line, column)",
             "per_mb": n_det / logs_mb, "us": t_out * 1e6 / n_det, "ms": t_out * 1e3 / logs_mb},
            {"item": "run of 13+ digits and separators in logs (card-number candidates)",
             "per_mb": n_runs / logs_mb, "us": t_runs * 1e6 / n_runs, "ms": t_runs * 1e3 / logs_mb},
            {"item": "capitalised word in prose, collected (lone-name candidates)", "per_mb": n_words / prose_mb,
             "us": t_words * 1e6 / n_words, "ms": t_words * 1e3 / prose_mb},
        ]
        if getattr(engine, "_rs", None) is not None:
            lows = [b" " + p.lower().encode("ascii", "replace") for p in prose]
            n_raw = sum(len(engine._rs.find_matches_as_indexes(x, overlapping=True)) for x in lows)
            t_dfa = _best_cpu(lambda xs: [engine._rs.find_matches_as_indexes(x, overlapping=True) for x in xs], lows)
            t_lit = _best_cpu(lambda ps: [engine._hits(p, None) for p in ps], prose)
            rows += [
                {"item": f"literal pass in prose: the automaton's scan alone ({len(engine._rs_items):,} keys)",
                 "per_mb": None, "us": None, "ms": t_dfa * 1e3 / prose_mb},
                {"item": "… the whole pass (lower-casing, raw hits, boundary checks)", "per_mb": n_raw / prose_mb,
                 "us": (t_lit - t_dfa) * 1e6 / max(1, n_raw), "ms": t_lit * 1e3 / prose_mb},
            ]
        return rows
    except (AttributeError, StopIteration, KeyError, TypeError, ZeroDivisionError):
        return []


def render_item_costs(rows: list[dict]) -> list[str]:
    table = [[r["item"], "—" if r["per_mb"] is None else f"{r['per_mb']:,.0f}",
              "—" if r["us"] is None else f"{r['us']:.2f}", f"{r['ms']:.1f}"] for r in rows]
    return [
        "What single items cost with ALL (CPU µs each, best of three; 2 MB of each format alone; for the whole "
        "pass, µs per raw hit beyond the scan):",
        "",
        md_table(["item", "per MB", "µs each", "ms/MB"], table),
        "",
    ]


def render_ablation(rows: list[dict]) -> list[str]:
    full = rows[0]["ms"]
    table = [[r["label"], r["rules"], f"{r['mbps']:.1f}", f"{r['ms']:.1f}",
              "—" if i == 0 else f"{rows[i - 1]['ms'] - r['ms']:.1f}", f"{100 * (full - r['ms']) / full:.0f}%"]
             for i, r in enumerate(rows)]
    return [
        "The costliest identifier families, taken out of ALL one after another (same sub-sample, same run):",
        "",
        md_table(["selector", "rules", "MB/s", "ms/MB", "this group's ms/MB", "share of ALL's time removed so far"],
                 table),
        "",
    ]


def render_breakdown(sel: str, rows: list[dict]) -> list[str]:
    formats = [r for r in rows if r["share"] is not None]
    mixed = next(r for r in rows if r["share"] is None)

    def weighted(key: str) -> float:
        return sum(r["share"] * r[key] for r in formats) / sum(r["share"] for r in formats)

    table = [[r["format"], "—" if r["share"] is None else f"{r['share']:.0f}%", f"{r['mbps']:.1f}",
              f"{r['ms_total']:.1f}", f"{r['ms_literal']:.1f}", f"{r['ms_candidates']:.1f}", f"{r['ms_rest']:.1f}",
              f"{r['detections_per_mb']:.0f}", ", ".join(f"{rid} {ms:.1f}" for rid, ms in r["top_rules"])]
             for r in rows]
    total = weighted("ms_total")
    return [
        f"Where the time goes with {sel}, per format of the low corpus ({formats[0]['mb']:.1f} MB of each format "
        "alone, then the mixed corpus; CPU ms per MB; the three stages of `detect()` add up to the total):",
        "",
        md_table(["format", "share of low corpus", "MB/s", "ms/MB", "literal pass", "candidate passes",
                  "rules, validators, output", "detections/MB", "slowest rules (ms/MB)"], table),
        "",
        f"The formats weighted by their shares: {total:.1f} ms/MB ({1e3 / total:.1f} MB/s); "
        f"the mixed corpus {mixed['ms_total']:.1f} ms/MB. The target (50 MB/s) is 20 ms/MB. Candidate passes: "
        f"{weighted('ms_candidates'):.1f} ms/MB weighted, {mixed['ms_candidates']:.1f} mixed: in a 1 MiB chunk that",
        "holds prose, the names found there make the name passes locate and check those words across the log and",
        "CSV lines of the chunk too.",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.detect_bench", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--low-mb",
        type=float,
        default=50,
        help="low-density corpus size in MiB (default 50)",
    )
    ap.add_argument(
        "--high-mb",
        type=float,
        default=8,
        help="high-density corpus size in MiB (default 8)",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--chunk-kb",
        type=int,
        default=1024,
        help="text handed to one detect() call (KiB)",
    )
    ap.add_argument(
        "--sample-low-mb",
        type=float,
        default=2.0,
        help="baseline sub-sample of the low corpus",
    )
    ap.add_argument(
        "--sample-high-mb",
        type=float,
        default=1.0,
        help="baseline sub-sample of the high corpus",
    )
    ap.add_argument("--selectors", default="RECOMMENDED,ALL")
    ap.add_argument("--baselines", default=",".join(BASELINES), help="comma list; '' for none")
    ap.add_argument("--cpu", type=int, default=1, help="CPU to pin to (-1: do not pin)")
    ap.add_argument("--budget", type=float, default=45, help="max CPU seconds per measurement (wall-clock: twice that)")
    ap.add_argument("--passes", type=int, default=3,
                    help="whole passes of lakescan over each corpus, within the budget; the fastest is reported")
    ap.add_argument(
        "--quick",
        action="store_true",
        help="dev run: 5 MiB / 1 MiB corpora, 0.3 MiB samples",
    )
    ap.add_argument(
        "--write",
        action="store_true",
        help="update the Detector throughput section of BENCHMARKS.md",
    )
    ap.add_argument(
        "--profile",
        metavar="SELECTOR",
        help="also cProfile lakescan with this selector on the low sub-sample and print the top functions",
    )
    ap.add_argument(
        "--benchmarks-file",
        type=Path,
        default=BENCHMARKS_MD,
        help="markdown file that --write updates (default: BENCHMARKS.md at the repo root)",
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.low_mb, args.high_mb, args.sample_low_mb, args.sample_high_mb = (
            5,
            1,
            0.3,
            0.2,
        )

    pinned = pin_cpu(args.cpu)
    reference = [reference_seconds()]
    t_start = time.perf_counter()
    selectors = [s for s in args.selectors.split(",") if s]
    baseline_names = [b for b in args.baselines.split(",") if b]
    for b in baseline_names:
        if b not in BASELINES:
            ap.error(f"unknown baseline {b!r}; known: {', '.join(BASELINES)}")

    print(f"pinned: {pinned}; generating/loading corpora in {CACHE_DIR} …", flush=True)
    corpora = {}
    for density, size in (("low", args.low_mb), ("high", args.high_mb)):
        text, meta = get_corpus(density, size, args.seed)
        sample = subsample(text, args.sample_low_mb if density == "low" else args.sample_high_mb)
        corpora[density] = {
            "text": text,
            "meta": meta,
            "full": chunks(text, args.chunk_kb * 1024),
            "sample": chunks(sample, args.chunk_kb * 1024),
            "sample_bytes": len(sample.encode("utf-8")),
        }
        print(
            f"  {density}: {meta['bytes'] / MB:.1f} MB, {meta['planted_total']} planted values; "
            f"sub-sample {corpora[density]['sample_bytes'] / MB:.2f} MB",
            flush=True,
        )

    results: list[Measure] = []
    engines, engine_error = lakescan_engines(selectors) if selectors else ({}, "")
    if engine_error:
        print(f"lakescan: {engine_error}", file=sys.stderr)
    compile_info = {sel: (round(cs, 3), n) for sel, (_e, cs, n) in engines.items()}
    for sel, (engine, compile_s, n_rules) in engines.items():
        print(
            f"lakescan {sel}: {n_rules} rules, compiled in {compile_s:.2f}s CPU",
            flush=True,
        )
        for density in ("low", "high"):
            for part in ("full", "sample"):
                m = measure(
                    f"lakescan {sel}",
                    f"{density}/{part}",
                    corpora[density][part],
                    lambda t, e=engine: e.detect(t, field_path=()),
                    args.budget,
                    count_types=True,
                    passes=args.passes,
                )
                results.append(m)
                print(
                    f"  {density:<4} {part:<6} {m.mbps:8.2f} MB/s  ({m.bytes / MB:.1f} MB, {m.cpu_s:.1f}s CPU, "
                    f"{m.findings} detections{', partial' if m.partial else ''})",
                    flush=True,
                )

    baseline_versions = {}
    for b in baseline_names:
        try:
            label, ver, scan = BASELINES[b]()
        except BaselineUnavailable as exc:
            print(f"{b}: {exc}", file=sys.stderr)
            for density in ("low", "high"):
                results.append(Measure(b, f"{density}/sample", error=str(exc)))
            continue
        baseline_versions[label] = ver
        for density in ("low", "high"):
            m = measure(
                label,
                f"{density}/sample",
                corpora[density]["sample"],
                scan,
                args.budget,
            )
            results.append(m)
            print(
                f"{label:<38} {density:<4} {m.mbps:8.3f} MB/s  ({m.bytes / MB:.2f} MB, {m.cpu_s:.1f}s CPU, "
                f"{m.findings} findings{', partial' if m.partial else ''})",
                flush=True,
            )

    if args.profile and args.profile in engines:
        profile(engines[args.profile][0], corpora["low"]["sample"])
    split, ablated, costs = {}, [], []
    if "ALL" in engines and not args.quick:
        split["ALL"] = breakdown(engines["ALL"][0], args.seed, corpora["low"]["sample"])
        for r in split["ALL"]:
            print(f"  ALL {r['format']:<34} {r['mbps']:7.1f} MB/s  literal {r['ms_literal']:.1f} / candidates "
                  f"{r['ms_candidates']:.1f} / rest {r['ms_rest']:.1f} ms per MB", flush=True)
        ablated = ablation(corpora["low"]["sample"])
        for r in ablated:
            print(f"  {r['label']:<60} {r['mbps']:7.1f} MB/s  {r['ms']:.1f} ms per MB", flush=True)
        costs = item_costs(engines["ALL"][0], args.seed)
        for r in costs:
            print(f"  {r['item']:<90} {r['ms']:.1f} ms per MB", flush=True)
    elapsed = time.perf_counter() - t_start
    reference.append(reference_seconds())
    pinned += f"; the VM's speed: a reference loop, `sum(range(10**7))`, took {reference[0]:.3f} s of CPU at the " \
        f"start and {reference[1]:.3f} s at the end (compare runs by it: it varies by up to 40% between runs here)"
    body = render(
        args,
        results,
        corpora,
        pinned,
        engine_error,
        compile_info,
        baseline_versions,
        elapsed,
        split,
        ablated,
        costs,
    )
    print("\n" + body)
    out = CACHE_DIR / "detect_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "date": now_utc(),
                "commit": git_rev(),
                "pinned": pinned,
                "args": vars(args),
                "engine_error": engine_error,
                "compile": compile_info,
                "results": [asdict(r) | {"mbps": r.mbps, "wall_mbps": r.wall_mbps} for r in results],
            },
            indent=1,
            default=str,
        ),
        encoding="utf-8",
    )
    print(f"\nraw results: {out}; total {elapsed:.0f}s")
    if args.write:
        if args.quick:
            print("not writing BENCHMARKS.md from a --quick run", file=sys.stderr)
        else:
            update_section("detect-bench", body, args.benchmarks_file)
            print("BENCHMARKS.md: Detector throughput section updated")
    return 0


def _passes_note(m: Measure | None) -> str:
    """``. The fastest of N whole passes (ALL, low: a / b / c MB/s)`` when ``m`` made more than one."""
    if m is None or len(m.pass_cpu_s) < 2:
        return ""
    each = " / ".join(f"{m.bytes / MB / c:.1f}" for c in m.pass_cpu_s if c > 0)
    return f". The fastest of {len(m.pass_cpu_s)} whole passes (ALL on the low corpus, each pass: {each} MB/s)"


def _compiled() -> bool:
    from detectors import engine

    return engine._speedups is not None


def render(
    args,
    results: list[Measure],
    corpora: dict,
    pinned: str,
    engine_error: str,
    compile_info: dict,
    baseline_versions: dict,
    elapsed: float,
    split: dict | None = None,
    ablated: list[dict] | None = None,
    costs: list[dict] | None = None,
) -> str:
    def get(tool: str, corpus: str) -> Measure | None:
        return next((r for r in results if r.tool == tool and r.corpus == corpus), None)

    low, high = corpora["low"]["meta"], corpora["high"]["meta"]
    lines = [
        "## Detector throughput (`make bench`)",
        "",
        f"{now_utc()} · commit `{git_rev()}` · `{command_line('bench.detect_bench')}` · {elapsed:.0f}s",
        "",
        f"Machine: {machine_line()}; measured on one core ({pinned}). MB/s = 10^6 bytes of UTF-8 text per CPU",
        "second of the process. Versions: "
        + ", ".join(
            [f"pyahocorasick {version('pyahocorasick')}", f"regex {version('regex')}"]
            + [f"{k} {v}" for k, v in baseline_versions.items()]
        )
        + ". "
        + ("The engine's compiled loops (`detectors._speedups`, C) were built and used."
           if _compiled() else "**The engine's compiled loops (`detectors._speedups`) were not built: pure Python.**"),
        "",
        (
            f"Corpora (seed {args.seed}, generator `bench/corpus.py`): **low** density "
            f"{low['bytes'] / MB:.1f} MB of logs, CSV, JSON Lines and prose with {low['planted_total']} planted values "
            f"(1 per {low['bytes'] / max(1, low['planted_total']) / 1000:.0f} KB); **high** density "
            f"{high['bytes'] / MB:.1f} MB, {high['planted_total']} planted values (1 per "
            f"{high['bytes'] / max(1, high['planted_total']):.0f} bytes). detect() gets {args.chunk_kb} KiB chunks."
        ),
        "",
    ]
    selectors = [s for s in args.selectors.split(",") if s]
    if not selectors:
        pass
    elif engine_error and not compile_info:
        lines += [f"**lakescan not measured**: {engine_error}", ""]
    else:
        if engine_error:
            lines += [f"Note: {engine_error}", ""]
        rows = []
        for sel in selectors:
            lo, hi = (
                get(f"lakescan {sel}", "low/full"),
                get(f"lakescan {sel}", "high/full"),
            )
            if lo is None:
                continue
            target = TARGETS.get(sel)
            cs, n = compile_info.get(sel, (None, None))
            verdict = "—" if target is None else ("met" if lo.mbps >= target else "**not met**")
            if n == 0:
                verdict = "n/a (empty rule pack)"
            rows.append(
                [
                    sel,
                    n if n is not None else "?",
                    f"{cs:.2f}s" if cs is not None else "?",
                    _mbps(lo),
                    _mbps(hi),
                    f"{lo.wall_mbps:.1f} / {hi.wall_mbps:.1f}" if hi else "—",
                    f"{lo.findings / (lo.bytes / MB):.1f}" if lo.bytes else "—",
                    f"{hi.findings / (hi.bytes / MB):.0f}" if hi and hi.bytes else "—",
                    f"≥ {target:.0f} MB/s: {verdict}" if target else "—",
                ]
            )
        lines += [
            "lakescan over the whole corpora (engines built as the executors' workers build them: "
            "`get_engine(pack, key, settle=True)`, see `Engine.settle`; `compile` includes that)"
            + _passes_note(get("lakescan ALL", "low/full")) + ":",
            "",
            md_table(
                [
                    "selector",
                    "rules",
                    "compile",
                    "low MB/s",
                    "high MB/s",
                    "wall-clock MB/s low / high",
                    "detections/MB low",
                    "detections/MB high",
                    "target (low, one core)",
                ],
                rows,
            ),
            "",
        ]
        for sel in selectors:
            lo = get(f"lakescan {sel}", "low/full")
            if lo is not None and lo.by_type:
                top = ", ".join(f"{t} {c}" for t, c in list(lo.by_type.items())[:12])
                lines += [
                    f"Detections on the low corpus with {sel} (most frequent first): {top}.",
                    "",
                ]
        for sel, rows in (split or {}).items():
            lines += render_breakdown(sel, rows)
        if ablated:
            lines += render_ablation(ablated)
        if costs:
            lines += render_item_costs(costs)
    sl, sh = corpora["low"]["sample_bytes"] / MB, corpora["high"]["sample_bytes"] / MB
    tools = [f"lakescan {s}" for s in selectors if compile_info.get(s)]
    tools += [r.tool for r in results if not r.tool.startswith("lakescan") and r.corpus == "low/sample"]
    ref = {s: (get(f"lakescan {s}", "low/sample"), get(f"lakescan {s}", "high/sample")) for s in selectors}
    rows = []
    for tool in tools:
        lo, hi = get(tool, "low/sample"), get(tool, "high/sample")
        err = (lo.error if lo else "") or (hi.error if hi else "")
        row = [tool, _mbps(lo), _mbps(hi)]
        for s in selectors:
            rl, rh = ref[s]
            row += [
                "—" if tool.startswith("lakescan") else _ratio(rl, lo),
                "—" if tool.startswith("lakescan") else _ratio(rh, hi),
            ]
        if err:
            row[1] = row[2] = f"n/a ({err[:60]})"
        rows.append(row)
    headers = ["tool", "low MB/s", "high MB/s"]
    for s in selectors:
        headers += [f"{s} ÷ tool, low", f"{s} ÷ tool, high"]
    lines += [
        (
            f"Same text for every tool: an evenly spaced sub-sample of {sl:.2f} MB (low) and {sh:.2f} MB (high) "
            "of the corpora above (the baselines are too slow for the whole):"
        ),
        "",
        md_table(headers, rows),
        "",
        (
            f"`*` = stopped at the per-measurement budget ({args.budget:.0f} s CPU / {2 * args.budget:.0f} s wall); "
            "the figure covers the text scanned so far. "
            "Presidio = presidio-analyzer's predefined English pattern recognizers behind a NoOpNlpEngine "
            "(no spaCy model); detect-secrets = default plugins and filters, line by line; plain re = the "
            "patterns in `bench/baselines.py`."
        ),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
