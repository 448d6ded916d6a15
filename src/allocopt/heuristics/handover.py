"""Handing a first plan to HiGHS: before it starts (one thread) or beside it (two or more).

With one thread, :func:`hand_start` makes the plan and hands it to HiGHS as its start before the
search begins. With two or more, :class:`StartBeside` makes it on a thread of its own while HiGHS
works on its root node on the others, and hands it over at one fixed point of HiGHS's search.
:func:`split_threads` says which. The shares of the time limit and the hand-over point are
:class:`~allocopt.heuristics.settings.FirstPlanSettings`; the solver (allocopt.solver) decides
from them how long the plan may take.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from allocopt.heuristics.completion import set_start
from allocopt.heuristics.protocol import Handed, Plan, StartCallback


def split_threads(threads: int, first_plan: bool) -> tuple[int, bool]:
    """(HiGHS's threads, whether the first plan is made beside HiGHS): with a first plan and two
    threads or more, one of them is the plan's."""
    beside = first_plan and threads >= 2
    return int(threads) - beside, beside


def hand_start(
    handed: Handed, start: StartCallback, threads: int, seconds: float, stop: threading.Event | None = None
) -> float | None:
    """Run ``start`` on the model HiGHS holds (``handed``), within ``seconds`` or until ``stop``
    is set, and hand its plan to HiGHS as its start; the plan's objective (model units), or None
    when ``start`` found none."""
    found = start(handed.highs.getLp(), handed.column, threads, seconds, stop or threading.Event(), row=handed.row)
    if found is None:
        return None
    set_start(handed.highs, found[0])
    return float(found[1])


class StartBeside:
    """A first plan made on a thread of its own while HiGHS searches on the others.

    HiGHS works on its root node meanwhile: presolve, the LP relaxation and its cut loop. At its
    first call for a user solution after the root's cut loop (HiGHS's cut-pool callback marks the
    loop's end), or once ``hand_over_node`` nodes are explored should that come first, it waits
    for the plan and takes it. The plan's work ends by itself ``seconds`` after the start (its
    last steps finish what it has); HiGHS waits for it however long that takes, up to ``wait``
    seconds after the start (the solve's time limit). Waiting at that one point, whatever the
    machine's speed, keeps the run reproducible: HiGHS's path depends on the plan, not on when it
    arrived, and the plan depends on the machine's speed only where ``seconds`` cut it short.
    ``wait`` has no default: waiting only until ``seconds`` would race the plan's own last steps,
    and HiGHS could go on without the plan. :meth:`close` stops the plan's work if HiGHS is done
    first. ``threads``: for the plan's own HiGHS copies, as many as HiGHS has (HiGHS keeps one
    thread count per process).
    """

    def __init__(
        self, handed: Handed, start: StartCallback, threads: int, seconds: float, *, wait: float, hand_over_node: int
    ):
        self.highs, self.column = handed.highs, handed.column
        self.hand_over_node = hand_over_node
        lp, row = self.highs.getLp(), handed.row
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.until = time.perf_counter() + max(seconds, wait)
        self.plan: Plan | None = None
        self.error: Exception | None = None
        self.asked = False
        self.root_cuts_done = False

        def work():
            try:
                self.plan = start(lp, self.column, threads, seconds, self.stop, row=row)
            except Exception as exc:  # reported by the solver, as the same failure with one thread would be
                self.error = exc
            finally:
                self.ready.set()

        self.thread = threading.Thread(target=work, name="allocopt-first-plan", daemon=True)
        self.thread.start()
        self.highs.cbMipUserSolution.subscribe(self._offer)
        self.highs.cbMipGetCutPool.subscribe(self._root_cuts)

    def _root_cuts(self, event: Any) -> None:
        """HiGHS hands its cut pool over once its root cut loop is done."""
        self.root_cuts_done = True

    def _offer(self, event: Any) -> None:
        if self.asked or not (self.root_cuts_done or event.data_out.mip_node_count >= self.hand_over_node):
            return
        self.asked = True
        self.ready.wait(max(0.0, self.until - time.perf_counter()))
        if self.plan is not None:
            import numpy as np

            event.data_in.setSolution(np.asarray(self.plan[0], dtype=float))

    def close(self) -> None:
        """Stop the plan's work (if still going) and wait for its thread."""
        self.stop.set()
        self.thread.join()
        self.highs.cbMipUserSolution.unsubscribe(self._offer)
        self.highs.cbMipGetCutPool.unsubscribe(self._root_cuts)

    def takes_over(self, converged: bool, incumbent: float | None) -> bool:
        """Whether the first plan is the result: HiGHS did not converge and has no plan, or a
        costlier one (``incumbent`` in model units) — it stopped before asking for the plan."""
        if self.plan is None or converged:
            return False
        return incumbent is None or self.plan[1] < incumbent - 1e-9 * max(1.0, abs(incumbent))

    def load(self, model: Any) -> None:
        """Put the first plan's values into the variables of the Pyomo ``model``: for a search that
        ended by its time limit before asking for the plan, or with a worse one."""
        import pyomo.environ as pyo

        values = self.plan[0]
        for var in model.component_data_objects(pyo.Var, descend_into=True):
            c = self.column(var)
            if c is not None:
                var.set_value(float(values[c]), skip_validation=True)
