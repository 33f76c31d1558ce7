"""Model rows as the API shows them."""

from __future__ import annotations

from typing import Any

from playground.accounts.access import AnyUser, can_edit_topology
from playground.models import Run, Scenario, Topology
from playground.topologies.documents import warnings


def topology_summary(topology: Topology, user: AnyUser) -> dict[str, Any]:
    nodes = topology.document.get("nodes") if isinstance(topology.document, dict) else None
    return {
        "id": topology.pk,
        "name": topology.name,
        "description": topology.description,
        "pattern": topology.pattern,
        "visibility": topology.visibility,
        "owner": topology.owner.get_username(),
        "is_owner": can_edit_topology(user, topology),
        "forked_from": topology.forked_from_id,
        "nodes": len(nodes) if isinstance(nodes, list) else 0,
        "created": topology.created,
        "updated": topology.updated,
    }


def topology_detail(topology: Topology, user: AnyUser) -> dict[str, Any]:
    data = topology_summary(topology, user)
    data["document"] = topology.document
    data["warnings"] = [p.to_dict() for p in warnings(topology.document)]
    data["share_key"] = topology.share_key if data["is_owner"] else None
    return data


def run(run: Run) -> dict[str, Any]:
    return {
        "id": run.pk,
        "status": run.status,
        "reason": run.reason,
        "notice": run.notice,
        "summary": run.summary,
        "events": run.event_count,
        "topology": run.topology_id,
        "scenario": run.scenario.slug if run.scenario_id and run.scenario else None,
        "seed": run.seed,
        "speed": "max" if run.speed is None else run.speed,
        "sim_time_ms": run.sim_time_ms,
        "created": run.created,
        "started": run.started,
        "finished": run.finished,
    }


def scenario(s: Scenario) -> dict[str, Any]:
    return {
        "slug": s.slug,
        "name": s.name,
        "pattern": s.pattern,
        "description": s.description,
        "document": s.document,
    }
