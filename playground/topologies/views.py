"""The pages: library, topologies, editor (with its server-validated side panel), runs.

The JSON API (playground.api) does the writing; these views render pages and the
editor's htmx panel, which validates a whole document with `patterns.load` and puts
each problem on the field and the node it names.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

import patterns
from playground.accounts import access
from playground.i18n import scenario_text
from playground.models import Run, Scenario, Topology
from playground.refusals import translate
from playground.topologies.documents import warnings
from playground.topologies.node_fields import (
    EDGE_FIELDS,
    KINDS,
    WIDGETS,
    choices_of,
    display_value,
    label_of,
    parse_value,
    widget_nodes,
)

# Shown in the page's language; the Korean catalog names each pattern as Korean engineers
# write it, the English term beside it (locale/ko/LC_MESSAGES/django.po).
PATTERN_TITLES = OrderedDict(
    [
        ("load-balancing", _("Load balancing")),
        ("pipes-and-filters", _("Pipes and filters")),
        ("scatter-gather", _("Scatter-gather")),
        ("orchestrator", _("Orchestrator")),
        ("choreography", _("Choreography")),
    ]
)
PATTERN_EXPLANATIONS = {
    "load-balancing": _(
        "A balancer spreads requests over the instances of a service. Watch which "
        "instance each algorithm picks, and why, when one is slow or crashes."
    ),
    "pipes-and-filters": _(
        "Items flow from a source through independent, stateless stages to a "
        "sink; each stage scales on its own."
    ),
    "scatter-gather": _(
        "One request fans out to independent workers whose answers are merged; "
        "a worker that is too slow is left out."
    ),
    "orchestrator": _(
        "A coordinator calls services in sequence, retries, compensates, and keeps "
        "each flow's state so a replica can carry on after a crash."
    ),
    "choreography": _(
        "No coordinator: services react to events on a broker and publish their "
        "own. Easy to extend, harder to trace."
    ),
}


def _is_owner(request: HttpRequest, obj: Topology | Run) -> bool:
    if isinstance(obj, Run):
        return access.can_control_run(request.user, request.session.session_key, obj)
    return access.can_edit_topology(request.user, obj)


def first_sentence(text: str) -> str:
    """The description's first sentence: the one line a card shows (the rest opens below it)."""
    match = re.search(r"[.!?](?=\s)", text)
    return text[: match.end()] if match else text


def drawing(document: dict[str, Any]) -> dict[str, Any]:
    """What a library card's drawing needs of a document: nodes' id, kind, label; edges' ends."""
    return {
        "nodes": [
            {k: n[k] for k in ("id", "kind", "label") if k in n}
            for n in document.get("nodes", [])
            if isinstance(n, dict)
        ],
        "edges": [
            {"from": e.get("from"), "to": e.get("to")}
            for e in document.get("edges", [])
            if isinstance(e, dict)
        ],
    }


def home(request: HttpRequest) -> HttpResponse:
    """The library: scenarios grouped by pattern, public topologies, and the user's own."""
    groups: OrderedDict[str, dict[str, Any]] = OrderedDict()
    drawings: dict[str, dict[str, Any]] = {}
    for scenario in Scenario.objects.all():
        scenario.name, scenario.description = scenario_text(scenario)  # shown, never saved
        scenario.summary = first_sentence(scenario.description)  # type: ignore[attr-defined]
        scenario.more = scenario.description[len(scenario.summary) :].strip()  # type: ignore[attr-defined]
        drawings[scenario.slug] = drawing(scenario.document)
        group = groups.setdefault(
            scenario.pattern,
            {
                "title": PATTERN_TITLES.get(
                    scenario.pattern, scenario.pattern.replace("-", " ").title()
                ),
                "explanation": PATTERN_EXPLANATIONS.get(scenario.pattern, ""),
                "scenarios": [],
            },
        )
        group["scenarios"].append(scenario)
    order = list(PATTERN_TITLES)
    ordered = sorted(groups.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    public = (
        Topology.objects.filter(visibility=Topology.PUBLIC)
        .exclude(owner_id=request.user.pk)
        .select_related("owner")[:24]
    )
    mine = Topology.objects.filter(owner=request.user)[:24] if request.user.is_authenticated else []
    return render(
        request,
        "playground/home.html",
        {"groups": ordered, "public": public, "mine": mine, "drawings": drawings},
    )


@login_required
def topology_list(request: HttpRequest) -> HttpResponse:
    topologies = Topology.objects.filter(owner_id=request.user.pk)
    return render(request, "playground/topology_list.html", {"topologies": topologies})


def _editor(request: HttpRequest, **context: Any) -> HttpResponse:
    context.setdefault("topology", None)
    context.setdefault("can_save", request.user.is_authenticated)
    context["kinds"] = list(KINDS)
    topology = context["topology"]
    viewing = context.get("viewing")
    context["editor_boot"] = {
        "id": topology.pk if topology else None,
        "canSave": context["can_save"],
        "panelUrl": reverse("editor_panel"),
        # Someone else's topology: it runs as itself (the key lets a link holder in).
        "viewingId": viewing.pk if viewing and not topology else None,
        "key": context.get("share_key") or "",
        "shareUrl": request.build_absolute_uri(
            reverse("shared_topology", args=[topology.share_key])
        )
        if topology
        else "",
    }
    return render(request, "playground/editor.html", context)


def editor_new(request: HttpRequest) -> HttpResponse:
    document = {
        "version": 1,
        "name": gettext("Untitled topology"),
        "pattern": "load-balancing",
        "seed": 1,
        "duration_ms": 30000,
        "nodes": [],
        "edges": [],
        "faults": [],
    }
    return _editor(request, document=document, name=document["name"])


def _fork_name(name: str) -> str:
    """The name a fork starts with, in the page's language: "Sticky sessions (fork)"."""
    return gettext("%(name)s (fork)") % {"name": name}


def editor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    topology = access.topology_for_page(request, pk)
    owner = _is_owner(request, topology)
    return _editor(
        request,
        topology=topology if owner else None,
        viewing=topology,
        document=topology.document,
        name=topology.name if owner else _fork_name(topology.name),
        visibility=topology.visibility,
        forked_from=None if owner else topology.pk,
    )


def shared_topology(request: HttpRequest, share_key: str) -> HttpResponse:
    """A /t/<share_key>/ link: the topology read-only, to run or fork; its owner gets the editor."""
    topology = access.topology_by_share_key(share_key)
    if topology is None:
        raise Http404("No such topology")
    if access.can_edit_topology(request.user, topology):
        return redirect("editor_edit", pk=topology.pk)
    return _editor(
        request,
        viewing=topology,
        document=topology.document,
        name=_fork_name(topology.name),
        visibility=Topology.PRIVATE,
        forked_from=topology.pk,
        share_key=share_key,
    )


def editor_fork_scenario(request: HttpRequest, slug: str) -> HttpResponse:
    scenario = get_object_or_404(Scenario, slug=slug)
    name = _fork_name(scenario_text(scenario)[0])
    return _editor(request, document=scenario.document, name=name, scenario=scenario)


def topology_runs(request: HttpRequest, pk: int) -> HttpResponse:
    topology = access.topology_for_page(request, pk)
    runs = topology.runs.all()[:100]
    return render(
        request,
        "playground/topology_runs.html",
        {"topology": topology, "runs": runs, "is_owner": _is_owner(request, topology)},
    )


def _problems(document: Any) -> list[dict[str, Any]]:
    """Every problem of the document, with the node or edge and the field it is on.

    `where`/`index` are set for a problem on one node or edge (what the canvas outlines
    and the panel shows), read from the engine's `Problem.at`, never parsed from its path
    (docs/topology.md#problems-and-their-paths); `field` is that item's field and `sub`
    the part of it ("mean_ms"), or empty.
    """
    try:
        patterns.load(document)
    except patterns.TopologyError as error:
        out = []
        for problem in error.problems:
            at = problem.at
            item = at.where in ("nodes", "edges") and at.index is not None
            out.append(
                {
                    "path": problem.path,
                    "message": translate(problem.message),
                    "where": at.where if item else None,
                    "index": at.index if item else None,
                    "field": (at.field or None) if item else None,
                    "sub": at.sub if item else "",
                }
            )
        return out
    return []


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


@require_POST
def editor_panel(request: HttpRequest) -> HttpResponse:
    """The side panel for one node or edge: apply the posted fields, validate the whole document.

    The browser keeps the document; it posts it with the panel's fields and takes back the
    updated item and every problem (to outline nodes), rendered with the form.
    """
    try:
        # NaN and Infinity would come back as JSON the browser cannot parse.
        document = json.loads(request.POST.get("document", ""), parse_constant=_refuse_constant)
        where = request.POST["where"]
        index = int(request.POST["index"])
        if not isinstance(document, dict) or where not in ("nodes", "edges") or index < 0:
            raise ValueError("not a panel of this document")
        item = document[where][index]
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):
        return HttpResponse("Bad panel request", status=400)
    if not isinstance(item, dict):
        return HttpResponse("Bad panel request", status=400)

    kind = item.get("kind")
    kind = kind_name = kind if isinstance(kind, str) else ""
    fields = EDGE_FIELDS if where == "edges" else KINDS.get(kind, [])
    parse_errors: dict[str, str] = {}
    if request.POST.get("apply") == "1":
        if where == "nodes":
            new_id = request.POST.get("f:id", "").strip()
            if new_id and new_id != item.get("id"):
                old = item.get("id")
                item["id"] = new_id
                edges = document.get("edges")
                # The engine reports malformed edges; renaming just steps over them.
                for edge in edges if isinstance(edges, list) else []:
                    if not isinstance(edge, dict):
                        continue
                    if edge.get("from") == old:
                        edge["from"] = new_id
                    if edge.get("to") == old:
                        edge["to"] = new_id
            label = request.POST.get("f:label", "").strip()
            if label:
                item["label"] = label
            else:
                item.pop("label", None)
        for name, kind, _help in fields:
            key = f"f:{name}"
            if key not in request.POST:
                continue
            value, error = parse_value(request.POST[key], kind)
            if error:
                parse_errors[name] = error
            elif value is None:
                item.pop(name, None)
            else:
                item[name] = value

    owner_kind = "edge" if where == "edges" else kind_name
    problems = _problems(document)
    mine = [p for p in problems if p["where"] == where and p["index"] == index]
    # Each error with the part of a structured value it is about ("mean_ms" of a duration),
    # so the panel can name that input too.
    field_errors: dict[str, list[dict[str, str]]] = {}
    general: list[str] = []
    # A field with no input of its own here (an edge's from/to, a node's label) says
    # which it is in the panel's general list.
    shown = {name for name, _k, _h in fields} | {"id"}
    for problem in mine:
        field = problem["field"]
        if field in shown:
            field_errors.setdefault(field, []).append(
                {"text": problem["message"], "sub": problem["sub"]}
            )
        elif field:
            general.append(f"{label_of(owner_kind, field)}: {problem['message']}")
        else:
            general.append(problem["message"])
    for name, error in parse_errors.items():
        field_errors.setdefault(name, []).insert(0, {"text": error, "sub": ""})

    rows = [
        {
            "name": name,
            "label": label_of(owner_kind, name),
            "widget": WIDGETS.get(name, ""),
            "kind": kind if isinstance(kind, str) else "choice",
            "choices": choices_of(name, kind) if isinstance(kind, tuple) else (),
            "help": help_text,
            "value": display_value(item.get(name), kind),
            "errors": field_errors.get(name, []),
            "nodes": widget_nodes(document, item, name) if where == "nodes" else {},
        }
        for name, kind, help_text in fields
    ]
    return render(
        request,
        "playground/editor_panel.html",
        {
            "where": where,
            "index": index,
            "item": item,
            "rows": rows,
            "id_errors": [e["text"] for e in field_errors.get("id", [])],
            "general": general,
            "result": {
                "where": where,
                "index": index,
                "document": document,
                "problems": problems,
                # Valid but will not run well (documents.warnings): shown, not refused.
                "warnings": [] if problems else [p.to_dict() for p in warnings(document)],
                "ok": not parse_errors,
            },
        },
    )
