r"""Geometry-free solvers for quality-valued maximum coverage.

The core of :mod:`coverage`: it sees a sparse matrix ``A`` (configurations ×
demand points, quality values in (0, 1]), demand weights and a few index
arrays, never a geometry.

The model
---------
Choose a set ``S`` of at most ``budget`` rows of ``A`` (at most one per group)
that maximizes

.. math:: f(S) = \sum_j w_j \max_{i \in S \cup F} A_{ij}

where ``F`` are the rows already installed (``fixed``): they count toward the
coverage and not toward the budget.  Every :class:`Solution` carries
``objective`` (recomputed from ``selected``), ``upper_bound`` (a proven bound
on the optimum) and ``gap = (upper_bound - objective) / upper_bound``.

The package
-----------
``max_coverage`` (here) checks its arguments once (``_inputs``), folds the
fixed rows into a reduced *core* (``_core``) with its side constraints
(``_constraints``), and hands it to one orchestrator per objective:
``_solve_max`` (reductions → greedy → local → bound → decomposition →
exact) or ``_solve_generic`` (k-coverage and probabilistic credit,
``generic``).  One module per method: ``reductions``, ``greedy``, ``local``,
``bound``, ``decompose``, ``exact``; the HiGHS code both MILPs share
is in ``_highs``.  ``objective`` and ``is_feasible`` (``_checks``) recompute
a plan's value and feasibility from the matrix alone.

The methods
-----------
Objective: ``f(S) = sum_j w_j * max_{i in S ∪ fixed} A[i, j]``, monotone
submodular.  The fixed rows are folded into a base level first, so every
stage works on ``V_ij = w_j (A_ij - c0_j)^+`` over the selectable rows.

- Reductions (``reductions``; plain problems and groups only, every method
  but ``"greedy"``): rows with no value, rows covered entry by entry by
  another row of their group or by the only row left in another group are
  dropped, and columns with the same rows and proportional values are merged
  (scales summed).  The optimum is unchanged.
- Greedy is lazy (CELF): stale gains are upper bounds; ties go to the
  lowest row index; with `costs` the ratio greedy and the plain greedy
  both run and the better plan is kept.  Its online bound is
  ``min(sum_j w_j max_i A_ij, f(S_t) + sum of the budget largest marginal
  gains w.r.t. S_t, at most one per group)``, the best over the steps.
- Local search applies improving swaps (row out, row in) in batches whose
  columns do not overlap; it never makes the plan worse.
- The Lagrangian bound relaxes ``sum_i u_ij <= 1`` in the LP
  ``max sum V_ij u_ij, u_ij <= x_i, sum x_i <= K, one per group``:
  ``L(lam) = sum_j lam_j + top-K group maxima of sum_j (V_ij - lam_j)^+``
  is an upper bound for every ``lam >= 0`` (its minimum is the LP bound);
  projected subgradient steps lower it.  Columns covered by one group only
  keep ``lam_j = 0`` (optimal), so the steps work on contested columns.
- Decomposition (``decompose``; plain problems and groups only): the
  coverage graph splits into independent components; the budget is priced
  at ``mu`` (between the K-th and (K+1)-th group value of the Lagrangian),
  so ``mu K + sum_c B_c`` bounds the optimum for any bounds ``B_c`` of the
  components' priced problems ``max f_c(S) - mu |S|``.  Every component
  with a gap gets an exact priced MILP (most gap per entry first; work
  limits in ``decompose.Work``); their plans are swapped in, the union
  fitted to the budget and polished by swaps.  Costs, quotas and
  separation couple components: those problems skip this stage.
- Exact: rows that cannot be in any plan better than the incumbent (by the
  Lagrangian reduced costs) are removed, groups that must be used are
  forced, and the remaining level MILP goes to HiGHS with the warm start.
  The bound is then ``max(incumbent, MILP dual bound)``.
- Side constraints enter every stage: greedy and swaps check them (and
  reserve room for quota minima), bounds relax them (minima and separation
  dropped, money by a fractional knapsack), and the MILP has them as rows.
- Limits are counted in work (swap passes, subgradient steps, perturbation
  rounds, pieces, MILP nodes; HiGHS on one thread), so the same inputs and
  seed give the same plan on any machine load; ``time_limit_s`` is a safety
  cap, and ``Solution.stopped_by == "time_limit"`` says when it cut the run
  (only then may the plan vary).
- ``k_coverage > 1`` and ``combine="probabilistic"`` use a simpler path
  (surrogate greedy for k-coverage, swaps on the true objective, MILP with
  binary levels or tangent cuts); meant for small and medium instances.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from coverage._validate import check_choice, check_number
from coverage.optimize import _inputs
from coverage.optimize._checks import is_feasible, objective
from coverage.optimize._constraints import build_constraints
from coverage.optimize._core import build_core
from coverage.optimize._inputs import METHODS, SeedLike
from coverage.optimize._solution import CoverageCurve, Progress, Solution, TracePoint
from coverage.optimize._solve_generic import solve_generic
from coverage.optimize._solve_max import solve_max

__all__ = [
    "METHODS",
    "CoverageCurve",
    "Progress",
    "Solution",
    "TracePoint",
    "coverage_curve",
    "is_feasible",
    "max_coverage",
    "objective",
    "plan_phases",
]


def max_coverage(  # noqa: PLR0913 - public door, options keyword-only
    A: Any,
    weights: ArrayLike,
    *,
    budget: float,
    groups: ArrayLike | None = None,
    fixed: ArrayLike | None = None,
    method: str = "auto",
    time_limit_s: float | None = None,
    gap_tol: float = 1e-3,
    rng: SeedLike = None,
    progress: Callable[[Progress], None] | None = None,
    costs: ArrayLike | None = None,
    labels: ArrayLike | None = None,
    quotas: Mapping[Any, tuple[int | None, int | None]] | None = None,
    xy: ArrayLike | None = None,
    min_separation_m: float | None = None,
    k_coverage: int = 1,
    combine: str = "max",
    client: Any = None,
    n_pieces: int | None = None,
) -> Solution:
    """Choose at most `budget` configurations that maximize covered demand weight.

    Parameters
    ----------
    A
        scipy.sparse matrix (or dense array), shape (n_configurations,
        n_demand); values are coverage qualities in (0, 1] (1 = full credit).
    weights
        Demand weights, shape (n_demand,), finite and >= 0.
    budget
        Maximum number of configurations to choose (fixed rows are free).
    groups
        Optional group id per row: at most one configuration per group (a
        site hosts one set in one rotation).  A group holding a fixed row is
        closed.
    fixed
        Optional row indices already installed: they count toward coverage
        and not toward the budget.
    method
        ``"greedy"``: lazy greedy and its online bound.  ``"local"``: greedy,
        then swap local search and the Lagrangian bound.  ``"exact"``: all of
        that, then the HiGHS MILP (reduced first) to proven optimality or the
        time limit.  ``"auto"``: the stages in that order, stopping as soon as
        the gap is at most `gap_tol` or the time is up.
    time_limit_s
        Wall-time limit of the whole call (greedy always completes).  None
        means 60 s for ``"auto"``, 30 s for ``"local"``, 300 s for
        ``"exact"`` and none for ``"greedy"``.  The limit is enforced on HiGHS
        too (large models run in a child process killed at the deadline).
        It is a safety cap: the stages' work is counted, so a run that ends
        before it (``Solution.stopped_by != "time_limit"``) gives the same
        plan on any machine load.
    gap_tol
        Relative gap at which ``"auto"``, ``"local"`` stop (``"exact"``
        aims at 1e-9).
    rng
        Seed or Generator, normalized once; it drives the perturbation
        search (drop a few rows at random, refill, swap; up to 30 rounds
        without improvement, a work-counted number in all) of ``"auto"``
        and ``"exact"``.  Same seed, same plan (unless the cap cut the run).
    progress
        Optional callable receiving a :class:`Progress` now and then.
    costs
        Optional cost per row (finite, > 0).  Then `budget` is the total cost
        allowed (a number) instead of a count.
    labels
        Optional label per row (e.g. the district), used by `quotas`.
    quotas
        ``{label: (min, max)}``: how many chosen rows each label must and may
        get (None: no limit on that side).  Fixed rows do not count.
    xy
        Row coordinates, shape (n_configurations, 2), in metres; needed by
        `min_separation_m`.
    min_separation_m
        Chosen rows must be at least this far apart (fixed rows excepted).
    k_coverage
        A demand point earns credit only when at least `k_coverage` chosen or
        fixed rows cover it; the credit is its weight times the k-th best
        quality.  A point with fewer than k possible coverers never earns.
    combine
        ``"max"`` (credit = best quality) or ``"probabilistic"`` (credit =
        ``1 - prod(1 - q)`` over the covering rows, detections independent).
    client, n_pieces
        A dask Client: solve by `n_pieces` pieces on it (see :mod:`coverage.distributed`).

    Returns
    -------
    Solution
        ``selected`` in the order chosen, ``objective`` recomputed from it,
        a proven ``upper_bound``, the ``gap`` and ``stopped_by`` (why the run
        ended: ``"optimal"``, ``"gap"``, ``"work_limit"``, ``"time_limit"``
        or ``"done"``; see :class:`Solution`).

    Raises
    ------
    InputError
        If ``A``, ``weights``, ``groups`` or ``fixed`` are malformed: a sparse
        ``A`` with an index outside its shape, or giving one (row, column)
        entry twice (scipy would add the two up silently), values outside
        [0, 1], NaN or negative weights, a fixed row listed twice.
    ParameterError
        If ``budget``, ``method``, ``time_limit_s``, ``gap_tol`` or ``rng``
        (None, an int >= 0 or a Generator) are out of range, or the quota
        minima cannot be met by any plan (they add up to more than the
        budget, or a label has fewer open groups than its minimum).

    Notes
    -----
    How each stage works, and its bound: see the module's "The methods" section.

    ``upper_bound`` is always a proven bound; ``objective`` is always
    recomputed from ``selected`` by :func:`objective`.

    Examples
    --------
    >>> from scipy.sparse import csr_array
    >>> A = csr_array([[1, 1, 0], [0, 1, 1], [0, 0, 1]])
    >>> sol = max_coverage(A, [1, 1, 1], budget=1, method="greedy")
    >>> sol.selected.tolist(), sol.objective
    ([0], 2.0)
    >>> max_coverage(A, [1, 1, 1], budget=2).objective
    3.0
    """
    if client is not None:  # the pieces go to a dask cluster
        return _on_cluster(locals())
    t0 = time.perf_counter()
    owner = "max_coverage"
    M = _inputs.as_csr(A, owner)
    n, m = M.shape
    w = _inputs.as_weights(weights, m, owner)
    run = _inputs.check_run(method, time_limit_s, gap_tol, rng, progress, t0)
    fx = _inputs.as_fixed(fixed, n, owner)
    budget, cost_arr = _inputs.check_budget(budget, costs, n, fx.size, owner)
    group_ids = _inputs.as_groups(groups, n, owner)
    k_coverage = check_number(k_coverage, "k_coverage", owner, low=1, integer=True)
    combine = check_choice(combine, "combine", owner, _inputs.COMBINE)
    quota_arrays = _inputs.as_quotas(labels, quotas, n, owner)
    sep_pairs = _inputs.separation_pairs(xy, min_separation_m, n, owner)
    max_count = int(budget) if cost_arr is None else max(1, n - fx.size)  # costs: count free
    core = build_core(M, w, budget=max_count, fixed=fx, group_ids=group_ids)
    _inputs.check_quotas_feasible(
        quotas, quota_arrays, core.rows, group_ids, None if cost_arr is not None else budget, owner
    )
    constraints = build_constraints(core, cost_arr, budget, quota_arrays, sep_pairs)
    inst = _inputs.Instance(M, w, fx)
    if k_coverage > 1 or combine == "probabilistic":
        return solve_generic(inst, core, constraints, run, k_coverage=k_coverage, combine=combine)
    return solve_max(inst, core, constraints, run)


def _on_cluster(args: dict[str, Any]) -> Solution:
    """Solve on a dask cluster (:func:`coverage.distributed.max_coverage`; dask imported here)."""
    from coverage.distributed import _front_door

    return _front_door(**args)


def plan_phases(  # noqa: PLR0913 -- keyword-only options of a public entry point
    A: Any,
    weights: ArrayLike,
    *,
    budgets: Sequence[float],
    fixed: ArrayLike | None = None,
    method: str = "auto",
    time_limit_s: float | None = None,
    on_phase: Callable[[int, Solution], None] | None = None,
    **options: Any,
) -> tuple[Solution, ...]:
    """Plan in phases: each phase adds to the plans of the phases before it.

    Phase ``p`` solves :func:`max_coverage` with ``budget=budgets[p]`` and the
    rows of ``fixed`` and of every earlier phase as fixed rows, so the plans
    are nested: the first phase is what to install first.

    Parameters
    ----------
    A, weights
        As in :func:`max_coverage`.
    budgets
        Budget of each phase (counts, or money with ``costs``).
    fixed
        Rows already installed before the first phase.
    method
        Method of every phase.
    time_limit_s
        Wall-time limit of each phase.
    on_phase
        Optional ``on_phase(p, solution)``, called as soon as phase ``p`` (0-based)
        is solved, before the next one starts (for progress reports).
    **options
        Any other keyword of :func:`max_coverage` (groups, costs, quotas,
        k_coverage, ...); quotas apply to each phase separately.

    Returns
    -------
    tuple of Solution
        One per phase: ``selected`` holds the rows that phase adds,
        ``objective`` the coverage of everything installed after it, and
        ``upper_bound`` a bound on the best that phase could add given the
        earlier phases.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.eye(4)
    >>> p1, p2 = plan_phases(A, [4, 3, 2, 1], budgets=[1, 2], method="greedy")
    >>> p1.selected.tolist(), p2.selected.tolist(), p2.objective
    ([0], [1, 2], 9.0)
    """
    _inputs.check_budgets(budgets, "plan_phases")
    M = _inputs.as_csr(A, "plan_phases")
    installed = _inputs.as_index(fixed, M.shape[0], "fixed", "plan_phases")
    _inputs.check_phase_total(budgets, M.shape[0] - np.unique(installed).size, options)
    out: list[Solution] = []
    for b in budgets:
        sol = max_coverage(
            M,
            weights,
            budget=b,
            fixed=installed,
            method=method,
            time_limit_s=time_limit_s,
            **options,
        )
        out.append(sol)
        installed = np.concatenate([installed, sol.selected])
        if on_phase is not None:
            on_phase(len(out) - 1, sol)
    return tuple(out)


def coverage_curve(
    A: Any,
    weights: ArrayLike,
    *,
    budgets: Sequence[float],
    method: str = "greedy",
    time_limit_s: float | None = None,
    **options: Any,
) -> CoverageCurve:
    """Best coverage found and its proven bound for each budget.

    Each point is an independent :func:`max_coverage` run.  With
    ``method="greedy"`` the plans are nested (each is a prefix of the next).

    Parameters
    ----------
    A, weights
        As in :func:`max_coverage`.
    budgets
        The budgets to evaluate.
    method, time_limit_s
        Method and wall-time limit of each point.
    **options
        Any other keyword of :func:`max_coverage`.

    Returns
    -------
    CoverageCurve

    Examples
    --------
    >>> import numpy as np
    >>> curve = coverage_curve(np.eye(3), [3, 2, 1], budgets=[1, 2, 3])
    >>> curve.objective.tolist(), curve.upper_bound.tolist()
    ([3.0, 5.0, 6.0], [3.0, 5.0, 6.0])
    """
    _inputs.check_budgets(budgets, "coverage_curve")
    M = _inputs.as_csr(A, "coverage_curve")
    sols = tuple(
        max_coverage(M, weights, budget=b, method=method, time_limit_s=time_limit_s, **options)
        for b in budgets
    )
    return CoverageCurve(
        budgets=np.asarray(budgets, dtype=np.float64),
        objective=np.array([s.objective for s in sols]),
        upper_bound=np.array([s.upper_bound for s in sols]),
        gap=np.array([s.gap for s in sols]),
        solutions=sols,
    )
