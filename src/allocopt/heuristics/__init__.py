"""The first plan handed to HiGHS, and how it is handed over.

- ``first_plan``: the LP relaxation rounded along the plan's structure, filled where demand is
  left unmet, then re-planned year by year (steps 1-8, models/first_plan.md);
- ``relax_fix``: step 7, relax and fix over the years;
- ``neighbourhood``: step 8, a search around the best plan so far;
- ``completion``: what fixed decisions cost (the rest of the plan solved by HiGHS);
- ``handover``: the plan made before HiGHS (one thread) or beside it (two or more);
- ``settings``: :class:`FirstPlanSettings`, every tuned number of the above, passed in;
- ``protocol``: the types the solver and a heuristic share (:class:`StartCallback`, ``Plan``).

Importing this package loads neither Pyomo nor HiGHS.
"""

from allocopt.heuristics.protocol import Plan, StartCallback
from allocopt.heuristics.settings import FirstPlanSettings

__all__ = ["FirstPlanSettings", "Plan", "StartCallback"]
