"""The A/B pages (docs/experiments.md): a form to set up the variants, and the results.

Neither computes anything: the form's script sends `POST /api/ab` and the results page
polls `GET /api/ab/{id}` (static/js/ab.js), so a page and a script see the same figures.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from patterns import TopologyError, load
from playground.accounts.access import topology_for_page as _get_topology_for_user
from playground.i18n import scenario_text
from playground.models import ABTest, Scenario

# Node fields the form offers to vary: what an A/B test is about (the API takes any field).
VARIABLE = (
    "instances",
    "concurrency",
    "service_time",
    "queue_limit",
    "failure_rate",
    "algorithm",
    "rate",
    "arrival",
    "timeout_ms",
    "completion",
    "count",
    "retries",
    "latency_ms",
)


def _nodes(document: Any) -> list[dict[str, Any]]:
    try:
        doc = load(document)
    except TopologyError:
        return []
    return [
        {
            "id": n["id"],
            "kind": n["kind"],
            "fields": {k: n[k] for k in VARIABLE if k in n},
        }
        for n in doc["nodes"]
    ]


def ab_new(request: HttpRequest) -> HttpResponse:
    """`/ab/new/?scenario=SLUG` or `?topology=ID[&key=KEY]`: set up an A/B test of it."""
    source: dict[str, Any]
    if request.GET.get("topology", "").isdigit():
        topology = _get_topology_for_user(request, int(request.GET["topology"]))
        name, document = topology.name, topology.document
        source = {"topology": topology.pk, "key": request.GET.get("key") or None}
    else:
        scenario = Scenario.objects.filter(slug=request.GET.get("scenario", "")).first()
        if scenario is None:
            scenario = Scenario.objects.order_by("position").first()
        if scenario is None:
            raise Http404("No scenario to test")
        name, document = scenario_text(scenario)[0], scenario.document
        source = {"scenario": scenario.slug}
    return render(
        request,
        "playground/ab_new.html",
        {
            "name": name,
            "scenarios": Scenario.objects.order_by("position"),
            "boot": {"source": source, "name": name, "nodes": _nodes(document)},
        },
    )


def ab_detail(request: HttpRequest, pk: int) -> HttpResponse:
    test = ABTest.objects.filter(pk=pk).first()
    mine = test is not None and (
        (test.owner_id is not None and test.owner_id == request.user.pk)
        or (
            test.owner_id is None
            and bool(test.session_key)
            and test.session_key == request.session.session_key
        )
    )
    if test is None or not mine:
        raise Http404("No such A/B test")
    return render(request, "playground/ab.html", {"test": test, "boot": {"id": test.pk}})
