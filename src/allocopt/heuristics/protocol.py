"""What the solver and a first-plan heuristic say to each other: the types of a plan, of the
look-ups from Pyomo components to HiGHS's columns and rows, of the model as HiGHS holds it, and
of the start callback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import highspy
    import numpy as np

Plan = tuple["np.ndarray", float]
"""A whole plan: the column values of the highspy model HiGHS holds, and its objective (model units)."""

ColumnOf = Callable[[Any], "int | None"]
"""The column of a Pyomo variable in the highspy model (None: a variable HiGHS was not handed,
one in no active row and without cost)."""

RowOf = Callable[[Any], "int | None"]
"""The row of a Pyomo constraint in the highspy model (None: a constraint HiGHS was not handed)."""


class StartCallback(Protocol):
    """Makes a first plan for HiGHS (allocopt.heuristics.first_plan, bound to its model).

    ``lp``: the model HiGHS was handed (a ``highspy.HighsLp``); ``column``, ``row``: where a
    Pyomo variable or constraint is in ``lp``; ``threads``: for the heuristic's own HiGHS copies
    (the count HiGHS runs with: HiGHS keeps one per process); ``seconds``: how long the work may
    take; ``stop``: once set, give up at once with the best plan so far. Returns a :data:`Plan`,
    or None when there is none.
    """

    def __call__(
        self,
        lp: highspy.HighsLp,
        column: ColumnOf,
        threads: int,
        seconds: float,
        stop: threading.Event,
        /,
        *,
        row: RowOf | None = None,
    ) -> Plan | None: ...


class Handed(Protocol):
    """A model as HiGHS holds it (:class:`allocopt.solver.HandOff`): the highspy model and where
    each Pyomo variable and constraint is in it."""

    @property
    def highs(self) -> highspy.Highs: ...

    @property
    def column(self) -> ColumnOf: ...

    @property
    def row(self) -> RowOf: ...
