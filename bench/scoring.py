"""Pure scoring of span predictions against labelled corpora, exactly as ``shared/eval/README.md`` says.

Rules implemented here (and tested in ``tests/detectors/test_eval_scoring.py``):

* Each corpus is exhaustively labelled only for its *scope*. Predictions whose canonical type is outside
  the scope are dropped. A prediction whose type is outside the scope but *equivalent* to a type inside it
  (DATE ≈ DATE_OF_BIRTH, PASSPORT ≈ US_PASSPORT, DRIVER_LICENSE ≈ US_DRIVER_LICENSE) is renamed to the
  in-scope type, so per-type rows line up. Gold spans of a type outside the scope act as IGNORE spans.
* A prediction is a true positive when it overlaps (shares at least one character with) a gold span of the
  same type up to equivalence (``strict``) or of the same class (``class`` level). Each gold span is matched
  at most once and each prediction matches at most one gold span: the pairing is a maximum bipartite
  matching, so the count of true positives does not depend on the order of the predictions.
* An unmatched prediction that overlaps an ``IGNORE`` span is neither a hit nor a false positive; any
  other unmatched prediction is a false positive (this includes a second prediction on a gold span that
  another prediction already matched). Unmatched gold spans are false negatives.
* Per type: precision = matched predictions of that type / predictions of that type, recall = matched gold
  spans of that type / gold spans of that type. Micro figures sum the counts over all types.
* A second recall is kept beside it, for the other reading of the README (which bounds only the gold side):
  a gold span is *covered* when it is matched or overlaps a matched prediction of a compatible type, so one
  prediction over an address whose parts are labelled separately (building number, street, unit) covers
  all of them. Precision is the same under both readings; the headline figures use the pairing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bench.canonical import CLASS_OF, CLASSES

IGNORE = "IGNORE"
STRICT = "strict"
CLASS = "class"
LEVELS = (STRICT, CLASS)

EQUIVALENT_PAIRS: tuple[tuple[str, str], ...] = (
    ("DATE", "DATE_OF_BIRTH"),
    ("PASSPORT", "US_PASSPORT"),
    ("DRIVER_LICENSE", "US_DRIVER_LICENSE"),
)
_EQUIV: dict[str, frozenset[str]] = {}
for _a, _b in EQUIVALENT_PAIRS:
    _EQUIV[_a] = _EQUIV.get(_a, frozenset({_a})) | {_b}
    _EQUIV[_b] = _EQUIV.get(_b, frozenset({_b})) | {_a}


def equivalents(t: str) -> frozenset[str]:
    """The set of types equivalent to ``t`` (always contains ``t``)."""
    return _EQUIV.get(t, frozenset({t}))


def same_type(a: str, b: str) -> bool:
    return b in equivalents(a)


def same_class(a: str, b: str) -> bool:
    ca = CLASS_OF.get(a)
    return ca is not None and ca == CLASS_OF.get(b)


# Scope of each development corpus (README "Scoring rule"), keyed by the corpus file stem.
CORPUS_SCOPES: dict[str, frozenset[str]] = {
    "presidio_synth_v2": frozenset(
        {
            "ADDRESS",
            "CREDIT_CARD",
            "DATE",
            "EMAIL",
            "IBAN",
            "IP_ADDRESS",
            "PERSON_NAME",
            "PHONE",
            "US_DRIVER_LICENSE",
            "US_SSN",
        }
    ),
    "credsweeper": CLASSES["SECRET"],
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    type: str
    # free-form diagnostics (e.g. the lakescan rule id and masked value); not used for scoring
    note: str = field(default="", compare=False)

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end and self.start < self.end and other.start < other.end


def in_scope_type(t: str, scope: frozenset[str]) -> str | None:
    """The in-scope name of type ``t`` (itself or an equivalent type), or ``None`` if out of scope."""
    if t in scope:
        return t
    for e in sorted(equivalents(t)):
        if e in scope:
            return e
    return None


_GAP_CHARS = frozenset(" \t\r\n,.;:>?*•·|-()")
#: types of which one entity (a postal address) is labelled in parts by some corpora: building number,
#: street, unit, postcode, with the city and country between them as IGNORE spans
COMPOSITE_TYPES = frozenset({"ADDRESS"})


def contiguous_groups(text: str, gold: Sequence[Span], scope: frozenset[str]) -> int:
    """How many in-scope gold spans remain when runs of spans of a ``COMPOSITE_TYPES`` type that only
    whitespace, punctuation or IGNORE spans separate are counted once (``28245`` ``Puruntie 82`` ``Apt.
    595``: one address in three spans). A detector that reports each address once can match at most this
    many gold spans under the one-to-one pairing: the recall ceiling of a detector that reports whole
    entities. (Runs of other types are separate entities: a list of names, a block of keys.)"""
    spans = sorted(gold, key=lambda g: (g.start, g.end))
    groups = 0
    prev: str | None = None  # the type of the run still open, None when none is
    end = 0
    for g in spans:
        t = None if g.type == IGNORE else in_scope_type(g.type, scope)
        gap_ok = prev is not None and all(c in _GAP_CHARS for c in text[end:g.start])
        if t is None:  # IGNORE or out of scope: bridges a run when it only follows gap characters
            if not gap_ok:
                prev = None
        elif not (gap_ok and t == prev and t in COMPOSITE_TYPES):
            groups += 1
            prev = t
        end = max(end, g.end)
    return groups


@dataclass
class DocResult:
    matches: list[tuple[Span, Span]]  # (prediction, gold) true positives
    false_positives: list[Span]
    false_negatives: list[Span]
    ignored: list[Span]  # unmatched predictions overlapping an IGNORE span
    out_of_scope: list[Span]  # predictions dropped because their type is outside the scope
    covered: list[Span] = field(default_factory=list)  # false negatives overlapped by a matched prediction


def _max_matching(n_pred: int, adj: list[list[int]]) -> dict[int, int]:
    """Kuhn's augmenting-path maximum bipartite matching. ``adj[p]`` lists gold indices in preference order.
    Returns gold index -> prediction index."""
    gold_to_pred: dict[int, int] = {}

    def try_assign(p: int, seen: set[int]) -> bool:
        for g in adj[p]:
            if g in seen:
                continue
            seen.add(g)
            if g not in gold_to_pred or try_assign(gold_to_pred[g], seen):
                gold_to_pred[g] = p
                return True
        return False

    for p in range(n_pred):
        if adj[p]:
            try_assign(p, set())
    return gold_to_pred


def score_document(
    gold: Sequence[Span],
    predictions: Sequence[Span],
    scope: frozenset[str],
    level: str = STRICT,
) -> DocResult:
    """Score one document's predictions (canonical types) against its gold spans."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    ignore_spans = [g for g in gold if g.type == IGNORE or in_scope_type(g.type, scope) is None]
    gold_spans = [
        Span(g.start, g.end, in_scope_type(g.type, scope) or g.type, g.note)
        for g in gold
        if g.type != IGNORE and in_scope_type(g.type, scope) is not None
    ]
    preds: list[Span] = []
    out_of_scope: list[Span] = []
    for p in predictions:
        t = in_scope_type(p.type, scope)
        if t is None:
            out_of_scope.append(p)
        else:
            preds.append(Span(p.start, p.end, t, p.note))
    # deterministic order: by position, then type
    preds.sort(key=lambda s: (s.start, s.end, s.type))
    compatible = same_type if level == STRICT else same_class

    adj: list[list[int]] = []
    for p in preds:
        cands = [i for i, g in enumerate(gold_spans) if p.overlaps(g) and compatible(p.type, g.type)]
        # prefer the same type, then the largest overlap, then the earliest span
        cands.sort(
            key=lambda i: (
                not same_type(p.type, gold_spans[i].type),
                -(min(p.end, gold_spans[i].end) - max(p.start, gold_spans[i].start)),
                i,
            )
        )
        adj.append(cands)
    gold_to_pred = _max_matching(len(preds), adj)
    matched_preds = set(gold_to_pred.values())

    matches = [(preds[p], gold_spans[g]) for g, p in sorted(gold_to_pred.items(), key=lambda kv: kv[1])]
    fps: list[Span] = []
    ignored: list[Span] = []
    for i, p in enumerate(preds):
        if i in matched_preds:
            continue
        if any(p.overlaps(s) for s in ignore_spans):
            ignored.append(p)
        else:
            fps.append(p)
    fns = [g for i, g in enumerate(gold_spans) if i not in gold_to_pred]
    hits = [preds[p] for p in matched_preds]
    covered = [g for g in fns if any(p.overlaps(g) and compatible(p.type, g.type) for p in hits)]
    return DocResult(matches, fps, fns, ignored, out_of_scope, covered)


@dataclass
class Counts:
    pred_tp: int = 0  # predictions that matched
    pred_total: int = 0  # scored predictions (ignored and out-of-scope ones excluded)
    gold_tp: int = 0  # gold spans that were matched
    gold_total: int = 0
    gold_covered: int = 0  # gold spans matched or overlapped by a matched prediction of a compatible type

    @property
    def precision(self) -> float:
        return self.pred_tp / self.pred_total if self.pred_total else 0.0

    @property
    def recall(self) -> float:
        return self.gold_tp / self.gold_total if self.gold_total else 0.0

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)

    @property
    def recall_covered(self) -> float:
        return self.gold_covered / self.gold_total if self.gold_total else 0.0

    @property
    def f1_covered(self) -> float:
        return _f1(self.precision, self.recall_covered)

    @property
    def fp(self) -> int:
        return self.pred_total - self.pred_tp

    @property
    def fn(self) -> int:
        return self.gold_total - self.gold_tp

    def add(self, other: Counts) -> None:
        self.pred_tp += other.pred_tp
        self.pred_total += other.pred_total
        self.gold_tp += other.gold_tp
        self.gold_total += other.gold_total
        self.gold_covered += other.gold_covered


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Score:
    level: str
    per_type: dict[str, Counts] = field(default_factory=dict)
    ignored: int = 0
    out_of_scope: int = 0

    def _c(self, t: str) -> Counts:
        return self.per_type.setdefault(t, Counts())

    def add(self, r: DocResult) -> None:
        for p, g in r.matches:
            self._c(p.type).pred_tp += 1
            self._c(p.type).pred_total += 1
            self._c(g.type).gold_tp += 1
            self._c(g.type).gold_total += 1
            self._c(g.type).gold_covered += 1
        for p in r.false_positives:
            self._c(p.type).pred_total += 1
        for g in r.false_negatives:
            self._c(g.type).gold_total += 1
        for g in r.covered:
            self._c(g.type).gold_covered += 1
        self.ignored += len(r.ignored)
        self.out_of_scope += len(r.out_of_scope)

    @property
    def micro(self) -> Counts:
        total = Counts()
        for c in self.per_type.values():
            total.add(c)
        return total


def score_corpus(
    docs: Iterable[tuple[Sequence[Span], Sequence[Span]]],
    scope: frozenset[str],
) -> dict[str, Score]:
    """Score ``(gold, predictions)`` pairs at both levels; returns ``{"strict": Score, "class": Score}``."""
    scores = {lvl: Score(lvl) for lvl in LEVELS}
    for gold, preds in docs:
        for lvl in LEVELS:
            scores[lvl].add(score_document(gold, preds, scope, lvl))
    return scores
