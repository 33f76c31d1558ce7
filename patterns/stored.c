/* The stored form of events (patterns.events.to_json) in C, for the engine compiled with mypyc.
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
    char stack[2048];
} Buf;

static void
buf_init(Buf *b)
{
    b->data = b->stack;
    b->len = 0;
    b->cap = (Py_ssize_t)sizeof b->stack;
}

static void
buf_free(Buf *b)
{
    if (b->data != b->stack) {
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

static inline int
buf_reserve(Buf *b, Py_ssize_t extra)
{
    return b->len + extra <= b->cap ? 0 : buf_grow(b, extra);
}

static inline int
buf_add(Buf *b, const char *s, Py_ssize_t n)
{
    if (buf_reserve(b, n) < 0) {
        return -1;
    }
    memcpy(b->data + b->len, s, (size_t)n);
    b->len += n;
    return 0;
}

/* A string literal, its length counted by the compiler. */
#define buf_lit(b, literal) buf_add((b), (literal), (Py_ssize_t)(sizeof(literal) - 1))

/* A str already in JSON (ASCII): a key text, a type text, or what a Python helper wrote. */
static int
buf_add_text(Buf *b, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "expected a str");
        return -1;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    return s == NULL ? -1 : buf_add(b, s, n);
}

/* The buffer as a str; everything written is ASCII (ensure_ascii), so no decoding. */
static PyObject *
buf_str(Buf *b)
{
    PyObject *out = PyUnicode_New(b->len, 127);
    if (out != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(out), b->data, (size_t)b->len);
    }
    return out;
}

/* ---- numbers ------------------------------------------------------------------------ */

static int
int_chars(long long value, char *out)
{
    char tmp[24];
    int n = 0;
    unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u != 0);
    int len = 0;
    if (value < 0) {
        out[len++] = '-';
    }
    while (n > 0) {
        out[len++] = tmp[--n];
    }
    return len;
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

/* ---- values --------------------------------------------------------------------------- */

/* The bytes json.dumps escapes (ensure_ascii): controls, the quote and the backslash;
 * a non-ASCII string is left to Python. */
static const unsigned char ESCAPED[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 0, 0, 1 /* " */, ['\\'] = 1,
};

/* One value as `value_text(value)` writes it; the cases not handled here call it. */
static int
write_value(Buf *b, PyObject *value, PyObject *value_text)
{
    if (PyUnicode_CheckExact(value) && PyUnicode_IS_ASCII(value)) {
        const Py_ssize_t n = PyUnicode_GET_LENGTH(value);
        const Py_UCS1 *s = PyUnicode_1BYTE_DATA(value);
        Py_ssize_t i = 0;
        while (i < n && !ESCAPED[s[i]]) {
            ++i;
        }
        if (i == n) { /* nothing to escape: the text is the string in quotes */
            if (buf_reserve(b, n + 2) < 0) {
                return -1;
            }
            b->data[b->len++] = '"';
            memcpy(b->data + b->len, s, (size_t)n);
            b->len += n;
            b->data[b->len++] = '"';
            return 0;
        }
    } else if (PyLong_CheckExact(value)) {
        int overflow = 0;
        const long long x = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (x == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (!overflow) {
            char tmp[24];
            return buf_add(b, tmp, int_chars(x, tmp));
        }
    } else if (PyFloat_CheckExact(value)) {
        char tmp[32];
        return buf_add(b, tmp, float_chars(PyFloat_AS_DOUBLE(value), tmp));
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

/* to_json(first_seq, records, type_texts, key_texts, texts, dumped, value_text, dump)
 *
 * patterns.events.to_json with its tables passed in: per type, `,"type":"…"`
 * (type_texts) and `,"field":` per field (key_texts); the types written by their own
 * module (texts: type -> f(seq, record, t as text)) or as json.dumps of their dict
 * (dumped, or any type without key texts: dump(seq, record)). */
static PyObject *
to_json(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "to_json() takes 8 arguments");
        return NULL;
    }
    const Py_ssize_t first = PyLong_AsSsize_t(args[0]);
    if (first == -1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *records = args[1], *type_texts = args[2], *key_texts = args[3];
    PyObject *texts = args[4], *dumped = args[5], *value_text = args[6], *dump = args[7];
    if (!PyList_Check(records) || !PyDict_Check(type_texts) || !PyDict_Check(key_texts)
        || !PyDict_Check(texts) || !PyAnySet_Check(dumped)) {
        PyErr_SetString(PyExc_TypeError, "to_json(): a list of records and the tables");
        return NULL;
    }
    const Py_ssize_t count = PyList_GET_SIZE(records);
    PyObject *out = PyList_New(count);
    if (out == NULL) {
        return NULL;
    }
    Buf b;
    buf_init(&b);
    /* The text of the last time written: the events of one instant share it. */
    char t_chars[64];
    int t_len = 0;
    double last_t = Py_NAN;
    PyObject *t_text = NULL; /* the same as a str, made when a Python helper needs it */

    for (Py_ssize_t k = 0; k < count; ++k) {
        PyObject *r = PyList_GET_ITEM(records, k);
        if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) < 2) {
            PyErr_SetString(PyExc_TypeError, "to_json(): a record is a tuple (type, t, ...)");
            goto fail;
        }
        PyObject *kind = PyTuple_GET_ITEM(r, 0), *t = PyTuple_GET_ITEM(r, 1);
        const Py_ssize_t seq = first + k;
        if (!(PyFloat_CheckExact(t) && PyFloat_AS_DOUBLE(t) == last_t && last_t != 0.0)) {
            Py_CLEAR(t_text);
            if (PyFloat_CheckExact(t)) {
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
                if (tb.len > (Py_ssize_t)sizeof t_chars) { /* not a time: let Python say so */
                    t_text = buf_str(&tb);
                    buf_free(&tb);
                    if (t_text == NULL) {
                        goto fail;
                    }
                    t_len = -1;
                } else {
                    memcpy(t_chars, tb.data, (size_t)tb.len);
                    t_len = (int)tb.len;
                    buf_free(&tb);
                }
            }
        }
        PyObject *text = NULL;
        PyObject *own = PyDict_GetItemWithError(texts, kind);
        if (own == NULL && PyErr_Occurred()) {
            goto fail;
        }
        PyObject *keys = NULL;
        if (own == NULL) {
            int in_dumped = PySet_Contains(dumped, kind);
            if (in_dumped < 0) {
                goto fail;
            }
            if (!in_dumped) {
                keys = PyDict_GetItemWithError(key_texts, kind);
                if (keys == NULL && PyErr_Occurred()) {
                    goto fail;
                }
            }
        }
        if (own != NULL || keys == NULL) {
            PyObject *seq_obj = PyLong_FromSsize_t(seq);
            if (seq_obj == NULL) {
                goto fail;
            }
            if (own != NULL) {
                if (t_text == NULL) {
                    t_text = PyUnicode_FromStringAndSize(t_chars, t_len);
                    if (t_text == NULL) {
                        Py_DECREF(seq_obj);
                        goto fail;
                    }
                }
                text = PyObject_CallFunctionObjArgs(own, seq_obj, r, t_text, NULL);
            } else {
                text = PyObject_CallFunctionObjArgs(dump, seq_obj, r, NULL);
            }
            Py_DECREF(seq_obj);
            if (text == NULL) {
                goto fail;
            }
        } else {
            PyObject *type_text = PyDict_GetItemWithError(type_texts, kind);
            if (type_text == NULL) {
                if (!PyErr_Occurred()) {
                    PyErr_SetObject(PyExc_KeyError, kind);
                }
                goto fail;
            }
            if (!PyList_Check(keys)) {
                PyErr_SetString(PyExc_TypeError, "to_json(): key texts are lists");
                goto fail;
            }
            const Py_ssize_t fields = PyList_GET_SIZE(keys);
            if (PyTuple_GET_SIZE(r) < 2 + fields) {
                PyErr_SetString(PyExc_IndexError, "tuple index out of range");
                goto fail;
            }
            char num[24];
            b.len = 0;
            if (buf_lit(&b, "{\"seq\":") < 0 || buf_add(&b, num, int_chars(seq, num)) < 0
                || buf_lit(&b, ",\"t\":") < 0) {
                goto fail;
            }
            if (t_len >= 0 ? buf_add(&b, t_chars, t_len) < 0 : buf_add_text(&b, t_text) < 0) {
                goto fail;
            }
            if (buf_add_text(&b, type_text) < 0) {
                goto fail;
            }
            for (Py_ssize_t f = 0; f < fields; ++f) {
                if (buf_add_text(&b, PyList_GET_ITEM(keys, f)) < 0
                    || write_value(&b, PyTuple_GET_ITEM(r, 2 + f), value_text) < 0) {
                    goto fail;
                }
            }
            if (buf_lit(&b, "}") < 0) {
                goto fail;
            }
            text = buf_str(&b);
            if (text == NULL) {
                goto fail;
            }
        }
        PyList_SET_ITEM(out, k, text);
    }
    Py_XDECREF(t_text);
    buf_free(&b);
    return out;
fail:
    Py_XDECREF(t_text);
    buf_free(&b);
    Py_DECREF(out);
    return NULL;
}

/* pick_text(seq, t, req, lb, session, chosen, names, loads, reason, value_text): an
 * `lb.pick` event as patterns/nodes/load_balancer.py's `_lb_pick_json` writes it. */
static PyObject *
pick_text(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "pick_text() takes 10 arguments");
        return NULL;
    }
    PyObject *value_text = args[9];
    PyObject *names = PySequence_Fast(args[6], "pick_text(): names are a sequence");
    if (names == NULL) {
        return NULL;
    }
    PyObject *loads = PySequence_Fast(args[7], "pick_text(): loads are a sequence");
    if (loads == NULL) {
        Py_DECREF(names);
        return NULL;
    }
    PyObject *result = NULL;
    Buf b;
    buf_init(&b);
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(names);
    if (n != PySequence_Fast_GET_SIZE(loads)) {
        PyErr_SetString(PyExc_ValueError, "zip() arguments have different lengths");
        goto done;
    }
    if (buf_lit(&b, "{\"seq\":") < 0 || write_value(&b, args[0], value_text) < 0
        || buf_lit(&b, ",\"t\":") < 0 || buf_add_text(&b, args[1]) < 0
        || buf_lit(&b, ",\"type\":\"lb.pick\",\"req\":") < 0
        || write_value(&b, args[2], value_text) < 0 || buf_lit(&b, ",\"lb\":") < 0
        || write_value(&b, args[3], value_text) < 0 || buf_lit(&b, ",\"session\":") < 0
        || write_value(&b, args[4], value_text) < 0 || buf_lit(&b, ",\"chosen\":") < 0
        || write_value(&b, args[5], value_text) < 0
        || buf_lit(&b, ",\"candidates\":[") < 0) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; ++i) {
        if ((i > 0 && buf_lit(&b, ",") < 0) || buf_lit(&b, "{\"target\":") < 0
            || write_value(&b, PySequence_Fast_GET_ITEM(names, i), value_text) < 0
            || buf_lit(&b, ",\"load\":") < 0
            || write_value(&b, PySequence_Fast_GET_ITEM(loads, i), value_text) < 0
            || buf_lit(&b, "}") < 0) {
            goto done;
        }
    }
    if (buf_lit(&b, "],\"reason\":") < 0 || write_value(&b, args[8], value_text) < 0
        || buf_lit(&b, "}") < 0) {
        goto done;
    }
    result = buf_str(&b);
done:
    buf_free(&b);
    Py_DECREF(names);
    Py_DECREF(loads);
    return result;
}

static PyMethodDef methods[] = {
    {"to_json", (PyCFunction)(void (*)(void))to_json, METH_FASTCALL,
     "to_json(first_seq, records, type_texts, key_texts, texts, dumped, value_text, dump):"
     " patterns.events.to_json with its tables."},
    {"pick_text", (PyCFunction)(void (*)(void))pick_text, METH_FASTCALL,
     "pick_text(seq, t, req, lb, session, chosen, names, loads, reason, value_text):"
     " an lb.pick event's stored form."},
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
