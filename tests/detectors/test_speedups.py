"""The compiled loops (``detectors._speedups``) compute what the Python code they replace computes: each
function on its own against its Python twin on generated and edge-case text, then whole engines (compiled and
not) on the benchmark corpora's generators, and bad arguments raise instead of crashing the worker."""
from __future__ import annotations

import hmac
import os
import random
from collections import Counter

import pytest

from bench import corpus
from detectors import engine as engine_mod
from detectors import load_pack
from detectors.candidates import CANDIDATES, forget
from detectors.engine import Detection, Engine, _fast_card_digits, _fast_ipv4, _mask, _normalise
from tests.detectors.test_perf_paths import _card_texts, _ip_texts, _rows, ipv6_texts

KEY = b"speedups-key"
S = engine_mod._speedups

pytestmark = pytest.mark.skipif(S is None and os.environ.get("LAKESCAN_PURE_PYTHON") == "1",
                                reason="LAKESCAN_PURE_PYTHON=1: the compiled loops are switched off")


def test_the_extension_is_built_here():
    # `make setup` builds it (setup.py, C compiler present on this machine); without it the engine is slower
    assert S is not None, "detectors._speedups is not built: run `make setup` (or pip install -e .)"
    assert Engine(load_pack(selector="NONE"), KEY).compiled
    assert not Engine(load_pack(selector="NONE"), KEY, compiled=False).compiled


@pytest.fixture(scope="module")
def engines():
    pack = load_pack(selector="ALL")
    return Engine(pack, KEY), Engine(pack, KEY, compiled=False)


def _mixed_texts(n_lines: int = 120, seed: int = 3) -> list[str]:
    """Blocks of the benchmark corpus's formats with its planted values (logs, CSV, JSON Lines, prose)."""
    rng = random.Random(seed)
    out = []
    for _ in range(40):
        header, gen = corpus._blocks(rng)
        lines = [header] if header else []
        for _ in range(rng.randint(5, n_lines)):
            lines.append(rng.choice(corpus.SENSITIVE)[1](rng) if rng.random() < 0.3 else gen(rng))
        out.append("\n".join(lines))
    return out


def _unicode_variants(texts: list[str]) -> list[str]:
    """The same texts with non-ASCII characters in them (Latin-1, Arabic-Indic and wide digits, astral)."""
    rng = random.Random(8)
    extra = ["é", "٣", "１", "𝟘", "Ł", "—", "\u00a0", "ß", "\n"]
    out = []
    for t in texts:
        chars = list(t)
        for _ in range(max(1, len(chars) // 200)):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(extra))
        out.append("".join(chars))
    return out


# ------------------------------------------------------------------ whole engines


@pytest.mark.parametrize("kind", ["mixed", "mixed-unicode", "ipv4", "card"])
def test_compiled_engine_equals_the_python_engine(engines, kind):
    compiled, python = engines
    texts = {"mixed": _mixed_texts, "mixed-unicode": lambda: _unicode_variants(_mixed_texts(seed=4)),
             "ipv4": _ip_texts, "card": _card_texts}[kind]()
    n = 0
    for t in texts:
        a, b = compiled.detect(t), python.detect(t)
        assert _rows(a) == _rows(b), t[:200]
        n += len(a)
    assert n > 100


def test_compiled_engine_equals_the_python_engine_on_one_long_chunk(engines):
    compiled, python = engines
    big = "\n".join(_mixed_texts(n_lines=400, seed=9))
    assert len(big) > 100_000  # long enough for the ahocorasick-rs pass (ASCII) and the runs' scans
    a, b = compiled.detect(big), python.detect(big)
    assert _rows(a) == _rows(b)
    assert len({d.type for d in a}) >= 8


# ------------------------------------------------------------------ build: line, column, mask, keyed hash


def _python_build(eng: Engine, text: str, dets: list[tuple]) -> list[Detection]:
    c, eng._c = eng._c, None
    try:
        return eng._build(text, dets)
    finally:
        eng._c = c


@pytest.fixture(params=["portable", "shani"])
def sha_impl(request):
    """Each SHA-256 block function of the extension in turn (the SHA-NI one where the CPU has it)."""
    before = S.sha_impl()
    try:
        S.sha_impl(request.param)
    except ValueError:
        pytest.skip(f"{request.param} SHA-256 is not available on this CPU")
    yield request.param
    S.sha_impl(before)


@pytest.mark.parametrize("key", [b"", b"k", b"x" * 64, b"y" * 65, b"z" * 200])
def test_build_equals_the_python_build_and_hmac(key, sha_impl):
    assert S.sha_impl() == sha_impl
    eng = Engine(load_pack(selector="NONE"), key)
    rng = random.Random(len(key))
    alphabet = "ab Z09-._\n\té٣𝟘\ud800"
    text = "".join(rng.choice(alphabet) for _ in range(3000))
    dets = []
    pos = 0
    while pos < len(text) - 200:
        s = pos + rng.randrange(0, 40)
        e = s + rng.choice([1, 2, 7, 55, 56, 63, 64, 65, 119, 120, 150])
        how = rng.choice(["none", "none", "digits", "alnum", "alnum_upper", "lower"])
        dets.append((s, e, "T", "C", rng.choice([0.5, 1.0]), text[s:e], 0, how, rng.choice([0, 1, 4, 100])))
        pos = s + 1
    got, want = eng._build(text, dets), _python_build(eng, text, dets)
    assert [tuple(getattr(d, f) for f in Detection.__slots__) for d in got] == \
        [tuple(getattr(d, f) for f in Detection.__slots__) for d in want]
    for d, t in zip(got, dets):
        msg = (t[5] if t[7] == "none" else _normalise(t[5], t[7])).encode("utf-8", "surrogatepass")
        assert d.value_hash == hmac.digest(key, msg, "sha256").hex()
    assert len(got) > 50


def test_build_masks_ascii_values_as_the_python_mask():
    eng = Engine(load_pack(selector="NONE"), KEY)
    rng = random.Random(2)
    values = ["", "a", "ab", "a-b", "***", "*a*", "4111 1111 1111 1111", "10.1.2.3", "--", "A1b2C3d4"]
    values += ["".join(rng.choice("aZ09 *-._/") for _ in range(rng.randrange(1, 30))) for _ in range(300)]
    text = "\n".join(values)
    dets, pos = [], 0
    for v in values:
        if v:
            for keep in (0, 1, 2, 4, 50):
                dets.append((pos, pos + len(v), "T", "C", 1.0, v, 0, "none", keep))
        pos += len(v) + 1
    got = eng._build(text, dets)
    assert [d.masked for d in got] == [_mask(t[5], t[8]) for t in dets]
    assert [(d.line, d.column) for d in got] == [(d.line, d.column) for d in _python_build(eng, text, dets)]


def test_build_rejects_malformed_detections_without_crashing():
    eng = Engine(load_pack(selector="NONE"), KEY)
    with pytest.raises(TypeError):
        eng._build("abc", [(0, 1, "T")])
    with pytest.raises(TypeError):
        eng._build("abc", [(0, 1, "T", "C", 1.0, b"a", 0, "none", 0)])
    with pytest.raises(ValueError):
        S.hmac_midstates(b"short")
    with pytest.raises(ValueError, match="outside the text"):
        S.ipv4_rule("10.1.2.3", [(0, 99)], 1, 1.0, 0, [])
    with pytest.raises(TypeError, match="not a .start, end. tuple"):
        S.card_rule("4539104332181967", [(0,)], 1, 1.0, 0, bool, None, [])


# ------------------------------------------------------------------ candidate passes and the IPv4 rule


def _runs_texts() -> list[str]:
    rng = random.Random(17)
    alphabet = ["0", "1", "9", " ", "-", ".", "a", "\n", "٣", "é", "12345678", "4539 1043 3218 1967"]
    return [t + "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
            for t in _card_texts()[:1500]] + _unicode_variants(_mixed_texts())


@pytest.mark.parametrize("name", ["digits", "card_digits"])
def test_run_spans_equal_the_python_pass_and_the_regex(engines, name):
    compiled, _ = engines
    cls = CANDIDATES[name]
    fn = compiled._locator(cls)
    assert fn is not cls.spans  # the compiled pass is the one the engine uses
    n = 0
    for t in _runs_texts():
        a = t.encode("ascii", "replace")
        got = fn(t, a)
        assert got == cls.spans(t, a) == [m.span() for m in cls.regex.finditer(t)], t[:120]
        n += len(got)
    assert n > 500


@pytest.mark.parametrize("name", ["digits", "card_digits"])
def test_run_spans_match_ascii_runs_as_the_regex_does(name):
    from detectors.engine import _inline_digit_range

    cls = CANDIDATES[name]
    lo, hi = _inline_digit_range(cls)
    assert (lo, hi) == {"digits": (8, 40), "card_digits": (13, 19)}[name]  # the inline matcher is used
    rng = random.Random(31)
    alphabet = ["1", "2", "0", "9", " ", "-", ".", "  ", "--", "x", "\n", "4539 1043 3218 1967", "200 134453 1022",
                "1234567890123456789012", "?", "٣"]
    n = 0
    for _ in range(20_000):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 25)))
        a = t.encode("ascii", "replace")
        args = (cls.table, cls.min_len, cls.seps, cls.min_core, cls.digits_max, cls.regex.finditer)
        want = [m.span() for m in cls.regex.finditer(t)]
        assert S.run_spans(t, a, *args, lo, hi) == S.run_spans(t, a, *args) == want, t
        n += len(want)
    assert n > 5000


def test_ipv4_spans_equal_the_regex_in_every_string_kind():
    regex = CANDIDATES["ipv4"].regex
    rng = random.Random(3)
    alphabet = ["0", "1", "2", "5", "9", ".", ".", "a", " ", "-", "é", "٣", "１", "𝟘", "10.1.2.3", "255.0"]
    n = 0
    for _ in range(40_000):
        t = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        if rng.random() < 0.6:  # mostly Latin-1 strings (one byte a character): the memchr path
            t = t.replace("٣", "3").replace("１", "1").replace("𝟘", "0")
        want = [m.span() for m in regex.finditer(t)]
        assert S.ipv4_spans(t) == want, t
        n += len(want)
    assert n > 5000


def test_ipv6_full_spans_equal_the_regex():
    from detectors.candidates import _IPV6_FULL

    found = 0
    for t in ipv6_texts():
        want = [m.span() for m in _IPV6_FULL.finditer(t)]
        assert S.ipv6_full_spans(t) == want, t
        found += len(want)
    assert found > 2000
    with pytest.raises(TypeError):
        S.ipv6_full_spans("1:2:3:4:5:6:7:8")


@pytest.mark.parametrize("rule_id, cls_name, fast, texts", [
    ("IP_ADDRESS", "ipv4", _fast_ipv4, _ip_texts),
    ("CREDIT_CARD_NUMBER_(NO_KEYWORD)", "card_digits", _fast_card_digits, _card_texts),
], ids=["ipv4_rule", "card_rule"])
def test_compiled_rule_fast_paths_equal_the_python_fast_paths(engines, rule_id, cls_name, fast, texts):
    compiled, python = engines
    idx = next(cr.idx for cr in compiled.rules if cr.id == rule_id)
    cls = CANDIDATES[cls_name]
    n = 0
    for t in texts() + _unicode_variants(texts()[:500]):
        cands = cls.spans(t, t.encode("ascii", "replace"))
        if not cands:
            continue
        got, want = [], []
        fast(compiled, compiled.rules[idx], t, cands, got, Counter())
        fast(python, python.rules[idx], t, cands, want, Counter())
        assert sorted(got) == sorted(want), t
        n += len(got)
    assert n > 400


def test_card_rule_leaves_text_beyond_ascii_to_python(engines):
    valid = engines[1].rules[0].valid
    found: list = []
    assert S.card_rule("é 4539104332181967", [(2, 18)], 1, 1.0, 0, valid, None, found) is False
    assert found == []


def test_resolve_equals_the_python_resolution(engines):
    compiled, python = engines
    assert not compiled._any_max_det  # the shipped rules set no max_detections: the compiled path runs
    rng = random.Random(29)
    n_rules = len(compiled.rules)
    kept = 0
    for _ in range(3000):
        found, seen = [], set()
        for _ in range(rng.randint(1, 30)):
            s = rng.randint(0, 80)
            e = s + rng.randint(1, 15)
            idx = rng.randrange(n_rules)
            if (s, e, idx) in seen:
                continue
            seen.add((s, e, idx))
            found.append((rng.choice((10, 20, 30)), rng.choice((0.5, 0.75, 0.8)), s, e, idx, f"v{s}-{e}"))
        got, want = compiled._resolve(list(found)), python._resolve(list(found))
        assert got == want, found
        kept += len(got)
    assert kept > 10_000
    with pytest.raises(ValueError, match="sorted by start"):
        S.resolve([(1, 1.0, 5, 6, 0, "a"), (1, 1.0, 1, 2, 0, "b")], compiled._rule_meta)


def test_spaced_lower_is_the_literal_pass_haystack():
    for t in ["", "A", "Hello World! 123 @[`{", "".join(map(chr, range(128))) * 3] + _mixed_texts(seed=8)[:5]:
        assert S.spaced_lower(t) == b" " + t.lower().encode("ascii")
    with pytest.raises(ValueError):
        S.spaced_lower("é")


def test_raw_hits_equal_the_python_loop(engines):
    compiled, python = engines
    assert compiled._rs is not None  # ahocorasick-rs is a dependency: the DFA pass runs on ASCII text
    n = 0
    for t in _mixed_texts(seed=5):
        t = (t * (1 + 600 // max(1, len(t))))  # past _RS_MIN_LEN
        got, want = compiled._raw_hits(t, None), python._raw_hits(t, None)
        assert got == want
        n += sum(len(v) for kind in got for v in kind.values())
    assert n > 1000



def _view_texts() -> list[str]:
    """Names, particles, capitalised words and their near misses, in ASCII and with non-ASCII letters."""
    rng = random.Random(23)
    parts = ["Maika", "van", "de", "der", "den", "ten", "ter", "von", "Noort", "Ann", "Ab", "A", "AB", "McDo",
             "the", "Intel", "Mac", "X", "Łukasz", "Émile", "é", "ab", "1", "?", "DE", "van2", "DE89", "3704",
             "0044", "0532", "0130", "00", "GB82WEST12345698765432", "NL91ABNA0417164300", "٣"]
    seps = [" ", " ", " ", "  ", ", ", "\n", "-", "", "—", ".", "_"]
    out = _mixed_texts(seed=6)
    for _ in range(1500):
        out.append("".join(rng.choice(parts) + rng.choice(seps) for _ in range(rng.randint(1, 14))))
    return out


def test_word_view_scans_equal_their_regexes():
    from detectors import candidates as C

    n_a = n_p = n_w = n_i = n_q = 0
    for t in _view_texts():
        a = t.encode("ascii", "replace")
        tr = a.translate(C._WORD_TABLE)
        want = [m.start() for m in C._A_WORD.finditer(tr)]
        assert S.a_word_starts(tr) == want, t
        want_p = [m.start() for m in C._PARTICLE_BEFORE_CAPITAL.finditer(a)]
        assert S.particle_spaces(a, tr, C._PARTICLE_WORD_TUPLE) == want_p, t
        want_q = [k for m in C._Q_WORD.finditer(tr) for k in range(m.start(), m.end()) if tr[k] == ord("q")]
        assert S.q_word_starts(tr) == want_q, t
        n_q += len(want_q)
        want_i = [m.start() for m in C._IBAN_START.finditer(tr)]
        assert S.iban_starts(tr) == want_i, t
        n_i += len(want_i)
        if t.isascii():
            found = list(C._ASCII_CAP_WORD.finditer(tr))
            words = {t[m.start():m.end()] for m in found}
            assert S.cap_word_set(t, tr) == words, t
            some = {w for w in words if hash(w) % 3 == 0} | {"Zzz", "Noort", ""}
            assert S.cap_word_spans(t, tr, some) == [m.span() for m in found if t[m.start():m.end()] in some], t
            n_w += len(found)
        n_a += len(want)
        n_p += len(want_p)
    assert n_a > 500 and n_p > 100 and n_w > 1000 and n_i > 100 and n_q > 100


@pytest.mark.parametrize("name", ["name", "lone_name", "iban"])
def test_word_view_passes_with_compiled_scans_equal_the_python_passes(engines, name):
    compiled, _ = engines
    cls = CANDIDATES[name]
    fn = compiled._locator(cls)
    n = 0
    for t in _view_texts() + _unicode_variants(_mixed_texts(seed=7)):
        a = t.encode("ascii", "replace")
        got = fn(t, a)
        forget()
        assert got == cls.spans(t, a), t[:120]
        forget()
        n += len(got)
    assert n > 100


def test_cap_word_tables_grow_past_their_first_size():
    from detectors import candidates as C

    rng = random.Random(37)
    upper, lower = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghij"
    words = [rng.choice(upper) + "".join(rng.choice(lower) for _ in range(rng.randint(2, 9))) for _ in range(6000)]
    t = " ".join(words + words[:100])
    tr = t.encode("ascii").translate(C._WORD_TABLE)
    assert S.cap_word_set(t, tr) == set(words)
    wanted = set(words[::7]) | {w.lower() for w in words[:50]}  # the lower-cased ones are never capitalised words
    spans = S.cap_word_spans(t, tr, wanted)
    assert spans == [m.span() for m in C._ASCII_CAP_WORD.finditer(tr) if t[m.start():m.end()] in wanted]
    assert len(spans) > 800
