"""What both MILPs share: HiGHS set-up, the deadline, group rows, and the child process.

Private.  :mod:`coverage.optimize.exact` (max objective) and
:mod:`coverage.optimize.generic` (k-coverage, probabilistic) both build a
model over ``n`` binary row variables ``x`` followed by their own level
variables, with the rows

- budget: ``costs @ x <= budget`` (all-ones costs for a count budget),
- groups: ``sum_{i in g} x_i <= 1`` for every group of two rows or more,
- side constraints (quotas, separation) from ``Constraints.milp_rows``,

and solve it under a hard deadline.  HiGHS was seen to overrun its own
``time_limit``: the deadline is enforced with interrupt callbacks, and large
models run in a child process killed at the deadline (:func:`run_isolated`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import csr_array

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The code the child process runs (``python -c``: the caller's script is never re-imported).
CHILD_CODE = "from coverage.optimize._highs import child_entry; child_entry()"


@dataclass
class MilpResult:
    """What HiGHS left: a plan (row ids), its value, the dual bound, a status."""

    selected: IntArray
    value: float  # -inf when HiGHS found no plan
    bound: float
    status: str
    seconds: float
    optimal: bool
    info: dict[str, Any] = field(default_factory=dict)


def new_highs() -> Any:
    """Return a silent ``highspy.Highs`` (its one-time banner goes to /dev/null)."""
    import highspy  # local: keeps `import coverage.optimize` light

    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # pragma: no cover - no real stdout
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    else:
        saved = os.dup(fd)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), fd)
                h = highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, fd)
            os.close(saved)
    h.silent()
    return h


# --------------------------------------------------------------------------- model rows


class RowBlocks:
    """Constraint rows ``lower <= M @ v <= upper`` over ``n_var`` variables, block by block.

    A block may have fewer columns than ``n_var`` (rows on ``x`` only): it is
    padded with zero columns on the right.
    """

    def __init__(self, n_var: int) -> None:
        self.n_var = n_var
        self.blocks: list[csr_array] = []
        self.lower: list[FloatArray] = []
        self.upper: list[FloatArray] = []

    def add(self, M: Any, lower: FloatArray, upper: FloatArray) -> None:
        """Append the rows of ``M`` (skipped when it has none)."""
        M = csr_array(M)
        if M.shape[0] == 0:
            return
        if M.shape[1] < self.n_var:
            M = csr_array(sparse.hstack([M, csr_array((M.shape[0], self.n_var - M.shape[1]))]))
        self.blocks.append(M)
        self.lower.append(np.asarray(lower, dtype=np.float64))
        self.upper.append(np.asarray(upper, dtype=np.float64))

    def add_budget(self, costs: FloatArray | None, n: int, budget: float) -> None:
        """``costs @ x <= budget`` (all-ones costs: a count budget)."""
        row = np.ones(n) if costs is None else np.asarray(costs, dtype=np.float64)
        self.add(csr_array(row[None, :]), np.array([-np.inf]), np.array([float(budget)]))

    def add_groups(self, group_ids: IntArray | None, n: int) -> None:
        """At most one row per group, for the groups of two rows or more."""
        if group_ids is None or n == 0:
            return
        _, inv, cnt = np.unique(group_ids, return_inverse=True, return_counts=True)
        multi = np.flatnonzero(cnt[inv] >= 2)
        if multi.size == 0:
            return
        _, gi = np.unique(inv[multi], return_inverse=True)
        G = csr_array((np.ones(multi.size), (gi, multi)), shape=(int(gi.max()) + 1, n))
        self.add(G, np.full(G.shape[0], -np.inf), np.ones(G.shape[0]))

    def stacked(self) -> tuple[Any, FloatArray, FloatArray]:
        """All rows as one CSC matrix (sorted indices) and their bounds."""
        M = sparse.vstack(self.blocks, format="csc")
        M.sort_indices()
        return M, np.concatenate(self.lower), np.concatenate(self.upper)


def pass_model(
    h: Any,
    cost: FloatArray,
    rows: RowBlocks,
    integer: NDArray[np.bool_],
) -> tuple[int, int]:
    """Give HiGHS ``max cost @ v`` over ``0 <= v <= 1`` and ``rows``.

    Returns the number of rows and of matrix entries.

    ``integer`` marks the integer variables.
    """
    import highspy

    M, row_lo, row_hi = rows.stacked()
    n_var = cost.size
    lp = highspy.HighsLp()
    lp.num_col_ = n_var
    lp.num_row_ = M.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(n_var)
    lp.col_upper_ = np.ones(n_var)
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = M.indptr.astype(np.int32)
    lp.a_matrix_.index_ = M.indices.astype(np.int32)
    lp.a_matrix_.value_ = M.data.astype(np.float64)
    kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
    lp.integrality_ = [kinds[int(b)] for b in integer]
    h.passModel(lp)
    return int(M.shape[0]), int(M.nnz)


def add_rows(h: Any, M: csr_array, lower: FloatArray, upper: FloatArray) -> None:
    """Add rows ``lower <= M @ v <= upper`` to a model HiGHS holds already."""
    import highspy

    M = csr_array(M)
    inf = highspy.kHighsInf
    lo = np.where(np.isfinite(lower), lower, -inf)
    hi = np.where(np.isfinite(upper), upper, inf)
    indptr, indices = M.indptr.astype(np.int32), M.indices.astype(np.int32)
    h.addRows(M.shape[0], lo, hi, M.nnz, indptr, indices, M.data)


def set_start(h: Any, x0: FloatArray) -> None:
    """Offer HiGHS the start point ``x0`` (all variables)."""
    import highspy

    sol = highspy.HighsSolution()
    sol.col_value = x0.tolist()
    sol.value_valid = True
    h.setSolution(sol)


def solution_rows(h: Any, n: int) -> IntArray:
    """Return the row variables at 1 in HiGHS' current solution."""
    x = np.asarray(h.getSolution().col_value[:n])
    return np.flatnonzero(x > 0.5).astype(np.int64)


# --------------------------------------------------------------------------- the deadline


def watch_deadline(h: Any, deadline: float, *, mip: bool, conn: Any = None) -> dict[str, Any]:
    """Interrupt HiGHS at ``deadline`` (``time.perf_counter`` clock); returns the watch state.

    With ``mip``, the state's ``"bound"`` follows the MIP dual bound, and with
    ``conn`` (a child's pipe end) each lower bound (at most every 0.1 s) and
    each improving plan (``n_rows`` first variables) are sent as they come.
    """
    state: dict[str, Any] = {"bound": np.inf, "interrupted": False, "sent": 0.0}

    def _interrupt(e: Any) -> None:
        try:
            if mip:
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

    h.cbSimplexInterrupt += _interrupt
    h.cbIpmInterrupt += _interrupt
    if mip:
        h.cbMipInterrupt += _interrupt
    return state


def send_improving(h: Any, conn: Any, n_rows: int) -> None:
    """Send each improving MIP plan (its row variables at 1) and value through ``conn``."""

    def _improving(e: Any) -> None:  # pragma: no cover - runs in the child process
        try:
            x = np.asarray(e.data_out.mip_solution)[:n_rows]
            conn.send(("sol", np.flatnonzero(x > 0.5), float(e.data_out.objective_function_value)))
        except Exception:
            pass

    h.cbMipImprovingSolution += _improving


# --------------------------------------------------------------------------- child process


def run_isolated(
    solve: Callable[..., MilpResult],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    time_limit_s: float,
) -> MilpResult:
    """Run ``solve(*args, conn=..., **kwargs)`` in a child process killed at the time limit.

    ``solve`` must be a module-level function (it is pickled by reference).
    The child (``python -c``, so the caller's script is never re-imported and
    needs no ``__main__`` guard) sends each improving plan and dual bound as
    they come; the parent keeps the best received when it has to kill it.
    """
    import pickle
    import subprocess
    import tempfile

    t_start = time.perf_counter()
    with tempfile.NamedTemporaryFile("wb", suffix=".pkl", delete=False) as tmp:
        pickle.dump((solve, args, kwargs), tmp)
        path = tmp.name
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD_CODE, path],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    try:
        result, best, killed = _listen(proc, deadline=t_start + float(time_limit_s))
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    return _merge(result, best, killed, seconds=time.perf_counter() - t_start)


@dataclass
class _Received:
    """The best plan and bound a child process has sent so far."""

    selected: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    value: float = -np.inf
    bound: float = np.inf


def _listen(
    proc: Any, *, deadline: float, grace_s: float = 0.25
) -> tuple[MilpResult | None, _Received, bool]:
    """Collect the child's messages until it is done, ends, or the deadline passes."""
    import queue
    import threading

    messages: queue.Queue[Any] = queue.Queue()
    reader = threading.Thread(target=_read_messages, args=(proc.stdout, messages), daemon=True)
    reader.start()
    best = _Received()
    result: MilpResult | None = None
    killed = False
    try:
        while True:
            left = deadline + grace_s - time.perf_counter()
            if left <= 0:
                killed = True
                break
            try:
                kind, *payload = messages.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            if kind == "sol":
                sel, val = payload
                if val > best.value:
                    best.selected, best.value = np.asarray(sel, dtype=np.int64), float(val)
            elif kind == "bound":
                best.bound = min(best.bound, float(payload[0]))
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
    return result, best, killed


def _read_messages(stream: Any, messages: Any) -> None:
    """Length-prefixed pickled messages from the child, then ``("eof",)``."""
    import pickle

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


def _merge(
    result: MilpResult | None, best: _Received, killed: bool, *, seconds: float
) -> MilpResult:
    """Return the child's final result, improved by what it sent before (or that alone)."""
    if result is not None:
        if result.value < best.value:
            result.selected, result.value = best.selected, best.value
        result.bound = min(result.bound, best.bound) if np.isfinite(result.bound) else best.bound
        result.seconds = seconds
        result.info["isolated"] = True
        return result
    return MilpResult(
        selected=best.selected,
        value=best.value,
        bound=best.bound,
        status="killed at the time limit" if killed else "child process ended",
        seconds=seconds,
        optimal=False,
        info={"isolated": True, "killed": killed},
    )


class _PipeOut:
    """Length-prefixed pickled messages on a file descriptor (child side)."""

    def __init__(self, fd: int) -> None:
        self._f = os.fdopen(fd, "wb", buffering=0)

    def send(self, msg: Any) -> None:
        import pickle

        body = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        self._f.write(len(body).to_bytes(8, "little") + body)

    def close(self) -> None:
        self._f.close()


def child_entry() -> None:  # pragma: no cover - runs in a child process
    """Entry point of the MILP child process: ``argv[1]`` is the pickled call."""
    import pickle

    # messages go to the original stdout; anything HiGHS prints goes to /dev/null
    out_fd = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    conn = _PipeOut(out_fd)
    with open(sys.argv[1], "rb") as fh:
        solve, args, kwargs = pickle.load(fh)
    try:
        conn.send(("done", solve(*args, conn=conn, **kwargs)))
    finally:
        conn.close()
