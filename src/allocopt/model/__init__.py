"""The premises-planning MILP (models/premises.md), built in Pyomo."""

from allocopt.model.build import PlanModel, build_model

__all__ = ["PlanModel", "build_model"]
