"""The premises-planning MILP (models/premises.md), built in Pyomo: ``build`` (the variables,
the constraint families and the objective), ``terms`` (affine expressions as coefficient maps) and ``readout`` (a solved
model's result tables). The heuristics that hand HiGHS a first plan are in allocopt.heuristics."""

from allocopt.model.build import PlanModel, build_model

__all__ = ["PlanModel", "build_model"]
