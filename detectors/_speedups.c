/* detectors._speedups: compiled versions of the detector engine's per-item loops.
 *
 * Optional: setup.py builds it when a C compiler is there, and the engine falls back to the pure-Python
 * code it replaces when it is not (or when LAKESCAN_PURE_PYTHON=1). Every function here computes exactly
 * what the Python code named in its comment computes; tests/detectors/test_speedups.py runs both on the
 * same texts and compares. Nothing here keeps a reference to a text or a value after it returns.
 *
 *   hmac_midstates  the SHA-256 states after the HMAC key pads (RFC 2104)
 *   sha_impl        which SHA-256 block function runs (SHA-NI where the CPU has it, else portable C)
 *   build           engine.Engine._build: line, column, masked excerpt, keyed hash, Detection objects
 *   ipv4_spans      candidates._ipv4_spans: matches of (?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d)
 *   ipv6_full_spans candidates._ipv6_full_spans: uncompressed IPv6 addresses (eight groups) in the ASCII view
 *   ipv4_rule       engine._fast_ipv4 without allow lists: the IP_ADDRESS rule at ipv4 candidates
 *   card_rule       engine._fast_card_digits for ASCII text: the card number rule at card_digits candidates
 *                   (its validators and allow values are called back in Python)
 *   run_spans       candidates.CandidateClass._run_spans: runs of digits and separators (card numbers);
 *                   ASCII runs matched without finditer when the class regex has the plain form
 *   a_word_starts, q_word_starts, particle_spaces, cap_word_set, cap_word_spans, iban_starts
 *                   the scans of the word view behind the name, lone-name and IBAN candidate passes
 *   resolve         engine.Engine._resolve: overlaps between managed detections (packs without max_detections)
 *   spaced_lower    the literal pass's haystack: b" " + the lower-cased ASCII text, in one pass
 *   raw_hits        engine.Engine._raw_hits' loop over the ahocorasick-rs matches of an ASCII text
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------ SHA-256 (FIPS 180-4) */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t IV256[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t st[8], const unsigned char *p) {
    uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) |
               (uint32_t)p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; h = st[7];
    for (i = 0; i < 64; i++) {
        t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

/* The same block function with the x86 SHA extensions (SHA-NI), chosen at import when the CPU has them
 * (CPUID leaf 7: SHA; leaf 1: SSSE3, SSE4.1). Rounds four at a time; the message schedule with
 * sha256msg1 (w[t-16] + s0(w[t-15])), the word shift alignr (w[t-7]) and sha256msg2 (s1(w[t-2])). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHANI_CODE 1

__attribute__((target("sha,ssse3,sse4.1"))) static void sha256_block_shani(uint32_t st[8], const unsigned char *p) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i s0, s1, tmp, msg, abef, cdgh, w[4];
    int i;
    tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xB1); /* CDAB */
    s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1B);  /* EFGH */
    s0 = _mm_alignr_epi8(tmp, s1, 8);                                         /* ABEF */
    s1 = _mm_blend_epi16(s1, tmp, 0xF0);                                      /* CDGH */
    abef = s0;
    cdgh = s1;
    for (i = 0; i < 16; i++) {
        __m128i wi;
        if (i < 4) {
            wi = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
        } else {
            wi = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);                 /* W[i-4], W[i-3] */
            wi = _mm_add_epi32(wi, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4)); /* W[i-1], W[i-2] */
            wi = _mm_sha256msg2_epu32(wi, w[(i + 3) & 3]);
        }
        w[i & 3] = wi;
        msg = _mm_add_epi32(wi, _mm_loadu_si128((const __m128i *)&K256[4 * i]));
        s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(msg, 0x0E));
    }
    s0 = _mm_add_epi32(s0, abef);
    s1 = _mm_add_epi32(s1, cdgh);
    tmp = _mm_shuffle_epi32(s0, 0x1B);        /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);         /* DCHG */
    s0 = _mm_blend_epi16(tmp, s1, 0xF0);      /* DCBA */
    s1 = _mm_alignr_epi8(s1, tmp, 8);         /* HGFE */
    _mm_storeu_si128((__m128i *)&st[0], s0);
    _mm_storeu_si128((__m128i *)&st[4], s1);
}

static int cpu_has_shani(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
        return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    return (b >> 29) & 1;
}
#endif

static void (*sha256_compress)(uint32_t st[8], const unsigned char *p) = sha256_block;

/* The digest of (64 bytes already in `mid`) + data. */
static void sha256_after_block(const uint32_t mid[8], const unsigned char *data, Py_ssize_t len,
                               unsigned char out[32]) {
    uint32_t st[8];
    unsigned char tail[128];
    uint64_t bits = ((uint64_t)len + 64) * 8;
    Py_ssize_t rest, pad;
    int i;
    memcpy(st, mid, sizeof st);
    while (len >= 64) {
        sha256_compress(st, data);
        data += 64;
        len -= 64;
    }
    rest = len;
    memcpy(tail, data, (size_t)rest);
    tail[rest] = 0x80;
    pad = rest < 56 ? 64 : 128;
    memset(tail + rest + 1, 0, (size_t)(pad - rest - 1));
    for (i = 0; i < 8; i++)
        tail[pad - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha256_compress(st, tail);
    if (pad == 128)
        sha256_compress(st, tail + 64);
    for (i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(st[i] >> 24);
        out[4 * i + 1] = (unsigned char)(st[i] >> 16);
        out[4 * i + 2] = (unsigned char)(st[i] >> 8);
        out[4 * i + 3] = (unsigned char)st[i];
    }
}

/* hmac_midstates(key64: bytes) -> bytes: the states after compressing key ^ 0x36.. and key ^ 0x5c..
 * (64 bytes: 16 big-endian words). The caller hashes keys longer than 64 bytes and pads them with zeros. */
static PyObject *hmac_midstates(PyObject *self, PyObject *arg) {
    char *key;
    Py_ssize_t n;
    unsigned char pad[64], out[64];
    uint32_t st[8];
    int i, j;
    if (PyBytes_AsStringAndSize(arg, &key, &n) < 0)
        return NULL;
    if (n != 64) {
        PyErr_SetString(PyExc_ValueError, "hmac_midstates: the key must be padded to 64 bytes");
        return NULL;
    }
    for (j = 0; j < 2; j++) {
        for (i = 0; i < 64; i++)
            pad[i] = (unsigned char)key[i] ^ (j ? 0x5c : 0x36);
        memcpy(st, IV256, sizeof st);
        sha256_compress(st, pad);
        for (i = 0; i < 8; i++) {
            out[32 * j + 4 * i] = (unsigned char)(st[i] >> 24);
            out[32 * j + 4 * i + 1] = (unsigned char)(st[i] >> 16);
            out[32 * j + 4 * i + 2] = (unsigned char)(st[i] >> 8);
            out[32 * j + 4 * i + 3] = (unsigned char)st[i];
        }
    }
    return PyBytes_FromStringAndSize((const char *)out, 64);
}

static int load_midstates(PyObject *blob, uint32_t inner[8], uint32_t outer[8]) {
    const unsigned char *p;
    int i;
    if (!PyBytes_Check(blob) || PyBytes_GET_SIZE(blob) != 64) {
        PyErr_SetString(PyExc_TypeError, "expected the 64 bytes of hmac_midstates()");
        return -1;
    }
    p = (const unsigned char *)PyBytes_AS_STRING(blob);
    for (i = 0; i < 16; i++) {
        uint32_t w = ((uint32_t)p[4 * i] << 24) | ((uint32_t)p[4 * i + 1] << 16) | ((uint32_t)p[4 * i + 2] << 8) |
                     (uint32_t)p[4 * i + 3];
        if (i < 8)
            inner[i] = w;
        else
            outer[i - 8] = w;
    }
    return 0;
}

/* HMAC-SHA256 of msg (UTF-8, surrogatepass) as 64 lower-case hex digits. */
static PyObject *hmac_hex(const uint32_t inner[8], const uint32_t outer[8], PyObject *msg) {
    static const char hexd[] = "0123456789abcdef";
    unsigned char ih[32], oh[32];
    PyObject *enc = NULL, *res;
    const unsigned char *data;
    Py_ssize_t len;
    Py_UCS1 *dst;
    int i;
    if (PyUnicode_IS_ASCII(msg)) {
        data = PyUnicode_1BYTE_DATA(msg);
        len = PyUnicode_GET_LENGTH(msg);
    } else {
        enc = PyUnicode_AsEncodedString(msg, "utf-8", "surrogatepass");
        if (enc == NULL)
            return NULL;
        data = (const unsigned char *)PyBytes_AS_STRING(enc);
        len = PyBytes_GET_SIZE(enc);
    }
    sha256_after_block(inner, data, len, ih);
    Py_XDECREF(enc);
    sha256_after_block(outer, ih, 32, oh);
    res = PyUnicode_New(64, 127);
    if (res == NULL)
        return NULL;
    dst = PyUnicode_1BYTE_DATA(res);
    for (i = 0; i < 32; i++) {
        dst[2 * i] = (Py_UCS1)hexd[oh[i] >> 4];
        dst[2 * i + 1] = (Py_UCS1)hexd[oh[i] & 15];
    }
    return res;
}

/* ------------------------------------------------------------------ masking (engine._mask, ASCII values) */

static inline int ascii_alnum(Py_UCS4 c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static PyObject *mask_ascii(PyObject *value, Py_ssize_t keep) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(value), i, n_alnum = 0;
    const Py_UCS1 *src = PyUnicode_1BYTE_DATA(value);
    PyObject *res = PyUnicode_New(n, 127);
    Py_UCS1 *dst;
    if (res == NULL)
        return NULL;
    dst = PyUnicode_1BYTE_DATA(res);
    for (i = 0; i < n; i++) {
        if (ascii_alnum(src[i])) {
            dst[i] = '*';
            n_alnum++;
        } else {
            dst[i] = src[i];
        }
    }
    if (keep > n_alnum / 2)
        keep = n_alnum / 2;
    for (i = n - 1; keep > 0 && i >= 0; i--) {
        if (ascii_alnum(src[i])) {
            dst[i] = src[i];
            keep--;
        }
    }
    return res;
}

/* ------------------------------------------------------------------ build */

enum { F_TYPE, F_CATEGORY, F_START, F_END, F_LINE, F_COLUMN, F_CONFIDENCE, F_MASKED, F_HASH, N_FIELDS };

/* build(text, dets, midstates, Detection, descriptors, normalise, mask) -> list[Detection]
 *
 * = Engine._build: dets are (start, end, type, category, confidence, value, index, normalisation, keep) in
 * start order; descriptors are Detection's slot descriptors in the order of the enum above; normalise(value,
 * how) and mask(value, keep) are the Python functions, called for what is not ASCII / not "none". */
static PyObject *build(PyObject *self, PyObject *args) {
    PyObject *text, *dets, *blob, *dtype_obj, *descrs, *normalise, *mask;
    PyTypeObject *dtype;
    uint32_t inner[8], outer[8];
    PyObject *out = NULL, *setters[N_FIELDS];
    Py_ssize_t nd, k, line = 1, line_start = 0, pos = 0, tlen;
    int kind;
    const void *data;
    if (!PyArg_ParseTuple(args, "UO!SOO!OO", &text, &PyList_Type, &dets, &blob, &dtype_obj, &PyTuple_Type, &descrs,
                          &normalise, &mask))
        return NULL;
    if (!PyType_Check(dtype_obj) || PyTuple_GET_SIZE(descrs) != N_FIELDS) {
        PyErr_SetString(PyExc_TypeError, "build: expected the Detection type and its 9 slot descriptors");
        return NULL;
    }
    dtype = (PyTypeObject *)dtype_obj;
    for (k = 0; k < N_FIELDS; k++) {
        setters[k] = PyTuple_GET_ITEM(descrs, k);
        if (Py_TYPE(setters[k])->tp_descr_set == NULL) {
            PyErr_SetString(PyExc_TypeError, "build: a descriptor cannot set");
            return NULL;
        }
    }
    if (load_midstates(blob, inner, outer) < 0)
        return NULL;
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    tlen = PyUnicode_GET_LENGTH(text);
    nd = PyList_GET_SIZE(dets);
    out = PyList_New(nd);
    if (out == NULL)
        return NULL;
    for (k = 0; k < nd; k++) {
        PyObject *t = PyList_GET_ITEM(dets, k), *value, *how, *msg, *hash, *masked, *d, *vals[N_FIELDS];
        Py_ssize_t s, keep, i;
        int f, ok = 0;
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 9) {
            PyErr_SetString(PyExc_TypeError, "build: a detection is not a 9-tuple");
            goto fail;
        }
        s = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, 0));
        keep = PyLong_AsSsize_t(PyTuple_GET_ITEM(t, 8));
        if ((s == -1 || keep == -1) && PyErr_Occurred())
            goto fail;
        value = PyTuple_GET_ITEM(t, 5);
        how = PyTuple_GET_ITEM(t, 7);
        if (!PyUnicode_Check(value) || !PyUnicode_Check(how)) {
            PyErr_SetString(PyExc_TypeError, "build: value and normalisation must be str");
            goto fail;
        }
        if (s > tlen)
            s = tlen;
        if (s > pos) {
            if (kind == PyUnicode_1BYTE_KIND) { /* memchr from newline to newline */
                const Py_UCS1 *t1 = (const Py_UCS1 *)data, *nl;
                for (i = pos; i < s && (nl = memchr(t1 + i, '\n', (size_t)(s - i))) != NULL; i = line_start) {
                    line++;
                    line_start = nl - t1 + 1;
                }
            } else {
                for (i = pos; i < s; i++) {
                    if (PyUnicode_READ(kind, data, i) == '\n') {
                        line++;
                        line_start = i + 1;
                    }
                }
            }
            pos = s;
        }
        if (PyUnicode_CompareWithASCIIString(how, "none") == 0) {
            msg = value;
            Py_INCREF(msg);
        } else {
            msg = PyObject_CallFunctionObjArgs(normalise, value, how, NULL);
            if (msg == NULL)
                goto fail;
            if (!PyUnicode_Check(msg)) {
                Py_DECREF(msg);
                PyErr_SetString(PyExc_TypeError, "build: normalise() must return str");
                goto fail;
            }
        }
        hash = hmac_hex(inner, outer, msg);
        Py_DECREF(msg);
        if (hash == NULL)
            goto fail;
        if (PyUnicode_IS_ASCII(value))
            masked = mask_ascii(value, keep);
        else
            masked = PyObject_CallFunction(mask, "On", value, keep);
        if (masked == NULL) {
            Py_DECREF(hash);
            goto fail;
        }
        d = dtype->tp_alloc(dtype, 0);
        if (d == NULL) {
            Py_DECREF(hash);
            Py_DECREF(masked);
            goto fail;
        }
        vals[F_TYPE] = PyTuple_GET_ITEM(t, 2);
        Py_INCREF(vals[F_TYPE]);
        vals[F_CATEGORY] = PyTuple_GET_ITEM(t, 3);
        Py_INCREF(vals[F_CATEGORY]);
        vals[F_START] = PyTuple_GET_ITEM(t, 0);
        Py_INCREF(vals[F_START]);
        vals[F_END] = PyTuple_GET_ITEM(t, 1);
        Py_INCREF(vals[F_END]);
        vals[F_LINE] = PyLong_FromSsize_t(line);
        vals[F_COLUMN] = PyLong_FromSsize_t(s - line_start + 1);
        vals[F_CONFIDENCE] = PyTuple_GET_ITEM(t, 4);
        Py_INCREF(vals[F_CONFIDENCE]);
        vals[F_MASKED] = masked;
        vals[F_HASH] = hash;
        PyList_SET_ITEM(out, k, d); /* owned by out from here: freed with it on failure */
        ok = vals[F_LINE] != NULL && vals[F_COLUMN] != NULL;
        for (f = 0; f < N_FIELDS; f++) {
            if (ok && Py_TYPE(setters[f])->tp_descr_set(setters[f], d, vals[f]) < 0)
                ok = 0;
            Py_XDECREF(vals[f]);
        }
        if (!ok)
            goto fail;
    }
    return out;
fail:
    /* the not yet filled items of out are NULL, which list_dealloc skips */
    Py_DECREF(out);
    return NULL;
}

/* ------------------------------------------------------------------ IPv4 */

/* re's \d in a str pattern: Unicode decimal digits (sre's SRE_UNI_IS_DIGIT) */
#define IS_DIGIT(c) ((c) < 128 ? ((c) >= '0' && (c) <= '9') : Py_UNICODE_ISDECIMAL(c))

/* The length of the match of \d{1,3}(?:\.\d{1,3}){3}(?!\.?\d) at i (its look-behind is checked by the
 * caller), 0 when there is none. A digit run longer than three has no shorter prefix that a dot (or the
 * look-ahead's non-digit) follows, so each group is a maximal run of one to three digits. */
static Py_ssize_t ipv4_match(int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t p = i, q;
    int g;
    for (g = 0; g < 4; g++) {
        if (g) {
            if (p >= n || PyUnicode_READ(kind, data, p) != '.')
                return 0;
            p++;
        }
        q = p;
        while (q < n && q - p < 4 && IS_DIGIT(PyUnicode_READ(kind, data, q)))
            q++;
        if (q == p || q - p > 3)
            return 0;
        p = q;
    }
    /* (?!\.?\d): the run ended, so the next character is not a digit; a dot must not precede one */
    if (p + 1 < n && PyUnicode_READ(kind, data, p) == '.' && IS_DIGIT(PyUnicode_READ(kind, data, p + 1)))
        return 0;
    return p - i;
}

static int append_span(PyObject *list, Py_ssize_t s, Py_ssize_t e) {
    PyObject *t = Py_BuildValue("(nn)", s, e);
    int r;
    if (t == NULL)
        return -1;
    r = PyList_Append(list, t);
    Py_DECREF(t);
    return r;
}

static int append_int(PyObject *list, Py_ssize_t i) {
    PyObject *o = PyLong_FromSsize_t(i);
    int r;
    if (o == NULL)
        return -1;
    r = PyList_Append(list, o);
    Py_DECREF(o);
    return r;
}

/* ipv4_spans(text) -> [(start, end)]: finditer's spans of (?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?!\.?\d). */
static PyObject *ipv4_spans(PyObject *self, PyObject *text) {
    Py_ssize_t n, i, len;
    int kind;
    const void *data;
    PyObject *out;
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "ipv4_spans: str expected");
        return NULL;
    }
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    n = PyUnicode_GET_LENGTH(text);
    out = PyList_New(0);
    if (out == NULL)
        return NULL;
    if (kind == PyUnicode_1BYTE_KIND) {
        /* Latin-1 holds no decimal digit beyond 0-9. Every match has a dot right after its first octet: jump
         * from dot to dot (memchr), take the digit run before the dot as the first octet and match there. A
         * run that starts before the previous match's end cannot reach a later dot (that match's last
         * character is followed by a non-digit), so checking i >= last keeps finditer's leftmost,
         * non-overlapping result. */
        const Py_UCS1 *t = (const Py_UCS1 *)data;
        const Py_UCS1 *dot;
        Py_ssize_t p = 0, last = 0;
        while (p < n && (dot = memchr(t + p, '.', (size_t)(n - p))) != NULL) {
            p = dot - t;
            i = p;
            while (i > last && p - i < 4 && t[i - 1] >= '0' && t[i - 1] <= '9')
                i--;
            if (i < p && p - i <= 3 && (i == 0 || !(t[i - 1] == '.' || (t[i - 1] >= '0' && t[i - 1] <= '9'))) &&
                (len = ipv4_match(kind, data, n, i)) != 0) {
                if (append_span(out, i, i + len) < 0) {
                    Py_DECREF(out);
                    return NULL;
                }
                p = last = i + len;
            } else {
                p++;
            }
        }
        return out;
    }
    i = 0;
    while (i < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (!IS_DIGIT(c)) {
            i++;
            continue;
        }
        /* i starts a digit run when the look-behind (?<![\d.]) holds */
        if (i > 0) {
            Py_UCS4 b = PyUnicode_READ(kind, data, i - 1);
            if (b == '.' || IS_DIGIT(b)) {
                i++;
                continue;
            }
        }
        len = ipv4_match(kind, data, n, i);
        if (len) {
            if (append_span(out, i, i + len) < 0) {
                Py_DECREF(out);
                return NULL;
            }
            i += len;
        } else {
            i++;
        }
    }
    return out;
}

/* ------------------------------------------------------------------ uncompressed IPv6 */

/* The bytes of a view (the ASCII view of a text, or its word view) and a new empty list for the results (NULL with an exception if view is not bytes). */
static PyObject *view_and_list(PyObject *view, const char *fn, const unsigned char **v, Py_ssize_t *n) {
    if (!PyBytes_Check(view)) {
        PyErr_Format(PyExc_TypeError, "%s: bytes expected", fn);
        return NULL;
    }
    *v = (const unsigned char *)PyBytes_AS_STRING(view);
    *n = PyBytes_GET_SIZE(view);
    return PyList_New(0);
}

static int hexval(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* a character of [0-9A-Za-z_:.]: it may not stand before or after an uncompressed IPv6 address */
static int v6_edge(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           c == '.';
}

/* The length of a match of (?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![0-9A-Za-z_:.]) at t + i, else 0. A group
 * is the whole hex run (the next character must be ':' or an edge), so the regex cannot backtrack into it. */
static Py_ssize_t ipv6_full_match(const unsigned char *t, Py_ssize_t n, Py_ssize_t i) {
    Py_ssize_t p = i;
    int g;
    for (g = 0; g < 8; g++) {
        Py_ssize_t s = p;
        while (p < n && p - s < 5 && hexval(t[p]))
            p++;
        if (p == s || p - s > 4)
            return 0;
        if (g < 7) {
            if (p >= n || t[p] != ':')
                return 0;
            p++;
        }
    }
    if (p < n && v6_edge(t[p]))
        return 0;
    return p - i;
}

/* ipv6_full_spans(ascii_text) -> [(start, end)]: finditer's spans of
 * (?<![0-9A-Za-z_:.])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![0-9A-Za-z_:.]) in bytes (candidates._IPV6_FULL).
 * Every match's first group is followed by a colon: jump from colon to colon (memchr), take the hex run before
 * it as the first group and match there. Those starts grow with the colons, so the first match found is
 * finditer's leftmost; colons before the previous match's end are skipped (non-overlapping). */
static PyObject *ipv6_full_spans(PyObject *self, PyObject *arg) {
    const unsigned char *t, *colon;
    Py_ssize_t n, p = 0, last = 0, len;
    PyObject *out = view_and_list(arg, "ipv6_full_spans", &t, &n);
    if (out == NULL)
        return NULL;
    while (p < n && (colon = memchr(t + p, ':', (size_t)(n - p))) != NULL) {
        Py_ssize_t c = colon - t, i = c;
        while (i > 0 && c - i < 5 && hexval(t[i - 1]))
            i--;
        if (i >= last && i < c && c - i <= 4 && (i == 0 || !v6_edge(t[i - 1])) &&
            (len = ipv6_full_match(t, n, i)) != 0) {
            if (append_span(out, i, i + len) < 0) {
                Py_DECREF(out);
                return NULL;
            }
            p = last = i + len;
        } else {
            p = c + 1;
        }
    }
    return out;
}

/* The (start, end) of a candidate span inside a text of n characters (-1 with an exception otherwise). */
static int candidate_span(PyObject *sp, Py_ssize_t n, const char *fn, Py_ssize_t *s, Py_ssize_t *e) {
    if (!PyTuple_Check(sp) || PyTuple_GET_SIZE(sp) != 2) {
        PyErr_Format(PyExc_TypeError, "%s: a candidate is not a (start, end) tuple", fn);
        return -1;
    }
    *s = PyLong_AsSsize_t(PyTuple_GET_ITEM(sp, 0));
    *e = PyLong_AsSsize_t(PyTuple_GET_ITEM(sp, 1));
    if ((*s == -1 || *e == -1) && PyErr_Occurred())
        return -1;
    if (*s < 0 || *e > n || *s >= *e) {
        PyErr_Format(PyExc_ValueError, "%s: a candidate lies outside the text", fn);
        return -1;
    }
    return 0;
}

/* An octet 0-255 written without a leading zero (str(i) for i in range(256)). */
static int octet_ok(const Py_UCS1 *p, Py_ssize_t len) {
    int v = 0;
    Py_ssize_t k;
    if (len < 1 || len > 3 || (len > 1 && p[0] == '0'))
        return 0;
    for (k = 0; k < len; k++) {
        if (p[k] < '0' || p[k] > '9')
            return 0;
        v = v * 10 + (p[k] - '0');
    }
    return v <= 255;
}

/* ipv4_rule(text, cands, priority, confidence, index, found) -> [(start, end)]
 *
 * = engine._fast_ipv4 for a rule without allow values and a pack without allow lists: appends
 * (priority, confidence, start, end, index, value) to found for each accepted candidate and returns the
 * candidates whose surroundings are not ASCII, which the caller runs through Engine._run_rule. */
static PyObject *ipv4_rule(PyObject *self, PyObject *args) {
    PyObject *text, *cands, *priority, *conf, *idx, *found, *slow;
    Py_ssize_t n, k, nc;
    int kind;
    const void *data;
    if (!PyArg_ParseTuple(args, "UO!OOOO!", &text, &PyList_Type, &cands, &priority, &conf, &idx, &PyList_Type,
                          &found))
        return NULL;
    kind = PyUnicode_KIND(text);
    data = PyUnicode_DATA(text);
    n = PyUnicode_GET_LENGTH(text);
    slow = PyList_New(0);
    if (slow == NULL)
        return NULL;
    nc = PyList_GET_SIZE(cands);
    for (k = 0; k < nc; k++) {
        PyObject *sp = PyList_GET_ITEM(cands, k), *value, *t;
        Py_ssize_t s, e, lo, hi, j, dots[5], nd = 0;
        int ascii = 1;
        Py_UCS4 c;
        const Py_UCS1 *v;
        if (candidate_span(sp, n, "ipv4_rule", &s, &e) < 0)
            goto fail;
        /* ctx = text[s - 1 if s else 0:e + 2] must be ASCII */
        lo = s ? s - 1 : 0;
        hi = e + 2 < n ? e + 2 : n;
        for (j = lo; j < hi; j++) {
            if (PyUnicode_READ(kind, data, j) > 127) {
                ascii = 0;
                break;
            }
        }
        if (!ascii) {
            if (PyList_Append(slow, sp) < 0)
                goto fail;
            continue;
        }
        if (s) {
            c = PyUnicode_READ(kind, data, s - 1);
            if (ascii_alnum(c) || c == '_' || c == '.' || c == '-')
                continue;
        }
        if (e < n) {
            c = PyUnicode_READ(kind, data, e);
            if (ascii_alnum(c) || c == '_' || c == '-')
                continue;
            if (c == '.' && e + 1 < n) {
                Py_UCS4 c2 = PyUnicode_READ(kind, data, e + 1);
                if (c2 >= '0' && c2 <= '9')
                    continue;
            }
        }
        value = PyUnicode_Substring(text, s, e);
        if (value == NULL)
            goto fail;
        v = PyUnicode_1BYTE_DATA(value); /* ASCII: checked above */
        dots[nd++] = -1;
        for (j = 0; j < e - s && nd < 5; j++)
            if (v[j] == '.')
                dots[nd++] = j;
        if (nd != 4) { /* not four groups: value.split(".") would not unpack */
            Py_DECREF(value);
            PyErr_SetString(PyExc_ValueError, "ipv4_rule: a candidate is not a dotted quad");
            goto fail;
        }
        dots[4] = e - s;
        {
            const Py_UCS1 *a = v;
            Py_ssize_t la = dots[1];
            const Py_UCS1 *d = v + dots[3] + 1;
            Py_ssize_t ld = dots[4] - dots[3] - 1;
            int bad = (la == 1 && a[0] == '0') || (la == 3 && memcmp(a, "127", 3) == 0) ||
                      (la == 3 && memcmp(a, "255", 3) == 0) || (ld == 1 && d[0] == '0') ||
                      (e - s == 7 && memcmp(v, "1.2.3.4", 7) == 0);
            for (j = 0; j < 4 && !bad; j++)
                if (!octet_ok(v + dots[j] + 1, dots[j + 1] - dots[j] - 1))
                    bad = 1;
            if (bad) {
                Py_DECREF(value);
                continue;
            }
        }
        t = Py_BuildValue("(OOnnON)", priority, conf, s, e, idx, value);
        if (t == NULL)
            goto fail;
        if (PyList_Append(found, t) < 0) {
            Py_DECREF(t);
            goto fail;
        }
        Py_DECREF(t);
    }
    return slow;
fail:
    Py_DECREF(slow);
    return NULL;
}

/* Card brands at the start of a number: 4|5[0-5]|2[2-7]|3[04-9]|6(?:011|2|4[4-9]|5) (engine._CARD_BRAND). */
static int card_brand(const Py_UCS1 *t, Py_ssize_t s, Py_ssize_t n) {
    Py_UCS1 a = t[s], b = s + 1 < n ? t[s + 1] : 0;
    switch (a) {
    case '4':
        return 1;
    case '5':
        return b >= '0' && b <= '5';
    case '2':
        return b >= '2' && b <= '7';
    case '3':
        return b == '0' || (b >= '4' && b <= '9');
    case '6':
        if (b == '2' || b == '5')
            return 1;
        if (b == '4')
            return s + 2 < n && t[s + 2] >= '4' && t[s + 2] <= '9';
        return b == '0' && s + 3 < n && t[s + 2] == '1' && t[s + 3] == '1';
    default:
        return 0;
    }
}

static inline int is_ascii_digit(Py_UCS1 c) { return c >= '0' && c <= '9'; }

/* card_rule(text, cands, priority, confidence, index, valid, accept, found) -> bool
 *
 * = engine._fast_card_digits for an ASCII text: the candidate's neighbours, the brand, then valid(value) (the
 * rule's validators, in Python) and accept(value) (its allow values and the pack's allow lists, in Python; None:
 * there are none); appends (priority, confidence, start, end, index, value) to found. False, with found
 * untouched, when the text is not ASCII (the caller runs the Python code, which looks at each candidate's
 * surroundings). */
static PyObject *card_rule(PyObject *self, PyObject *args) {
    PyObject *text, *cands, *priority, *conf, *idx, *valid, *accept, *found;
    Py_ssize_t n, k, nc;
    const Py_UCS1 *t;
    if (!PyArg_ParseTuple(args, "UO!OOOOOO!", &text, &PyList_Type, &cands, &priority, &conf, &idx, &valid, &accept,
                          &PyList_Type, &found))
        return NULL;
    if (!PyUnicode_IS_ASCII(text))
        Py_RETURN_FALSE;
    n = PyUnicode_GET_LENGTH(text);
    t = PyUnicode_1BYTE_DATA(text);
    nc = PyList_GET_SIZE(cands);
    for (k = 0; k < nc; k++) {
        PyObject *sp = PyList_GET_ITEM(cands, k), *value, *ok, *row;
        Py_ssize_t s, e;
        int truth;
        Py_UCS1 c;
        if (candidate_span(sp, n, "card_rule", &s, &e) < 0)
            return NULL;
        if (s) {
            c = t[s - 1];
            if (ascii_alnum(c) || c == '_' || c == '-' || (c == ' ' && s > 1 && is_ascii_digit(t[s - 2])))
                continue;
        }
        if (e + 1 < n && (t[e] == ' ' || t[e] == '-') && is_ascii_digit(t[e + 1]))
            continue;
        if (!card_brand(t, s, n))
            continue;
        value = PyUnicode_Substring(text, s, e);
        if (value == NULL)
            return NULL;
        ok = PyObject_CallOneArg(valid, value);
        if (ok == NULL) {
            Py_DECREF(value);
            return NULL;
        }
        truth = PyObject_IsTrue(ok);
        Py_DECREF(ok);
        if (truth > 0 && accept != Py_None) {
            ok = PyObject_CallOneArg(accept, value);
            if (ok == NULL) {
                Py_DECREF(value);
                return NULL;
            }
            truth = PyObject_IsTrue(ok);
            Py_DECREF(ok);
        }
        if (truth <= 0) {
            Py_DECREF(value);
            if (truth < 0)
                return NULL;
            continue;
        }
        row = Py_BuildValue("(OOnnON)", priority, conf, s, e, idx, value);
        if (row == NULL || PyList_Append(found, row) < 0) {
            Py_XDECREF(row);
            return NULL;
        }
        Py_DECREF(row);
    }
    Py_RETURN_TRUE;
}

/* ------------------------------------------------------------------ runs of digits and separators */

/* The matches of (?<!\d)\d(?:[SEPS]?\d){lo-1,hi-1}(?!\d) in a[i:e), a maximal run of ASCII digits and
 * separators (kind_of 1 and 2) between two characters that are neither, as finditer finds them: from each digit
 * not after a digit, as many digits as the pattern takes (each after at most one separator), then back to the
 * longest count of at least lo that a digit does not follow. */
static int inline_digit_runs(const unsigned char *a, Py_ssize_t i, Py_ssize_t e, const unsigned char *kind_of,
                             Py_ssize_t lo, Py_ssize_t hi, PyObject *out) {
    Py_ssize_t p = i, ends[128];
    if (hi > 127)
        return 1; /* longer than this scan keeps: the caller uses finditer */
    while (p < e) {
        Py_ssize_t j, count, c;
        if (kind_of[a[p]] != 1 || (p > i && kind_of[a[p - 1]] == 1)) {
            p++;
            continue;
        }
        j = p + 1;
        count = 1;
        ends[1] = j;
        while (count < hi) {
            if (j + 1 < e && kind_of[a[j]] == 2 && kind_of[a[j + 1]] == 1)
                j += 2;
            else if (j < e && kind_of[a[j]] == 1)
                j += 1;
            else
                break;
            ends[++count] = j;
        }
        for (c = count; c >= lo; c--)
            if (ends[c] >= e || kind_of[a[ends[c]]] != 1)
                break;
        if (c >= lo) {
            if (append_span(out, p, ends[c]) < 0)
                return -1;
            p = ends[c];
        } else {
            p++;
        }
    }
    return 0;
}

/* run_spans(text, ascii_text, table, min_len, seps, min_core, digits_max, finditer[, lo, hi]) -> [(start, end)]
 *
 * = candidates.CandidateClass._run_spans: ascii_text is text as ASCII bytes (non-ASCII -> "?"); table maps a
 * member byte to "0"; each maximal run of members at least min_len long that holds only ASCII digits is a
 * match when at most digits_max long (digits_max > 0); any other run with at least min_core members that are
 * not in seps is searched with finditer(text, start, end + 1), or, when lo > 0 (the class's regex is
 * (?<!\d)\d(?:[SEPS]?\d){lo-1,hi-1}(?!\d)) and the run holds only ASCII digits and separators, by
 * inline_digit_runs. */
static PyObject *run_spans(PyObject *self, PyObject *args) {
    PyObject *text, *ascii_obj, *table_obj, *seps_obj, *finditer, *out;
    Py_ssize_t min_len, min_core, digits_max, n, i, e, q, lo = 0, hi = 0;
    const unsigned char *a, *tbl, *seps;
    Py_ssize_t n_seps;
    unsigned char kind_of[256]; /* 0 not a member, 1 ASCII digit, 2 separator, 3 any other member */
    int c;
    if (!PyArg_ParseTuple(args, "USSnSnnO|nn", &text, &ascii_obj, &table_obj, &min_len, &seps_obj, &min_core,
                          &digits_max, &finditer, &lo, &hi))
        return NULL;
    if (PyBytes_GET_SIZE(table_obj) != 256 || PyBytes_GET_SIZE(ascii_obj) != PyUnicode_GET_LENGTH(text) ||
        min_len < 1) {
        PyErr_SetString(PyExc_ValueError, "run_spans: a 256-byte table, the text's ASCII view, min_len >= 1");
        return NULL;
    }
    a = (const unsigned char *)PyBytes_AS_STRING(ascii_obj);
    n = PyBytes_GET_SIZE(ascii_obj);
    tbl = (const unsigned char *)PyBytes_AS_STRING(table_obj);
    seps = (const unsigned char *)PyBytes_AS_STRING(seps_obj);
    n_seps = PyBytes_GET_SIZE(seps_obj);
    for (c = 0; c < 256; c++)
        kind_of[c] = tbl[c] != '0' ? 0 : (c >= '0' && c <= '9') ? 1 : 3;
    for (i = 0; i < n_seps; i++)
        if (kind_of[seps[i]])
            kind_of[seps[i]] = 2;
    out = PyList_New(0);
    if (out == NULL)
        return NULL;
    /* i is always 0 or just after a non-member. A run of min_len members starting at i needs a member at
     * i + min_len - 1 and at every position before it: looking from there backwards, the first non-member
     * found moves i past it (most of the text is skipped min_len bytes at a time). */
    i = 0;
    while (i + min_len <= n) {
        Py_ssize_t core = 0;
        int digits_only = 1, others = 0;
        for (q = i + min_len - 1; q >= i && kind_of[a[q]]; q--)
            ;
        if (q >= i) {
            i = q + 1;
            continue;
        }
        for (e = i + min_len; e < n && kind_of[a[e]]; e++)
            ;
        for (q = i; q < e; q++) {
            c = kind_of[a[q]];
            core += c != 2;
            digits_only &= c == 1;
            others += c == 3;
        }
        if (digits_max && digits_only) {
            if (e - i <= digits_max && append_span(out, i, e) < 0)
                goto fail;
        } else if (core >= min_core) {
            PyObject *it, *m;
            if (lo > 0 && !others) {
                int r = inline_digit_runs(a, i, e, kind_of, lo, hi, out);
                if (r < 0)
                    goto fail;
                if (r == 0) {
                    i = e + 1;
                    continue;
                }
            }
            it = PyObject_CallFunction(finditer, "Onn", text, i, e + 1);
            if (it == NULL)
                goto fail;
            while ((m = PyIter_Next(it)) != NULL) {
                PyObject *span = PyObject_CallMethod(m, "span", NULL);
                Py_DECREF(m);
                if (span == NULL || PyList_Append(out, span) < 0) {
                    Py_XDECREF(span);
                    Py_DECREF(it);
                    goto fail;
                }
                Py_DECREF(span);
            }
            Py_DECREF(it);
            if (PyErr_Occurred())
                goto fail;
        }
        i = e + 1;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* ------------------------------------------------------------------ person names (the word view) */

/* a_word_starts(view) -> [start]: finditer's starts of A[aq]+(?=_[Aq]) in the word view (candidates._A_WORD):
 * a capital, its maximal run of lower-case / non-ASCII letters, a space and a capital or non-ASCII letter. No
 * position inside the run can start a match, so a failed attempt resumes after the run. */
static PyObject *a_word_starts(PyObject *self, PyObject *view) {
    const unsigned char *v;
    Py_ssize_t n, i = 0, j;
    PyObject *out;
    out = view_and_list(view, "a_word_starts", &v, &n);
    if (out == NULL)
        return NULL;
    while (i < n) {
        const unsigned char *hit = memchr(v + i, 'A', (size_t)(n - i));
        if (hit == NULL)
            break;
        i = hit - v;
        for (j = i + 1; j < n && (v[j] == 'a' || v[j] == 'q'); j++)
            ;
        if (j > i + 1 && j + 1 < n && v[j] == '_' && (v[j + 1] == 'A' || v[j + 1] == 'q')) {
            if (append_int(out, i) < 0) {
                Py_DECREF(out);
                return NULL;
            }
        }
        i = j;
    }
    return out;
}

/* particle_spaces(ascii_text, view, words) -> [position]: finditer's starts of " (?:w1|w2|...) (?=[A-Z?])" in
 * the ASCII view (candidates._PARTICLE_BEFORE_CAPITAL): a space, one of the words (lower-case ASCII letters), a
 * space and an ASCII capital or "?" (a non-ASCII character; "A" / "q" in the word view). Every match ends
 * right before such a character, which is rarer than a space: from each one (memchr on the word view, one pass
 * for "A", one for "q"), the word before it is read backwards. A match ends before a capital, so matches never
 * overlap; each capital gives at most one, in order. */
static int particle_before(const unsigned char *a, Py_ssize_t c, PyObject *words, PyObject *out) {
    Py_ssize_t w0, k, nw = PyTuple_GET_SIZE(words);
    if (c < 3 || a[c - 1] != ' ')
        return 0;
    for (w0 = c - 1; w0 > 0 && a[w0 - 1] >= 'a' && a[w0 - 1] <= 'z'; w0--)
        ;
    if (w0 == c - 1 || w0 == 0 || a[w0 - 1] != ' ')
        return 0;
    for (k = 0; k < nw; k++) {
        PyObject *w = PyTuple_GET_ITEM(words, k);
        if (PyBytes_GET_SIZE(w) == c - 1 - w0 && memcmp(PyBytes_AS_STRING(w), a + w0, (size_t)(c - 1 - w0)) == 0)
            return append_int(out, w0 - 1);
    }
    return 0;
}

static PyObject *particle_spaces(PyObject *self, PyObject *args) {
    PyObject *ascii_obj, *view_obj, *words, *out;
    const unsigned char *a, *v, *ha, *hq;
    Py_ssize_t n, k, nw, ia = 0, iq = 0;
    if (!PyArg_ParseTuple(args, "SSO!", &ascii_obj, &view_obj, &PyTuple_Type, &words))
        return NULL;
    nw = PyTuple_GET_SIZE(words);
    for (k = 0; k < nw; k++) {
        if (!PyBytes_Check(PyTuple_GET_ITEM(words, k)) || PyBytes_GET_SIZE(PyTuple_GET_ITEM(words, k)) == 0) {
            PyErr_SetString(PyExc_TypeError, "particle_spaces: words must be non-empty bytes");
            return NULL;
        }
    }
    a = (const unsigned char *)PyBytes_AS_STRING(ascii_obj);
    v = (const unsigned char *)PyBytes_AS_STRING(view_obj);
    n = PyBytes_GET_SIZE(ascii_obj);
    if (PyBytes_GET_SIZE(view_obj) != n) {
        PyErr_SetString(PyExc_ValueError, "particle_spaces: the word view must be as long as the ASCII text");
        return NULL;
    }
    out = PyList_New(0);
    if (out == NULL)
        return NULL;
    /* the next "A" and the next "q", taken in order */
    ha = n ? memchr(v, 'A', (size_t)n) : NULL;
    hq = n ? memchr(v, 'q', (size_t)n) : NULL;
    while (ha != NULL || hq != NULL) {
        Py_ssize_t c;
        if (hq == NULL || (ha != NULL && ha < hq)) {
            c = ha - v;
            ia = c + 1;
            ha = ia < n ? memchr(v + ia, 'A', (size_t)(n - ia)) : NULL;
        } else {
            c = hq - v;
            iq = c + 1;
            hq = iq < n ? memchr(v + iq, 'q', (size_t)(n - iq)) : NULL;
        }
        if (particle_before(a, c, words, out) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

/* q_word_starts(view) -> [position]: for each finditer match of q[aq]+(?=_[Aq]) in the word view
 * (candidates._Q_WORD: a word that starts with a non-ASCII character or "?", before a space and a capital or
 * non-ASCII character), its start and every "q" inside it (candidates._name_spans: a non-ASCII quote or dash may
 * stand before a non-ASCII capital). A failed attempt fails for every "q" of the same run, so the scan resumes
 * after the run. */
static PyObject *q_word_starts(PyObject *self, PyObject *view) {
    const unsigned char *v, *hit;
    Py_ssize_t n, i = 0, j, k;
    PyObject *out = view_and_list(view, "q_word_starts", &v, &n);
    if (out == NULL)
        return NULL;
    while (i < n && (hit = memchr(v + i, 'q', (size_t)(n - i))) != NULL) {
        i = hit - v;
        for (j = i + 1; j < n && (v[j] == 'a' || v[j] == 'q'); j++)
            ;
        if (j > i + 1 && j + 1 < n && v[j] == '_' && (v[j + 1] == 'A' || v[j + 1] == 'q')) {
            for (k = i; k < j; k++) {
                if (v[k] == 'q' && append_int(out, k) < 0) {
                    Py_DECREF(out);
                    return NULL;
                }
            }
        }
        i = j;
    }
    return out;
}

/* iban_starts(view) -> [start]: the starts of AA[0q][0q](?=(?:_?[A0]){10}) in the word view
 * (candidates._IBAN_START): two capitals, two digits (or non-ASCII characters), then ten capitals or digits,
 * each after at most one space. The hits are four characters long and a hit cannot start inside another, so
 * every position is tested on its own. */
static PyObject *iban_starts(PyObject *self, PyObject *view) {
    const unsigned char *v, *hit;
    Py_ssize_t n, i = 0, j;
    int k;
    PyObject *out;
    out = view_and_list(view, "iban_starts", &v, &n);
    if (out == NULL)
        return NULL;
    while (i + 14 <= n && (hit = memchr(v + i, 'A', (size_t)(n - i))) != NULL) {
        i = hit - v;
        if (i + 14 > n)
            break;
        if (v[i + 1] == 'A' && (v[i + 2] == '0' || v[i + 2] == 'q') && (v[i + 3] == '0' || v[i + 3] == 'q')) {
            for (j = i + 4, k = 0; k < 10; k++) {
                if (j < n && v[j] == '_')
                    j++;
                if (j < n && (v[j] == 'A' || v[j] == '0'))
                    j++;
                else
                    break;
            }
            if (k == 10 && append_int(out, i) < 0) {
                Py_DECREF(out);
                return NULL;
            }
        }
        i++;
    }
    return out;
}

/* The capitalised words of an ASCII text: Aaa+ in its word view (candidates._ASCII_CAP_WORD: a capital and its
 * run of two or more lower-case letters), found from capital to capital (memchr). */
static Py_ssize_t next_cap_word(const unsigned char *v, Py_ssize_t n, Py_ssize_t i, Py_ssize_t *end) {
    const unsigned char *hit;
    Py_ssize_t j;
    while (i < n && (hit = memchr(v + i, 'A', (size_t)(n - i))) != NULL) {
        i = hit - v;
        for (j = i + 1; j < n && v[j] == 'a'; j++)
            ;
        if (j - i >= 3) {
            *end = j;
            return i;
        }
        i = j;
    }
    return -1;
}

static uint32_t fnv1a(const unsigned char *p, Py_ssize_t len) {
    uint32_t h = 2166136261u;
    Py_ssize_t k;
    for (k = 0; k < len; k++)
        h = (h ^ p[k]) * 16777619u;
    return h;
}

/* A set of byte strings of the text (offset, length), open addressing; grown at half load. */
typedef struct {
    Py_ssize_t *off, cap, used;
    int32_t *len;
    uint32_t *hash;
} word_table;

static int table_init(word_table *t, Py_ssize_t cap) {
    t->cap = cap;
    t->used = 0;
    t->off = PyMem_Malloc((size_t)cap * sizeof(Py_ssize_t));
    t->len = PyMem_Calloc((size_t)cap, sizeof(int32_t)); /* len 0: empty slot */
    t->hash = PyMem_Malloc((size_t)cap * sizeof(uint32_t));
    if (t->off == NULL || t->len == NULL || t->hash == NULL) {
        PyMem_Free(t->off);
        PyMem_Free(t->len);
        PyMem_Free(t->hash);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void table_free(word_table *t) {
    PyMem_Free(t->off);
    PyMem_Free(t->len);
    PyMem_Free(t->hash);
}

/* The slot of text[off:off+len] (a[]: its bytes): found (1) or where it goes (0). */
static Py_ssize_t table_slot(const word_table *t, const unsigned char *a, Py_ssize_t off, Py_ssize_t len,
                             uint32_t h, int *found) {
    Py_ssize_t k = (Py_ssize_t)(h & (uint32_t)(t->cap - 1));
    while (t->len[k]) {
        if (t->hash[k] == h && t->len[k] == len && memcmp(a + t->off[k], a + off, (size_t)len) == 0) {
            *found = 1;
            return k;
        }
        k = (k + 1) & (t->cap - 1);
    }
    *found = 0;
    return k;
}

static int table_add(word_table *t, const unsigned char *a, Py_ssize_t off, Py_ssize_t len, uint32_t h) {
    int found;
    Py_ssize_t k;
    if (2 * (t->used + 1) > t->cap) { /* grow to twice the size */
        word_table big;
        Py_ssize_t q;
        if (table_init(&big, 2 * t->cap) < 0)
            return -1;
        for (q = 0; q < t->cap; q++) {
            if (t->len[q]) {
                k = table_slot(&big, a, t->off[q], t->len[q], t->hash[q], &found);
                big.off[k] = t->off[q];
                big.len[k] = t->len[q];
                big.hash[k] = t->hash[q];
            }
        }
        big.used = t->used;
        table_free(t);
        *t = big;
    }
    k = table_slot(t, a, off, len, h, &found);
    if (!found) {
        t->off[k] = off;
        t->len[k] = (int32_t)len;
        t->hash[k] = h;
        t->used++;
    }
    return !found;
}

/* The bytes of an ASCII text and of its word view, which must be as long (-1 with an exception otherwise). */
static int ascii_text_and_view(PyObject *text, PyObject *view, const char *fn, const unsigned char **a,
                               const unsigned char **v, Py_ssize_t *n) {
    *n = PyBytes_GET_SIZE(view);
    if (!PyUnicode_IS_ASCII(text) || *n != PyUnicode_GET_LENGTH(text)) {
        PyErr_Format(PyExc_ValueError, "%s: an ASCII text and its word view", fn);
        return -1;
    }
    *a = PyUnicode_1BYTE_DATA(text);
    *v = (const unsigned char *)PyBytes_AS_STRING(view);
    return 0;
}

/* cap_word_set(text, view) -> set[str]: the distinct capitalised words of an ASCII text (one str each). */
static PyObject *cap_word_set(PyObject *self, PyObject *args) {
    PyObject *text, *view, *out;
    const unsigned char *v, *a;
    Py_ssize_t n, i = 0, e;
    word_table t;
    if (!PyArg_ParseTuple(args, "US", &text, &view) || ascii_text_and_view(text, view, "cap_word_set", &a, &v, &n) < 0)
        return NULL;
    out = PySet_New(NULL);
    if (out == NULL || table_init(&t, 1024) < 0) {
        Py_XDECREF(out);
        return NULL;
    }
    while ((i = next_cap_word(v, n, i, &e)) >= 0) {
        int r = table_add(&t, a, i, e - i, fnv1a(a + i, e - i));
        if (r < 0)
            goto fail;
        if (r) {
            PyObject *w = PyUnicode_Substring(text, i, e);
            if (w == NULL || PySet_Add(out, w) < 0) {
                Py_XDECREF(w);
                goto fail;
            }
            Py_DECREF(w);
        }
        i = e;
    }
    table_free(&t);
    return out;
fail:
    table_free(&t);
    Py_DECREF(out);
    return NULL;
}

/* cap_word_spans(text, view, words) -> [(start, end)]: the places of the capitalised words of an ASCII text
 * that are in words (an iterable of str), in order. */
static PyObject *cap_word_spans(PyObject *self, PyObject *args) {
    PyObject *text, *view, *words, *lst, *out = NULL;
    const unsigned char *v, *a;
    unsigned char *buf = NULL;
    Py_ssize_t n, i = 0, e, k, nw, total = 0;
    word_table t;
    if (!PyArg_ParseTuple(args, "USO", &text, &view, &words) ||
        ascii_text_and_view(text, view, "cap_word_spans", &a, &v, &n) < 0)
        return NULL;
    lst = PySequence_List(words);
    if (lst == NULL)
        return NULL;
    nw = PyList_GET_SIZE(lst);
    for (k = 0; k < nw; k++) { /* only ASCII words can equal a capitalised word of an ASCII text */
        PyObject *w = PyList_GET_ITEM(lst, k);
        if (!PyUnicode_Check(w)) {
            Py_DECREF(lst);
            PyErr_SetString(PyExc_TypeError, "cap_word_spans: words must be str");
            return NULL;
        }
        if (PyUnicode_IS_ASCII(w))
            total += PyUnicode_GET_LENGTH(w);
    }
    /* the words' bytes, one after the other: the table's offsets point into this buffer */
    buf = PyMem_Malloc((size_t)total + 1);
    if (buf == NULL || table_init(&t, 16) < 0) {
        PyMem_Free(buf);
        Py_DECREF(lst);
        return buf == NULL ? PyErr_NoMemory() : NULL;
    }
    for (total = 0, k = 0; k < nw; k++) {
        PyObject *w = PyList_GET_ITEM(lst, k);
        Py_ssize_t len = PyUnicode_GET_LENGTH(w);
        if (!PyUnicode_IS_ASCII(w) || len == 0)
            continue;
        memcpy(buf + total, PyUnicode_1BYTE_DATA(w), (size_t)len);
        if (table_add(&t, buf, total, len, fnv1a(buf + total, len)) < 0)
            goto fail;
        total += len;
    }
    out = PyList_New(0);
    if (out == NULL)
        goto fail;
    while (t.used && (i = next_cap_word(v, n, i, &e)) >= 0) {
        Py_ssize_t len = e - i, slot;
        uint32_t h = fnv1a(a + i, len);
        int found = 0;
        for (slot = (Py_ssize_t)(h & (uint32_t)(t.cap - 1)); t.len[slot]; slot = (slot + 1) & (t.cap - 1)) {
            if (t.hash[slot] == h && t.len[slot] == len && memcmp(buf + t.off[slot], a + i, (size_t)len) == 0) {
                found = 1;
                break;
            }
        }
        if (found && append_span(out, i, e) < 0)
            goto fail;
        i = e;
    }
    table_free(&t);
    PyMem_Free(buf);
    Py_DECREF(lst);
    return out;
fail:
    Py_XDECREF(out);
    table_free(&t);
    PyMem_Free(buf);
    Py_DECREF(lst);
    return NULL;
}

/* ------------------------------------------------------------------ literal pass */

/* spaced_lower(text) -> bytes: b" " + text.lower().encode("ascii") for an ASCII text, in one pass (the literal
 * pass's haystack; Engine._raw_hits). */
static PyObject *spaced_lower(PyObject *self, PyObject *text) {
    PyObject *out;
    Py_ssize_t n, k;
    const Py_UCS1 *t;
    char *o;
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text)) {
        PyErr_SetString(PyExc_ValueError, "spaced_lower: an ASCII str expected");
        return NULL;
    }
    n = PyUnicode_GET_LENGTH(text);
    t = PyUnicode_1BYTE_DATA(text);
    out = PyBytes_FromStringAndSize(NULL, n + 1);
    if (out == NULL)
        return NULL;
    o = PyBytes_AS_STRING(out);
    o[0] = ' ';
    for (k = 0; k < n; k++)
        o[k + 1] = (char)(t[k] >= 'A' && t[k] <= 'Z' ? t[k] + 32 : t[k]);
    return out;
}

/* raw_hits(matches, items_of, low_b, by_kind) -> None
 *
 * = the ASCII loop of Engine._raw_hits: matches are ahocorasick-rs's (key, start, end) over low_b (the
 * lower-cased text after one prepended space); items_of[key] is a tuple of (kind, index, left, right, length);
 * a hit is kept when its boundaries allow and appended as (start, end) in text offsets to
 * by_kind[kind].setdefault(index, []). */
static inline int low_alnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }

static PyObject *raw_hits(PyObject *self, PyObject *args) {
    PyObject *matches, *items_of, *low, *by_kind;
    const unsigned char *lb;
    Py_ssize_t n, nm, k, n_items;
    if (!PyArg_ParseTuple(args, "O!O!SO!", &PyList_Type, &matches, &PyTuple_Type, &items_of, &low, &PyTuple_Type,
                          &by_kind))
        return NULL;
    lb = (const unsigned char *)PyBytes_AS_STRING(low);
    n = PyBytes_GET_SIZE(low) - 1;
    nm = PyList_GET_SIZE(matches);
    n_items = PyTuple_GET_SIZE(items_of);
    for (k = 0; k < nm; k++) {
        PyObject *m = PyList_GET_ITEM(matches, k), *items;
        Py_ssize_t key, end, j, ni;
        if (!PyTuple_Check(m) || PyTuple_GET_SIZE(m) != 3) {
            PyErr_SetString(PyExc_TypeError, "raw_hits: a match is not a 3-tuple");
            return NULL;
        }
        key = PyLong_AsSsize_t(PyTuple_GET_ITEM(m, 0));
        end = PyLong_AsSsize_t(PyTuple_GET_ITEM(m, 2));
        if ((key == -1 || end == -1) && PyErr_Occurred())
            return NULL;
        if (key < 0 || key >= n_items || end < 1 || end > n + 1) {
            PyErr_SetString(PyExc_IndexError, "raw_hits: a match outside the keys or the text");
            return NULL;
        }
        end -= 1; /* exclusive end in text */
        items = PyTuple_GET_ITEM(items_of, key);
        if (!PyTuple_Check(items)) {
            PyErr_SetString(PyExc_TypeError, "raw_hits: items_of holds tuples");
            return NULL;
        }
        ni = PyTuple_GET_SIZE(items);
        for (j = 0; j < ni; j++) {
            PyObject *it = PyTuple_GET_ITEM(items, j), *dict, *idx, *lst, *span;
            long kind_;
            int left, right;
            Py_ssize_t length;
            if (!PyTuple_Check(it) || PyTuple_GET_SIZE(it) != 5) {
                PyErr_SetString(PyExc_TypeError, "raw_hits: an item is not a 5-tuple");
                return NULL;
            }
            kind_ = PyLong_AsLong(PyTuple_GET_ITEM(it, 0));
            idx = PyTuple_GET_ITEM(it, 1);
            left = PyObject_IsTrue(PyTuple_GET_ITEM(it, 2));
            right = PyObject_IsTrue(PyTuple_GET_ITEM(it, 3));
            length = PyLong_AsSsize_t(PyTuple_GET_ITEM(it, 4));
            if (PyErr_Occurred() || left < 0 || right < 0)
                return NULL;
            if (kind_ < 0 || kind_ >= PyTuple_GET_SIZE(by_kind)) {
                PyErr_SetString(PyExc_IndexError, "raw_hits: an item's kind has no dict");
                return NULL;
            }
            if (end < length)
                continue; /* a key starting with a separator matched the prepended space */
            if (left && end > length && low_alnum(lb[end - length]))
                continue;
            if (right && end < n && low_alnum(lb[end + 1]))
                continue;
            dict = PyTuple_GET_ITEM(by_kind, kind_);
            lst = PyDict_GetItemWithError(dict, idx);
            if (lst == NULL) {
                if (PyErr_Occurred())
                    return NULL;
                lst = PyList_New(0);
                if (lst == NULL)
                    return NULL;
                if (PyDict_SetItem(dict, idx, lst) < 0) {
                    Py_DECREF(lst);
                    return NULL;
                }
                Py_DECREF(lst); /* the dict holds it */
            }
            span = Py_BuildValue("(nn)", end - length, end);
            if (span == NULL)
                return NULL;
            if (PyList_Append(lst, span) < 0) {
                Py_DECREF(span);
                return NULL;
            }
            Py_DECREF(span);
        }
    }
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ overlap resolution */

typedef struct {
    long priority;
    double conf;
    Py_ssize_t s, e, idx, pos; /* pos: index in found */
} cand_t;

/* engine._rank: higher priority, higher confidence, longer, earlier start, lower rule index first */
static int rank_cmp(const void *pa, const void *pb) {
    const cand_t *a = pa, *b = pb;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    if (a->conf != b->conf)
        return a->conf > b->conf ? -1 : 1;
    if (a->e - a->s != b->e - b->s)
        return a->e - a->s > b->e - b->s ? -1 : 1;
    if (a->s != b->s)
        return a->s < b->s ? -1 : 1;
    if (a->idx != b->idx)
        return a->idx < b->idx ? -1 : 1;
    return a->pos < b->pos ? -1 : (a->pos > b->pos);
}

static int start_cmp(const void *pa, const void *pb) {
    const cand_t *a = pa, *b = pb;
    return a->s < b->s ? -1 : (a->s > b->s);
}

/* resolve(found, meta) -> [(start, end, type, category, confidence, value, index, normalisation, keep)]
 *
 * = Engine._resolve for packs without max_detections: found holds (priority, confidence, start, end, index,
 * value) sorted by start (stable); the spans are cut into groups of chained overlaps, a group of one is kept,
 * a larger group is resolved greedily by rank (each span kept unless it overlaps one kept before); meta[index]
 * is (type, category, normalisation, keep). */
static PyObject *resolve(PyObject *self, PyObject *args) {
    PyObject *found, *meta, *out = NULL;
    Py_ssize_t n, k, g0, group_end = -1;
    cand_t *c = NULL;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &found, &PyTuple_Type, &meta))
        return NULL;
    n = PyList_GET_SIZE(found);
    out = PyList_New(0);
    if (out == NULL)
        return NULL;
    if (n == 0)
        return out;
    c = PyMem_Malloc((size_t)n * sizeof(cand_t));
    if (c == NULL) {
        Py_DECREF(out);
        return PyErr_NoMemory();
    }
    for (k = 0; k < n; k++) {
        PyObject *f = PyList_GET_ITEM(found, k);
        if (!PyTuple_Check(f) || PyTuple_GET_SIZE(f) != 6) {
            PyErr_SetString(PyExc_TypeError, "resolve: a found item is not a 6-tuple");
            goto fail;
        }
        c[k].priority = PyLong_AsLong(PyTuple_GET_ITEM(f, 0));
        c[k].conf = PyFloat_AsDouble(PyTuple_GET_ITEM(f, 1));
        c[k].s = PyLong_AsSsize_t(PyTuple_GET_ITEM(f, 2));
        c[k].e = PyLong_AsSsize_t(PyTuple_GET_ITEM(f, 3));
        c[k].idx = PyLong_AsSsize_t(PyTuple_GET_ITEM(f, 4));
        c[k].pos = k;
        if (PyErr_Occurred())
            goto fail;
        if (c[k].idx < 0 || c[k].idx >= PyTuple_GET_SIZE(meta)) {
            PyErr_SetString(PyExc_IndexError, "resolve: a rule index without meta");
            goto fail;
        }
        if (k && c[k].s < c[k - 1].s) {
            PyErr_SetString(PyExc_ValueError, "resolve: found must be sorted by start");
            goto fail;
        }
    }
    /* groups of chained overlaps: [g0, k) */
    for (g0 = 0, k = 0; k <= n; k++) {
        if (k < n && (k == g0 || c[k].s < group_end)) {
            if (k == g0 || c[k].e > group_end)
                group_end = c[k].e;
            continue;
        }
        {
            Py_ssize_t m = k - g0, a, b, kept = 0;
            cand_t *grp = c + g0;
            if (m > 1) {
                qsort(grp, (size_t)m, sizeof(cand_t), rank_cmp);
                for (a = 0; a < m; a++) { /* keep the spans that overlap no span kept before them */
                    int clash = 0;
                    for (b = 0; b < kept && !clash; b++)
                        clash = grp[b].s < grp[a].e && grp[a].s < grp[b].e;
                    if (!clash)
                        grp[kept++] = grp[a];
                }
                qsort(grp, (size_t)kept, sizeof(cand_t), start_cmp); /* kept spans never share a start */
            } else {
                kept = m;
            }
            for (a = 0; a < kept; a++) {
                PyObject *f = PyList_GET_ITEM(found, grp[a].pos), *mt = PyTuple_GET_ITEM(meta, grp[a].idx), *row;
                if (!PyTuple_Check(mt) || PyTuple_GET_SIZE(mt) != 4) {
                    PyErr_SetString(PyExc_TypeError, "resolve: meta items are 4-tuples");
                    goto fail;
                }
                row = PyTuple_Pack(9, PyTuple_GET_ITEM(f, 2), PyTuple_GET_ITEM(f, 3), PyTuple_GET_ITEM(mt, 0),
                                   PyTuple_GET_ITEM(mt, 1), PyTuple_GET_ITEM(f, 1), PyTuple_GET_ITEM(f, 5),
                                   PyTuple_GET_ITEM(f, 4), PyTuple_GET_ITEM(mt, 2), PyTuple_GET_ITEM(mt, 3));
                if (row == NULL || PyList_Append(out, row) < 0) {
                    Py_XDECREF(row);
                    goto fail;
                }
                Py_DECREF(row);
            }
        }
        if (k < n) {
            g0 = k;
            group_end = c[k].e;
        }
    }
    PyMem_Free(c);
    return out;
fail:
    PyMem_Free(c);
    Py_DECREF(out);
    return NULL;
}

/* ------------------------------------------------------------------ module */

/* sha_impl(name=None) -> str: the SHA-256 block function in use ("shani" or "portable"); with a name, switch
 * to it first (tests run both; "shani" only where the CPU has it). */
static PyObject *sha_impl(PyObject *self, PyObject *args) {
    const char *name = NULL;
    if (!PyArg_ParseTuple(args, "|z", &name))
        return NULL;
    if (name != NULL) {
        if (strcmp(name, "portable") == 0) {
            sha256_compress = sha256_block;
        }
#ifdef HAVE_SHANI_CODE
        else if (strcmp(name, "shani") == 0 && cpu_has_shani()) {
            sha256_compress = sha256_block_shani;
        }
#endif
        else {
            PyErr_Format(PyExc_ValueError, "sha_impl: %s is not available here", name);
            return NULL;
        }
    }
#ifdef HAVE_SHANI_CODE
    if (sha256_compress == sha256_block_shani)
        return PyUnicode_FromString("shani");
#endif
    return PyUnicode_FromString("portable");
}

static PyMethodDef methods[] = {
    {"sha_impl", sha_impl, METH_VARARGS, "The SHA-256 block function in use; switch with a name."},
    {"hmac_midstates", hmac_midstates, METH_O, "SHA-256 states after the HMAC key pads of a 64-byte key."},
    {"build", build, METH_VARARGS, "Engine._build in C."},
    {"ipv4_spans", ipv4_spans, METH_O, "candidates._ipv4_spans in C."},
    {"ipv6_full_spans", ipv6_full_spans, METH_O, "candidates._ipv6_full_spans in C."},
    {"card_rule", card_rule, METH_VARARGS, "engine._fast_card_digits (no allow lists) in C."},
    {"ipv4_rule", ipv4_rule, METH_VARARGS, "engine._fast_ipv4 (no allow lists) in C."},
    {"run_spans", run_spans, METH_VARARGS, "candidates.CandidateClass._run_spans in C."},
    {"a_word_starts", a_word_starts, METH_O, "Starts of candidates._A_WORD in the word view."},
    {"q_word_starts", q_word_starts, METH_O, "The starts that candidates._Q_WORD gives the name pass."},
    {"iban_starts", iban_starts, METH_O, "Starts of candidates._IBAN_START in the word view."},
    {"particle_spaces", particle_spaces, METH_VARARGS, "Starts of candidates._PARTICLE_BEFORE_CAPITAL."},
    {"cap_word_set", cap_word_set, METH_VARARGS, "The distinct capitalised words of an ASCII text."},
    {"cap_word_spans", cap_word_spans, METH_VARARGS, "The places of the capitalised words that are in a set."},
    {"resolve", resolve, METH_VARARGS, "Engine._resolve (no max_detections) in C."},
    {"spaced_lower", spaced_lower, METH_O, "b' ' + text.lower().encode('ascii') of an ASCII text."},
    {"raw_hits", raw_hits, METH_VARARGS, "The ASCII loop of Engine._raw_hits in C."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "detectors._speedups",
                                    "Compiled per-item loops of the detector engine (optional).", -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__speedups(void) {
#ifdef HAVE_SHANI_CODE
    if (cpu_has_shani())
        sha256_compress = sha256_block_shani;
#endif
    return PyModule_Create(&module);
}
