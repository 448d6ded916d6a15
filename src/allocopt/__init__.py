"""allocopt: strategic premises planning for growing municipalities.

Which builds, leases, expansions, conversions and closures, in which year, meet forecast
service demand in every district at the lowest discounted cost within the economic frame?

Public API::

    import allocopt
    scenario = allocopt.load_scenario("scenarios/sodertalje")   # or an .xlsx workbook
    result = allocopt.solve(scenario, time_limit=60, mip_gap=0.005)
    result.actions, result.balance, result.costs               # pandas DataFrames
    result.marginal_costs, result.binding_caps                 # what a place costs, which frames bind
    result.save("results/sodertalje")
    allocopt.compare(result, allocopt.read_result("results/other"))   # plans side by side
    allocopt.baseline_difference(result, allocopt.baseline(scenario))   # against doing nothing new
    allocopt.frontier(scenario, [0.8, 1.0, 1.2])               # one plan per capex frame level

Importing the package has no side effects; Pyomo and HiGHS load on the first solve.
"""

from typing import TYPE_CHECKING

from allocopt.baseline import BaselineDifference, baseline, baseline_difference, baseline_scenario
from allocopt.check import Violation, check
from allocopt.compare import Comparison, compare, read_result
from allocopt.frontier import Frontier, frontier
from allocopt.load import load_scenario
from allocopt.pipeline import evaluate, solve
from allocopt.result import Result
from allocopt.scenario import Scenario
from allocopt.validate import Problem, ScenarioError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__version__ = "0.1.0"

__all__ = [
    "BaselineDifference",
    "Comparison",
    "Frontier",
    "Problem",
    "Result",
    "Scenario",
    "ScenarioError",
    "Violation",
    "baseline",
    "baseline_difference",
    "baseline_scenario",
    "check",
    "compare",
    "default_scenario_path",
    "evaluate",
    "frontier",
    "load_scenario",
    "read_result",
    "solve",
]


def default_scenario_path() -> "Traversable":
    """Folder of the embedded default scenario (Södertälje), inside the installed package."""
    from importlib.resources import files

    return files("allocopt") / "scenarios" / "sodertalje"
