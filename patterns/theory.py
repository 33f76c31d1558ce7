"""Queueing theory in closed form: the formulas the capacity estimate is built from.

Pure functions of rates and times, no topology. Rates are per ms and times
are ms (any consistent unit works). References, for the formulas and for
when they are exact:

- M/M/1, M/M/c and Erlang C: Kleinrock, *Queueing Systems* vol. 1 (1975),
  ch. 3; Erlang C computed from Erlang B by the recursion
  B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)), which stays in [0, 1] for any
  number of servers (the textbook sum of a^k/k! overflows past c ≈ 170).
- M/G/1: the Pollaczek–Khinchine mean, Wq = λ·E[S²] / (2(1-ρ)) (exact).
- M/G/c: the Allen–Cunneen approximation, Wq ≈ Wq(M/M/c)·(1 + Cs²)/2
  (Allen, *Probability, Statistics and Queueing Theory*, 1990), exact for
  exponential service, an approximation otherwise.
- Jackson networks: the traffic equations λ = γ + Pᵀλ (Jackson, 1957).
- Fork-join: the response times of the sibling queues of a fork-join are
  associated random variables (Nelson & Tantawi, "Approximate analysis of
  fork/join synchronization in parallel queues", IEEE Trans. Computers,
  1988), so the mean of their maximum is at most the mean of the maximum of
  independent variables with the same marginals (the upper bound computed
  here: H_n/θ for n identical exponentials of rate θ), and at least the
  largest of their means (a lower bound, by Jensen).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Utilisation at or above which a queue has no steady state.
SATURATED = 1.0


@dataclass(frozen=True)
class Queue:
    """One M/G/c queue's steady state (times in the unit of `service_ms`).

    `wait_ms` is the mean wait in the queue, `response_ms` wait plus service,
    `p_wait` the probability of waiting at all (Erlang C for exponential
    service). Infinite when `utilisation` >= 1 (no steady state).
    """

    servers: int
    arrival_rate: float
    service_ms: float
    scv: float  # squared coefficient of variation of the service time
    utilisation: float
    p_wait: float
    wait_ms: float
    response_ms: float

    @property
    def stable(self) -> bool:
        return self.utilisation < SATURATED

    def response_quantile(self, q: float) -> float:
        """The q-quantile of the response time: exact for exponential service
        (M/M/c), an estimate otherwise (see `mmc_response_quantile`)."""
        if not self.stable:
            return math.inf
        if self.service_ms <= 0:
            return 0.0
        return mmc_response_quantile(
            self.servers, self.arrival_rate, 1.0 / self.service_ms, q, self.p_wait
        )


def erlang_b(servers: int, offered: float) -> float:
    """Erlang B: the blocking probability of M/M/c/c with offered load `offered` (λ/μ).

    Up to `_RECURSION_MAX` servers, by the recursion B(k) = a·B(k-1) / (k + a·B(k-1)):
    O(c), no overflow. Past it (a pool of ten thousand workers at internet
    scale), from B = P(N=c)/P(N≤c) for N Poisson of mean a, summing only the
    terms within 12 standard deviations of the mean (the rest are below 1e-31
    of the sum): O(√a) instead of O(c).
    """
    if servers < 0:
        raise ValueError("servers must be >= 0")
    if offered < 0:
        raise ValueError("offered load must be >= 0")
    if servers <= _RECURSION_MAX or offered == 0:
        return _erlang_b_recursive(servers, offered)
    spread = 12.0 * math.sqrt(offered) + 12.0
    if servers >= offered + spread:
        # P(N ≤ c) is 1 to double precision: B is P(N = c).
        return math.exp(servers * math.log(offered) - offered - math.lgamma(servers + 1))
    low = max(0, math.floor(offered - spread))
    # 1/B = Σ_k P(N=k)/P(N=c) for k from `low` to c; P(N=k-1)/P(N=k) = k/a.
    total, term = 1.0, 1.0
    for k in range(servers, low, -1):
        term *= k / offered
        total += term
    return 1.0 / total


_RECURSION_MAX = 2000


def _erlang_b_recursive(servers: int, offered: float) -> float:
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    return b


def erlang_c(servers: int, offered: float) -> float:
    """Erlang C: the probability that an arrival waits in M/M/c (1 at or past saturation).

    C = B / (1 - ρ(1 - B)) with B = Erlang B and ρ = a/c.
    """
    if servers < 1:
        raise ValueError("servers must be >= 1")
    rho = offered / servers
    if rho >= SATURATED:
        return 1.0
    b = erlang_b(servers, offered)
    return b / (1.0 - rho * (1.0 - b))


def mgc(servers: int, arrival_rate: float, service_ms: float, scv: float = 1.0) -> Queue:
    """An M/G/c queue: exact for M/M/c (scv 1) and M/G/1 (Pollaczek–Khinchine);
    the Allen–Cunneen approximation for c > 1 with scv != 1."""
    if servers < 1:
        raise ValueError("servers must be >= 1")
    if arrival_rate < 0 or service_ms < 0 or scv < 0:
        raise ValueError("rates, times and variability must be >= 0")
    offered = arrival_rate * service_ms
    rho = offered / servers
    if rho >= SATURATED:
        return Queue(servers, arrival_rate, service_ms, scv, rho, 1.0, math.inf, math.inf)
    if offered == 0:
        return Queue(servers, arrival_rate, service_ms, scv, 0.0, 0.0, 0.0, service_ms)
    p_wait = erlang_c(servers, offered)
    if servers == 1:
        # Pollaczek–Khinchine: Wq = λE[S²]/(2(1-ρ)), E[S²] = (1+Cs²)·E[S]².
        wait = arrival_rate * (1.0 + scv) * service_ms**2 / (2.0 * (1.0 - rho))
    else:
        mm_wait = p_wait * service_ms / (servers * (1.0 - rho))
        wait = mm_wait * (1.0 + scv) / 2.0
    return Queue(servers, arrival_rate, service_ms, scv, rho, p_wait, wait, wait + service_ms)


def mm1(arrival_rate: float, service_ms: float) -> Queue:
    """M/M/1: ρ = λ/μ, mean response 1/(μ-λ)."""
    return mgc(1, arrival_rate, service_ms, 1.0)


def mmc(servers: int, arrival_rate: float, service_ms: float) -> Queue:
    """M/M/c with Erlang C: Wq = C/(cμ-λ), mean response Wq + 1/μ."""
    return mgc(servers, arrival_rate, service_ms, 1.0)


def mg1(arrival_rate: float, mean_ms: float, variance: float) -> Queue:
    """M/G/1 by Pollaczek–Khinchine, from the service time's mean and variance."""
    scv = variance / mean_ms**2 if mean_ms > 0 else 0.0
    return mgc(1, arrival_rate, mean_ms, scv)


def mmc_wait_tail(servers: int, arrival_rate: float, service_ms: float, t: float) -> float:
    """P(W > t) for M/M/c: C·e^{-(cμ-λ)t} (exact)."""
    offered = arrival_rate * service_ms
    if offered / servers >= SATURATED:
        return 1.0
    c = erlang_c(servers, offered)
    return c * math.exp(-(servers / service_ms - arrival_rate) * t)


def mmc_wait_quantile(servers: int, arrival_rate: float, service_ms: float, q: float) -> float:
    """The q-quantile of the M/M/c wait in queue: ln(C/(1-q))/(cμ-λ), or 0 when C <= 1-q."""
    offered = arrival_rate * service_ms
    if offered / servers >= SATURATED:
        return math.inf
    c = erlang_c(servers, offered)
    if c <= 1.0 - q:
        return 0.0
    return math.log(c / (1.0 - q)) / (servers / service_ms - arrival_rate)


def mmc_response_tail(
    servers: int, arrival_rate: float, mu: float, t: float, p_wait: float | None = None
) -> float:
    """P(T > t) for the M/M/c response time T = W + S (exact).

    W is 0 with probability 1-C and Exp(θ), θ = cμ-λ, otherwise; S is Exp(μ):
    P(T>t) = (1-C)e^{-μt} + C·(θe^{-μt} - μe^{-θt})/(θ-μ), or C·e^{-μt}(1+μt) when θ = μ.
    """
    c = erlang_c(servers, arrival_rate / mu) if p_wait is None else p_wait
    theta = servers * mu - arrival_rate
    base = math.exp(-mu * t)
    if abs(theta - mu) < 1e-12 * mu:
        both = base * (1.0 + mu * t)
    else:
        both = (theta * base - mu * math.exp(-theta * t)) / (theta - mu)
    return (1.0 - c) * base + c * both


def mmc_response_quantile(
    servers: int, arrival_rate: float, mu: float, q: float, p_wait: float | None = None
) -> float:
    """The q-quantile of the M/M/c response time, by bisection on `mmc_response_tail`.

    For M/M/1 this is -ln(1-q)/(μ-λ) (the response time is Exp(μ-λ)).
    """
    if not 0.0 < q < 1.0:
        raise ValueError("q must be in (0, 1)")
    if arrival_rate >= servers * mu:
        return math.inf
    if servers == 1:
        return exponential_quantile(1.0 / (mu - arrival_rate), q)  # T is Exp(μ-λ)
    c = erlang_c(servers, arrival_rate / mu) if p_wait is None else p_wait
    target = 1.0 - q

    def tail(t: float) -> float:
        return mmc_response_tail(servers, arrival_rate, mu, t, c)

    high = 1.0 / mu
    while tail(high) > target:
        high *= 2.0
    return _bisect(tail, 0.0, high, target)


def exponential_quantile(mean: float, q: float) -> float:
    """The q-quantile of an exponential of this mean: -mean·ln(1-q)."""
    return -mean * math.log(1.0 - q)


def servers_for_utilisation(offered: float, target: float) -> int:
    """The fewest servers that keep ρ = offered/c at or below `target` (at least 1)."""
    if not 0.0 < target <= 1.0:
        raise ValueError("target utilisation must be in (0, 1]")
    return max(1, math.ceil(offered / target - 1e-9))


def fewest(ok: Callable[[int], bool], low: int, high: int) -> int | None:
    """The smallest n in [low, high] with ok(n), for a monotone `ok`; None if none."""
    if low > high or not ok(high):
        return None
    while low < high:
        mid = (low + high) // 2
        if ok(mid):
            high = mid
        else:
            low = mid + 1
    return low


def traffic(
    external: dict[str, float],
    routes: dict[str, list[tuple[str, float]]],
    max_rounds: int = 10_000,
) -> dict[str, float]:
    """Solve the traffic equations λ_j = γ_j + Σ_i λ_i·p_ij.

    `external` gives γ (arrivals from outside) per node; `routes[i]` lists
    (j, p_ij): how many visits to j each visit to i makes (a probability for
    a split, more than 1 for a fan-out). Without loops, in one pass in
    topological order (exact); with loops, by fixed-point iteration, which
    converges geometrically when the loops leak (a retry loop). Raises
    ValueError when it does not converge (a loop that multiplies traffic: no
    steady state).
    """
    nodes = set(external) | set(routes)
    for outs in routes.values():
        nodes.update(j for j, _ in outs)
    order = _topological(nodes, routes)
    if order is not None:
        # No loop: one pass in topological order is exact.
        rates = {n: external.get(n, 0.0) for n in nodes}
        for i in order:
            lam = rates[i]
            if lam:
                for j, p in routes.get(i, ()):
                    rates[j] += lam * p
        return rates
    rates = {n: external.get(n, 0.0) for n in nodes}
    for _ in range(max_rounds):
        new = {n: external.get(n, 0.0) for n in nodes}
        for i, outs in routes.items():
            lam = rates[i]
            if lam:
                for j, p in outs:
                    new[j] += lam * p
        diff = max((abs(new[n] - rates[n]) for n in nodes), default=0.0)
        scale = max((abs(v) for v in new.values()), default=0.0)
        rates = new
        if not scale < 1e300:
            break  # growing without bound (or already inf/nan)
        if diff <= 1e-12 * max(scale, 1.0):
            return rates
    raise ValueError("the traffic equations have no solution: a loop multiplies traffic")


def _topological(nodes: set[str], routes: dict[str, list[tuple[str, float]]]) -> list[str] | None:
    """The nodes in an order where every route goes forward, or None when routes loop."""
    indegree = dict.fromkeys(nodes, 0)
    for outs in routes.values():
        for j, _ in outs:
            indegree[j] += 1
    ready = sorted(n for n, d in indegree.items() if d == 0)
    order: list[str] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for j, _ in routes.get(i, ()):
            indegree[j] -= 1
            if indegree[j] == 0:
                ready.append(j)
    return order if len(order) == len(nodes) else None


def harmonic(n: int) -> float:
    """H_n = 1 + 1/2 + … + 1/n."""
    return sum(1.0 / k for k in range(1, n + 1))


def max_of_exponentials(n: int, rate: float) -> float:
    """E[max of n independent Exp(rate)] = H_n/rate: the fork-join upper bound."""
    return harmonic(n) / rate


@dataclass(frozen=True)
class Branch:
    """One branch of a fork-join: a fixed delay plus an exponential time of mean `mean_ms`."""

    delay_ms: float
    mean_ms: float

    def cdf(self, t: float) -> float:
        if t < self.delay_ms:
            return 0.0
        if self.mean_ms <= 0:
            return 1.0
        return 1.0 - math.exp(-(t - self.delay_ms) / self.mean_ms)


def fork_join(
    branches: Sequence[Branch], need: int | None = None, deadline_ms: float | None = None
) -> float:
    """The mean time until `need` of the branches are done (all by default), cut at the deadline.

    Branches are taken as independent, which for the sibling queues of a
    fork-join gives an upper bound of the true mean (Nelson & Tantawi 1988;
    see the module docstring). E[X] = ∫ P(X > t) dt, integrated numerically
    with Simpson's rule; P(at least k of n done by t) by dynamic programming
    over the branches (they may differ). With `deadline_ms`, the mean of
    min(X, deadline).
    """
    n = len(branches)
    if n == 0:
        return 0.0
    k = n if need is None else max(1, min(need, n))
    if any(not math.isfinite(b.mean_ms) or not math.isfinite(b.delay_ms) for b in branches):
        return math.inf if deadline_ms is None else deadline_ms
    end = max(b.delay_ms + 40.0 * b.mean_ms for b in branches)
    if deadline_ms is not None:
        end = min(end, deadline_ms)
    if end <= 0:
        return 0.0

    def survive(t: float) -> float:
        # dist[j]: P(exactly j branches done by t), j < k; the rest folded into "done".
        dist = [1.0] + [0.0] * k
        for b in branches:
            p = b.cdf(t)
            for j in range(k, 0, -1):
                dist[j] = (
                    dist[j] * (1.0 - p) + dist[j - 1] * p if j < k else dist[j] + dist[j - 1] * p
                )
            dist[0] *= 1.0 - p
        return 1.0 - dist[k]

    steps = 400  # Simpson's rule: far below the model's own error
    h = end / steps
    total = survive(0.0) + survive(end)
    for i in range(1, steps):
        total += (4.0 if i % 2 else 2.0) * survive(i * h)
    return total * h / 3.0


def _bisect(tail: Callable[[float], float], low: float, high: float, target: float) -> float:
    for _ in range(200):
        mid = (low + high) / 2.0
        if tail(mid) > target:
            low = mid
        else:
            high = mid
        if high - low <= 1e-10 * max(high, 1e-300):
            break
    return (low + high) / 2.0
