"""Importers: published facility-location benchmark files as ordinary allocopt scenarios.

Two formats (each described in its reader's docstring):

- OR-Library capacitated warehouse location (J. E. Beasley's OR-Library, files ``cap41`` ...
  ``capc``): :func:`read_orlib`. A customer's demand may be split between warehouses (service
  assignment ``split``).
- Holmberg, Rönnqvist and Yuan's single-source capacitated facility location instances
  (``p1`` ... ``p71``): :func:`read_holmberg`. Each customer is served by exactly one warehouse
  (service assignment ``single``).

Both become a one-year scenario (2000) with one service ``facility``: one district per customer
``c<j>`` holding its demand, one district per warehouse ``w<i>`` with a ``build`` option of the
warehouse's capacity whose capex is its fixed cost. The files give the cost of serving ALL of
customer j's demand from warehouse i; it becomes the distance ``c<j> -> w<i>`` in km per place
(cost / demand_j) with a travel cost of 1 SEK per place and km, so the scenario's total cost
equals the published objective: fixed costs of the open warehouses plus allocation costs.
No discounting, no residual value, unmet demand forbidden. A customer with no demand gets a
district but no demand or distance rows; a warehouse of capacity 0 gets no option (it could
serve nobody).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from allocopt.scenario import Demand, Distance, District, Option, Scenario, Service, Settings
from allocopt.validate import Problem, ScenarioError

YEAR = 2000
"""The single planning year of a benchmark scenario."""

SERVICE = "facility"
"""The single service of a benchmark scenario."""

CAPACITY_WORD = "capacity"
"""Stands for the capacity in OR-Library's capa/capb/capc (one value substituted for all)."""


class _Tokens:
    """Whitespace-separated tokens of a file, read in order; malformed input raises ScenarioError."""

    def __init__(self, file: str, text: str):
        self.file = file
        self.items = text.split()
        self.pos = 0

    def fail(self, message: str) -> ScenarioError:
        return ScenarioError([Problem(self.file, None, None, message)])

    def next(self, what: str) -> str:
        if self.pos >= len(self.items):
            raise self.fail(f"the file ends early: expected {what} (token {self.pos + 1})")
        token = self.items[self.pos]
        self.pos += 1
        return token

    def _parsed(self, what: str, convert: Callable[[str], Any], expected: str) -> tuple[Any, str]:
        token = self.next(what)
        try:
            return convert(token), token
        except ValueError:
            raise self.fail(f"expected {expected} for {what}, got '{token}' (token {self.pos})") from None

    def count(self, what: str) -> int:
        value, _ = self._parsed(what, int, "a whole number")
        if value < 1:
            raise self.fail(f"{what} must be at least 1, got {value}")
        return value

    def number(self, what: str) -> float:
        value, token = self._parsed(what, float, "a number")
        if not math.isfinite(value) or value < 0:
            raise self.fail(f"{what} must be a finite number >= 0, got '{token}' (token {self.pos})")
        return value

    def numbers(self, k: int, what: str) -> list[float]:
        """The next ``k`` tokens as numbers (fast path; falls back to :meth:`number` for the message)."""
        chunk = self.items[self.pos : self.pos + k]
        try:
            values = [float(t) for t in chunk]
        except ValueError:
            values = []
        if len(values) == k and all(0.0 <= v < math.inf for v in values):
            self.pos += k
            return values
        return [self.number(what) for _ in range(k)]

    def end(self) -> None:
        if self.pos < len(self.items):
            extra = len(self.items) - self.pos
            raise self.fail(
                f"{extra} unexpected token(s) after the last cost, from '{self.items[self.pos]}' (token {self.pos + 1})"
            )


def _read_text(path: Path, cut_at_nul: bool = False) -> str:
    data = path.read_bytes()  # FileNotFoundError etc. propagate: the CLI reports them
    if cut_at_nul:
        nul = data.find(b"\0")
        if nul >= 0:
            data = data[:nul]
    return data.decode("latin-1")


def read_orlib(path: str | Path, capacity: float | None = None) -> Scenario:
    """An OR-Library capacitated warehouse location file (``cap41.txt`` ... ``capc.txt``).

    Format: ``m n``; m lines ``capacity fixed_cost``; per customer j ``demand_j`` followed by m
    costs (of serving ALL of j's demand at warehouse i). Demand may be split between warehouses.
    ``capacity`` (places per warehouse) replaces the word ``capacity`` that capa/capb/capc hold
    in its place; it is required for those files and an error for files with numeric capacities.
    The scenario is named ``orlib-<stem>`` (``orlib-<stem>-<capacity>`` when one is given).
    """
    path = Path(path)
    tok = _Tokens(path.name, _read_text(path))
    m = tok.count("the number of warehouses m")
    n = tok.count("the number of customers n")
    caps: list[float | None] = []
    fixed: list[float] = []
    for i in range(1, m + 1):
        word = tok.next(f"the capacity of warehouse {i}")
        if word.lower() == CAPACITY_WORD:
            caps.append(None)
        else:
            tok.pos -= 1
            caps.append(tok.number(f"the capacity of warehouse {i}"))
        fixed.append(tok.number(f"the fixed cost of warehouse {i}"))
    placeholders = sum(c is None for c in caps)
    if placeholders and capacity is None:
        raise tok.fail(
            f"the file gives '{CAPACITY_WORD}' instead of a number for {placeholders} warehouse(s): "
            "give the capacity to substitute (e.g. --capacity 8000)"
        )
    if capacity is not None and not placeholders:
        raise tok.fail(
            f"the file states every warehouse's capacity; a capacity ({_plain(capacity)}) applies only "
            f"to files holding the word '{CAPACITY_WORD}' (capa, capb, capc)"
        )
    if capacity is not None and not (math.isfinite(capacity) and capacity > 0):
        raise tok.fail(f"the capacity to substitute must be a finite number > 0, got {capacity}")
    capacities = [capacity if c is None else c for c in caps]
    demands: list[float] = []
    costs: list[list[float]] = []
    for j in range(1, n + 1):
        demands.append(tok.number(f"the demand of customer {j}"))
        costs.append(tok.numbers(m, f"a cost of customer {j}"))
    tok.end()
    name = f"orlib-{path.stem}" + (f"-{_plain(capacity)}" if capacity is not None else "")
    what = f"OR-Library capacitated warehouse location instance {path.name}"
    if capacity is not None:
        what += f" with capacity {_plain(capacity)}"
    return _scenario(name, what, capacities, fixed, demands, costs, "split")


def _plain(x: float) -> str:
    """8000.0 -> '8000' (no exponent for whole numbers), 0.5 -> '0.5'."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def read_holmberg(path: str | Path) -> Scenario:
    """A Holmberg–Rönnqvist–Yuan single-source capacitated facility location file (``p1`` ... ``p71``).

    Format: ``m n``; m lines ``capacity fixed_cost``; n demands; an m × n cost matrix, site-major
    (cost of serving ALL of customer j's demand from site i). Everything from the first NUL byte
    is ignored. Each customer is served by exactly one site. The scenario is named ``holmberg-<stem>``.
    """
    path = Path(path)
    tok = _Tokens(path.name, _read_text(path, cut_at_nul=True))
    m = tok.count("the number of sites m")
    n = tok.count("the number of customers n")
    capacities: list[float] = []
    fixed: list[float] = []
    for i in range(1, m + 1):
        capacities.append(tok.number(f"the capacity of site {i}"))
        fixed.append(tok.number(f"the fixed cost of site {i}"))
    demands = tok.numbers(n, "a customer demand")
    by_site = [tok.numbers(n, f"a cost of site {i}") for i in range(1, m + 1)]
    tok.end()
    costs = [[by_site[i][j] for i in range(m)] for j in range(n)]
    return _scenario(
        f"holmberg-{path.stem}",
        f"Holmberg-Rönnqvist-Yuan single-source facility location instance {path.name}",
        capacities,
        fixed,
        demands,
        costs,
        "single",
    )


def _scenario(
    name: str,
    description: str,
    capacities: list[float],
    fixed: list[float],
    demands: list[float],
    costs: list[list[float]],
    assignment: str,
) -> Scenario:
    """The scenario of one instance; ``costs[j][i]`` is the cost of all of customer j's demand at i.

    The distance rows are validated as one list (about 0.45 s for capa's 100 000 rows; pydantic's
    ``model_construct`` is slower than that, and building rows one by one slower still).
    """
    m, n = len(capacities), len(demands)
    cw, ww = len(str(n)), len(str(m))
    customers = [f"c{j:0{cw}d}" for j in range(1, n + 1)]
    warehouses = [f"w{i:0{ww}d}" for i in range(1, m + 1)]
    settings = Settings(
        name=name,
        description=description,
        first_year=YEAR,
        last_year=YEAR,
        discount_rate=0.0,
        residual_value="none",
        capex_timing="opening",
        unmet_penalty="forbidden",
    )
    service = Service(
        service=SERVICE, name="facility location", utilisation=1.0, travel_cost=1.0, assignment=assignment
    )
    districts = [District(district=d) for d in customers + warehouses]
    options = [
        Option(option=w, kind="build", district=w, service=SERVICE, capacity=cap, capex=f, lead_time=0, max_modules=1)
        for w, cap, f in zip(warehouses, capacities, fixed)
        if cap > 0
    ]  # no capacity: serves nobody
    demand = []
    distances = []
    for c, d, row in zip(customers, demands, costs):
        if d <= 0:
            continue
        demand.append(Demand(district=c, service=SERVICE, year=YEAR, places=d))
        distances.extend({"from_district": c, "to_district": w, "km": cost / d} for w, cost in zip(warehouses, row))
    return Scenario(
        settings=settings,
        districts=districts,
        services=[service],
        demand=demand,
        options=options,
        distances=_DISTANCES.validate_python(distances),
    )


_DISTANCES = TypeAdapter(list[Distance])
