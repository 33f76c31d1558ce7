"""The sweep page of a topology: a form, a progress bar and the chart drawn by static/js/sweep.js.

The page computes nothing: the script asks `POST /api/sweeps`, polls `GET /api/sweeps/{id}`
and draws it, so a script and the page see the same figures (docs/sweeps.md).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from patterns import TopologyError
from patterns.parameter_sweep import numeric_fields
from playground.accounts.access import topology_for_page as _get_topology_for_user
from playground.experiments.sweep_models import ParamSweep


def _fields(document: Any) -> list[dict[str, Any]]:
    try:
        return numeric_fields(document)
    except TopologyError:  # a saved draft that does not load: nothing to sweep
        return []


def topology_sweep(request: HttpRequest, pk: int) -> HttpResponse:
    topology = _get_topology_for_user(request, pk)
    return render(
        request,
        "playground/param_sweep.html",
        {
            "topology": topology,
            "share_key": request.GET.get("key") or "",
            "fields": _fields(topology.document),
            "sweep_id": "",
        },
    )


@login_required
def sweep_page(request: HttpRequest, sweep_id: int) -> HttpResponse:
    sweep = ParamSweep.objects.filter(pk=sweep_id, owner=request.user.pk).first()
    if sweep is None:
        raise Http404("No such sweep")
    return render(
        request,
        "playground/param_sweep.html",
        {
            "topology": sweep.topology,
            "share_key": "",
            "fields": _fields(sweep.document),
            "sweep_id": sweep.pk,
            "sweep": sweep,
        },
    )
