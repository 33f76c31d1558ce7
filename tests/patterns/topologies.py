"""Small topology builders shared by the engine's tests (documents, not mocks)."""

from __future__ import annotations

from typing import Any


def exp(mean_ms: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean_ms": mean_ms}


def balanced(
    algorithm: str,
    pools: list[tuple[str, int, Any]],
    rate: float = 100.0,
    duration_ms: float = 10_000,
    latency_ms: float = 0,
    seed: int = 1,
    lb: dict[str, Any] | None = None,
    client: dict[str, Any] | None = None,
    faults: list[dict[str, Any]] | None = None,
    **service: Any,
) -> dict[str, Any]:
    """A client, a balancer, and pools `(id, instances, service_time)` behind it."""
    nodes: list[dict[str, Any]] = [
        {"id": "users", "kind": "client", "rate": rate, **(client or {})},
        {"id": "lb", "kind": "load_balancer", "algorithm": algorithm, **(lb or {})},
    ]
    edges = [{"from": "users", "to": "lb", "latency_ms": latency_ms}]
    for pool_id, instances, service_time in pools:
        nodes.append(
            {
                "id": pool_id,
                "kind": "service",
                "instances": instances,
                "service_time": service_time,
                **service,
            }
        )
        edges.append({"from": "lb", "to": pool_id, "latency_ms": latency_ms})
    return {
        "version": 1,
        "seed": seed,
        "duration_ms": duration_ms,
        "nodes": nodes,
        "edges": edges,
        "faults": faults or [],
    }


def single(
    service: dict[str, Any], rate: float, duration_ms: float, seed: int = 1
) -> dict[str, Any]:
    """A client calling one service directly, with no latency."""
    return {
        "version": 1,
        "seed": seed,
        "duration_ms": duration_ms,
        "nodes": [
            {"id": "users", "kind": "client", "rate": rate},
            {"id": "api", "kind": "service", **service},
        ],
        "edges": [{"from": "users", "to": "api", "latency_ms": 0}],
    }


def heterogeneous(algorithm: str, requests: int = 40_000, seed: int = 3) -> dict[str, Any]:
    """8 single-worker servers, four twice as slow, at 80% of a slow server's capacity under RR."""
    return balanced(
        algorithm,
        [("fast", 4, exp(10)), ("slow", 4, exp(20))],
        rate=320,
        duration_ms=requests / 320 * 1000,
        seed=seed,
    )
