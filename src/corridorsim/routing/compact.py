"""The expanded graph of one policy as compact arrays, and the k best paths on it.

The search is SciPy's Yen (:func:`scipy.sparse.csgraph.yen`, compiled code) on a CSR matrix
with int32 indices. Before the matrix is built, the expanded graph is reshaped so that every
physical route has exactly one path in it, at the cost of its best carrier labels:

- **Ferry states are eliminated.** An arc into a state aboard a ferry and an arc out of it
  become one arc: rolling on, sailing and rolling off (or staying aboard for the next sailing)
  is a single arc. Where wagons and trucks could both take the same ferry between the same two
  states, only the better way under the policy is kept: the carrier labels differ, the links
  are the same.
- **A route ends through one arc per arriving state**: the best way from it to a state a route
  may end in (on land), to an end vertex of the node. End arcs are matrix entries of infinite
  weight, given their weight for the destination of a query only.
- **A route starts through one arc per first step** (built per query): the best start carrier
  for each state the route can be in after the origin.
- **An arriving state whose one way on is its departing state is merged with it**, which
  halves the vertices of a plain line.

Two arcs between the same two vertices that run different links stay apart through a vertex
of their own. What is left holds the same routes at the same costs as the expanded graph,
without carrier-label variants, so the paths Yen returns are physically different routes
(less any that pass a node twice, which the router skips).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import yen

from corridorsim.routing.carriers import mode_of
from corridorsim.routing.graph import (
    ARRIVING,
    DEPART,
    ExpandedGraph,
    Vertex,
    is_border_at,
    without_borders_at,
)
from corridorsim.routing.route import Leg

Links = tuple[str, ...]
#: An arc's value in the working graph: its weight under the policy and the legs it stands for.
Arc = tuple[float, tuple[Leg, ...]]


def _links(legs: Iterable[Leg]) -> Links:
    return tuple(leg.id for leg in legs if leg.kind == "link")


@dataclass(frozen=True)
class End:
    """The vertex a route ending at ``node`` reaches last (one per node, never numbered: its
    arcs become the matrix's end entries)."""

    node: str


#: The head of a source arc that ends the route at once (origin and destination one arc apart).
_SINK = End("<sink>")


class _Working:
    """A multigraph under reshaping: at most one arc per (tail, head, links), the lightest."""

    def __init__(self) -> None:
        self.out: dict[Hashable, dict[tuple[Hashable, Links], Arc]] = defaultdict(dict)
        self.into: dict[Hashable, dict[tuple[Hashable, Links], None]] = defaultdict(dict)

    def add(self, tail: Hashable, head: Hashable, weight: float, legs: tuple[Leg, ...]) -> None:
        key = (head, _links(legs))
        found = self.out[tail].get(key)
        if found is None or weight < found[0]:
            self.out[tail][key] = (weight, legs)
            self.into[head][(tail, key[1])] = None

    def eliminate(self, vertex: Hashable) -> list[tuple[Hashable, Arc]]:
        """Replace every pair of arcs through ``vertex`` by one arc, then drop it; the arcs
        that left it, as (head, arc)."""
        outs = self.out.pop(vertex, {})
        ins = [(tail, links) for tail, links in self.into.pop(vertex, {})]
        for head, links in outs:
            del self.into[head][(vertex, links)]
        arriving = [(tail, self.out[tail].pop((vertex, links))) for tail, links in ins]
        for tail, (w1, legs1) in arriving:
            for (head, _), (w2, legs2) in outs.items():
                legs = legs1 + legs2
                # Back at a node it has passed (a ferry out and back): never part of a route.
                if head != tail and not _passes_twice(legs):
                    self.add(tail, head, w1 + w2, legs)
        return [(head, arc) for (head, _), arc in outs.items()]

    def merge(self, kept: Hashable, gone: Hashable) -> None:
        """Let ``kept`` take over the arcs out of ``gone``, its one successor by a free arc."""
        del self.out[kept][(gone, ())]
        self.into.pop(gone)
        for (head, links), arc in self.out.pop(gone, {}).items():
            del self.into[head][(gone, links)]
            self.add(kept, head, *arc)


class CompactGraph:
    """The expanded graph under one policy, reshaped (see the module) and held as CSR arrays.

    Built once per router and policy; :meth:`paths` only reads it, so threads may share it.
    """

    def __init__(self, expanded: ExpandedGraph, policy: str) -> None:
        cost = expanded.cost
        self.policy = policy

        def weight(legs: Sequence[Leg]) -> float:
            hours = sum(leg.hours for leg in legs)
            usd = sum(leg.total_usd_per_wagon for leg in legs)
            return cost.weight(policy, hours, usd)

        self._weight = weight
        work = _Working()
        for (tail, head), legs in expanded.arcs.items():
            work.add(tail, head, weight(legs), legs)
        self._add_end_arcs(expanded, work)
        order = list(dict.fromkeys(v for arc in expanded.arcs for v in arc))
        #: The arcs out of each eliminated vertex as they were when it went (heads alive
        #: then): what a query starting in an eliminated state walks to the kept vertices.
        self._before: dict[Hashable, list[tuple[Hashable, Arc]]] = {}
        for vertex in order:
            if vertex[0] == "via" or _aboard(vertex):
                self._before[vertex] = work.eliminate(vertex)
        self._merged: dict[Hashable, Hashable] = {}
        for vertex in order:
            if len(vertex) == 3 and vertex[2] in ARRIVING and vertex in work.out:
                self._merge_layers(work, vertex)
        for vertex in order:
            if vertex not in self._before and vertex not in self._merged:
                self._pass_through(work, vertex)
        self._work = work
        self._materialize([v for v in order if v not in self._before and v not in self._merged])

    def _pass_through(self, work: _Working, vertex: Hashable) -> None:
        """Eliminate ``vertex`` where that leaves no more arcs than it removes (a station on a
        line: two ways in, two ways on, become two arcs past it)."""
        ins = len(work.into.get(vertex, ()))
        outs = sum(1 for head, _ in work.out.get(vertex, ()) if not isinstance(head, End))
        if ins * outs <= ins + outs:
            self._before[vertex] = work.eliminate(vertex)

    # -- building ------------------------------------------------------------------------------

    def _add_end_arcs(self, expanded: ExpandedGraph, work: _Working) -> None:
        """From every arriving state, the best way to a state a route may end in."""
        ends: dict[str, list[Vertex]] = {}
        for (tail, head), legs in expanded.arcs.items():
            if len(tail) != 3 or tail[2] not in ARRIVING or head[0] != tail[0]:
                continue
            node_id = tail[0]
            if node_id not in ends:
                ends[node_id] = expanded.end_vertices(node_id, DEPART)
            if head in ends[node_id]:
                work.add(tail, End(node_id), self._weight(legs), legs)

    def _merge_layers(self, work: _Working, arriving: Vertex) -> None:
        onward = [key for key in work.out[arriving] if not isinstance(key[0], End)]
        if len(onward) != 1:
            return
        departing, links = onward[0]
        if links or work.out[arriving][onward[0]][1] or len(work.into[departing]) != 1:
            return
        if not (isinstance(departing, tuple) and departing[:2] == arriving[:2]):
            return
        work.merge(arriving, departing)
        self._merged[departing] = arriving

    def _materialize(self, kept: list[Vertex]) -> None:
        work = self._work
        ids: dict[Hashable, int] = {v: i for i, v in enumerate(kept)}
        rows: list[int] = []
        cols: list[int] = []
        weights: list[float] = []
        legs_of: dict[tuple[int, int], tuple[Leg, ...]] = {}
        #: End entries: (entry, node, arc). An entry holds its arc's weight only in a query
        #: for that node; one entry per vertex to the sink serves every node it can end at.
        ends: list[tuple[int, str, Arc, tuple[str, ...]]] = []
        #: The nodes each regular entry runs through, tail node first (() for a free arc
        #: out of an extra vertex: the arc into that vertex has them).
        passes: list[tuple[str, ...]] = []
        to_sink: dict[int, int] = {}
        vias: list[tuple[int, Hashable, Arc, str]] = []
        #: Entries that leave a node through its borders, by that node: (entry, the weight
        #: without them), for queries from a node whose borders are already passed.
        exits: dict[str, list[tuple[int, float]]] = defaultdict(list)

        def note_exit(entry: int, node_id: str, legs: tuple[Leg, ...]) -> None:
            if any(is_border_at(leg, node_id) for leg in legs):
                exits[node_id].append((entry, self._weight(without_borders_at(node_id, legs))))

        for vertex in kept:
            tail = ids[vertex]
            heads: set[Hashable] = set()
            for (head, _), arc in work.out.get(vertex, {}).items():
                if head in heads:  # a second arc to the same head (a second link)
                    vias.append((tail, head, arc, vertex[0]))
                    continue
                heads.add(head)
                nodes = _nodes(vertex[0], arc[1])
                if isinstance(head, End):
                    if tail not in to_sink:
                        to_sink[tail] = len(rows)
                        rows.append(tail)
                        cols.append(-1)  # the sink, numbered below
                        weights.append(np.inf)
                        passes.append(())
                    ends.append((to_sink[tail], head.node, arc, nodes))
                else:
                    note_exit(len(rows), vertex[0], arc[1])
                    rows.append(tail)
                    cols.append(ids[head])
                    weights.append(arc[0])
                    passes.append(nodes)
                    legs_of[tail, ids[head]] = arc[1]
        # A second arc between the same two vertices runs through a vertex of its own, and
        # so does a second way of ending at the same node from the same vertex.
        count = len(kept)
        for tail, head, arc, tail_node in vias:
            via = count
            count += 1
            nodes = _nodes(tail_node, arc[1])
            if isinstance(head, End):
                ends.append((len(rows), head.node, arc, nodes))
                rows.append(tail)
                cols.append(via)
                weights.append(np.inf)
                passes.append(())
                rows.append(via)
                cols.append(-1)
            else:
                note_exit(len(rows), tail_node, arc[1])
                rows.append(tail)
                cols.append(via)
                weights.append(arc[0])
                passes.append(nodes)
                legs_of[tail, via] = arc[1]
                rows.append(via)
                cols.append(ids[head])
            weights.append(0.0)
            passes.append(())
            legs_of[via, cols[-1]] = ()
        self.sink = sink = count
        self.size = count + 1
        row = np.asarray(rows, dtype=np.int64)
        col = np.asarray(cols, dtype=np.int64)
        col[col < 0] = sink
        legs_of = {(t, sink if h < 0 else h): legs for (t, h), legs in legs_of.items()}
        order = np.lexsort((col, row))
        self._indices = col[order].astype(np.int32)
        self._indptr = np.concatenate(
            ([0], np.cumsum(np.bincount(row, minlength=self.size)))
        ).astype(np.int32)
        self._data = np.asarray(weights, dtype=np.float64)[order]
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        self._ends = _end_entries(ends, position, rows, col, self._weight)
        self._exits = {
            n: (
                np.asarray([position[e] for e, _ in v], dtype=np.int64),
                np.asarray([w for _, w in v], dtype=np.float64),
            )
            for n, v in exits.items()
        }
        # A route passes its origin and its destination once: per node, the entries a query
        # from it or to it shuts (weight infinity) so that no path can come back to it.
        after_start: dict[str, list[int]] = defaultdict(list)
        before_end: dict[str, list[int]] = defaultdict(list)
        for entry, nodes in enumerate(passes):
            if not nodes:
                continue
            at = int(position[entry])
            after_start[nodes[-1]].append(at)
            before_end[nodes[0]].append(at)
            for node_id in set(nodes[1:-1]):
                after_start[node_id].append(at)
                before_end[node_id].append(at)
        self._after_start = {n: np.asarray(v, dtype=np.int64) for n, v in after_start.items()}
        self._before_end = {n: np.asarray(v, dtype=np.int64) for n, v in before_end.items()}
        self._ids = ids
        self._legs = legs_of

    def fingerprint(self) -> str:
        """A digest of the arrays a query reads (the same before and after any query)."""
        digest = hashlib.sha256()
        for array in (self._data, self._indices, self._indptr):
            digest.update(array.tobytes())
        for node_id in sorted(self._ends):
            for at, w, *_ in self._ends[node_id][0]:
                digest.update(f"{node_id}:{at}:{w!r}".encode())
        return digest.hexdigest()

    # -- queries -------------------------------------------------------------------------------

    def _first_steps(self, state: Vertex) -> list[tuple[Hashable, Arc]]:
        """The arcs out of a start state, as (head, arc), heads in the reshaped graph."""
        if state in self._ids:
            return list((head, arc) for (head, _), arc in self._work.out.get(state, {}).items())
        begin = self._merged.get(state, state)
        if begin not in self._before:
            return []
        # Starting in an eliminated state: walk through eliminated vertices to kept ones.
        found: list[tuple[Hashable, Arc]] = []
        stack: list[tuple[Hashable, float, tuple[Leg, ...], frozenset[Hashable]]] = [
            (begin, 0.0, (), frozenset([begin]))
        ]
        while stack:
            vertex, w, legs, seen = stack.pop()
            for head, (w2, legs2) in self._before[vertex]:
                head = self._merged.get(head, head)
                if head in seen:
                    continue
                if head in self._before:
                    stack.append((head, w + w2, legs + legs2, seen | {head}))
                else:
                    found.append((head, (w + w2, legs + legs2)))
        return found

    def paths(
        self,
        starts: Sequence[tuple[Vertex, tuple[Leg, ...]]],
        origin: str,
        destination: str,
        count: int,
        *,
        passed: bool = False,
    ) -> list[tuple[Leg, ...]]:
        """The legs of up to ``count`` best paths from ``starts`` (states at ``origin``) to
        ``destination``, best first; none comes back to its origin or passes its destination.

        ``starts`` pairs each state a route may begin in with the legs met there first;
        ``passed``: the origin's borders are already passed (no path meets them).
        """
        first = self._source_arcs(starts, origin, destination, passed)
        if not first:
            return []
        matrix, query_legs = self._query_matrix(first, origin, destination, passed)
        source = self.size
        distances, predecessors = yen(matrix, source, self.sink, count, return_predecessors=True)
        end_legs = self._ends.get(destination, ([], {}))[1]
        out = []
        for distance, row in zip(distances.tolist(), predecessors, strict=True):
            if not math.isfinite(distance):
                break
            chain = row.tolist()  # plain ints: quicker to walk than numpy scalars
            parts: list[tuple[Leg, ...]] = []
            vertex = self.sink
            while vertex != source:
                before = chain[vertex]
                arc = (before, vertex)
                step = query_legs.get(arc)
                if step is None:
                    step = end_legs[arc] if arc in end_legs else self._legs[arc]
                parts.append(step)
                vertex = before
            legs = tuple(leg for part in reversed(parts) for leg in part)
            out.append(without_borders_at(origin, legs) if passed else legs)
        return out

    def _source_arcs(
        self,
        starts: Sequence[tuple[Vertex, tuple[Leg, ...]]],
        origin: str,
        destination: str,
        passed: bool = False,
    ) -> dict[tuple[Hashable, Links], Arc]:
        """The source's arcs: for each first step and the links it runs, the best start
        (without the origin's borders if they are ``passed``).

        A head :data:`_SINK` stands for ending at ``destination`` in the first step.
        """
        first: dict[tuple[Hashable, Links], Arc] = {}
        for state, met in starts:
            w_met = self._weight(met)
            for head, (w, legs) in self._first_steps(state):
                if passed and any(is_border_at(leg, origin) for leg in legs):
                    legs = without_borders_at(origin, legs)
                    w = self._weight(legs)
                nodes = _nodes(origin, legs)
                if origin in nodes[1:] or destination in nodes[1:-1]:
                    continue  # back at the origin, or through the destination
                if isinstance(head, End):
                    if head.node != destination:
                        continue
                    head = _SINK
                key = (head, _links(legs))
                if key not in first or w_met + w < first[key][0]:
                    first[key] = (w_met + w, met + legs)
        return first

    def _query_matrix(
        self,
        first: dict[tuple[Hashable, Links], Arc],
        origin: str,
        destination: str,
        passed: bool = False,
    ) -> tuple[csr_array, dict[tuple[int, int], tuple[Leg, ...]]]:
        """The CSR matrix of one query, and the legs of its own arcs.

        The shared arrays with the destination's end entries given their weights (without
        the origin's borders, where they are ``passed``), the entries out of the origin
        through its borders without them (``passed``), and the entries back into the origin
        or on from the destination shut, then the source's row,
        then a row for each extra vertex that keeps a second arc to the same head apart.
        """
        source = self.size
        columns: list[int] = []
        weights: list[float] = []
        extra: list[int] = []  # the head of each extra vertex (its one arc weighs 0)
        legs_of: dict[tuple[int, int], tuple[Leg, ...]] = {}
        heads: set[int] = set()
        for (head, _), (w, legs) in first.items():
            target = self.sink if head is _SINK else self._ids[head]
            if target in heads:
                via = source + 1 + len(extra)
                extra.append(target)
                legs_of[via, target] = ()
                target_col = via
            else:
                heads.add(target)
                target_col = target
            columns.append(target_col)
            weights.append(w)
            legs_of[source, target_col] = legs
        order = np.argsort(columns, kind="stable")
        data = self._data.copy()
        for at, w, _, reached, tail_node, w_passed in self._ends.get(destination, ([], {}))[0]:
            if origin not in reached:
                data[at] = w_passed if passed and tail_node == origin else w
        if passed and origin in self._exits:
            at_exits, w_exits = self._exits[origin]
            data[at_exits] = w_exits
        for shut in (self._after_start.get(origin), self._before_end.get(destination)):
            if shut is not None:
                data[shut] = np.inf
        nnz = len(self._indices) + len(columns)
        indptr = np.concatenate((self._indptr, [nnz], nnz + np.arange(1, len(extra) + 1))).astype(
            np.int32
        )
        indices = np.concatenate((self._indices, np.asarray(columns)[order], extra)).astype(
            np.int32
        )
        data = np.concatenate((data, np.asarray(weights)[order], np.zeros(len(extra))))
        size = source + 1 + len(extra)
        return csr_array((data, indices, indptr), shape=(size, size)), legs_of


def _nodes(tail_node: str, legs: tuple[Leg, ...]) -> tuple[str, ...]:
    """The nodes an arc out of a vertex at ``tail_node`` runs through, that node first."""
    return (tail_node, *(leg.to_node for leg in legs if leg.kind == "link"))


EndEntries = list[tuple[int, float, tuple[Leg, ...], frozenset[str], str, float]]
"""End entries: (position, weight, legs, the nodes run through after the tail's, the tail's
node, the weight without the tail node's borders)."""


def _end_entries(
    ends: list[tuple[int, str, Arc, tuple[str, ...]]],
    position: np.ndarray,
    rows: list[int],
    cols: np.ndarray,
    weight: Callable[[Sequence[Leg]], float],
) -> dict[str, tuple[EndEntries, dict[tuple[int, int], tuple[Leg, ...]]]]:
    """Per node, its end entries as (position, weight, legs, nodes run through after the
    first, the first, the weight without the first node's borders) and their legs by (tail,
    head). An end arc that reaches its node before its end
    (out and back) is left out: no route ends that way."""
    by_node: dict[str, tuple[EndEntries, dict[tuple[int, int], tuple[Leg, ...]]]] = {}
    for entry, node_id, (w, legs), nodes in ends:
        if node_id in nodes[:-1] and len(nodes) > 1:
            continue
        entries, end_legs = by_node.setdefault(node_id, ([], {}))
        tail_node = nodes[0]
        w_passed = (
            weight(without_borders_at(tail_node, legs))
            if any(is_border_at(leg, tail_node) for leg in legs)
            else w
        )
        entries.append((int(position[entry]), w, legs, frozenset(nodes[1:]), tail_node, w_passed))
        end_legs[rows[entry], int(cols[entry])] = legs
    return by_node


def _passes_twice(legs: tuple[Leg, ...]) -> bool:
    """Whether the links among ``legs`` reach a node they have already passed."""
    runs = [leg for leg in legs if leg.kind == "link"]
    if len(runs) < 2:
        return False
    nodes = [runs[0].from_node, *(leg.to_node for leg in runs)]
    return len(set(nodes)) != len(nodes)


def _aboard(vertex: Hashable) -> bool:
    """Whether ``vertex`` is a state aboard a ferry."""
    return isinstance(vertex, tuple) and len(vertex) == 3 and mode_of(str(vertex[1])) == "ferry"
