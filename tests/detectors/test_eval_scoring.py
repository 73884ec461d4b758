"""Scoring rule of ``make eval`` (bench/scoring.py) on constructed cases; no engine, no JVM."""

from __future__ import annotations

import pytest

from bench.canonical import to_canonical
from bench.scoring import (
    CLASS,
    CORPUS_SCOPES,
    STRICT,
    Counts,
    Span,
    contiguous_groups,
    in_scope_type,
    score_corpus,
    score_document,
)

PII_SCOPE = CORPUS_SCOPES["presidio_synth_v2"]
SECRET_SCOPE = CORPUS_SCOPES["credsweeper"]


def S(start, end, type_):
    return Span(start, end, type_)


def test_score_when_prediction_overlaps_partially_then_true_positive():
    r = score_document([S(10, 20, "EMAIL")], [S(15, 30, "EMAIL")], PII_SCOPE)
    assert len(r.matches) == 1 and not r.false_positives and not r.false_negatives


def test_score_when_spans_only_touch_then_no_overlap():
    r = score_document([S(10, 20, "EMAIL")], [S(20, 25, "EMAIL")], PII_SCOPE)
    assert not r.matches
    assert r.false_positives == [S(20, 25, "EMAIL")]
    assert r.false_negatives == [S(10, 20, "EMAIL")]


def test_score_when_prediction_overlaps_ignore_span_then_neither_hit_nor_false_positive():
    r = score_document([S(0, 8, "IGNORE")], [S(2, 5, "PERSON_NAME")], PII_SCOPE)
    assert r.ignored == [S(2, 5, "PERSON_NAME")]
    assert not r.false_positives and not r.matches and not r.false_negatives


def test_score_when_prediction_overlaps_gold_and_ignore_then_gold_wins():
    gold = [S(0, 8, "IGNORE"), S(6, 12, "PERSON_NAME")]
    r = score_document(gold, [S(4, 10, "PERSON_NAME")], PII_SCOPE)
    assert len(r.matches) == 1 and not r.ignored


def test_score_when_prediction_type_out_of_scope_then_dropped():
    # PASSPORT is not in the presidio corpus' scope, nor is any equivalent of it
    r = score_document([], [S(0, 9, "PASSPORT"), S(20, 30, "GENERIC_SECRET")], PII_SCOPE)
    assert not r.false_positives
    assert len(r.out_of_scope) == 2
    r = score_document([], [S(0, 9, "EMAIL")], SECRET_SCOPE)
    assert not r.false_positives and len(r.out_of_scope) == 1


def test_score_when_gold_type_out_of_scope_then_acts_as_ignore():
    scope = frozenset({"EMAIL"})
    r = score_document([S(0, 10, "PHONE")], [S(0, 10, "EMAIL")], scope)
    assert not r.false_negatives and not r.false_positives and r.ignored == [S(0, 10, "EMAIL")]


def test_score_when_two_predictions_on_one_gold_then_second_is_false_positive():
    r = score_document([S(0, 40, "ADDRESS")], [S(0, 10, "ADDRESS"), S(20, 40, "ADDRESS")], PII_SCOPE)
    assert len(r.matches) == 1
    assert len(r.false_positives) == 1
    assert not r.false_negatives


def test_score_when_one_prediction_spans_two_golds_then_one_match_one_miss():
    gold = [S(0, 5, "PERSON_NAME"), S(6, 12, "PERSON_NAME")]
    r = score_document(gold, [S(0, 12, "PERSON_NAME")], PII_SCOPE)
    assert len(r.matches) == 1 and len(r.false_negatives) == 1 and not r.false_positives


def test_score_covered_reading_counts_every_gold_part_a_matched_prediction_overlaps():
    # an address labelled in parts (building number, street, unit) and one detection over all of it; a second
    # gold span overlapped only by an unmatched-type prediction, and a third no prediction reaches
    gold = [S(0, 5, "ADDRESS"), S(6, 17, "ADDRESS"), S(18, 26, "ADDRESS"), S(40, 50, "ADDRESS"), S(60, 70, "ADDRESS")]
    preds = [S(0, 26, "ADDRESS"), S(40, 50, "DATE")]
    scores = score_corpus([(gold, preds)], PII_SCOPE)
    strict, cls = scores[STRICT].micro, scores[CLASS].micro
    assert (strict.pred_tp, strict.gold_tp, strict.gold_covered, strict.gold_total) == (1, 1, 3, 5)
    assert strict.recall == pytest.approx(1 / 5) and strict.recall_covered == pytest.approx(3 / 5)
    assert strict.f1_covered == pytest.approx(2 * 0.5 * 0.6 / 1.1)  # precision 1/2 under both readings
    # class level: the DATE prediction matches the PII gold at 40-50; nothing covers 60-70
    assert (cls.pred_tp, cls.gold_tp, cls.gold_covered) == (2, 2, 4)
    # the uncovered part stays a false negative under the headline reading
    r = score_document(gold, preds, PII_SCOPE)
    assert [(g.start, g.end) for g in r.covered] == [(0, 5), (18, 26)]  # the street (largest overlap) is paired
    assert len(r.false_negatives) == 4


def _spans(text, *parts):
    """Spans of ``(substring, type)`` pairs, found left to right in ``text``."""
    out, at = [], 0
    for sub, t in parts:
        i = text.index(sub, at)
        out.append(S(i, i + len(sub), t))
        at = i + len(sub)
    return out


def test_contiguous_groups_count_an_address_in_parts_once():
    text = "Sara Schwarz\n28245 Puruntie 82 Apt. 595\n LAPPEENRANTA\n Finland 53650\nCall 555"
    gold = _spans(text, ("Sara Schwarz", "PERSON_NAME"), ("28245", "ADDRESS"), ("Puruntie 82", "ADDRESS"),
                  ("Apt. 595", "ADDRESS"), ("LAPPEENRANTA", "IGNORE"), ("Finland", "IGNORE"), ("53650", "ADDRESS"))
    assert contiguous_groups(text, gold, PII_SCOPE) == 2  # the name, the address
    # words between the parts end the run: two addresses
    text = "at 28245 Puruntie 82 and later at Apt. 595"
    gold = _spans(text, ("28245", "ADDRESS"), ("Puruntie 82", "ADDRESS"), ("Apt. 595", "ADDRESS"))
    assert contiguous_groups(text, gold, PII_SCOPE) == 2
    # other types stay separate entities: a list of names is three names
    text = "They had 3: Hleb, Sheila and Donna"
    gold = _spans(text, ("Hleb", "PERSON_NAME"), ("Sheila", "PERSON_NAME"), ("Donna", "PERSON_NAME"))
    assert contiguous_groups(text, gold, PII_SCOPE) == 3
    # an IGNORE span after words does not join what follows it to the run before
    text = "28245 Puruntie 82 near LAPPEENRANTA 53650"
    gold = _spans(text, ("28245 Puruntie 82", "ADDRESS"), ("LAPPEENRANTA", "IGNORE"), ("53650", "ADDRESS"))
    assert contiguous_groups(text, gold, PII_SCOPE) == 2


def test_score_matching_is_maximum_whatever_the_order():
    # p0 overlaps g0 and g1; p1 overlaps only g0: a greedy first-fit could give p0->g0 and lose p1.
    gold = [S(0, 10, "PHONE"), S(10, 20, "PHONE")]
    preds = [S(5, 15, "PHONE"), S(0, 3, "PHONE")]
    r = score_document(gold, preds, PII_SCOPE)
    assert len(r.matches) == 2 and not r.false_positives and not r.false_negatives
    r = score_document(gold, list(reversed(preds)), PII_SCOPE)
    assert len(r.matches) == 2


def test_score_when_type_differs_in_same_class_then_class_level_hit_strict_miss():
    gold = [S(0, 10, "PHONE")]
    preds = [S(0, 10, "DATE")]
    strict = score_document(gold, preds, PII_SCOPE, STRICT)
    assert not strict.matches and len(strict.false_positives) == 1 and len(strict.false_negatives) == 1
    cls = score_document(gold, preds, PII_SCOPE, CLASS)
    assert len(cls.matches) == 1 and not cls.false_positives and not cls.false_negatives


def test_score_when_class_differs_then_miss_at_both_levels():
    # US_SSN is PII, CREDIT_CARD is FINANCIAL
    for level in (STRICT, CLASS):
        r = score_document([S(0, 11, "US_SSN")], [S(0, 11, "CREDIT_CARD")], PII_SCOPE, level)
        assert not r.matches and len(r.false_positives) == 1 and len(r.false_negatives) == 1


def test_score_secret_class_level():
    gold = [S(0, 40, "GENERIC_SECRET")]
    preds = [S(0, 40, "AWS_SECRET_KEY")]
    assert not score_document(gold, preds, SECRET_SCOPE, STRICT).matches
    assert len(score_document(gold, preds, SECRET_SCOPE, CLASS).matches) == 1


@pytest.mark.parametrize(
    "pred_type, gold_type, scope",
    [
        ("DATE_OF_BIRTH", "DATE", PII_SCOPE),
        ("DRIVER_LICENSE", "US_DRIVER_LICENSE", PII_SCOPE),
        ("PASSPORT", "US_PASSPORT", frozenset({"US_PASSPORT"})),
        ("US_PASSPORT", "PASSPORT", frozenset({"PASSPORT", "US_PASSPORT"})),
    ],
)
def test_score_when_types_equivalent_then_strict_hit(pred_type, gold_type, scope):
    r = score_document([S(0, 9, gold_type)], [S(0, 9, pred_type)], scope, STRICT)
    assert len(r.matches) == 1 and not r.false_positives and not r.out_of_scope


def test_in_scope_type_renames_equivalents():
    assert in_scope_type("DATE_OF_BIRTH", PII_SCOPE) == "DATE"
    assert in_scope_type("DRIVER_LICENSE", PII_SCOPE) == "US_DRIVER_LICENSE"
    assert in_scope_type("US_PASSPORT", PII_SCOPE) is None


def test_score_corpus_per_type_and_micro():
    docs = [
        # doc 1: EMAIL hit, PHONE miss, one FP PERSON_NAME, one ignored name
        (
            [S(0, 5, "EMAIL"), S(10, 20, "PHONE"), S(30, 35, "IGNORE")],
            [S(0, 5, "EMAIL"), S(40, 45, "PERSON_NAME"), S(31, 33, "PERSON_NAME")],
        ),
        # doc 2: PHONE gold predicted as DATE (class hit only)
        ([S(0, 10, "PHONE")], [S(0, 10, "DATE")]),
    ]
    scores = score_corpus(docs, PII_SCOPE)
    strict, cls = scores[STRICT], scores[CLASS]
    assert strict.per_type["EMAIL"] == Counts(pred_tp=1, pred_total=1, gold_tp=1, gold_total=1, gold_covered=1)
    assert strict.per_type["PHONE"] == Counts(pred_tp=0, pred_total=0, gold_tp=0, gold_total=2)
    assert strict.per_type["PERSON_NAME"] == Counts(pred_tp=0, pred_total=1, gold_tp=0, gold_total=0)
    assert strict.per_type["DATE"] == Counts(pred_tp=0, pred_total=1, gold_tp=0, gold_total=0)
    assert strict.ignored == 1
    m = strict.micro
    assert (m.pred_tp, m.pred_total, m.gold_tp, m.gold_total) == (1, 3, 1, 3)
    assert m.precision == pytest.approx(1 / 3) and m.recall == pytest.approx(1 / 3)
    assert m.f1 == pytest.approx(1 / 3)
    # class level: the DATE prediction counts as a hit for DATE (precision) and for PHONE (recall)
    assert cls.per_type["DATE"] == Counts(pred_tp=1, pred_total=1, gold_tp=0, gold_total=0)
    assert cls.per_type["PHONE"] == Counts(pred_tp=0, pred_total=0, gold_tp=1, gold_total=2, gold_covered=1)
    mc = cls.micro
    assert (mc.pred_tp, mc.pred_total, mc.gold_tp, mc.gold_total) == (2, 3, 2, 3)


def test_counts_when_empty_then_zero_not_error():
    c = Counts()
    assert (c.precision, c.recall, c.f1) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    "rule_id, category, expected",
    [
        ("USA_SOCIAL_SECURITY_NUMBER", "PERSONAL_INFORMATION", "US_SSN"),
        ("CREDIT_CARD_NUMBER", "FINANCIAL_INFORMATION", "CREDIT_CARD"),
        ("CREDIT_CARD_NUMBER_(NO_KEYWORD)", "FINANCIAL_INFORMATION", "CREDIT_CARD"),
        ("CREDIT_CARD_EXPIRATION", "FINANCIAL_INFORMATION", None),
        ("UK_PASSPORT_NUMBER", "PERSONAL_INFORMATION", "PASSPORT"),
        ("USA_PASSPORT_NUMBER", "PERSONAL_INFORMATION", "US_PASSPORT"),
        ("DRIVERS_LICENSE", "PERSONAL_INFORMATION", "US_DRIVER_LICENSE"),
        ("SPAIN_DRIVERS_LICENSE", "PERSONAL_INFORMATION", "DRIVER_LICENSE"),
        ("GERMANY_BANK_ACCOUNT_NUMBER", "FINANCIAL_INFORMATION", "IBAN"),
        ("BANK_ACCOUNT_NUMBER", "FINANCIAL_INFORMATION", "BANK_ACCOUNT"),
        ("NAME", "PERSONAL_INFORMATION", "PERSON_NAME"),
        ("EMAIL_ADDRESS", "PERSONAL_INFORMATION", "EMAIL"),
        ("IP_ADDRESS", "PERSONAL_INFORMATION", "IP_ADDRESS"),
        ("OPENSSH_PRIVATE_KEY", "CREDENTIALS", "PRIVATE_KEY"),
        ("JSON_WEB_TOKEN", "CREDENTIALS", "JWT"),
        ("GITHUB_TOKEN", "CREDENTIALS", "GITHUB_TOKEN"),
        ("SOME_VENDOR_TOKEN", "CREDENTIALS", "GENERIC_SECRET"),
        ("NPM_TOKEN", "CREDENTIALS", "GENERIC_SECRET"),
        ("VEHICLE_IDENTIFICATION_NUMBER", "PERSONAL_INFORMATION", None),
        ("MY_EMPLOYEE_ID", "CUSTOM_IDENTIFIER", None),
    ],
)
def test_canonical_mapping(rule_id, category, expected):
    assert to_canonical(rule_id, category) == expected


def test_update_section_replaces_only_between_markers(tmp_path):
    from bench.report import update_section

    md = tmp_path / "BENCHMARKS.md"
    update_section("eval", "first", md)  # creates the file with a header
    assert md.read_text().startswith("# lakescan benchmarks")
    md.write_text(md.read_text() + "\nhand-written notes\n")
    update_section("detect-bench", "speed", md)
    update_section("eval", "second", md)
    text = md.read_text()
    assert "first" not in text and "second" in text and "speed" in text
    assert "hand-written notes" in text
    assert text.count("<!-- eval:start -->") == 1 and text.count("<!-- eval:end -->") == 1


@pytest.mark.parametrize(
    "rule_id, category, expected",
    [
        ("ALIBABA_ACCESS_KEY_ID", "CREDENTIALS", "GENERIC_SECRET"),
        ("AZURE_STORAGE_CONNECTION_STRING", "CREDENTIALS", "GENERIC_SECRET"),
        ("USA_ABA_ROUTING_NUMBER", "FINANCIAL_INFORMATION", "ROUTING_NUMBER"),
        ("HTTP_COOKIE", "PERSONAL_INFORMATION", None),
        ("EMAIL_ADDRESS", "", "EMAIL"),
    ],
)
def test_canonical_mapping_category_restricts_candidates(rule_id, category, expected):
    assert to_canonical(rule_id, category) == expected


def test_bench_corpus_is_deterministic_and_chunks_are_line_aligned(tmp_path):
    from bench.corpus import chunks, generate, subsample

    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    meta = generate(a, "high", 0.05, seed=7)
    generate(b, "high", 0.05, seed=7)
    generate(c, "high", 0.05, seed=8)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    assert meta["planted_total"] > 0
    text = a.read_text()
    pieces = chunks(text, 4096)
    assert "".join(pieces) == text and all(p.endswith("\n") for p in pieces)
    sample = subsample(text, 0.01, pieces=4)
    assert sample.endswith("\n") and 0 < len(sample) < len(text)
