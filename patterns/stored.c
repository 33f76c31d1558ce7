/* The stored form of events (patterns.events.to_lines) in C, for the engine compiled with mypyc.
 *
 * Writing each event as compact JSON costs more than simulating it: in the compiled build
 * about 93 000 instructions a request went to the text (docs/engine-builds.md), a quarter
 * of them in CPython's float repr (David Gay's dtoa, ~6 000 instructions a number) and most
 * of the rest in building and joining small Python strings. Here every event is written
 * into one byte buffer and becomes one string; a float is written with Ryu (Ulf Adams,
 * vendored unchanged in patterns/ryu/, Apache-2.0 or Boost licence), which finds the same
 * shortest round-trip digits as repr, laid out as repr lays them out.
 *
 * The output is byte for byte what the Python version writes (`json.dumps(event,
 * separators=(",", ":"))`): anything this file does not handle itself (a non-ASCII or
 * escaped string, a huge int, a list, a dict, a kind of event written by its own module)
 * is passed back to the Python functions it is given. tests/patterns/test_events_json.py
 * compares the two on every built-in scenario and on random floats; the golden check
 * (benchmarks/golden.py) compares whole streams between the builds.
 *
 * scripts/build-engine.py builds it as `patterns._stored`; pure Python never loads it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* d2d and d2d_small_int are static in Ryu's d2s.c: include it whole. */
#include "ryu/d2s.c"

/* ---- a growable byte buffer ------------------------------------------------------- */

typedef struct {
    char *data;
    Py_ssize_t len, cap;
    /* Where the bytes live: `stack`, memory of our own, or the characters of `str`, a
     * new str written in place and cut to length at the end (buf_into_str), so that a
     * batch of events is not copied once more to become a string. */
    PyObject *str;
    char stack[2048];
} Buf;

static void
buf_init(Buf *b)
{
    b->data = b->stack;
    b->len = 0;
    b->cap = (Py_ssize_t)sizeof b->stack;
    b->str = NULL;
}

/* A buffer that is a new ASCII str of `cap` characters until it is cut to length. */
static int
buf_init_str(Buf *b, Py_ssize_t cap)
{
    buf_init(b);
    b->str = PyUnicode_New(cap, 127);
    if (b->str == NULL) {
        return -1;
    }
    b->data = (char *)PyUnicode_1BYTE_DATA(b->str);
    b->cap = cap;
    return 0;
}

static void
buf_free(Buf *b)
{
    if (b->str != NULL) {
        Py_CLEAR(b->str);
    } else if (b->data != b->stack) {
        PyMem_Free(b->data);
    }
}

static int
buf_grow(Buf *b, Py_ssize_t extra)
{
    Py_ssize_t cap = b->cap * 2;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    if (b->str != NULL) {
        if (PyUnicode_Resize(&b->str, cap) < 0) {
            return -1;
        }
        b->data = (char *)PyUnicode_1BYTE_DATA(b->str);
        b->cap = cap;
        return 0;
    }
    char *data;
    if (b->data == b->stack) {
        data = PyMem_Malloc((size_t)cap);
        if (data != NULL) {
            memcpy(data, b->stack, (size_t)b->len);
        }
    } else {
        data = PyMem_Realloc(b->data, (size_t)cap);
    }
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

/* The str a buffer made by buf_init_str holds, cut to what was written. */
static PyObject *
buf_into_str(Buf *b)
{
    PyObject *out = b->str;
    b->str = NULL;
    b->data = b->stack;
    if (PyUnicode_Resize(&out, b->len) < 0) {
        return NULL;
    }
    return out;
}

static inline int
buf_reserve(Buf *b, Py_ssize_t extra)
{
    return b->len + extra <= b->cap ? 0 : buf_grow(b, extra);
}

/* memcpy for the short pieces an event is made of (keys, names, numbers): fixed-size
 * copies, which the compiler inlines, instead of a call into the C library for each;
 * two copies that overlap cover every length between two sizes, never reading past
 * either end. */
static inline void
copy_small(char *d, const char *s, size_t n)
{
    if (n >= 16) {
        if (n > 32) {
            memcpy(d, s, n);
        } else {
            memcpy(d, s, 16);
            memcpy(d + n - 16, s + n - 16, 16);
        }
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n > 0) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}

static inline int
buf_add(Buf *b, const char *s, Py_ssize_t n)
{
    if (buf_reserve(b, n) < 0) {
        return -1;
    }
    copy_small(b->data + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

/* A string literal, its length counted by the compiler. */
#define buf_lit(b, literal) buf_add((b), (literal), (Py_ssize_t)(sizeof(literal) - 1))

/* A str already in JSON (ASCII): a key text, a type text, or what a Python helper wrote. */
static inline int
buf_add_text(Buf *b, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "expected a str");
        return -1;
    }
    if (PyUnicode_IS_COMPACT_ASCII(text)) { /* its characters are its bytes */
        return buf_add(b, (const char *)PyUnicode_1BYTE_DATA(text), PyUnicode_GET_LENGTH(text));
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    return s == NULL ? -1 : buf_add(b, s, n);
}

/* ---- numbers ------------------------------------------------------------------------ */

static const char DIGIT_PAIRS[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

static int
int_chars(long long value, char *out)
{
    char tmp[24];
    int n = 24; /* written from the end, two digits at a time */
    unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    while (u >= 100) {
        const unsigned pair = (unsigned)(u % 100) * 2;
        u /= 100;
        tmp[--n] = DIGIT_PAIRS[pair + 1];
        tmp[--n] = DIGIT_PAIRS[pair];
    }
    if (u >= 10) {
        tmp[--n] = DIGIT_PAIRS[u * 2 + 1];
        tmp[--n] = DIGIT_PAIRS[u * 2];
    } else {
        tmp[--n] = (char)('0' + (int)u);
    }
    int len = 0;
    if (value < 0) {
        out[len++] = '-';
    }
    copy_small(out + len, tmp + n, (size_t)(24 - n));
    return len + 24 - n;
}

/* `repr(f)` for a finite float, or json.dumps' NaN, Infinity, -Infinity; `out` holds 32. */
static int
float_chars(double f, char *out)
{
    const uint64_t bits = double_to_bits(f);
    const int sign = (int)(bits >> 63);
    const uint64_t mantissa = bits & ((1ULL << DOUBLE_MANTISSA_BITS) - 1);
    const uint32_t exponent = (uint32_t)((bits >> DOUBLE_MANTISSA_BITS) & 0x7ffu);
    char *p = out;
    if (exponent == 0x7ffu) {
        const char *word = mantissa != 0 ? "NaN" : (sign ? "-Infinity" : "Infinity");
        size_t n = strlen(word);
        memcpy(out, word, n);
        return (int)n;
    }
    if (sign) {
        *p++ = '-';
    }
    if (exponent == 0 && mantissa == 0) {
        memcpy(p, "0.0", 3);
        return (int)(p - out) + 3;
    }
    floating_decimal_64 v;
    if (d2d_small_int(mantissa, exponent, &v)) {
        /* An integer below 2**53: its trailing zeros are not digits of the shortest form. */
        while (v.mantissa % 10 == 0) {
            v.mantissa /= 10;
            ++v.exponent;
        }
    } else {
        v = d2d(mantissa, exponent);
    }
    char digits[20];
    const int count = (int)decimalLength17(v.mantissa);
    uint64_t m = v.mantissa;
    for (int i = count - 1; i >= 0; --i) {
        digits[i] = (char)('0' + (int)(m % 10));
        m /= 10;
    }
    /* Where the decimal point falls, counted from the first digit, and repr's layout
     * (Python/pystrtod.c, format_float_short, mode 'r'): an exponent when the point is
     * 4 or more places before the first digit or more than 16 after it. */
    const int point = v.exponent + count;
    if (point <= -4 || point > 16) {
        *p++ = digits[0];
        if (count > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t)(count - 1));
            p += count - 1;
        }
        int e = point - 1;
        *p++ = 'e';
        *p++ = e < 0 ? '-' : '+';
        if (e < 0) {
            e = -e;
        }
        if (e >= 100) {
            *p++ = (char)('0' + e / 100);
            e %= 100;
        }
        *p++ = (char)('0' + e / 10);
        *p++ = (char)('0' + e % 10);
    } else if (point <= 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -point; ++i) {
            *p++ = '0';
        }
        memcpy(p, digits, (size_t)count);
        p += count;
    } else if (point < count) {
        memcpy(p, digits, (size_t)point);
        p += point;
        *p++ = '.';
        memcpy(p, digits + point, (size_t)(count - point));
        p += count - point;
    } else {
        memcpy(p, digits, (size_t)count);
        p += count;
        for (int i = count; i < point; ++i) {
            *p++ = '0';
        }
        *p++ = '.';
        *p++ = '0';
    }
    return (int)(p - out);
}

/* A number, written straight into the buffer (int_chars writes 20 at most, float_chars
 * 32). */
static inline int
buf_int(Buf *b, long long x)
{
    if (buf_reserve(b, 24) < 0) {
        return -1;
    }
    b->len += int_chars(x, b->data + b->len);
    return 0;
}

static inline int
buf_float(Buf *b, double x)
{
    if (buf_reserve(b, 32) < 0) {
        return -1;
    }
    b->len += float_chars(x, b->data + b->len);
    return 0;
}

/* ---- values --------------------------------------------------------------------------- */

/* The bytes json.dumps escapes (ensure_ascii): controls, DEL, the quote and the backslash;
 * a non-ASCII string is left to Python. */
static const unsigned char ESCAPED[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 0, 0, 1 /* " */, ['\\'] = 1, [127] = 1 /* DEL: not printable */,
};

/* Whether any of eight ASCII bytes is a control, DEL, a quote or a backslash: the usual
 * bit trick for "a byte below 0x20" and "a byte equal to c" (x ^ c has a zero byte);
 * with every byte below 0x80 a borrow reaches a high bit only where one of them is. */
static inline int
needs_escape(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    const uint64_t del = w ^ (ones * 0x7f);
    return (((w - ones * 0x20) | (quote - ones) | (backslash - ones) | (del - ones)) & highs)
           != 0;
}

/* One value as `value_text(value)` writes it; the cases not handled here call it. */
static int
write_value(Buf *b, PyObject *value, PyObject *value_text)
{
    if (PyUnicode_CheckExact(value) && PyUnicode_IS_ASCII(value)) {
        const Py_ssize_t n = PyUnicode_GET_LENGTH(value);
        const Py_UCS1 *s = PyUnicode_1BYTE_DATA(value);
        Py_ssize_t i = 0;
        /* Eight characters at a time while none needs an escape (all are ASCII here). */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (needs_escape(w)) {
                break;
            }
            i += 8;
        }
        while (i < n && !ESCAPED[s[i]]) {
            ++i;
        }
        if (i == n) { /* nothing to escape: the text is the string in quotes */
            if (buf_reserve(b, n + 2) < 0) {
                return -1;
            }
            b->data[b->len++] = '"';
            copy_small(b->data + b->len, (const char *)s, (size_t)n);
            b->len += n;
            b->data[b->len++] = '"';
            return 0;
        }
    } else if (PyLong_CheckExact(value)) {
        if (PyUnstable_Long_IsCompact((PyLongObject *)value)) { /* one machine word */
            return buf_int(b, (long long)PyUnstable_Long_CompactValue((PyLongObject *)value));
        }
        int overflow = 0;
        const long long x = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (x == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (!overflow) {
            return buf_int(b, x);
        }
    } else if (PyFloat_CheckExact(value)) {
        return buf_float(b, PyFloat_AS_DOUBLE(value));
    } else if (value == Py_None) {
        return buf_lit(b, "null");
    } else if (value == Py_True) {
        return buf_lit(b, "true");
    } else if (value == Py_False) {
        return buf_lit(b, "false");
    }
    PyObject *text = PyObject_CallOneArg(value_text, value);
    if (text == NULL) {
        return -1;
    }
    const int rc = buf_add_text(b, text);
    Py_DECREF(text);
    return rc;
}

static PyObject *
float_text(PyObject *module, PyObject *value)
{
    if (!PyFloat_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "float_text() takes a float");
        return NULL;
    }
    char tmp[32];
    return PyUnicode_FromStringAndSize(tmp, float_chars(PyFloat_AS_DOUBLE(value), tmp));
}

/* ---- events ---------------------------------------------------------------------------- */

/* Rows, a kind's list of objects (patterns.events.build_with): the tuple (keys, column,
 * column, ...), written as `[{"k0":c0[0],"k1":c1[0]},...]`. */
static int
write_rows(Buf *b, PyObject *rows, PyObject *value_text)
{
    PyObject *keys = PyTuple_GET_SIZE(rows) > 0 ? PyTuple_GET_ITEM(rows, 0) : NULL;
    if (keys == NULL || !PyTuple_Check(keys)
        || PyTuple_GET_SIZE(keys) != PyTuple_GET_SIZE(rows) - 1) {
        PyErr_SetString(PyExc_ValueError, "rows: a tuple of keys, then as many columns");
        return -1;
    }
    PyObject *const *columns = &PyTuple_GET_ITEM(rows, 1);
    const Py_ssize_t width = PyTuple_GET_SIZE(keys);
    Py_ssize_t n = -1;
    for (Py_ssize_t j = 0; j < width; ++j) {
        PyObject *column = columns[j];
        if (!PyList_Check(column) && !PyTuple_Check(column)) {
            PyErr_SetString(PyExc_TypeError, "a column of rows is a list or a tuple");
            return -1;
        }
        const Py_ssize_t size = PySequence_Fast_GET_SIZE(column);
        if (n >= 0 && size != n) {
            PyErr_SetString(PyExc_ValueError, "zip() arguments have different lengths");
            return -1;
        }
        n = size;
    }
    /* Each key's text, `{"k0":` then `,"k1":`..., written once for all the rows; where each
     * ends in `heads` (on the stack for the few keys rows have, else allocated). */
    Py_ssize_t few_ends[9];
    Py_ssize_t *ends = width < 9 ? few_ends : PyMem_New(Py_ssize_t, (size_t)width + 1);
    if (ends == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Buf heads;
    buf_init(&heads);
    ends[0] = 0;
    int rc = 0;
    for (Py_ssize_t j = 0; rc == 0 && j < width; ++j) {
        rc = buf_add(&heads, j == 0 ? "{" : ",", 1) < 0
                     || write_value(&heads, PyTuple_GET_ITEM(keys, j), value_text) < 0
                     || buf_lit(&heads, ":") < 0
                 ? -1
                 : 0;
        ends[j + 1] = heads.len;
    }
    if (rc == 0) {
        rc = buf_lit(b, "[");
    }
    for (Py_ssize_t i = 0; rc == 0 && i < n; ++i) {
        if (i > 0) {
            rc = buf_lit(b, ",");
        }
        for (Py_ssize_t j = 0; rc == 0 && j < width; ++j) {
            rc = buf_add(b, heads.data + ends[j], ends[j + 1] - ends[j]);
            if (rc == 0) {
                rc = write_value(b, PySequence_Fast_ITEMS(columns[j])[i], value_text);
            }
        }
        if (rc == 0) {
            rc = buf_lit(b, "}");
        }
    }
    buf_free(&heads);
    if (ends != few_ends) {
        PyMem_Free(ends);
    }
    return rc < 0 ? -1 : buf_lit(b, "]");
}

/* How many kinds of event one call of lines() remembers the plans of. */
#define KINDS_CACHED 16

/* lines(first_seq, records, plans, value_text, dump)
 *
 * patterns.events.to_lines with its tables passed in: per type a plan (`,"type":"…"`,
 * `,"field":` per field, and the kind's `fields` function or None); a type without one is
 * written as json.dumps of its dict (dump(seq, record)). Every event goes into one buffer,
 * each followed by a newline, and the batch becomes one string. */
static PyObject *
lines(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "lines() takes 5 arguments");
        return NULL;
    }
    const Py_ssize_t first = PyLong_AsSsize_t(args[0]);
    if (first == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *records = args[1], *plans = args[2];
    PyObject *value_text = args[3], *dump = args[4];
    if (!PyList_Check(records) || !PyDict_Check(plans)) {
        PyErr_SetString(PyExc_TypeError, "lines(): a list of records and the tables");
        return NULL;
    }
    const Py_ssize_t count = PyList_GET_SIZE(records);
    Buf b;
    /* About what an event takes, so that the buffer seldom grows. */
    if (buf_init_str(&b, 256 + count * 192) < 0) {
        return NULL;
    }
    /* The text of the last time written: the events of one instant share it. */
    char t_chars[64];
    int t_len = 0;
    double last_t = Py_NAN;
    PyObject *cache_kind[KINDS_CACHED], *cache_plan[KINDS_CACHED];
    int cached = 0;
    PyObject *out = NULL;

    for (Py_ssize_t k = 0; k < count; ++k) {
        PyObject *r = PyList_GET_ITEM(records, k);
        if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) < 2) {
            PyErr_SetString(PyExc_TypeError, "lines(): a record is a tuple (type, t, ...)");
            goto fail;
        }
        PyObject *kind = PyTuple_GET_ITEM(r, 0), *t = PyTuple_GET_ITEM(r, 1);
        const Py_ssize_t seq = first + k;
        const int t_float = PyFloat_CheckExact(t);
        if (!(t_float && PyFloat_AS_DOUBLE(t) == last_t && last_t != 0.0)) {
            if (t_float) {
                last_t = PyFloat_AS_DOUBLE(t);
                t_len = float_chars(last_t, t_chars);
            } else {
                last_t = Py_NAN;
                Buf tb;
                buf_init(&tb);
                if (write_value(&tb, t, value_text) < 0) {
                    buf_free(&tb);
                    goto fail;
                }
                if (tb.len > (Py_ssize_t)sizeof t_chars) { /* not a time: json.dumps says */
                    t_len = -1;
                } else {
                    memcpy(t_chars, tb.data, (size_t)tb.len);
                    t_len = (int)tb.len;
                }
                buf_free(&tb);
            }
        }
        /* The plan of this kind: a batch holds a few kinds, each met again and again, and
         * the engine logs each kind with one str object, so the object finds it. */
        PyObject *plan = NULL;
        int c = 0;
        while (c < cached && cache_kind[c] != kind) {
            ++c;
        }
        if (c < cached) {
            plan = cache_plan[c];
        } else {
            plan = PyDict_GetItemWithError(plans, kind);
            if (plan == NULL && PyErr_Occurred()) {
                goto fail;
            }
            if (plan != NULL && cached < KINDS_CACHED) {
                /* Held, so that neither can go away while this call keeps them. */
                Py_INCREF(kind);
                Py_INCREF(plan);
                cache_kind[cached] = kind;
                cache_plan[cached] = plan;
                ++cached;
            }
        }
        if (plan == NULL || t_len < 0) {
            PyObject *seq_obj = PyLong_FromSsize_t(seq);
            if (seq_obj == NULL) {
                goto fail;
            }
            PyObject *text = PyObject_CallFunctionObjArgs(dump, seq_obj, r, NULL);
            Py_DECREF(seq_obj);
            if (text == NULL) {
                goto fail;
            }
            const int rc = buf_add_text(&b, text);
            Py_DECREF(text);
            if (rc < 0 || buf_lit(&b, "\n") < 0) {
                goto fail;
            }
            continue;
        }
        if (!PyTuple_Check(plan) || PyTuple_GET_SIZE(plan) != 3
            || !PyTuple_Check(PyTuple_GET_ITEM(plan, 1))) {
            PyErr_SetString(PyExc_TypeError, "lines(): a plan is (type text, key texts, fields)");
            goto fail;
        }
        PyObject *keys = PyTuple_GET_ITEM(plan, 1), *fields = PyTuple_GET_ITEM(plan, 2);
        const Py_ssize_t width = PyTuple_GET_SIZE(keys);
        /* The field values: the record's own after (type, t), or what its kind makes of it. */
        PyObject *made = NULL;
        PyObject *const *values;
        if (fields == Py_None) {
            if (PyTuple_GET_SIZE(r) < 2 + width) {
                PyErr_SetString(PyExc_IndexError, "tuple index out of range");
                goto fail;
            }
            values = &PyTuple_GET_ITEM(r, 2);
        } else {
            made = PyObject_CallOneArg(fields, r);
            if (made == NULL) {
                goto fail;
            }
            if (!PyTuple_Check(made) || PyTuple_GET_SIZE(made) != width) {
                Py_DECREF(made);
                PyErr_SetString(PyExc_ValueError, "zip() arguments have different lengths");
                goto fail;
            }
            values = &PyTuple_GET_ITEM(made, 0);
        }
        int rc = buf_lit(&b, "{\"seq\":") < 0 || buf_int(&b, seq) < 0
                         || buf_lit(&b, ",\"t\":") < 0 || buf_add(&b, t_chars, t_len) < 0
                         || buf_add_text(&b, PyTuple_GET_ITEM(plan, 0)) < 0
                     ? -1
                     : 0;
        for (Py_ssize_t f = 0; rc == 0 && f < width; ++f) {
            PyObject *value = values[f];
            if (buf_add_text(&b, PyTuple_GET_ITEM(keys, f)) < 0) {
                rc = -1;
            } else if (PyFloat_CheckExact(value) && PyFloat_AS_DOUBLE(value) == last_t
                       && last_t != 0.0) { /* a field at the event's own time */
                rc = buf_add(&b, t_chars, t_len);
            } else if (fields != Py_None && PyTuple_CheckExact(value)) { /* rows */
                rc = write_rows(&b, value, value_text);
            } else {
                rc = write_value(&b, value, value_text);
            }
        }
        Py_XDECREF(made);
        if (rc < 0 || buf_lit(&b, "}\n") < 0) {
            goto fail;
        }
    }
    out = buf_into_str(&b);
fail:
    buf_free(&b);
    for (int c = 0; c < cached; ++c) {
        Py_DECREF(cache_kind[c]);
        Py_DECREF(cache_plan[c]);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"lines", (PyCFunction)(void (*)(void))lines, METH_FASTCALL,
     "lines(first_seq, records, plans, value_text, dump):"
     " patterns.events.to_lines with its tables."},
    {"float_text", (PyCFunction)float_text, METH_O, "float_text(x): repr(x), by Ryu."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "patterns._stored", NULL, 0, methods,
};

PyMODINIT_FUNC
PyInit__stored(void)
{
    return PyModule_Create(&module);
}
