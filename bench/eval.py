"""``make eval``: score lakescan's detectors on the labelled development corpora.

    python -m bench.eval [--corpus-dir ../shared/eval] [--selector ALL] [--errors 10] [--write]

Loads every ``*.jsonl`` corpus in ``--corpus-dir`` (format and scoring rule: ``shared/eval/README.md``),
runs ``get_engine(load_pack(selector)).detect(text)`` on each document, maps lakescan types to the
canonical types (``bench/canonical.py``), scores them (``bench/scoring.py``) and prints per-type and
micro precision/recall/F1, strict and class level. ``--write`` records the figures in BENCHMARKS.md
between ``<!-- eval:start -->`` and ``<!-- eval:end -->``. ``--errors N`` prints, per type, the N most
frequent false positives and false negatives with a little context (console only; never written).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bench.canonical import CLASS_OF, to_canonical
from bench.report import (
    BENCHMARKS_MD,
    REPO_ROOT,
    command_line,
    git_rev,
    md_table,
    now_utc,
    text_table,
    update_section,
)
from bench.scoring import (
    CLASS,
    CORPUS_SCOPES,
    LEVELS,
    STRICT,
    Counts,
    Score,
    Span,
    contiguous_groups,
    score_document,
)

DEFAULT_CORPUS_DIR = REPO_ROOT.parent / "shared" / "eval"
HASH_KEY = b"lakescan-eval-not-a-secret"


class EvalError(Exception):
    pass


@dataclass
class Doc:
    id: str
    text: str
    gold: list[Span]


@dataclass
class CorpusResult:
    name: str
    scope: frozenset[str]
    docs: int = 0
    seconds: float = 0.0
    scores: dict[str, Score] = field(default_factory=lambda: {lvl: Score(lvl) for lvl in LEVELS})
    raw_types: Counter = field(default_factory=Counter)  # lakescan type -> detections
    failures: list[str] = field(default_factory=list)  # documents on which detect() raised
    unmapped: Counter = field(default_factory=Counter)  # lakescan types with no canonical type
    fp_examples: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    fn_examples: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    groups: int = 0  # gold spans in scope with each run of adjacent same-type spans counted once

    def ceiling(self) -> tuple[float, float]:
        """Recall ceiling of a detector that reports whole entities (``scoring.contiguous_groups``) under the
        one-to-one pairing, and the micro-F1 it allows at the strict precision reached."""
        gold = self.gold_spans
        r = self.groups / gold if gold else 0.0
        p = self.scores[STRICT].micro.precision
        return r, (2 * p * r / (p + r) if p + r else 0.0)

    @property
    def gold_spans(self) -> int:
        return self.scores[STRICT].micro.gold_total


def load_corpus(path: Path) -> list[Doc]:
    docs = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                gold = [Span(int(s["start"]), int(s["end"]), str(s["type"])) for s in d.get("spans", ())]
                docs.append(Doc(str(d.get("id", f"{path.stem}-{n}")), d["text"], gold))
            except (ValueError, KeyError, TypeError) as exc:
                raise EvalError(f"{path}:{n}: not a corpus record ({exc})") from exc
    return docs


def find_corpora(corpus_dir: Path, only: list[str] | None) -> list[Path]:
    if not corpus_dir.is_dir():
        raise EvalError(
            f"corpus directory {corpus_dir} does not exist. The labelled corpora live in shared/eval/ beside "
            f"the repository (../shared/eval); pass --corpus-dir to point elsewhere."
        )
    paths = sorted(corpus_dir.glob("*.jsonl"))
    if only:
        paths = [p for p in paths if p.stem in only]
    if not paths:
        raise EvalError(f"no *.jsonl corpus found in {corpus_dir}" + (f" matching {only}" if only else ""))
    return paths


def scope_for(name: str, docs: list[Doc]) -> frozenset[str]:
    if name in CORPUS_SCOPES:
        return CORPUS_SCOPES[name]
    # an unknown corpus: assume it is exhaustive for the canonical types it labels
    scope = frozenset(s.type for d in docs for s in d.gold if s.type in CLASS_OF)
    print(
        f"warning: no declared scope for corpus {name!r}; using the types it labels: {sorted(scope)}",
        file=sys.stderr,
    )
    return scope


def build_engine(selector: str):
    try:
        from detectors import get_engine, load_pack
    except ImportError as exc:
        raise EvalError(f"the detector engine is not available (detectors.load_pack/get_engine): {exc}") from exc
    pack = load_pack(selector=selector)
    return pack, get_engine(pack, hash_key=HASH_KEY)


def print_mapping(rules) -> None:
    by_canon: dict[str, list[str]] = defaultdict(list)
    for r in rules:
        cat = str(getattr(getattr(r, "category", ""), "value", getattr(r, "category", "")))
        canon = to_canonical(r.id, cat)
        by_canon[canon or "(left out)"].append(r.id)
    for canon in sorted(by_canon):
        print(f"  {canon:<22} <- {', '.join(sorted(by_canon[canon]))}")


def _snippet(text: str, start: int, end: int, ctx: int = 25, width: int = 70) -> str:
    inner = text[start:end]
    if len(inner) > width:
        inner = inner[: width // 2] + "…" + inner[-width // 2 :]
    s = f"{text[max(0, start - ctx) : start]}[{inner}]{text[end : end + ctx]}"
    return s.replace("\n", "⏎").replace("\r", "").replace("\t", " ")


def evaluate(docs: list[Doc], name: str, scope: frozenset[str], engine, want_examples: bool) -> CorpusResult:
    res = CorpusResult(name, scope)
    t0 = time.perf_counter()
    for doc in docs:
        try:
            dets = engine.detect(doc.text, field_path=())
        except Exception as exc:  # an engine failure on one document is a finding, not a crash
            res.failures.append(f"{doc.id}: {type(exc).__name__}: {exc}")
            dets = []
        preds = []
        for d in dets:
            res.raw_types[d.type] += 1
            canon = to_canonical(d.type, getattr(d, "category", ""))
            if canon is None:
                res.unmapped[d.type] += 1
                continue
            preds.append(Span(d.start, d.end, canon, note=d.type))
        for lvl in LEVELS:
            r = score_document(doc.gold, preds, scope, lvl)
            res.scores[lvl].add(r)
            if want_examples and lvl == STRICT:
                for p in r.false_positives:
                    res.fp_examples[p.type][f"{p.note}: {_snippet(doc.text, p.start, p.end)}"] += 1
                for g in r.false_negatives:
                    res.fn_examples[g.type][_snippet(doc.text, g.start, g.end)] += 1
        res.groups += contiguous_groups(doc.text, doc.gold, scope)
        res.docs += 1
    res.seconds = time.perf_counter() - t0
    return res


def _f(x: float) -> str:
    return f"{x:.3f}"


def _prf(c: Counts) -> list[str]:
    """P, R, F1 as text; "—" where the denominator is empty (no predictions / no gold)."""
    p = _f(c.precision) if c.pred_total else "—"
    r = _f(c.recall) if c.gold_total else "—"
    return [p, r, _f(c.f1) if c.pred_total or c.gold_total else "—"]


def per_type_rows(res: CorpusResult) -> list[list[object]]:
    s, c = res.scores[STRICT], res.scores[CLASS]
    types = sorted(set(s.per_type) | set(c.per_type), key=lambda t: (CLASS_OF.get(t, ""), t))
    rows: list[list[object]] = []
    for t in types:
        a, b = s.per_type.get(t, Counts()), c.per_type.get(t, Counts())
        rows.append([t, a.gold_total, a.pred_total, a.pred_tp, *_prf(a), *_prf(b)])
    ms, mc = s.micro, c.micro
    rows.append(["micro", ms.gold_total, ms.pred_total, ms.pred_tp, *_prf(ms), *_prf(mc)])
    return rows


PER_TYPE_HEADERS = [
    "type",
    "gold",
    "pred",
    "tp",
    "P strict",
    "R strict",
    "F1 strict",
    "P class",
    "R class",
    "F1 class",
]


def print_result(res: CorpusResult, errors: int) -> None:
    s = res.scores[STRICT]
    print(
        f"\n== {res.name}: {res.docs} docs, {res.gold_spans} gold spans in scope, "
        f"{res.seconds:.2f}s detect+score; predictions ignored (on IGNORE spans) {s.ignored}, "
        f"out of scope {s.out_of_scope}"
    )
    print(text_table(PER_TYPE_HEADERS, per_type_rows(res)))
    if res.groups < res.gold_spans:
        r, f1 = res.ceiling()
        print(f"whole-address ceiling: {res.groups} of {res.gold_spans} gold spans remain when adjacent ADDRESS spans "
              f"count once; recall <= {_f(r)}, micro-F1 strict <= {_f(f1)} at this precision")
    if res.failures:
        print(f"detect() raised on {len(res.failures)} documents (scored as no predictions):")
        for f in res.failures[:10]:
            print(f"   {f[:200]}")
    if res.unmapped:
        print(
            "lakescan types with no canonical counterpart (left out): "
            + ", ".join(f"{t}×{n}" for t, n in res.unmapped.most_common())
        )
    if errors:
        for title, table in (
            ("false positives", res.fp_examples),
            ("false negatives", res.fn_examples),
        ):
            for t in sorted(table):
                ex = table[t]
                print(f"-- top {title} {t} ({sum(ex.values())} total)")
                for snippet, n in ex.most_common(errors):
                    print(f"   {n:>4}× {snippet}")


def markdown(results: list[CorpusResult], selector: str, pack, argv_cmd: str, refs: dict | None = None) -> str:
    rules = getattr(pack, "rules", None)
    n_rules = len(rules) if rules is not None else "?"
    lines = [
        "## Accuracy (`make eval`)",
        "",
        f"{now_utc()} · commit `{git_rev()}` · selector {selector} ({n_rules} rules) · `{argv_cmd}`",
        "",
        "Scored as `shared/eval/README.md` says: scope per corpus, IGNORE spans, overlap matching with each gold",
        "span matched at most once, equivalent pairs; strict = same type, class = same class (PII / FINANCIAL /",
        "SECRET). Target: micro-F1 ≥ 0.90 on both corpora.",
        "",
        md_table(
            [
                "corpus",
                "docs",
                "gold spans",
                "P strict",
                "R strict",
                "micro-F1 strict",
                "P class",
                "R class",
                "micro-F1 class",
            ],
            [
                [
                    r.name,
                    r.docs,
                    r.gold_spans,
                    _f(r.scores[STRICT].micro.precision),
                    _f(r.scores[STRICT].micro.recall),
                    f"**{_f(r.scores[STRICT].micro.f1)}**",
                    _f(r.scores[CLASS].micro.precision),
                    _f(r.scores[CLASS].micro.recall),
                    f"**{_f(r.scores[CLASS].micro.f1)}**",
                ]
                for r in results
            ],
        ),
    ]
    lines += [
        "",
        "The README bounds only the gold side (\"each gold span is matched at most once\"); the figures above also",
        "let each prediction match one gold span. Read the other way - a gold span counts as found when a matched",
        "prediction of a compatible type overlaps it, so one address detection covers the building number, street",
        "and unit that the corpus labels as separate spans - the same predictions give (precision unchanged; the",
        "target is judged on the figures above):",
        "",
        md_table(
            ["corpus", "R strict", "micro-F1 strict", "R class", "micro-F1 class"],
            [
                [
                    r.name,
                    _f(r.scores[STRICT].micro.recall_covered),
                    _f(r.scores[STRICT].micro.f1_covered),
                    _f(r.scores[CLASS].micro.recall_covered),
                    _f(r.scores[CLASS].micro.f1_covered),
                ]
                for r in results
            ],
        ),
    ]
    split = [r for r in results if r.groups < r.gold_spans]
    if split:
        lines += [
            "",
            "Some corpora label one address as several adjacent spans (building number, street, unit and postcode,",
            "with the city between them as IGNORE). Under the one-to-one pairing a detector that reports each",
            "address once can match one of them; counting each run of adjacent ADDRESS spans (separated only by",
            "whitespace, punctuation or IGNORE spans) once gives its ceiling (`bench/scoring.py`,",
            "`contiguous_groups`), everything else found without error:",
            "",
            md_table(
                ["corpus", "gold spans", "runs counted once", "recall ceiling", "micro-F1 strict ceiling"],
                [[r.name, r.gold_spans, r.groups, _f(r.ceiling()[0]), _f(r.ceiling()[1])] for r in split],
            ),
        ]
    if refs:
        rows = [
            [f"lakescan ({selector})", r.name, _f(r.scores[STRICT].micro.f1), _f(r.scores[CLASS].micro.f1)]
            for r in results
        ]
        for tool, tool_results in refs.items():
            rows += [
                [tool, r.name, _f(r.scores[STRICT].micro.f1), _f(r.scores[CLASS].micro.f1)]
                for r in tool_results
                if r.scores[STRICT].micro.pred_total  # a tool with nothing in the corpus' scope is left out
            ]
        lines += [
            "",
            "Same scorer, reference tools (`--baselines`; Presidio without an NLP model finds no names):",
            "",
            md_table(["tool", "corpus", "micro-F1 strict", "micro-F1 class"], rows),
        ]
    for r in results:
        lines += [
            "",
            f"### {r.name} per type",
            "",
            md_table(PER_TYPE_HEADERS, per_type_rows(r)),
        ]
        if r.unmapped:
            left = ", ".join(f"{t} {n}" for t, n in r.unmapped.most_common())
            lines += ["", f"Left out (no canonical counterpart): {left}."]
        if r.failures:
            lines += ["", f"**detect() raised on {len(r.failures)} documents** (scored as no predictions)."]
    return "\n".join(lines)


def score_references(names: str, corpus_paths: list[Path], limit: int) -> dict[str, list[CorpusResult]]:
    from bench.baselines import BaselineUnavailable
    from bench.eval_baselines import REFERENCE_TOOLS

    refs: dict[str, list[CorpusResult]] = {}
    for key in [n for n in names.split(",") if n]:
        if key not in REFERENCE_TOOLS:
            raise EvalError(f"unknown reference tool {key!r}; known: {', '.join(REFERENCE_TOOLS)}")
        try:
            tool = REFERENCE_TOOLS[key]()
        except BaselineUnavailable as exc:
            print(f"reference {key}: {exc}", file=sys.stderr)
            continue
        refs[tool.name] = []
        for path in corpus_paths:
            docs = load_corpus(path)[: limit or None]
            refs[tool.name].append(evaluate(docs, path.stem, scope_for(path.stem, docs), tool, want_examples=False))
    return refs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--corpus-dir",
        type=Path,
        default=DEFAULT_CORPUS_DIR,
        help="folder of labelled *.jsonl corpora (default: ../shared/eval beside the repo)",
    )
    ap.add_argument("--corpus", action="append", help="only this corpus (file stem); repeatable")
    ap.add_argument("--selector", default="ALL", help="managed identifier selector (default ALL)")
    ap.add_argument(
        "--limit",
        type=int,
        default=0,
        help="score only the first N documents of each corpus",
    )
    ap.add_argument(
        "--errors",
        type=int,
        default=0,
        metavar="N",
        help="print the N most frequent false positives / negatives per type",
    )
    ap.add_argument(
        "--write",
        action="store_true",
        help="update the Accuracy section of BENCHMARKS.md",
    )
    ap.add_argument(
        "--show-mapping",
        action="store_true",
        help="print every rule id of the pack with its canonical type",
    )
    ap.add_argument(
        "--benchmarks-file",
        type=Path,
        default=BENCHMARKS_MD,
        help="markdown file that --write updates (default: BENCHMARKS.md at the repo root)",
    )
    ap.add_argument(
        "--baselines",
        nargs="?",
        const="presidio,detect-secrets",
        default="",
        help="also score reference tools with the same scorer (default list: presidio,detect-secrets)",
    )
    args = ap.parse_args(argv)

    try:
        corpus_paths = find_corpora(args.corpus_dir.resolve(), args.corpus)
        pack, engine = build_engine(args.selector)
        rules = tuple(getattr(pack, "rules", ()))
        print(f"selector {args.selector}: {len(rules)} rules, pack {str(getattr(pack, 'digest', ''))[:12]}")
        if not rules:
            print(
                "warning: the rule pack is empty; every score will be 0",
                file=sys.stderr,
            )
        if args.show_mapping:
            print_mapping(rules)
        results = []
        for path in corpus_paths:
            docs = load_corpus(path)
            if args.limit:
                docs = docs[: args.limit]
            scope = scope_for(path.stem, docs)
            res = evaluate(docs, path.stem, scope, engine, want_examples=args.errors > 0)
            print_result(res, args.errors)
            results.append(res)
        refs = score_references(args.baselines, corpus_paths, args.limit)
    except EvalError as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 2

    for tool, tool_results in refs.items():
        for r in tool_results:
            print(
                f"reference {tool} on {r.name}: micro-F1 strict {_f(r.scores[STRICT].micro.f1)}, "
                f"class {_f(r.scores[CLASS].micro.f1)} ({r.seconds:.1f}s)"
            )
    print("\nsummary (micro):")
    print(
        text_table(
            ["corpus", "F1 strict", "F1 class", "P strict", "R strict"],
            [
                [
                    r.name,
                    _f(r.scores[STRICT].micro.f1),
                    _f(r.scores[CLASS].micro.f1),
                    _f(r.scores[STRICT].micro.precision),
                    _f(r.scores[STRICT].micro.recall),
                ]
                for r in results
            ],
        )
    )
    if args.write:
        if args.limit or args.corpus:
            print(
                "not writing BENCHMARKS.md: --limit/--corpus give partial figures",
                file=sys.stderr,
            )
        else:
            update_section(
                "eval",
                markdown(results, args.selector, pack, command_line("bench.eval"), refs),
                args.benchmarks_file,
            )
            print("BENCHMARKS.md: Accuracy section updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
