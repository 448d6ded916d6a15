"""HiGHS's thread pool, mirrored: HiGHS keeps one pool per calling thread, sized at its first run
there, and a run that asks for another size fails unless the pool is reset first.

Every HiGHS run allocopt makes (the solve, the first plan's copies, the LPs around a plan) calls
:meth:`HighsThreads.use` in its thread first.
"""

from __future__ import annotations

import threading


class HighsThreads:
    """The thread count of HiGHS's pool. HiGHS keeps one thread pool per calling thread (measured:
    a pool sized 2 in one thread does not stop another thread's run with 1, but stops the first
    thread's own run with 1), sized at the first run there, and it must be reset before a run with
    another count; this object mirrors that state for each thread (:data:`HIGHS_THREADS`, the one
    piece of process state allocopt keeps)."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def count(self) -> int | None:
        """The pool size of the calling thread (None: HiGHS has not run there)."""
        return getattr(self._local, "count", None)

    def use(self, threads: int) -> None:
        """Make HiGHS's next run in this thread (and the first plan's copies) use ``threads`` threads."""
        if self.count is not None and self.count != threads:
            import highspy

            highspy.Highs.resetGlobalScheduler(True)
        self._local.count = threads


HIGHS_THREADS = HighsThreads()
