"""Exact solves with HiGHS (highspy): the level MILP, its time limit and warm start.

Private: the public door is :func:`coverage.optimize.max_coverage`.

For a core problem (values ``V``, see ``_core``), column ``j`` with
distinct values ``v_1 < ... < v_L`` among its coverers gets one continuous
``z_jl in [0, 1]`` per level, with

    max  sum_jl (v_l - v_{l-1}) z_jl + sum_i const_i x_i
    s.t. z_jl <= sum_{i: V_ij >= v_l} x_i,
         sum_i x_i <= K,  sum_{i in g} x_i <= 1,  x binary,

(``const_i``: columns covered by a single group, folded into the row).  HiGHS
was seen to overrun its own ``time_limit``: the limit is enforced here with
interrupt callbacks, and the best plan and dual bound found are kept.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csr_array

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class ExtraRows:
    """Linear side constraints on x: ``lower <= M @ x <= upper``."""

    M: csr_array
    lower: FloatArray
    upper: FloatArray


@dataclass
class MilpResult:
    """What HiGHS left: a plan (core row ids), its value, the dual bound, a status."""

    selected: IntArray
    value: float
    bound: float
    status: str
    seconds: float
    optimal: bool
    lp_only: bool = False
    info: dict[str, Any] = field(default_factory=dict)


def level_model(Vc: csr_array, row_const: FloatArray) -> tuple[FloatArray, csr_array]:
    """Level rows of the contested part: objective of each ``z`` and the ``x`` links.

    Returns ``(dz, X)`` with ``X`` of shape (n_levels, n_rows): ``z_l <= X[l] @ x``.
    """
    n, m = Vc.shape
    if Vc.nnz == 0:
        return np.zeros(0), csr_array((0, n))
    C = Vc.tocsc()
    rows = C.indices.astype(np.int64)
    cols = np.repeat(np.arange(m, dtype=np.int64), np.diff(C.indptr))
    vals = C.data
    order = np.lexsort((vals, cols))  # by column, then value ascending
    rows, cols, vals = rows[order], cols[order], vals[order]
    new_level = np.concatenate([[True], (cols[1:] != cols[:-1]) | (vals[1:] != vals[:-1])])
    level_id = np.cumsum(new_level) - 1  # global level id of each entry
    n_levels = int(level_id[-1]) + 1
    lvl_val = vals[new_level]
    lvl_col = cols[new_level]
    first_of_col = np.concatenate([[True], lvl_col[1:] != lvl_col[:-1]])
    prev = np.concatenate([[0.0], lvl_val[:-1]])
    dz = np.where(first_of_col, lvl_val, lvl_val - prev)
    # entry at level r of its column joins levels (col_first_level .. r)
    col_first_level = np.flatnonzero(first_of_col)
    col_index_of_level = np.cumsum(first_of_col) - 1
    first_level_of_entry = col_first_level[col_index_of_level[level_id]]
    counts = level_id - first_level_of_entry + 1
    ent_rows = np.repeat(rows, counts)
    starts = np.repeat(first_level_of_entry - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    ent_lvls = starts + np.arange(int(counts.sum()), dtype=np.int64)
    X = csr_array((np.ones(ent_rows.size), (ent_lvls, ent_rows)), shape=(n_levels, n))
    return dz, X


def new_highs() -> Any:
    """A silent ``highspy.Highs`` (its one-time banner goes to /dev/null)."""
    import os
    import sys

    import highspy

    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # pragma: no cover - no real stdout
        h = highspy.Highs()
    else:
        saved = os.dup(fd)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), fd)
                h = highspy.Highs()
        finally:
            os.dup2(saved, fd)
            os.close(saved)
    h.silent()
    return h


#: Models with at least this many matrix entries run in a child process that is
#: killed at the deadline (HiGHS may not honour interrupts in every phase).
ISOLATE_NNZ = 40_000


def solve_milp(
    Vc: csr_array,
    row_const: FloatArray,
    group_ids: IntArray | None,
    budget: float,
    *,
    time_limit_s: float,
    isolate: bool | None = None,
    **kwargs: Any,
) -> MilpResult:
    """Solve the level MILP under a hard time limit (see ``_solve_here``).

    Large models (``isolate``, default: ``Vc.nnz >= ISOLATE_NNZ``) run in a
    child Python process (``python -c``, so the caller's script is never
    re-imported and needs no ``__main__`` guard); the parent receives each
    improving plan and the dual bound as they come, and kills the child at the
    deadline, keeping the best plan and bound received.
    """
    if isolate is None:
        isolate = Vc.nnz >= ISOLATE_NNZ and not kwargs.get("relax", False)
    if not isolate:
        return _solve_here(Vc, row_const, group_ids, budget, time_limit_s=time_limit_s, **kwargs)
    import os
    import pickle
    import queue
    import subprocess
    import sys
    import tempfile
    import threading

    t_start = time.perf_counter()
    deadline = t_start + float(time_limit_s)
    with tempfile.NamedTemporaryFile("wb", suffix=".pkl", delete=False) as tmp:
        pickle.dump((Vc, row_const, group_ids, budget, float(time_limit_s), kwargs), tmp)
        path = tmp.name
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from coverage.optimize.exact import _child_entry; _child_entry()",
            path,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    messages: queue.Queue[Any] = queue.Queue()

    def _reader() -> None:
        stream = proc.stdout
        assert stream is not None
        try:
            while True:
                head = stream.read(8)
                if len(head) < 8:
                    break
                body = stream.read(int.from_bytes(head, "little"))
                messages.put(pickle.loads(body))
        except (OSError, ValueError, pickle.UnpicklingError, EOFError):
            pass
        messages.put(("eof",))

    reader = threading.Thread(target=_reader, daemon=True)
    reader.start()
    best_sel = np.zeros(0, dtype=np.int64)
    best_val = -np.inf
    bound = np.inf
    result: MilpResult | None = None
    killed = False
    grace = 0.25
    try:
        while True:
            left = deadline + grace - time.perf_counter()
            if left <= 0:
                killed = True
                break
            try:
                kind, *payload = messages.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            if kind == "sol":
                sel, val = payload
                if val > best_val:
                    best_sel, best_val = np.asarray(sel, dtype=np.int64), float(val)
            elif kind == "bound":
                bound = min(bound, float(payload[0]))
            elif kind == "done":
                result = payload[0]
                break
            elif kind == "eof":
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        reader.join(timeout=2)
        if proc.stdout is not None:
            proc.stdout.close()
        with contextlib.suppress(OSError):
            os.unlink(path)
    seconds = time.perf_counter() - t_start
    if result is not None:
        if result.value < best_val:
            result.selected, result.value = best_sel, best_val
        result.bound = min(result.bound, bound) if np.isfinite(result.bound) else bound
        result.seconds = seconds
        result.info["isolated"] = True
        return result
    return MilpResult(
        selected=best_sel,
        value=best_val,
        bound=bound,
        status="killed at the time limit" if killed else "child process ended",
        seconds=seconds,
        optimal=False,
        info={"isolated": True, "killed": killed},
    )


class _PipeOut:
    """Length-prefixed pickled messages on a file descriptor (child side)."""

    def __init__(self, fd: int) -> None:
        import os

        self._f = os.fdopen(fd, "wb", buffering=0)

    def send(self, msg: Any) -> None:
        import pickle

        body = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        self._f.write(len(body).to_bytes(8, "little") + body)

    def close(self) -> None:
        self._f.close()


def _child_entry() -> None:  # pragma: no cover - runs in a child process
    """Entry point of the MILP child process: ``argv[1]`` is the pickled problem."""
    import os
    import pickle
    import sys

    # messages go to the original stdout; anything HiGHS prints goes to /dev/null
    out_fd = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    conn = _PipeOut(out_fd)
    with open(sys.argv[1], "rb") as fh:
        Vc, row_const, group_ids, budget, time_limit_s, kwargs = pickle.load(fh)
    try:
        res = _solve_here(
            Vc, row_const, group_ids, budget, time_limit_s=time_limit_s, conn=conn, **kwargs
        )
        conn.send(("done", res))
    finally:
        conn.close()


def _solve_here(
    Vc: csr_array,
    row_const: FloatArray,
    group_ids: IntArray | None,
    budget: int,
    *,
    time_limit_s: float,
    warm_start: IntArray | None = None,
    gap_tol: float = 1e-4,
    relax: bool = False,
    extra: ExtraRows | None = None,
    budget_row: FloatArray | None = None,
    fix_one: IntArray | None = None,
    threads: int | None = None,
    conn: Any = None,
    presolve: bool | None = None,
) -> MilpResult:
    """Solve the level MILP (or its LP with ``relax=True``) in this process.

    The time limit is enforced with HiGHS interrupt callbacks; with ``conn``
    (a pipe end), improving plans and dual bounds are sent as they come.
    ``presolve`` defaults to off when a warm start is given: HiGHS' presolve
    was seen to map a warm start of value 7777 to 7729 in its reduced space,
    and our models come reduced already.

    ``budget_row`` replaces the all-ones budget row (costs); ``fix_one`` rows
    are forced to 1.  Returns the best plan and the best proven bound.
    """
    import highspy  # local: keeps `import coverage.optimize` light

    t_start = time.perf_counter()
    n = Vc.shape[0]
    dz, X = level_model(Vc, row_const)
    L = dz.size
    n_var = n + L
    cost = np.concatenate([row_const, dz])
    lower = np.zeros(n_var)
    upper = np.ones(n_var)
    if fix_one is not None and fix_one.size:
        lower[fix_one] = 1.0
    blocks = []
    row_lo: list[FloatArray] = []
    row_hi: list[FloatArray] = []
    # level rows: z_l - X x <= 0
    if L:
        blocks.append(sparse.hstack([-X, sparse.identity(L, format="csr")], format="csr"))
        row_lo.append(np.full(L, -np.inf))
        row_hi.append(np.zeros(L))
    # budget row
    brow = np.ones(n) if budget_row is None else np.asarray(budget_row, dtype=np.float64)
    blocks.append(sparse.hstack([csr_array(brow[None, :]), csr_array((1, L))], format="csr"))
    row_lo.append(np.array([-np.inf]))
    row_hi.append(np.array([float(budget)]))
    # group rows (groups with >= 2 rows)
    if group_ids is not None and n:
        _, inv, cnt = np.unique(group_ids, return_inverse=True, return_counts=True)
        multi = cnt[inv] >= 2
        if multi.any():
            gi = inv[multi]
            _, gi = np.unique(gi, return_inverse=True)
            G = csr_array(
                (np.ones(int(multi.sum())), (gi, np.flatnonzero(multi))),
                shape=(int(gi.max()) + 1, n),
            )
            blocks.append(sparse.hstack([G, csr_array((G.shape[0], L))], format="csr"))
            row_lo.append(np.full(G.shape[0], -np.inf))
            row_hi.append(np.ones(G.shape[0]))
    if extra is not None and extra.M.shape[0]:
        blocks.append(sparse.hstack([extra.M, csr_array((extra.M.shape[0], L))], format="csr"))
        row_lo.append(extra.lower)
        row_hi.append(extra.upper)
    M = sparse.vstack(blocks, format="csc")
    M.sort_indices()

    h = new_highs()
    h.setOptionValue("time_limit", max(0.05, float(time_limit_s)))
    h.setOptionValue("mip_rel_gap", float(gap_tol))
    h.setOptionValue("random_seed", 0)
    if presolve is None:
        presolve = warm_start is None or warm_start.size == 0
    h.setOptionValue("presolve", "on" if presolve else "off")
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    lp = highspy.HighsLp()
    lp.num_col_ = n_var
    lp.num_row_ = M.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = np.concatenate(row_lo)
    lp.row_upper_ = np.concatenate(row_hi)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = M.indptr.astype(np.int32)
    lp.a_matrix_.index_ = M.indices.astype(np.int32)
    lp.a_matrix_.value_ = M.data.astype(np.float64)
    if not relax:
        integrality = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * L
        lp.integrality_ = integrality
    h.passModel(lp)

    deadline = t_start + float(time_limit_s)
    state = {"bound": np.inf, "interrupted": False, "sent": 0.0}

    def _interrupt(e: Any) -> None:
        try:
            if not relax:
                b = float(e.data_out.mip_dual_bound)
                if np.isfinite(b) and b < state["bound"]:
                    state["bound"] = b
                    now = time.perf_counter()
                    if conn is not None and now - state["sent"] > 0.1:
                        state["sent"] = now
                        conn.send(("bound", b))
        except Exception:  # pragma: no cover - depends on the event kind
            pass
        if time.perf_counter() > deadline:
            state["interrupted"] = True
            e.interrupt()

    def _improving(e: Any) -> None:  # pragma: no cover - runs in the child process
        try:
            x = np.asarray(e.data_out.mip_solution)[:n]
            conn.send(("sol", np.flatnonzero(x > 0.5), float(e.data_out.objective_function_value)))
        except Exception:
            pass

    h.cbSimplexInterrupt += _interrupt
    h.cbIpmInterrupt += _interrupt
    if not relax:
        h.cbMipInterrupt += _interrupt
        if conn is not None:
            h.cbMipImprovingSolution += _improving
        if warm_start is not None and warm_start.size:
            x0 = np.zeros(n_var)
            x0[warm_start] = 1.0
            # z from the warm start: min(1, X x0)
            if L:
                x0[n:] = np.minimum(1.0, X @ x0[:n])
            sol = highspy.HighsSolution()
            sol.col_value = x0.tolist()
            sol.value_valid = True
            h.setSolution(sol)
    h.run()
    seconds = time.perf_counter() - t_start
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    if relax:
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        value = float(info.objective_function_value) if ok else np.inf
        return MilpResult(
            selected=np.zeros(0, dtype=np.int64),
            value=-np.inf,
            bound=value if ok else np.inf,
            status=status,
            seconds=seconds,
            optimal=ok,
            lp_only=True,
            info={"lp_value": value},
        )
    bound = float(info.mip_dual_bound)
    if not np.isfinite(bound):
        bound = state["bound"]
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    selected = np.zeros(0, dtype=np.int64)
    value = -np.inf
    if info.primal_solution_status >= 1:
        x = np.asarray(h.getSolution().col_value[:n])
        selected = np.flatnonzero(x > 0.5).astype(np.int64)
        value = float(info.objective_function_value)
    return MilpResult(
        selected=selected,
        value=value,
        bound=bound,
        status=status,
        seconds=seconds,
        optimal=optimal,
        info={
            "n_var": n_var,
            "n_row": int(M.shape[0]),
            "nnz": int(M.nnz),
            "interrupted": state["interrupted"],
        },
    )
