"""Throughput paths must not change results: the rule fast paths (IP_ADDRESS, card numbers without a
keyword) equal the general ``_run_rule`` path, the per-group overlap resolution equals one global greedy
pass, the precomputed-pad HMAC equals ``hmac.digest``, and settling an engine for a worker changes no
detection."""
from __future__ import annotations

import gc
import hmac
import random
from collections import Counter

import pytest

from detectors import get_engine, load_pack, validators
from detectors.engine import Engine, _fast_card_digits, _fast_ipv4, _greedy

KEY = b"perf-paths-key"


def _rows(dets):
    return [(d.type, d.category, d.start, d.end, d.line, d.column, d.confidence, d.masked, d.value_hash)
            for d in dets]


def _ip_texts() -> list[str]:
    rng = random.Random(11)
    octets = ["0", "1", "9", "10", "01", "99", "100", "127", "199", "200", "249", "250", "255", "256", "300",
              "999", "000", "٣", "1٣"]
    seps = [" ", ".", "-", "_", "a", ":", "/", "\n", ",", "é", "٣", "", "..", "[", "1"]
    out = [
        "ip 10.60.157.92, 192.168.0.1. v 1.2.3.4 1.2.3.4.5 999.1.2.3 255.1.1.1 10.1.1.0 127.0.0.1 0.1.2.3",
        "a10.1.2.3 10.1.2.3b 10.1.2.3- -10.1.2.3 _10.1.2.3 10.1.2.3_ 10.1.2.3.4 10.1.2.3.x 10.1.2.3. end",
        "http://10.20.130.40:8080/health fe80::1 2001:db8::8a2e:370:7334 ::ffff:10.1.2.3 [10.9.8.7]",
        "١٠.1.2.3 10.1.2.٣ é10.1.2.3 10.1.2.3é 10.1.2.3.٣ 10.1.2.3٣ 1.1.1.1",
        "10.1.2.3",
        ".10.1.2.3.",
    ]
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(1, 8)):
            parts.append(".".join(rng.choice(octets) for _ in range(rng.choice((3, 4, 4, 4, 5)))))
            parts.append(rng.choice(seps))
        out.append("".join(parts))
    return out


def _card_texts() -> list[str]:
    rng = random.Random(13)
    valid = ["4539 1043 3218 1967", "4539-1043-3218-1967", "4539104332181967", "5500005555555559",
             "378282246310005", "6011111111111117", "2221000000000009", "4111111111111111", "6200000000000005"]
    seps = [" ", "-", "", "  ", "x", "_", "\n", ",", "٣", "é", "1 ", " 1", "-1", "1-"]
    out = ["card 4539 1043 3218 1967 and 4539-1043-3218-1967 and 12 4539 1043 3218 1967 0000",
           "ean 2706416929407,2026 x 4539104332181967 1 4539104332181967-1 4539104332181967- 1",
           "٣4539104332181967 4539104332181967٣ é4539104332181967 4539 1043 3218 1967 3456 7890 1234"]
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(1, 6)):
            if rng.random() < 0.5:
                v = rng.choice(valid)
            else:
                v = "".join(rng.choice("0123456789 -") for _ in range(rng.randint(8, 26)))
            parts.append(v)
            parts.append(rng.choice(seps))
        out.append("".join(parts))
    return out


@pytest.fixture(scope="module")
def engines():
    pack = load_pack(selector="ALL")
    return Engine(pack, KEY), Engine(pack, KEY, fast_paths=False)


def test_fast_paths_are_active_for_the_shipped_rules(engines):
    fast, slow = engines
    names = {fast.rules[i].id: fn for i, fn in fast._fast.items()}
    assert names.get("IP_ADDRESS") is _fast_ipv4
    assert names.get("CREDIT_CARD_NUMBER_(NO_KEYWORD)") is _fast_card_digits
    assert not slow._fast


@pytest.mark.parametrize("texts", [_ip_texts, _card_texts], ids=["ipv4", "card"])
def test_fast_paths_equal_the_general_path(engines, texts):
    fast, slow = engines
    n = 0
    for t in texts():
        a, b = fast.detect(t), slow.detect(t)
        assert _rows(a) == _rows(b), t
        n += len(a)
    assert n > 200  # the generated texts do produce detections


def test_fast_paths_equal_the_general_path_on_one_long_text(engines):
    fast, slow = engines
    big = "\n".join(_ip_texts()[:800] + _card_texts()[:800])
    a, b = fast.detect(big), slow.detect(big)
    assert _rows(a) == _rows(b)
    assert {d.type for d in a} >= {"IP_ADDRESS", "CREDIT_CARD_NUMBER_(NO_KEYWORD)"}


def test_fast_paths_respect_pack_allow_lists():
    import dataclasses

    from detectors.schema import AllowList

    pack = dataclasses.replace(load_pack(selector="ALL"), allow_lists=(
        AllowList(name="ip", text=("10.1.2.3",)), AllowList(name="cc", regex=r"4539.*")))
    text = "from 10.1.2.3 and 10.1.2.4 paid 4539104332181967 and 5500005555555559"
    a, b = Engine(pack, KEY).detect(text), Engine(pack, KEY, fast_paths=False).detect(text)
    assert _rows(a) == _rows(b)
    assert [text[d.start:d.end] for d in a if d.type in ("IP_ADDRESS", "CREDIT_CARD_NUMBER_(NO_KEYWORD)")] \
        == ["10.1.2.4", "5500005555555559"]


def test_value_hash_is_hmac_sha256_of_the_normalised_value():
    pack = load_pack(selector="ALL")
    for key in (b"k", b"x" * 64, b"y" * 65, b"z" * 200):
        eng = Engine(pack, key)
        dets = eng.detect("connection from 41.176.181.243 refused; card 4539 1043 3218 1967")
        assert dets
        for d in dets:
            assert len(d.value_hash) == 64
        ip = next(d for d in dets if d.type == "IP_ADDRESS")
        assert ip.value_hash == hmac.digest(key, b"41.176.181.243", "sha256").hex()


def _greedy_reference(found):
    import bisect

    order = sorted(found, key=lambda f: (-f[0], -f[1], -(f[3] - f[2]), f[2], f[4]))
    starts, ends, kept = [], [], []
    for f in order:
        s, e = f[2], f[3]
        i = bisect.bisect_left(starts, s)
        if (i > 0 and ends[i - 1] > s) or (i < len(starts) and starts[i] < e):
            continue
        starts.insert(i, s)
        ends.insert(i, e)
        kept.append(f)
    kept.sort(key=lambda f: f[2])
    return kept


def test_grouped_overlap_resolution_equals_one_global_greedy_pass(engines):
    fast, _ = engines
    rng = random.Random(5)
    n_rules = len(fast.rules)
    for _ in range(2000):
        found, seen = [], set()
        for _ in range(rng.randint(1, 25)):
            s = rng.randint(0, 60)
            e = s + rng.randint(1, 12)
            idx = rng.randrange(min(n_rules, 6))
            if (s, e, idx) in seen:
                continue
            seen.add((s, e, idx))
            found.append((rng.choice((10, 20, 30)), rng.choice((0.5, 0.8)), s, e, idx, "v"))
        ref = [(f[2], f[3], f[4]) for f in _greedy_reference(list(found))]
        got = [(d[0], d[1], d[6]) for d in fast._resolve(list(found))]
        if not fast._any_max_det:
            assert got == ref
        assert [(f[2], f[3], f[4]) for f in _greedy(list(found))] == ref


def _sample_texts(pack) -> list[str]:
    out = []
    for r in pack.rules:
        for s in (*r.samples.positive, *r.samples.negative):
            out.append(s if isinstance(s, str) else s.text)
    return out


def test_required_literals_and_digits_are_in_every_match():
    import regex

    from detectors.engine import _analyse, _selective

    pack = load_pack(selector="ALL")
    texts = [t for t in _sample_texts(pack) if t.isascii()]
    checked = digits = 0
    for r in pack.rules:
        for p in r.patterns:
            req, digit = (None, False) if p.at_hit else _analyse(p.regex)
            if req is None and not digit:
                continue
            assert req is None or all(lit == lit.lower() and lit.isascii() and _selective(lit) for lit in req)
            pat = regex.compile(p.regex)
            for t in texts:
                low = t.lower()
                for m in pat.finditer(t):
                    # the match, or for a look-ahead the text up to the window's end, holds a literal / digit
                    tail = low[m.start():] if "(?=" in p.regex else low[m.start():m.end()]
                    if req is not None:
                        assert any(lit in tail for lit in req), (r.id, p.name, t)
                        checked += 1
                    if digit:
                        assert any(c.isdigit() for c in tail), (r.id, p.name, t)
                        digits += 1
    assert checked > 50 and digits > 200


@pytest.mark.parametrize("src,expected", [
    (r"(?i)ConvertTo-SecureString\s+(?P<value>\w+)", ("convertto-securestring",)),
    (r"(?i)<(?P<tag>[\w:-]*(?:pass|pwd)[\w:-]*)>", ("pass", "pwd")),
    (r"P\.?\s?O\.?\s?Box\s+\d", ("box",)),
    (r"(?:straße|Strasse|weg)\s+\d", ("strasse", "weg")),    # case-sensitive non-ASCII: no ASCII match
    (r"(?i:straße|strasse)\s+\d", ("stra",)),                 # the common ASCII prefix (ß: unknown folding)
    (r"(?i:ßa|ssa)b", None),
    (r"ab|cd", None),                                         # too short
    (r"(?:abc)?def", ("def",)),
    (r"(?<=secret)=\w+", None),                               # look-behind text may lie before the window
    (r"x(?!secret)", None),
    (r"(?:abc){e<=1}", None),                                 # regex-only syntax: no prefilter
    (r"abc\\{e<=1}def", None),                              # fuzzy after an escaped backslash
    (r"[[:alpha:]]secret", None),
    (r"(?:19|20)\d{2}", None),
    (r"(?:--password[= ]|-p)\w", ("--password", "-p")),         # re parses it -(?:-password[= ]|p): prefix + leads
    (r"x(?:ab\d|cd)", ("xab", "xcd")),
    (r"x(?:\dab|cd)", None),                                    # "x" alone: too short
    (r"(?:\+|00)1\d", ("+1", "001")),                           # two characters with a punctuation mark
    (r"a(?:é1|b2)", ("ab2",)),                                  # a case-sensitive non-ASCII lead: never in ASCII
])
def test_required_literals_of_patterns(src, expected):
    """Literal analysis of single patterns."""
    from detectors.engine import _required_literals

    got = _required_literals(src)
    assert (None if got is None else tuple(sorted(got))) == (None if expected is None else tuple(sorted(expected)))


def test_literal_prefilter_and_fast_paths_keep_results_on_rule_samples(engines):
    fast, slow = engines
    texts = _sample_texts(fast.pack)
    for t in texts:
        assert _rows(fast.detect(t)) == _rows(slow.detect(t)), t
    big = "\n".join(texts)
    assert _rows(fast.detect(big)) == _rows(slow.detect(big))


def test_fast_paths_keep_results_on_bench_like_text(engines, tmp_path):
    from bench.corpus import get_corpus

    fast, slow = engines
    for density in ("low", "high"):
        text, _ = get_corpus(density, 0.25, seed=3, cache_dir=tmp_path)
        for i in range(0, len(text), 65536):
            piece = text[i:i + 65536]
            assert _rows(fast.detect(piece)) == _rows(slow.detect(piece)), (density, i)


@pytest.mark.parametrize("src,digit", [
    (r"\d{1,2}/\d{1,2}", True),
    (r"(?:19|20)xx", True),
    (r"(?:19|ab)xx", False),
    (r"(?:\d|x)yz", False),
    (r"[0-9]?abc", False),
    (r"(?i)may\s+(?:\d{1,2}|(?:19|20)\d{2})", True),
    (r"(?<=\d)abc", False),                        # look-behind: may lie before the window
    (r"abc(?=\s*\d)", True),                      # look-ahead: inside the window
    (r"abc(?!\d)", False),
    (r"[\d.]+", False),
])
def test_required_digit_of_patterns(src, digit):
    from detectors.engine import _analyse

    assert _analyse(src)[1] is digit


def test_settle_loads_lazy_data_freezes_the_heap_and_changes_no_detection():
    pack = load_pack(selector="ALL")
    texts = ["Catherine is very reliable; ask Joakim Westgard at 10.60.157.92", "card 4539 1043 3218 1967",
             "Billing address: 12 Botley Road, Oxford OX2 0HA", "api_key = \"PglYY7hTeEPd8JwCg91PrFXyFqiea9Gz\""]
    before = [_rows(Engine(pack, KEY).detect(t)) for t in texts]
    validators._name_lexicons.cache_clear()
    validators._lone_names_capitalised.cache_clear()
    eng = Engine(pack, KEY)
    eng.counters["regex_timeouts"] = 2
    frozen = gc.get_freeze_count()
    try:
        assert not eng.settled
        eng.settle()
        assert eng.settled and gc.get_freeze_count() > frozen
        # the rules' samples loaded the name lexicons before the freeze
        assert validators._name_lexicons.cache_info().currsize == 1
        assert validators._lone_names_capitalised.cache_info().currsize == 1
        assert eng.counters == Counter(regex_timeouts=2)  # the samples' run is not counted
        assert [_rows(eng.detect(t)) for t in texts] == before
        assert any(before)
        # get_engine(settle=True) settles a cached engine that was built without it
        cached = get_engine(pack, KEY + b"-settle")
        assert not cached.settled
        assert get_engine(pack, KEY + b"-settle", settle=True) is cached and cached.settled
    finally:
        gc.unfreeze()


def test_detect_pauses_the_collector_and_restores_its_state(engines):
    fast, _ = engines
    seen = []
    validators_before = fast.rules[0].validators

    def spy(value):
        seen.append(gc.isenabled())
        return True

    assert gc.isenabled()
    fast.rules[0].validators = (spy,)
    try:
        fast.rules[0].valid_memo.clear()
        fast.detect(fast.rules[0].rule.samples.positive[0].text)
    finally:
        fast.rules[0].validators = validators_before
        fast.rules[0].valid_memo.clear()
    assert seen and not any(seen)  # paused inside the call
    assert gc.isenabled()  # running again after it
    gc.disable()
    try:
        fast.detect("a text with 10.1.2.3 in it")
        assert not gc.isenabled()  # a caller's paused collector stays paused
    finally:
        gc.enable()
    with pytest.raises((TypeError, AttributeError)):
        fast.detect(12345)  # an error inside the call still restores it
    assert gc.isenabled()


def ipv6_texts(n: int = 30_000, seed: int = 5) -> list[bytes]:
    """Random ASCII strings of hex digits, colons and the characters around addresses, with real addresses
    mixed in (the uncompressed-IPv6 pass and its compiled scan are compared with their regex on them)."""
    rng = random.Random(seed)
    alphabet = ["0", "a", "f", "F", "9", "g", "1234", "12345", ":", ":", ":", ":", ".", "_", " ", "x", "?", "%",
                "2001:db8:0:0:1:0:0:1", "fe80:0:0:0:202:b3ff:fe1e:8329", "1:2:3:4:5:6:7"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40))).encode() for _ in range(n)]


def test_uncompressed_ipv6_pass_equals_its_regex():
    from detectors.candidates import _IPV6_FULL, _ipv6_full_spans

    found = 0
    for t in ipv6_texts():
        want = [m.span() for m in _IPV6_FULL.finditer(t)]
        assert _ipv6_full_spans(None, t.decode(), t) == want, t
        found += len(want)
    assert found > 2000
