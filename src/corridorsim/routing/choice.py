"""Route choice: how a flow splits over its routes, and how a split moves toward equilibrium.

The models of DESIGN §13: logit, P_r = exp(-theta C_r) / sum_s exp(-theta C_s); path-size logit,
which adds ln(PS_r) to each route's utility so that routes sharing most of their length do not
count as independent alternatives (PS_r = sum over the links a of r of (km_a / km_r) / N_a, N_a
the routes of the set using a); all-or-nothing, the cheapest route (ties split equally). The
split moves toward the model's target by the method of successive averages, and a flow's trains
are dealt to its routes by a deterministic interleaving, so that the n-th train of a flow goes
the same way whenever the split is the same (common random numbers across iterations): see
:mod:`corridorsim.sim.dealing`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MODELS = ("logit", "path_size_logit", "all_or_nothing")


def path_sizes(routes_links: Sequence[Sequence[tuple[str, float]]]) -> np.ndarray:
    """PS_r of each route, given as its (link id, km) pairs: 1 for a route sharing nothing,
    1/n for n routes that are the same."""
    users: dict[str, int] = {}
    for links in routes_links:
        for link_id in dict.fromkeys(link for link, _ in links):
            users[link_id] = users.get(link_id, 0) + 1
    sizes = []
    for links in routes_links:
        total_km = sum(km for _, km in links)
        if total_km <= 0:
            sizes.append(1.0)
            continue
        sizes.append(sum(km / total_km / users[link] for link, km in links))
    return np.asarray(sizes, dtype=float)


def target_shares(
    costs: Sequence[float],
    model: str,
    theta: float,
    sizes: Sequence[float] | np.ndarray | None = None,
) -> np.ndarray:
    """The split ``model`` gives for routes of ``costs`` (``theta`` per unit of cost; path
    sizes ``sizes`` for the path-size logit)."""
    c = np.asarray(costs, dtype=float)
    if c.size == 0:
        return c
    if model == "all_or_nothing":
        best = c == c.min()
        return best / best.sum()
    if model not in ("logit", "path_size_logit"):
        raise ValueError(f"unknown route choice model {model!r} (one of {', '.join(MODELS)})")
    utility = -theta * c
    if model == "path_size_logit":
        if sizes is None:
            raise ValueError("the path-size logit needs the routes' path sizes")
        utility = utility + np.log(np.asarray(sizes, dtype=float))
    utility -= utility.max()  # exp of the largest is 1: no overflow whatever the costs
    weights = np.exp(utility)
    return weights / weights.sum()


def successive_average(shares: np.ndarray, target: np.ndarray, iteration: int) -> np.ndarray:
    """The split after iteration ``iteration`` (1, 2, ...) of the method of successive
    averages: a step of 1/iteration from ``shares`` toward ``target``."""
    if iteration < 1:
        raise ValueError(f"iterations count from 1 (got {iteration})")
    return shares + (target - shares) / iteration
