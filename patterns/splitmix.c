/* `patterns.distributions.draw` in C, for the engine compiled with mypyc.
 *
 * The same SplitMix64 hash of (request key, node salt, draw counter), bit for
 * bit: the Python version masks every step to 64 bits, uint64_t wraps at 64
 * bits, and the top 53 bits times 2**-53 convert exactly in both. Compiled
 * Python still does 64-bit integer arithmetic on arbitrary-precision ints,
 * one allocation per step; here it is a few machine instructions.
 * scripts/build-engine.py builds it as `patterns._splitmix` beside the
 * compiled modules; pure Python never loads it (patterns/distributions.py).
 * tests/patterns/test_draw.py checks it against the Python version.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* Any Python int, taken modulo 2**64 as the Python version's masks take it. */
static int
as_u64(PyObject *value, uint64_t *out)
{
    if (!PyLong_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "draw() takes integers");
        return -1;
    }
    *out = (uint64_t)PyLong_AsUnsignedLongLongMask(value);
    return (*out == (uint64_t)-1 && PyErr_Occurred()) ? -1 : 0;
}

static PyObject *
draw(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    uint64_t key, salt, n, z;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "draw(key, salt, n) takes 3 arguments");
        return NULL;
    }
    if (as_u64(args[0], &key) < 0 || as_u64(args[1], &salt) < 0 || as_u64(args[2], &n) < 0) {
        return NULL;
    }
    z = (key ^ salt) + n * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return PyFloat_FromDouble((double)((z ^ (z >> 31)) >> 11) * 1.1102230246251565e-16);
}

static PyMethodDef methods[] = {
    {"draw", (PyCFunction)(void (*)(void))draw, METH_FASTCALL,
     "draw(key, salt, n): a uniform number in [0, 1), as patterns.distributions.draw."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "patterns._splitmix", NULL, 0, methods,
};

PyMODINIT_FUNC
PyInit__splitmix(void)
{
    return PyModule_Create(&module);
}
