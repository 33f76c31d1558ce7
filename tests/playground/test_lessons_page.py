"""Which lesson a run page carries (playground/runs/lessons.py, docs/lessons.md)."""

from __future__ import annotations

import json

from django.test import Client

from playground.models import Run, Scenario, Topology


def _boot(client: Client, path: str) -> dict:
    page = client.get(path).content.decode()
    return json.loads(page.split('id="run-boot" type="application/json">')[1].split("<")[0])


def _run(owner, name: str, document: dict) -> Run:
    # The document keeps the scenario's own name: only the topology's name says "fork".
    topology = Topology.objects.create(owner=owner, name=name, document=document)
    return Run.objects.create(topology=topology, owner=owner, document=document, seed=1)


def test_a_scenario_run_carries_its_lesson_the_glossary_and_the_language(
    client: Client, owner, scenarios
) -> None:
    scenario = Scenario.objects.get(slug="vod-subscription-saga")
    run = Run.objects.create(scenario=scenario, owner=owner, document=scenario.document, seed=1)
    client.force_login(owner)
    boot = _boot(client, f"/runs/{run.pk}/")["lesson"]
    assert boot["slug"] == "vod-subscription-saga"
    assert boot["lesson"]["steps"][0]["when"]["event"] == "saga"
    assert any(e["id"] == "saga" for e in boot["glossary"])
    assert boot["language"] == "en"
    client.cookies["django_language"] = "ko"
    assert _boot(client, f"/runs/{run.pk}/")["lesson"]["language"] == "ko"


def test_a_fork_keeps_its_scenario_s_lesson_by_name_in_either_language(
    client: Client, owner, scenarios
) -> None:
    scenario = Scenario.objects.get(slug="sticky-sessions-and-a-crash")
    client.force_login(owner)
    english = _run(owner, "Sticky sessions and a crash (fork)", scenario.document)
    assert _boot(client, f"/runs/{english.pk}/")["lesson"]["slug"] == scenario.slug
    korean = _run(owner, "스티키 세션(sticky session)과 인스턴스 장애 (포크)", scenario.document)
    assert _boot(client, f"/runs/{korean.pk}/")["lesson"]["slug"] == scenario.slug


def test_a_topology_run_takes_a_lesson_by_its_address_or_none(
    client: Client, owner, scenarios
) -> None:
    scenario = Scenario.objects.get(slug="balancer-per-zone")
    client.force_login(owner)
    run = _run(owner, "My own design", scenario.document)
    assert _boot(client, f"/runs/{run.pk}/")["lesson"]["lesson"] is None
    asked = _boot(client, f"/runs/{run.pk}/?lesson=balancer-per-zone")["lesson"]
    assert asked["slug"] == "balancer-per-zone" and asked["lesson"]["steps"]
    assert _boot(client, f"/runs/{run.pk}/?lesson=nope")["lesson"]["lesson"] is None
