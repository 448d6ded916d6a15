"""Stopping a solve early (Ctrl-C, SIGTERM or the caller's own request) and keeping its best plan.

A :class:`StopRequest` is handed to the solve; HiGHS and the first plan watch it and stop as
soon as it is set, with the best plan found so far. While HiGHS runs in the main thread of a
process, :func:`run_stoppable` turns SIGINT and SIGTERM into such a request (the work runs on a
worker thread, so the main thread is free to receive the signal at once) and puts the previous
handlers back afterwards. Outside that window the signals keep their usual meaning (a
``KeyboardInterrupt``; the command line also raises :class:`Interrupted` for SIGTERM), so a
load or a save that is interrupted stops there and leaves nothing half-written.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import highspy

T = TypeVar("T")

STOP_SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
"""Signals that stop a solve with its best plan so far."""

EXIT_CODES: dict[str, int] = {"SIGINT": 130, "SIGTERM": 143}
"""Exit code of the command line after a stop by each signal (128 + the signal's number)."""


class Interrupted(KeyboardInterrupt):
    """A stop signal received outside a solve; ``signal_name`` is ``SIGINT`` or ``SIGTERM``."""

    def __init__(self, signal_name: str = "SIGINT"):
        super().__init__(signal_name)
        self.signal_name = signal_name


class StopRequest:
    """A request to stop a solve early: set by a signal (``by`` = ``SIGINT``/``SIGTERM``) or by
    the caller from another thread (``by`` = ``caller``)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.by: str | None = None

    def set(self, by: str = "caller") -> None:
        if self.by is None:
            self.by = by
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


def run_stoppable(work: Callable[[], T], stop: StopRequest, poll: float = 0.1) -> T:
    """``work()``, with SIGINT and SIGTERM setting ``stop`` instead of raising while it runs.

    In the main thread, ``work`` runs on a worker thread and the main thread waits, so that the
    signal handlers run the moment a signal arrives (HiGHS holds the thread that called it for
    as long as it solves). Elsewhere (signals can only be handled in the main thread) ``work``
    runs here and only ``stop`` set by the caller stops it. Exceptions of ``work`` are raised again.
    """
    if threading.current_thread() is not threading.main_thread():
        return work()

    def handler(signum, _frame) -> None:
        stop.set(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc

    try:
        worker = threading.Thread(target=target, name="allocopt-solve", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(poll)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def raise_on_sigterm() -> None:
    """Make SIGTERM raise :class:`Interrupted` (a ``KeyboardInterrupt``) in the main thread, as
    Ctrl-C does, so that cleanup code runs; for the command line."""

    def handler(signum, _frame) -> None:
        raise Interrupted(signal.Signals(signum).name)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


class StopWatch:
    """Ends a HiGHS run soon after ``stop`` (a :class:`StopRequest` or a ``threading.Event``) is set,
    and sets ``also`` (the first plan's own stop, say) with it.

    A thread of its own waits for ``stop`` and then sets HiGHS's ``time_limit`` to 0, which
    HiGHS reads at every check of its limits (presolve, simplex, branch and bound), and again
    every ``every`` seconds until :meth:`close` (the solve call itself sets the time limit when
    it starts). Nothing runs inside HiGHS's own loops: HiGHS's interrupt callbacks would call
    Python, and wait for the interpreter lock, at every simplex iteration. As a context manager,
    closed at the block's end.
    """

    def __init__(self, highs: highspy.Highs, stop: Any, also: threading.Event | None = None, every: float = 0.2):
        self.highs = highs
        self.stop, self.also, self.every = stop, also, every
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="allocopt-stop-watch", daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.closed.wait(self.every):  # close() ends the wait at once
            if self.stop.is_set():
                if self.also is not None:
                    self.also.set()
                self.highs.setOptionValue("time_limit", 0.0)

    def close(self) -> None:
        self.closed.set()
        self.thread.join()

    def __enter__(self) -> StopWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
