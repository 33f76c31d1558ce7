"""The engine's sentences in the page's language (playground/experiments/engine_text.py,
docs/i18n.md): every capacity reason and assumption has its English in the engine and its
Korean in the catalog; the API answers in the request's language; a sweep's theory reasons
too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from patterns import capacity, scenarios
from patterns import parameter_sweep as ps
from playground.experiments import engine_text

HANGUL = re.compile(r"[\uac00-\ud7a3]")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize(
    ("key", "english"), [*capacity.REASONS.items(), *capacity.ASSUMPTIONS.items()]
)
def test_every_key_has_an_english_sentence_and_a_korean_translation(key: str, english: str):
    assert re.fullmatch(r"[a-z0-9_]+(\.[a-z_]+)?", key), key
    assert english.strip() and not HANGUL.search(english)
    with translation.override("ko"):
        korean = translation.gettext(english)
    assert korean != english and HANGUL.search(korean), f"{key}: no Korean in the catalog"
    # The same values go into both, each once.
    assert sorted(PLACEHOLDER.findall(korean)) == sorted(PLACEHOLDER.findall(english)), key
    assert "%" not in PLACEHOLDER.sub("", korean), key


def test_the_values_put_into_a_sentence_read_in_korean_too():
    for words in engine_text.VALUE_WORDS.values():
        for code, word in words.items():
            with translation.override("en"):
                assert str(word) == code  # the English sentence keeps the engine's code word
            with translation.override("ko"):
                assert HANGUL.search(str(word)), code


def test_the_engine_keeps_its_english_and_each_reason_s_key_and_values():
    fits = capacity.applicability(scenarios.get("sticky-sessions-and-a-crash").document)
    lb = fits["lb"]
    assert lb["reasons"] == [
        "sticky routes by session key: the split over targets is taken as even, which a "
        "finite set of sessions only approaches"
    ]
    assert lb["reason_keys"] == [{"key": "balancer.session_key", "args": {"algorithm": "sticky"}}]
    with translation.override("ko"):
        said = engine_text.fit(lb)["reasons"][0]
    assert said.startswith("스티키 세션 방식은") and "sticky" not in said


def test_every_reason_of_every_built_in_scenario_reads_in_korean():
    seen = set()
    for scenario in scenarios.all():
        for row in capacity.applicability(scenario.document).values():
            with translation.override("ko"):
                korean = engine_text.fit(row)["reasons"]
            with translation.override("en"):
                assert engine_text.fit(row)["reasons"] == row["reasons"]
            for text in korean:
                assert HANGUL.search(text), text
            seen.update(k["key"] for k in row["reason_keys"])
    assert len(seen) >= 8, seen


def test_an_unknown_key_keeps_the_english_it_came_with():
    row = {
        "status": "approximate",
        "reasons": ["a newer reason"],
        "reason_keys": [{"key": "pool.from_the_future", "args": {}}],
    }
    with translation.override("ko"):
        assert engine_text.fit(row)["reasons"] == ["a newer reason"]
    # A fit without keys (another version's) is left as it is.
    assert engine_text.fit({"status": "exact", "reasons": ["x"]})["reasons"] == ["x"]


@pytest.mark.django_db
def test_the_api_s_reasons_follow_the_request_s_language(anon_api):
    doc = scenarios.get("busy-tier-autoscales").document
    english = anon_api.post("/api/capacity", {"document": doc}).json()
    korean = anon_api.post(
        "/api/capacity", {"document": doc}, HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9"
    ).json()
    engine = capacity.estimate(doc)
    for node_id, row in english["nodes"].items():
        assert row["fit"]["reasons"] == engine["nodes"][node_id]["fit"]["reasons"]
        assert korean["nodes"][node_id]["fit"]["reason_keys"] == row["fit"]["reason_keys"]
        for text in korean["nodes"][node_id]["fit"]["reasons"]:
            assert HANGUL.search(text), text
    assert english["assumptions"] == engine["assumptions"]
    assert all(HANGUL.search(a) for a in korean["assumptions"])


def _theory(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [ps.predict(doc, "users", "rate", v) for v in (50, 100)]


def test_a_sweep_s_theory_reasons_follow_the_language_and_old_ones_keep_their_english():
    doc = scenarios.get("sticky-sessions-and-a-crash").document
    theory = _theory(doc)
    assert theory[0]["reason_keys"] and all("node" in k for k in theory[0]["reason_keys"])
    with translation.override("en"):
        assert engine_text.sweep_reasons(theory) == sorted(
            {r for t in theory for r in t["reasons"]}
        )
    with translation.override("ko"):
        korean = engine_text.sweep_reasons(theory)
    assert korean and all(HANGUL.search(r) for r in korean)
    assert any(r.startswith("lb: 스티키 세션") for r in korean)
    # A sweep stored before the keys: its English, as stored.
    old = [{k: v for k, v in t.items() if k != "reason_keys"} for t in theory]
    with translation.override("ko"):
        assert engine_text.sweep_reasons(old) == sorted({r for t in old for r in t["reasons"]})
