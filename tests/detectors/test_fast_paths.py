"""The throughput shortcuts must not change results: candidate passes equal their precise regex over the
whole text, anchor filters / boundaries only drop hits that could never match, at_hit start pre-checks
only skip hits where the pattern cannot start."""
from __future__ import annotations

import random

import pytest

from detectors import get_engine, load_pack
from detectors.candidates import CANDIDATES
from detectors.engine import _anchor_cores, _mask

KEY = b"k"


def _texts() -> list[str]:
    rng = random.Random(7)
    alphabet = "0123456789 .-.-AZBDEFR ab?٣éŁłÅ\n"
    out = [
        "ip 10.60.157.92, 192.168.0.1. v 1.2.3.4.5 ts 2026-11-24T12:00:00.123Z 1.2.3.4.5.6.7.8 999.1.2.3",
        "card 4539 1043 3218 1967 and 4539-1043-3218-1967 and 12 4539 1043 3218 1967 0000",
        "iban FR41 4408 6930 2529 7211 0430 854 and DE89370400440532013000x and ٣ZA44A2Z23D7954a27D7",
        # IBAN starts next to other capitals and digits: AAA00, a start inside a longer run, Unicode digits
        "DEDE89370400440532013000 GBGB82 WEST 1234 5698 7654 32;FR4١ 4408 6930 2529 7211 0430 854 AB1CD23EF45GH67",
        # the shortest tails (ten after the four, nine, ten with single and double spaces, a Unicode digit in
        # the tail), codes that end a CSV row (WH11), and starts inside a run that is too long from its start
        "AB12CDEFGH1234 AB12CDEFGH123 AB12 CDEF GH12 34 AB12  CDEFGH1234 AB12CDEF٣H1234,WH11\nGB,WH11\n",
        "XY12 AB34 5678 9012 3456 7890 1234 5678 9012 34 AB34 5678 9012 3456",
        "Date: 2015-12-22\nName: Åsa Laine\nŠárka Ottová met Faina D. Yefremova and Oksana P Hrytsenko.",
        "Aaa Bbb Ccc Ddd; Mary Ann Smith; dear Jane Doe",
    ]
    for _ in range(2000):
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(5, 120))))
    big = " ".join(rng.choice(["4539 1043 3218 1967", "10.1.2.3", "Jane Doe", "word", "12345678", "DE89 3704 0044 "
                                "0532 0130 00", "x" * 50]) for _ in range(20000))
    out.append(big)  # longer than one 64 KiB block
    # runs of ASCII digits only, of every length around the classes' bounds, between members and non-members
    for n in range(6, 46):
        for left, right in (("", ""), (",", ";"), ("x", "-"), ("٣", " "), ("?", "é"), (" 1 ", ". "), ("-", "٣")):
            out.append(f"{left}{'1234567890' * 5}"[: len(left) + n] + right + "4539104332181967")
    # many distinct lone names in one text (the lone-name pass locates them from one split of the text):
    # names as prefixes of other words (Anna / Annabelle), inside words (McDonald, O'Brien), in a list, and
    # Latin Extended-A letters, which the capitalised-word class takes in either case (ŠtefanŽeljko)
    lone = ["Catherine", "Gladys", "Logan", "Freddy", "Hannah", "Anthony", "Derek", "Anna", "Andrew", "Katrine",
            "Annabelle", "Donald", "Brien", "Victoria", "Laura", "Łukasz", "Zoë", "Željko", "Štefan", "Šušulić"]
    glue = [" ", ", ", " and ", " said ", "Mc", "O'", "\n", "x", "-", ". Hi ", " is "]
    for _ in range(40):
        out.append("".join(rng.choice(lone) + rng.choice(glue) for _ in range(rng.randint(10, 60))))
    # the same in ASCII text, which the lone-name pass reads in the word view and locates word by word: a name
    # before a lower-case letter (Annabelle, Donaldx), after letters or a capital (McDonald, XAnna), at the end
    ascii_lone = [w for w in lone if w.isascii()] + ["Ann", "Annab", "Gladysx"]
    for _ in range(40):
        out.append("".join(rng.choice(ascii_lone) + rng.choice(glue[:-3] + ["A", "x1", ""])
                           for _ in range(rng.randint(1, 60))))
    # surname particles (Maika van de Noort) in every position, next to capitalised and lower-case words
    parts = ["van", "de", "der", "la", "ten", "dos", "Van", "De", "Maika", "Noort", "Łukasz", "Élodie", "rose", "D.",
             "McConnan", "Pas", "x", "1", "«Łukasz", "“Émile", "—Élodie", "“Maika", "?Anna", "ÀÉ", "Éé", "aÉmile",
             "Zola»", "Zola”", "é"]
    for _ in range(600):
        out.append("".join(rng.choice(parts) + rng.choice([" ", " ", " ", "  ", ", ", "\n", "-", "", "—"])
                           for _ in range(rng.randint(2, 14))))
    return out


@pytest.mark.parametrize("name", sorted(CANDIDATES))
def test_candidate_spans_equal_the_precise_regex(name):
    cls = CANDIDATES[name]
    for t in _texts():
        assert cls.spans(t, t.encode("ascii", "replace")) == [m.span() for m in cls.regex.finditer(t)], t[:80]


def test_name_candidate_sees_accented_initials_and_middle_initials():
    t = "Name: Åsa Laine, Łukasz Wiśniewski and Faina D. Yefremova"
    spans = CANDIDATES["name"].spans(t, t.encode("ascii", "replace"))
    assert [t[s:e] for s, e in spans] == ["Åsa Laine", "Łukasz Wiśniewski", "Faina D. Yefremova"]


def test_mask_matches_the_reference_definition():
    def ref(value: str, keep: int) -> str:
        n = sum(ch.isalnum() for ch in value)
        keep = min(keep, n // 2)
        seen, out = 0, []
        for ch in value:
            if ch.isalnum():
                seen += 1
                out.append(ch if seen > n - keep else "*")
            else:
                out.append(ch)
        return "".join(out)

    rng = random.Random(3)
    for _ in range(5000):
        v = "".join(rng.choice("ab1_ -.*Z9éß²٣") for _ in range(rng.randint(0, 16)))
        for keep in range(9):
            assert _mask(v, keep) == ref(v, keep), (v, keep)


def test_anchor_core_ignores_surrounding_punctuation():
    text = "at 1668 Glyn St street"
    s = text.index(" St ")
    assert _anchor_cores(text, [(s, s + 4)]) == [(s + 1, s + 3)]
    assert _anchor_cores("a@b", [(1, 2)]) == [(1, 2)]  # all punctuation: unchanged
    dets = get_engine(load_pack("INCLUDE", ids=["ADDRESS"]), KEY).detect(text)
    assert [text[d.start:d.end] for d in dets] == ["1668 Glyn St"]


def test_anchor_filter_and_boundary():
    eng = get_engine(load_pack("INCLUDE", ids=["ADDRESS", "PHONE_NUMBER"]), KEY)
    text = "one way or another; Intel inside 415-867-2309; 12 Lake Way, Portland, OR 97205"
    kw, anchors, _ = eng._hits(text, None)
    idx = {r.id: r.idx for r in eng.rules}
    assert [text[s:e] for s, e in anchors[idx["ADDRESS"]]] == [" Way,"]      # " way " (lower case) filtered
    assert idx["PHONE_NUMBER"] not in anchors                                # "tel" inside "Intel"
    assert [d.type for d in eng.detect(text)] == ["ADDRESS"]


def test_at_hit_start_precheck_keeps_results(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text(
        "- id: TOKEN_ASSIGN\n  name: t\n  category: CREDENTIALS\n  macie: false\n  severity: credentials\n"
        "  keywords: {terms: [token, webhook], boundary: none}\n  max_length: 40\n"
        "  patterns: [{name: a, regex: '(?i)token\\s*=\\s*(?P<value>[a-z0-9]{8,40})', at_hit: true}]\n"
        "  samples: {positive: ['token = abcdef123456'], negative: ['webhook = abcdef123456']}\n",
        encoding="utf-8")
    eng = get_engine(load_pack("ALL", rule_files=[p]), KEY)
    text = "webhook token = abcdef123456 TOKEN=zzzzzzzz9 webhook=qqqqqqqqqq Token = yyyyyyyy1"
    for _ in range(2):  # second round from the start cache
        assert [text[d.start:d.end] for d in eng.detect(text)] == ["abcdef123456", "zzzzzzzz9", "yyyyyyyy1"]
    assert eng.rules[0].start_ok[0] == {"webhook": False, "token": True, "TOKEN": True, "Token": True}


def test_at_words_patterns_equal_windowed_search(tmp_path):
    """NAME's patterns are tried only at the words of the name candidate spans (``at_words``) instead of
    across windows: same detections as the windowed search, including values that start at the second or
    third word of a candidate (``Dear John Smith`` -> ``John Smith``)."""
    import yaml

    from detectors import load_rules

    (name,) = [r for r in load_rules() if r.id == "NAME"]
    assert all(p.at_words for p in name.patterns)
    rec = name.model_dump(mode="json", exclude_none=True)
    windowed = {**rec, "id": "NAME_WINDOWED", "patterns": [{**p, "at_words": False} for p in rec["patterns"]]}
    files = []
    for r in (rec, windowed):
        f = tmp_path / f"{r['id']}.yaml"
        f.write_text(yaml.safe_dump([r], allow_unicode=True), encoding="utf-8")
        files.append(f)
    a = get_engine(load_pack("ALL", rule_files=[files[0]]), KEY)
    b = get_engine(load_pack("ALL", rule_files=[files[1]]), KEY)
    rng = random.Random(3)
    words = ["Dear", "John", "Smith", "Mary", "Ann", "Laura", "Carvalho", "Intel", "Mac", "Street", "D.", "P",
             "Faina", "Yefremova", "McConnan", "Hannah", "the", "and", "x", "1", "-", ".", "\n", "Łukasz",
             "Wiśniewski", "Olga", "Hrytsenko", "Avenue", "Entertainment", "Weekly"]
    texts = [s.text for s in (*name.samples.positive, *name.samples.negative)]
    texts += ["Dear John Smith", "Dear Mary Ann Smith and x", "Mozilla (Intel Mac OS X) Laura Carvalho-Faina Olga"]
    for _ in range(1500):
        texts.append("".join(rng.choice(words) + rng.choice([" ", " ", "", ", ", "-"])
                             for _ in range(rng.randint(1, 12))))
    texts.append(" ".join(texts))
    found = 0
    for text in texts:
        got = [(d.start, d.end, d.value_hash) for d in a.detect(text)]
        assert got == [(d.start, d.end, d.value_hash) for d in b.detect(text)], text
        found += len(got)
    assert found > 500


def test_prev_word_equals_the_regex_search():
    from detectors.candidates import _PREV_WORD, _prev_word

    rng = random.Random(4)
    alphabet = ["a", "Z", "é", "1", "٣", "²", "_", ".", "..", " ", "  ", "\t", "\n", "-", "x1", "ab"]
    found = 0
    for _ in range(60_000):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        lo = min(rng.randrange(0, 3), len(t))
        p = _PREV_WORD.search(t, lo, len(t))
        want = None if p is None else (p.group(2) if p.group(2) is not None else "")
        assert _prev_word(t, lo, len(t)) == want, (t, lo)
        found += want is not None
    assert found > 3000
