"""The first plan's tuned numbers, in one frozen object passed to every step that uses them.

``FirstPlanSettings()`` is what ``allocopt.solve`` uses. A different instance, made with
:func:`dataclasses.replace`, changes one number for one run (a test, a benchmark) without
touching anyone else's. What each number was measured to do is in benchmarks/RESULTS.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FirstPlanSettings:
    """How the first plan (allocopt.heuristics.first_plan) is made and handed to HiGHS."""

    # ------------------------------------------------ steps 2-6: rounding and filling
    thresholds: tuple[float, ...] = (0.5, 0.2, 0.8)
    """Fractions ``θ`` (0-1) at which a cumulative module count is rounded up, each giving one
    candidate plan through steps 2-6, tried in this order."""

    fill_rounds: int = 12
    """Rounds of step 6 (open more modules where demand is left unmet) at most per ``θ``."""

    lp_seconds: float = 30.0
    """Time limit (seconds) of each LP the first plan solves after the LP relaxation (each
    completion, each window's MIP): a safety net, not a budget. The LP relaxation itself has the
    first plan's whole time: without it there is no plan (on XL it takes about 55 s)."""

    # ------------------------------------------------ step 7: relax and fix
    window_years: int = 2
    """Decision years whose columns are integer in one relax-and-fix window."""

    tail_years: int = 5
    """Decision years left (after the first window) at which the rest is solved as one last window."""

    window_pace: float = 3.0
    """How far (a factor) the windows may fall behind an even share of the time left: each window
    may take at most ``window_pace × (seconds left) / (windows left)``, and the next one starts
    only while the windows so far, at their mean time, would need at most ``window_pace ×`` the
    seconds left for the rest. Past that, relax and fix ends "not complete" and step 8 takes the
    time left."""

    left_out: tuple[str, ...] = ("district_group_cover",)
    """Constraint families (Pyomo component names) the MIPs of steps 7 and 8 go without: implied
    rows that strengthen HiGHS's bound but slow each step's MIP. Every plan still satisfies them."""

    # ------------------------------------------------ the MIPs of steps 7 and 8
    window_nodes: int = 100
    """Branch-and-bound nodes of each step's MIP at most: a work limit, so that the plan does not
    depend on the machine's speed (the time limit is only a safety net)."""

    window_gap: float = 1e-3
    """Relative gap (1e-3 = 0.1 %) at which a step's MIP counts as solved."""

    window_options: tuple[tuple[str, bool], ...] = (
        ("mip_heuristic_run_feasibility_jump", False),
        ("mip_heuristic_run_root_reduced_cost", False),
    )
    """HiGHS options (name, value) of each step's MIP: the heuristics it goes without. Feasibility
    jump looks for a first solution, which a step already has from the step before; the root
    reduced-cost heuristic is a sub-MIP that fixes columns by their reduced costs, and the steps'
    other sub-MIPs (RINS, RENS) find the step's plan without it."""

    # ------------------------------------------------ step 8: neighbourhood search
    search_rounds: int = 5
    """Neighbourhoods searched at most in step 8 (each round starts from the plan the last one found)."""

    agree: float = 1e-6
    """How close (modules, or 0/1 for a site's status) a plan's decision and the LP relaxation's
    must be to count as agreeing, and so stay fixed in step 8's neighbourhood."""

    # ------------------------------------------------ the hand-over to HiGHS
    start_share: float = 0.25
    """Share (0-1) of the solve's time limit the first plan may take before HiGHS starts (one thread)."""

    concurrent_share: float = 0.5
    """Share (0-1) of the solve's time limit the first plan may take beside HiGHS (two threads or more)."""

    hand_over_node: int = 100
    """Branch-and-bound nodes after which HiGHS waits for a first plan made beside it, should its
    root cut loop not have ended first (the usual hand-over point)."""
