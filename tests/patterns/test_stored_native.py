"""The stored form written in C (patterns/stored.c) is the bytes Python writes.

Only the compiled build loads it (test_builds checks that `make setup` builds it); the
stream tests in test_events_json.py run through it there, whole scenarios included.
"""

from __future__ import annotations

import json
import random
import struct

import pytest

from patterns import events
from patterns.events import to_dicts, to_json

native = events.NATIVE_STORED
pytestmark = pytest.mark.skipif(
    native is None, reason="pure Python runs here: no native writer (test_builds checks it)"
)


def floats() -> list[float]:
    """The edges of repr's layout and of the double format, then random bit patterns,
    random times and latencies as the engine makes them, and rounded decimals."""
    edges = [0.0, 1.0, 0.1, 0.5, 1e16, 1e17, 9999999999999998.0, 1e22, 1e23, 1e-4, 1e-5]
    edges += [0.0001, 0.00011, 9.999999999999999e-05, 5e-324, 2.2250738585072014e-308]
    edges += [1.7976931348623157e308, 2.0**53, 2.0**53 + 2, 2.0**63, 123456789012345680.0]
    rng = random.Random(18)
    out = [*edges, *(-x for x in edges)]
    for _ in range(60_000):
        out.append(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0])
        out.append(rng.random() * 10 ** rng.randint(-8, 20))
        out.append(round(rng.expovariate(0.01), rng.randint(0, 12)))
        out.append(float(rng.randint(0, 10 ** rng.randint(1, 18))))
        out.append(rng.randint(0, 10**6) / 1000)
    return [x for x in out if x == x and abs(x) != float("inf")]


def test_a_float_is_written_as_repr_writes_it() -> None:
    """300 000 floats: Ryu's shortest digits in repr's layout, the same text every time."""
    sample = floats()
    assert len(sample) > 290_000
    wrong = [(repr(x), native.float_text(x)) for x in sample if native.float_text(x) != repr(x)]
    assert wrong == []
    assert [native.float_text(x) for x in (float("nan"), float("inf"), -float("inf"))] == [
        "NaN",
        "Infinity",
        "-Infinity",
    ]


def test_values_the_c_writer_leaves_to_python_come_out_the_same() -> None:
    """Strings that need escapes or are not ASCII, ints past 64 bits, bools, None, lists and
    dicts, an int time, NaN and infinities: each event as json.dumps writes its dict."""
    odd = [
        ("node.fail", 0.0, 1, "", "n#0", "tab\there, a \\ and a \x7f"),
        ("node.fail", 1.5, 2**70, "\u00e9\u00e8", "n#0", "\x00\x1f\ud83d"),
        ("node.fail", 1.5, -(2**63), "a", "n#0", 'quote " inside'),
        ("node.fail", 1.5, -(2**63) - 1, "a", "n#0", ""),
        ("msg.send", 7, False, None, True, [1, "x", {"k": 2.5}]),
        ("msg.send", 7, 0, {"b": [None]}, "z", -0.0),
        ("msg.send", 1e300, 9, "a", "b", -float("inf")),
        ("metrics", 1000.0, {"api": {"in_flight": 1, "utilization": 0.25}}),
        ("request.done", 2.0, 3, "users", float("nan"), "ok"),
    ]
    assert to_json(11, odd) == [json.dumps(e, separators=(",", ":")) for e in to_dicts(11, odd)]


def test_a_malformed_record_raises_instead_of_writing() -> None:
    with pytest.raises(IndexError):
        to_json(0, [("node.fail", 1.0, 1)])
    with pytest.raises(TypeError):
        to_json(0, [["node.fail", 1.0, 1, "a", "a#0", "x"]])  # type: ignore[list-item]


def test_rows_are_written_by_c_as_python_writes_them() -> None:
    """A kind's rows (the balancer's candidates) written in C: odd keys and values, no
    rows, no columns, many keys; columns of different lengths are refused, as zip(strict=True)
    does, and a tuple logged as a value (not from a kind's fields) is a list, as json.dumps
    has it."""
    plans = {
        "x": (',"type":"x"', (',"c":', ',"d":'), lambda r: (r[2], r[3])),
        "y": (',"type":"y"', (',"c":',), None),
    }
    records = [
        ("x", 1.0, (("target", 'lo"ad'), ["a", "b\u00e9", "c"], [1, 2.5, 2**80]), 1.0),
        ("x", 2.0, (("k",), []), 2.5),
        ("x", 2.0, ((),), None),
        ("y", 2.0, (1, "a")),
    ]
    written = native.lines(0, records, plans, events.value_text, None)
    assert (
        written
        == "".join(
            f'{{"seq":{i},"t":{r[1]!r},"type":"x","c":{events.rows_text(r[2])},'
            f'"d":{json.dumps(r[3])}}}\n'
            for i, r in enumerate(records[:3])
        )
        + '{"seq":3,"t":2.0,"type":"y","c":[1,"a"]}\n'
    )
    wide = (tuple(f"k{j}" for j in range(12)), *([j, f"v{j}", 1.5] for j in range(12)))
    assert native.lines(0, [("x", 1.0, wide, 1.0)], plans, events.value_text, None) == (
        f'{{"seq":0,"t":1.0,"type":"x","c":{events.rows_text(wide)},"d":1.0}}\n'
    )
    uneven = (("a", "b"), ["x"], [1, 2])
    with pytest.raises(ValueError):
        native.lines(0, [("x", 1.0, uneven, 1)], plans, events.value_text, None)
    with pytest.raises(ValueError):
        native.lines(0, [("x", 1.0, (("a", "b"), ["x"]), 1)], plans, events.value_text, None)


def test_strings_needing_escapes_anywhere_are_written_as_json_writes_them() -> None:
    """The C writer looks at eight characters at a time: escapes (controls, DEL, quotes,
    backslashes) at every position of short and long strings. DEL alone was once written
    raw: json.dumps writes it as \\u007f."""
    rng = random.Random(12)
    odd = '"\\\t\x00\x1f\x7f/ ~'
    names = ["x" * n + c + "y" * m for c in odd for n in range(18) for m in (0, 1, 9)]
    names += [
        "".join(rng.choice("ab#-" + odd) for _ in range(rng.randint(0, 40))) for _ in range(3000)
    ]
    records = [("node.fail", 1.0, k, name, "n#0", name[::-1]) for k, name in enumerate(names)]
    assert to_json(0, records) == [
        json.dumps(e, separators=(",", ":")) for e in to_dicts(0, records)
    ]
