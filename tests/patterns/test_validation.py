"""Loading a topology: every rule of docs/topology.md, and the defaults it fills in."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from patterns import Simulation, schema
from patterns.nodes import KINDS
from patterns.topology import (
    Location,
    Problem,
    TopologyError,
    check,
    check_fault,
    load,
    load_fault,
)


def base() -> dict[str, Any]:
    """A small valid document: client -> lb -> api (3 instances in zones a, b) -> db."""
    return {
        "version": 1,
        "name": "base",
        "seed": 7,
        "duration_ms": 10_000,
        "nodes": [
            {"id": "users", "kind": "client", "rate": 20},
            {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin", "zone": "a"},
            {
                "id": "api",
                "kind": "service",
                "instances": 3,
                "zones": ["a", "b"],
                "service_time": {"dist": "exponential", "mean_ms": 20},
            },
            {"id": "db", "kind": "database"},
        ],
        "edges": [
            {"from": "users", "to": "lb"},
            {"from": "lb", "to": "api"},
            {"from": "api", "to": "db"},
        ],
        "faults": [{"at_ms": 2000, "kind": "crash", "node": "api", "instance": 1}],
    }


def problems(doc: Any) -> list[str]:
    with pytest.raises(TopologyError) as refused:
        load(doc)
    return [str(p) for p in refused.value.problems]


def refused_with(doc: Any, text: str) -> None:
    found = problems(doc)
    assert any(text in p for p in found), f"{text!r} not in {found}"


def node(doc: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in doc["nodes"] if n["id"] == node_id)


# -- normalisation ------------------------------------------------------


def test_it_accepts_the_base_document() -> None:
    """A valid document loads."""
    assert load(base())["seed"] == 7


def test_it_fills_every_default() -> None:
    """A minimal document comes back with every field of docs/topology.md filled in."""
    doc = load({"nodes": [{"id": "c", "kind": "client"}, {"id": "s", "kind": "sink"}],
                "edges": [{"from": "c", "to": "s"}]})  # fmt: skip
    assert doc["version"] == 1 and doc["seed"] == 1
    assert doc["duration_ms"] == schema.DEFAULT_DURATION_MS
    assert doc["name"] == "" and doc["pattern"] == "" and doc["faults"] == []
    client = doc["nodes"][0]
    assert client == {
        "id": "c", "kind": "client", "label": "c", "x": None, "y": None,
        "rate": 10, "arrival": "poisson", "requests": None, "sessions": 100,
        "traffic": None, "fetch_after_ms": None, "fetch_attempts": 5,
    }  # fmt: skip
    assert doc["edges"] == [{"from": "c", "to": "s", "latency_ms": 1, "when": "ok", "op": "read"}]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_it_fills_every_field_of_every_kind(kind: str) -> None:
    """Each kind's node gets exactly its table's fields, plus id, kind, label, x, y."""
    doc: dict[str, Any] = {
        "nodes": [
            {"id": "c", "kind": "client"},
            {"id": "n", "kind": kind},
            {"id": "t", "kind": "service"},
        ],
        "edges": [{"from": "c", "to": "t"}, {"from": "n", "to": "t"}],
    }
    if not KINDS[kind].emitter:
        doc["edges"].append({"from": "c", "to": "n"})
    if kind == "orchestrator":
        doc["nodes"][1]["steps"] = [{"call": "t"}]
    if kind == "dispatcher":  # its workers reply to an aggregator
        doc["nodes"].append({"id": "g", "kind": "aggregator"})
        doc["edges"].append({"from": "t", "to": "g"})
    found = load(doc)["nodes"][1]
    assert set(found) == {"id", "kind", "label", "x", "y", *KINDS[kind].fields}


def test_it_turns_a_bare_duration_into_a_constant() -> None:
    """A number where a duration is asked for means constant ms."""
    doc = base()
    node(doc, "api")["service_time"] = 25
    assert node(load(doc), "api")["service_time"] == {"dist": "constant", "ms": 25}


def test_it_defaults_service_time_to_ten_ms_constant() -> None:
    """service_time defaults to 10 ms, as an object."""
    doc = base()
    del node(doc, "api")["service_time"]
    assert node(load(doc), "api")["service_time"] == {"dist": "constant", "ms": 10}


def test_it_fills_health_check_and_autoscale_defaults() -> None:
    """Nested objects get their own defaults."""
    doc = base()
    node(doc, "api")["autoscale"] = {"max": 6}
    loaded = load(doc)
    assert node(loaded, "lb")["health_check"] == {"interval_ms": 1000, "unhealthy_after": 2}
    assert node(loaded, "api")["autoscale"]["max"] == 6
    assert set(node(loaded, "api")["autoscale"]) == set(schema.AUTOSCALE)


def test_it_loads_a_normalised_document_unchanged() -> None:
    """load(load(doc)) == load(doc)."""
    once = load(base())
    assert load(copy.deepcopy(once)) == once


def test_it_does_not_modify_its_input() -> None:
    """The raw document is left as it was."""
    raw = base()
    before = json.dumps(raw, sort_keys=True)
    load(raw)
    assert json.dumps(raw, sort_keys=True) == before


def test_it_accepts_the_description_extension() -> None:
    """A top-level description is the documented extension."""
    doc = base()
    doc["description"] = "What to watch."
    assert load(doc)["description"] == "What to watch."


# -- problems and their paths --------------------------------------------


def test_it_formats_a_problem_with_its_path() -> None:
    """str(Problem) reads `path: message`."""
    problem = Problem('nodes[3] "lb"', "load_balancer has no downstream target")
    assert str(problem) == 'nodes[3] "lb": load_balancer has no downstream target'


def located(doc: Any) -> dict[str, Location]:
    """Each problem's path, with the location it was written from."""
    return {p.path: p.at for p in check(doc)}


def test_it_locates_a_node_field_in_parts() -> None:
    """A node's field: the list, the index, the node's id and the field, as parts."""
    doc = base()
    node(doc, "api")["instances"] = 0
    node(doc, "api")["service_time"] = {"dist": "exponential"}
    found = located(doc)
    assert found['nodes[2] "api".instances'] == Location("nodes", 2, name="api", field="instances")
    duration = found['nodes[2] "api".service_time.mean_ms']
    assert (duration.field, duration.sub) == ("service_time", "mean_ms")


def test_it_locates_the_parts_of_lists_and_mappings_in_a_field() -> None:
    """A zone, a weight, a step's call: the field, and the part inside it as `sub`."""
    doc = base()
    node(doc, "api")["zones"] = ["a", "a"]
    node(doc, "lb")["weights"] = {"api#7": 1}
    found = located(doc)
    assert found['nodes[2] "api".zones[1]'].sub == "[1]"
    weight = found['nodes[1] "lb".weights["api#7"]']
    assert (weight.field, weight.sub) == ("weights", '["api#7"]')
    doc = base()
    doc["nodes"].append({"id": "orch", "kind": "orchestrator",
                         "steps": [{"parallel": [{"call": "ghost"}]}]})  # fmt: skip
    step = located(doc)['nodes[4] "orch".steps[0].parallel[0].call']
    assert (step.name, step.field, step.sub) == ("orch", "steps", "[0].parallel[0].call")


def test_it_locates_an_edge_field_by_its_ends() -> None:
    """An edge's field: its index, its ends once both are ids, and the field."""
    doc = base()
    doc["edges"][1]["latency_ms"] = -1
    doc["edges"][2]["to"] = "Not An Id"
    found = located(doc)
    at = found["edges[1] (lb -> api).latency_ms"]
    assert at == Location("edges", 1, ends=("lb", "api"), field="latency_ms")
    assert found["edges[2].to"] == Location("edges", 2, field="to")


def test_it_locates_graph_rules_on_their_node_or_edge() -> None:
    """A graph rule's problem is on the node or the edge as a whole: no field."""
    doc = base()
    doc["edges"].append({"from": "lb", "to": "nowhere"})
    doc["edges"].append({"from": "db", "to": "api"})
    node(doc, "api")["autoscale"] = {"min": 5, "max": 2}
    found = located(doc)
    assert found["edges[3] (lb -> nowhere)"] == Location("edges", 3, ends=("lb", "nowhere"))
    cycle = found["edges[4] (db -> api)"]
    assert (cycle.where, cycle.index, cycle.field) == ("edges", 4, "")
    assert found['nodes[2] "api".autoscale'].field == "autoscale"


def test_it_locates_top_level_problems_on_no_item() -> None:
    """The document, a top-level field, an unknown top-level key: `where` is empty."""
    assert located(3) == {"": Location()}
    doc = base()
    doc["seed"] = "x"
    doc["colour"] = "red"
    doc["faults"] = "none"
    found = located(doc)
    assert found["seed"] == Location(field="seed")
    assert found["colour"] == Location(field="colour")
    assert found["faults"] == Location(field="faults")
    assert all(at.where == "" and at.index is None for at in found.values())


def test_it_locates_faults_scheduled_and_live() -> None:
    """A scheduled fault is `faults[i]`; a live one is `fault`."""
    doc = base()
    doc["faults"][0]["node"] = "ghost"
    assert located(doc)["faults[0].node"] == Location("faults", 0, field="node")
    [live] = check_fault(load(base()), {"kind": "crash", "node": "ghost"})
    assert live.at == Location("fault", field="node")


def test_it_writes_a_path_only_from_a_location() -> None:
    """The path is the location written out: a plain string is a location outside a topology."""
    at = Location("nodes", 3, name="api", field="service_time", sub="mean_ms")
    assert Problem(at, "m").path == 'nodes[3] "api".service_time.mean_ms'
    assert Problem(at, "m").to_dict() == {"path": str(at), "message": "m"}
    assert Problem("scale.node", "m").at == Location(field="scale.node")
    assert Problem("scale.node", "m") == Problem(Location(field="scale.node"), "m")
    assert str(Problem("", "no location")) == "no location"
    edge = Location("edges", 2, ends=("a", "b"))
    assert str(edge.child("latency_ms")) == "edges[2] (a -> b).latency_ms"
    assert str(Location("nodes", 1).child("zones").item(0)) == "nodes[1].zones[0]"
    with pytest.raises(ValueError):
        Location("nodes", 1).item(0)
    assert Location("edges", 2, ends=("a", "b"), field="when").to_dict() == {
        "where": "edges", "index": 2, "ends": ["a", "b"], "field": "when",
    }  # fmt: skip


def test_it_lists_every_problem_at_once() -> None:
    """A refusal lists all problems, not just the first."""
    doc = base()
    doc["version"] = 2
    doc["duration_ms"] = 0
    node(doc, "api")["instances"] = 0
    doc["edges"].append({"from": "lb", "to": "nowhere"})
    found = problems(doc)
    assert "version: must be 1 (got 2)" in found
    assert any(p.startswith("duration_ms: ") for p in found)
    assert any(p.startswith('nodes[2] "api".instances: ') for p in found)
    assert 'edges[3] (lb -> nowhere): no node "nowhere"' in found


def test_it_refuses_a_document_that_is_not_an_object() -> None:
    """Only a JSON object is a topology."""
    for raw in (None, [], "x", 3, True):
        assert problems(raw)


def test_the_simulation_refuses_what_is_not_an_object_with_a_topology_error() -> None:
    """Simulation, inject and scale refuse a value of the wrong type as a TopologyError,
    never a TypeError: the compiled engine checks the types its annotations declare
    (patterns/engine.py), so they take `Any` and check it themselves."""
    for raw in (None, [], "x", 3):
        with pytest.raises(TopologyError):
            Simulation(raw)
    sim = Simulation(base())
    for fault in (None, [], "crash", 3):
        with pytest.raises(TopologyError):
            sim.inject(fault)
    for node, instances in ((1, 2), (None, 2), ("api", 2.5), ("api", "2"), ("api", None)):
        with pytest.raises(TopologyError):
            sim.scale(node, instances)


# -- top level -----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("version", 2, "version"),
        ("version", "1", "version"),
        ("seed", 1.5, "seed"),
        ("seed", True, "seed"),
        ("seed", "7", "seed"),
        ("duration_ms", 0, "duration_ms"),
        ("duration_ms", -5, "duration_ms"),
        ("duration_ms", float("nan"), "duration_ms"),
        ("duration_ms", float("inf"), "duration_ms"),
        ("duration_ms", 10**30, "duration_ms"),
        ("name", 5, "name"),
        ("pattern", None, "pattern"),
        ("nodes", {}, "nodes"),
        ("edges", "a->b", "edges"),
        ("faults", None, "faults"),
    ],
)
def test_it_checks_top_level_fields(field: str, value: Any, path: str) -> None:
    """version is 1, seed an int, duration_ms > 0, the lists are lists."""
    doc = base()
    doc[field] = value
    refused_with(doc, f"{path}: ")


def test_it_refuses_unknown_top_level_fields() -> None:
    """An unknown field is named."""
    doc = base()
    doc["colour"] = "blue"
    refused_with(doc, 'colour: unknown field "colour" for a topology')


# -- nodes ---------------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["API", "a b", "", "x" * 41, 5, None, "é"])
def test_it_refuses_a_malformed_id(bad_id: Any) -> None:
    """Ids match [a-z0-9_-]{1,40}."""
    doc = base()
    doc["nodes"].append({"id": bad_id, "kind": "sink"})
    refused_with(doc, "nodes[4]: ")


def test_it_refuses_duplicate_ids() -> None:
    """Ids are unique."""
    doc = base()
    doc["nodes"].append({"id": "api", "kind": "sink"})
    refused_with(doc, 'nodes[4] "api": id "api" is already used by nodes[2]')


def test_it_refuses_an_unknown_kind() -> None:
    """The kind must be one docs/topology.md lists."""
    doc = base()
    doc["nodes"].append({"id": "x", "kind": "mainframe"})
    refused_with(doc, 'nodes[4] "x": kind must be one of')


def test_it_does_not_report_edges_to_a_node_of_unknown_kind_as_dangling() -> None:
    """One mistake, one problem: an edge to a node refused for its kind is not 'no node'."""
    doc = base()
    doc["nodes"].append({"id": "x", "kind": "mainframe"})
    doc["edges"].append({"from": "api", "to": "x"})
    assert not any("no node" in p for p in problems(doc))


def test_it_refuses_unknown_node_fields_by_name() -> None:
    """A field a kind does not have is refused and named."""
    doc = base()
    node(doc, "lb")["service_time"] = 5
    refused_with(doc, 'nodes[1] "lb": unknown field "service_time" for a load_balancer')


@pytest.mark.parametrize(
    ("node_id", "field", "value"),
    [
        ("users", "rate", 0),
        ("users", "rate", -1),
        ("users", "rate", "fast"),
        ("users", "rate", True),
        ("users", "arrival", "bursty"),
        ("users", "requests", 0),
        ("users", "requests", 2.5),
        ("users", "sessions", 0),
        ("api", "instances", 0),
        ("api", "instances", 1.0),
        ("api", "instances", True),
        ("api", "instances", schema.MAX_INSTANCES + 1),
        ("api", "concurrency", 0),
        ("api", "queue_limit", -1),
        ("api", "failure_rate", 1.5),
        ("api", "failure_rate", -0.1),
        ("api", "resource", "tpu"),
        ("api", "cost_per_hour", -1),
        ("api", "zones", "a"),
        ("api", "zones", [1]),
        ("api", "zones", ["a", "a"]),
        ("api", "autoscale", {"min": 0}),
        ("api", "autoscale", {"target_utilization": 0}),
        ("api", "autoscale", {"target_utilization": 1.5}),
        ("api", "autoscale", {"interval_ms": 0}),
        ("api", "autoscale", {"startup_ms": -1}),
        ("api", "autoscale", {"cooldown": 1}),
        ("api", "autoscale", 3),
        ("api", "label", 7),
        ("api", "x", "left"),
        ("lb", "algorithm", "fastest"),
        ("lb", "zone_aware", 1),
        ("lb", "health_check", {"interval_ms": 0}),
        ("lb", "health_check", {"unhealthy_after": 0}),
        ("lb", "health_check", None),
        ("lb", "weights", [1, 2]),
        ("lb", "weights", {"api": 0}),
        ("lb", "weights", {"api": float("inf")}),
        ("db", "read_ms", -1),
        ("db", "write_ms", "slow"),
        ("db", "concurrency", 0),
    ],
)
def test_it_checks_each_field_type_and_range(node_id: str, field: str, value: Any) -> None:
    """Every field of a kind is typed and in range; the problem names node and field."""
    doc = base()
    node(doc, node_id)[field] = value
    index = [n["id"] for n in doc["nodes"]].index(node_id)
    refused_with(doc, f'nodes[{index}] "{node_id}".{field}')


@pytest.mark.parametrize(
    "duration",
    [
        -1,
        "10ms",
        {"dist": "gamma", "mean_ms": 5},
        {"dist": "constant"},
        {"dist": "constant", "ms": -1},
        {"dist": "exponential", "mean_ms": 0},
        {"dist": "exponential", "median_ms": 5},
        {"dist": "uniform", "min_ms": 50, "max_ms": 10},
        {"dist": "uniform", "min_ms": -1, "max_ms": 10},
        {"dist": "lognormal", "median_ms": 40, "sigma": 0},
        {"dist": "lognormal", "median_ms": 0, "sigma": 0.5},
        {"dist": "lognormal", "median_ms": 40},
        {"dist": "constant", "ms": float("nan")},
    ],
)
def test_it_checks_durations(duration: Any) -> None:
    """Durations have the right keys for their dist and sensible values."""
    doc = base()
    node(doc, "api")["service_time"] = duration
    refused_with(doc, 'nodes[2] "api".service_time')


@pytest.mark.parametrize(
    "duration",
    [
        0,
        12.5,
        {"dist": "constant", "ms": 5},
        {"dist": "exponential", "mean_ms": 5},
        {"dist": "uniform", "min_ms": 10, "max_ms": 10},
        {"dist": "lognormal", "median_ms": 40, "sigma": 0.6},
    ],
)
def test_it_accepts_every_documented_duration(duration: Any) -> None:
    """Each form of duration in docs/topology.md loads."""
    doc = base()
    node(doc, "api")["service_time"] = duration
    load(doc)


def test_it_refuses_autoscale_min_above_max() -> None:
    """autoscale min <= max."""
    doc = base()
    node(doc, "api")["autoscale"] = {"min": 5, "max": 2}
    refused_with(doc, 'nodes[2] "api".autoscale: min 5 is above max 2')


def test_it_refuses_instances_outside_autoscale_bounds() -> None:
    """The starting instance count lies within autoscale min..max."""
    doc = base()
    node(doc, "api")["autoscale"] = {"min": 1, "max": 2}
    refused_with(doc, 'nodes[2] "api".instances: 3 is outside autoscale min..max')


def test_it_checks_function_fields() -> None:
    """A function's cold start, idle time and max_instances are checked."""
    doc = base()
    doc["nodes"][2] = {"id": "api", "kind": "function", "instances": 4, "max_instances": 2,
                       "cold_start_ms": -1, "idle_ms": "long"}  # fmt: skip
    found = problems(doc)
    assert any(p.startswith('nodes[2] "api".cold_start_ms') for p in found)
    assert any(p.startswith('nodes[2] "api".idle_ms') for p in found)
    assert 'nodes[2] "api".instances: 4 is above max_instances 2' in found


def test_it_lets_a_function_start_with_no_warm_instance() -> None:
    """A function may have 0 instances: the first call starts one."""
    doc = base()
    doc["nodes"][2] = {"id": "api", "kind": "function", "instances": 0}
    assert node(load(doc), "api")["max_instances"] == 10


def test_it_refuses_a_balancer_without_downstream_target() -> None:
    """A load balancer needs somewhere to send requests."""
    doc = base()
    doc["edges"] = [e for e in doc["edges"] if e["from"] != "lb"]
    refused_with(doc, 'nodes[1] "lb": load_balancer has no downstream target')


def test_it_refuses_a_client_without_outgoing_edge() -> None:
    """A client must send its requests somewhere."""
    doc = base()
    doc["edges"] = [e for e in doc["edges"] if e["from"] != "users"]
    refused_with(doc, 'nodes[0] "users": client has no outgoing edge')


def test_it_refuses_a_source_without_outgoing_edge() -> None:
    """So must a source."""
    doc = base()
    doc["nodes"].append({"id": "feed", "kind": "source"})
    refused_with(doc, 'nodes[4] "feed": source has no outgoing edge')


def test_it_refuses_zone_aware_without_zone() -> None:
    """A zone-aware balancer must know its own zone."""
    doc = base()
    node(doc, "lb").update(zone=None, zone_aware=True)
    refused_with(doc, 'nodes[1] "lb".zone_aware: needs the balancer\'s own zone')


@pytest.mark.parametrize("target", ["db", "ghost", "api#3", "api#x", "lb"])
def test_it_refuses_weights_on_non_targets(target: str) -> None:
    """Weights name downstream targets, or their instances in range."""
    doc = base()
    node(doc, "lb")["weights"] = {target: 2}
    refused_with(doc, f'nodes[1] "lb".weights["{target}"]')


def test_it_accepts_weights_on_targets_and_instances() -> None:
    """A node id or an instance name such as api#2 is a valid weight target."""
    doc = base()
    node(doc, "lb")["weights"] = {"api": 1, "api#2": 3}
    assert node(load(doc), "lb")["weights"] == {"api": 1, "api#2": 3}


def test_it_counts_autoscaled_instances_in_weight_range() -> None:
    """api#5 exists when autoscale may grow api to 6 instances."""
    doc = base()
    node(doc, "api")["autoscale"] = {"min": 1, "max": 6}
    node(doc, "lb")["weights"] = {"api#5": 2}
    load(doc)


# -- fields of every kind ----------------------------------------------------


def test_it_validates_the_fields_each_kind_declares() -> None:
    """Fields declared by a kind's module (`Node.fields`) are checked in full."""
    doc = base()
    doc["nodes"] += [
        {"id": "f", "kind": "filter", "split": 0},
        {"id": "t", "kind": "topic", "latency_ms": -1},
        {"id": "agg", "kind": "aggregator", "completion": "most", "merge": "sum", "k": 0},
    ]
    found = problems(doc)
    for path in ('"f".split', '"t".latency_ms', '"agg".completion', '"agg".merge', '"agg".k'):
        assert any(path in p for p in found), path


def test_it_requires_count_and_timeout_for_aggregator_rules() -> None:
    """completion "count" needs count; "deadline" needs timeout_ms."""
    doc = base()
    doc["nodes"] += [
        {"id": "agg1", "kind": "aggregator", "completion": "count"},
        {"id": "agg2", "kind": "aggregator", "completion": "deadline"},
    ]
    refused_with(doc, 'nodes[4] "agg1".count: is required when completion is "count"')
    refused_with(doc, 'nodes[5] "agg2".timeout_ms: is required when completion is "deadline"')


@pytest.mark.parametrize("kind", ["aggregator", "orchestrator"])
def test_it_requires_store_to_be_a_database(kind: str) -> None:
    """An aggregator's or orchestrator's store names a database node."""
    doc = base()
    doc["nodes"].append({"id": "x", "kind": kind, "store": "api", "steps": [{"call": "db"}]})
    doc["edges"].append({"from": "x", "to": "db"})
    if kind == "aggregator":
        del doc["nodes"][-1]["steps"]
    refused_with(doc, 'nodes[4] "x".store: "api" is a service, not a database')
    doc["nodes"][-1]["store"] = "vault"
    refused_with(doc, 'nodes[4] "x".store: no node "vault"')


def test_it_checks_orchestrator_steps() -> None:
    """Steps name nodes the orchestrator has edges to; each step is well formed."""
    doc = base()
    steps = [
        {"call": "api", "retries": -1},
        {"call": "db", "compensate": "ghost"},
        {"parallel": [{"call": "lb"}, {"timeout_ms": 5}]},
        {"parallel": []},
        "api",
        {"call": "api", "why": 1},
    ]
    doc["nodes"].append({"id": "orch", "kind": "orchestrator", "steps": steps, "replicas": 0})
    doc["edges"].append({"from": "orch", "to": "api"})
    found = problems(doc)
    expected = [
        'nodes[4] "orch".steps[0].retries',
        'nodes[4] "orch".steps[1].call: "db" needs an edge from this orchestrator',
        'nodes[4] "orch".steps[1].compensate: no node "ghost"',
        'nodes[4] "orch".steps[2].parallel[0].call: "lb" needs an edge',
        'nodes[4] "orch".steps[2].parallel[1]: a step needs "call"',
        'nodes[4] "orch".steps[3].parallel: must be a non-empty list',
        'nodes[4] "orch".steps[4]: must be a step',
        'nodes[4] "orch".steps[5]: unknown field "why"',
        'nodes[4] "orch".replicas',
    ]
    for text in expected:
        assert any(p.startswith(text) for p in found), (text, found)


def test_it_refuses_an_orchestrator_without_steps() -> None:
    """An orchestrator with nothing to run is a mistake."""
    doc = base()
    doc["nodes"].append({"id": "orch", "kind": "orchestrator"})
    refused_with(doc, 'nodes[4] "orch".steps: an orchestrator needs at least one step')


# -- edges ---------------------------------------------------------------


def test_it_refuses_edges_to_missing_nodes() -> None:
    """Both ends of an edge exist."""
    doc = base()
    doc["edges"].append({"from": "ghost", "to": "api"})
    refused_with(doc, 'edges[3] (ghost -> api): no node "ghost"')


def test_it_refuses_self_loops() -> None:
    """No edge from a node to itself."""
    doc = base()
    doc["edges"].append({"from": "api", "to": "api"})
    refused_with(doc, "edges[3] (api -> api): an edge cannot connect a node to itself")


def test_it_refuses_duplicate_edges() -> None:
    """The same edge twice is a mistake."""
    doc = base()
    doc["edges"].append({"from": "lb", "to": "api", "latency_ms": 3})
    refused_with(doc, "edges[3] (lb -> api): duplicates edges[1]")


def test_it_allows_a_read_and_a_write_edge_to_one_database() -> None:
    """A service that reads and writes the same store has two edges, told apart by op."""
    doc = base()
    doc["edges"].append({"from": "api", "to": "db", "op": "write"})
    load(doc)


@pytest.mark.parametrize(
    ("edge", "text"),
    [
        ({"from": "lb", "to": "api", "when": "maybe"}, ".when: must be one of ok, error"),
        ({"from": "lb", "to": "api", "latency_ms": -1}, ".latency_ms: must be a number"),
        ({"from": "lb", "to": "api", "op": "delete"}, ".op: must be one of read, write"),
        ({"from": "lb", "to": "api", "weight": 2}, 'unknown field "weight" for an edge'),
        ({"from": "lb"}, "edges[1].to: must be a node id"),
        ({"from": 3, "to": "api"}, "edges[1].from: must be a node id"),
        ("lb->api", "edges[1]: an edge must be an object"),
    ],
)
def test_it_checks_edge_fields(edge: Any, text: str) -> None:
    """An edge's fields are typed; unknown ones are named."""
    doc = base()
    doc["edges"][1] = edge
    refused_with(doc, text)


def test_it_refuses_edges_into_a_client() -> None:
    """A client emits work; nothing calls it."""
    doc = base()
    doc["edges"].append({"from": "api", "to": "users"})
    refused_with(doc, "edges[3] (api -> users): a client emits work and cannot receive edges")


def test_it_refuses_a_cycle_of_synchronous_calls_naming_the_edge() -> None:
    """a calls b calls a would deadlock: refused, naming the edge that closes the loop."""
    doc = base()
    doc["edges"].append({"from": "db", "to": "api"})
    refused_with(
        doc,
        "edges[3] (db -> api): synchronous calls form a cycle api -> db -> api, "
        "which would deadlock",
    )


def test_it_refuses_a_longer_cycle_through_a_balancer() -> None:
    """The cycle may pass through a balancer and an error edge."""
    doc = base()
    doc["nodes"].append({"id": "audit", "kind": "service"})
    doc["edges"] += [{"from": "db", "to": "audit"}, {"from": "audit", "to": "lb", "when": "error"}]
    refused_with(doc, "synchronous calls form a cycle lb -> api -> db -> audit -> lb")


def test_it_allows_cycles_through_asynchronous_edges() -> None:
    """A loop through a queue is not a deadlock: the sender goes on at once."""
    doc = {
        "nodes": [
            {"id": "c", "kind": "client"},
            {"id": "a", "kind": "service"},
            {"id": "q", "kind": "queue"},
        ],
        "edges": [{"from": "c", "to": "a"}, {"from": "a", "to": "q"}, {"from": "q", "to": "a"}],
    }
    load(doc)


# -- faults --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "text"),
    [
        (
            {"kind": "explode", "node": "api"},
            "faults[1].kind: must be one of crash, slow, zone_down",
        ),
        ({"kind": "crash", "node": "ghost"}, 'faults[1].node: no node "ghost"'),
        ({"kind": "crash"}, 'faults[1]: a crash fault needs "node"'),
        (
            {"kind": "crash", "node": "api", "instance": 3},
            "faults[1].instance: api has instances 0 to 2",
        ),
        ({"kind": "crash", "node": "api", "instance": -1}, "faults[1].instance"),
        (
            {"kind": "crash", "node": "db", "instance": 1},
            "faults[1].instance: db has instances 0 to 0",
        ),
        ({"kind": "crash", "node": "users"}, "faults[1].node: a client has no instances to crash"),
        ({"kind": "crash", "node": "api", "at_ms": -1}, "faults[1].at_ms"),
        ({"kind": "crash", "node": "api", "for_ms": 0}, "faults[1].for_ms"),
        ({"kind": "crash", "node": "api", "factor": 2}, 'unknown field "factor" for a crash fault'),
        ({"kind": "slow", "node": "api", "factor": 0}, "faults[1].factor"),
        ({"kind": "slow", "node": "api", "factor": "x"}, "faults[1].factor"),
        ({"kind": "zone_down", "zone": "c"}, 'faults[1].zone: no node is in zone "c"'),
        ({"kind": "zone_down"}, 'faults[1]: a zone_down fault needs "zone"'),
        ({"kind": "zone_down", "zone": "a", "node": "api"}, 'unknown field "node"'),
        (["crash"], "faults[1]: a fault must be an object"),
    ],
)
def test_it_checks_faults(fault: Any, text: str) -> None:
    """Faults are well formed and refer to nodes, instances and zones that exist."""
    doc = base()
    doc["faults"].append(fault)
    refused_with(doc, text)


def test_it_normalises_faults() -> None:
    """A fault gets at_ms, for_ms, instance and factor defaults."""
    doc = base()
    doc["faults"] = [{"kind": "slow", "node": "api"}, {"kind": "zone_down", "zone": "b"}]
    loaded = load(doc)["faults"]
    assert loaded[0] == {"kind": "slow", "at_ms": 0, "for_ms": None, "node": "api",
                         "instance": None, "factor": 10}  # fmt: skip
    assert loaded[1] == {"kind": "zone_down", "at_ms": 0, "for_ms": None, "zone": "b"}


def test_it_knows_a_balancer_zone_as_a_zone() -> None:
    """zone_down may name a zone only a balancer is in."""
    doc = base()
    node(doc, "api")["zones"] = []
    doc["faults"] = [{"kind": "zone_down", "zone": "a"}]
    load(doc)


def test_it_checks_a_live_fault_against_a_loaded_document() -> None:
    """check_fault validates one fault, with the path `fault`."""
    doc = load(base())
    assert check_fault(doc, {"kind": "crash", "node": "api", "instance": 2}) == []
    found = [str(p) for p in check_fault(doc, {"kind": "crash", "node": "api", "instance": 9})]
    assert found == ["fault.instance: api has instances 0 to 2 (got 9)"]
    assert [p.path for p in check_fault(doc, "crash")] == ["fault"]
    assert check_fault(doc, {"kind": "zone_down", "zone": "z"})[0].path == "fault.zone"


def test_it_normalises_a_live_fault() -> None:
    """load_fault returns the fault complete, or raises TopologyError."""
    doc = load(base())
    assert load_fault(doc, {"kind": "crash", "node": "api"})["instance"] is None
    with pytest.raises(TopologyError):
        load_fault(doc, {"kind": "slow", "node": "ghost"})


# -- size caps -----------------------------------------------------------


def test_it_caps_the_number_of_nodes() -> None:
    """A hostile document cannot ask for unbounded nodes."""
    doc = base()
    doc["nodes"] += [{"id": f"s{i}", "kind": "sink"} for i in range(schema.MAX_NODES)]
    refused_with(doc, f"nodes: must have at most {schema.MAX_NODES} entries")


def test_it_caps_the_number_of_edges_and_faults() -> None:
    """Edges and faults are capped too."""
    doc = base()
    doc["edges"] = doc["edges"] * (schema.MAX_EDGES // 3 + 1)
    doc["faults"] = doc["faults"] * (schema.MAX_FAULTS + 1)
    refused_with(doc, "edges: must have at most")
    refused_with(doc, "faults: must have at most")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("instances", schema.MAX_INSTANCES + 1),
        ("concurrency", schema.MAX_CONCURRENCY + 1),
        ("queue_limit", schema.MAX_QUEUE_LIMIT + 1),
        ("service_time", schema.MAX_MS * 10),
        ("instances", 10**100),
    ],
)
def test_it_caps_sizes_within_a_node(field: str, value: Any) -> None:
    """Per-node sizes that the engine would allocate are capped."""
    doc = base()
    node(doc, "api")[field] = value
    refused_with(doc, f'nodes[2] "api".{field}')
