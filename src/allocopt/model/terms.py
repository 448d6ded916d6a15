"""Affine expressions as plain coefficient maps, turned into Pyomo ``LinearExpression`` once.

Collecting ``{variable: coefficient}`` in a dict and building one ``LinearExpression`` per
row is several times faster than growing Pyomo expressions term by term, and merges repeated
variables (models/premises.md writes ``open[e,y-1] - open[e,y]`` and such freely). Pyomo
variables are not hashable, so they are keyed by ``id``.
"""

from __future__ import annotations

from pyomo.core.expr.numeric_expr import LinearExpression


class Affine:
    """``constant + Σ coef·var`` with plain float coefficients."""

    __slots__ = ("constant", "coefs", "vars")

    def __init__(self, constant: float = 0.0):
        self.constant = float(constant)
        self.coefs: dict[int, float] = {}
        self.vars: dict[int, object] = {}

    def add(self, var, coef: float = 1.0) -> Affine:
        """Add ``coef·var`` (``var`` may be a number: it then adds to the constant)."""
        if isinstance(var, (int, float)):
            self.constant += coef * var
        elif coef != 0.0:
            key = id(var)
            if key in self.coefs:
                self.coefs[key] += coef
            else:
                self.coefs[key] = coef
                self.vars[key] = var
        return self

    def add_affine(self, other: Affine, scale: float = 1.0) -> Affine:
        """Add ``scale · other``."""
        self.constant += scale * other.constant
        if scale != 0.0:
            for key, c in other.coefs.items():
                if key in self.coefs:
                    self.coefs[key] += scale * c
                else:
                    self.coefs[key] = scale * c
                    self.vars[key] = other.vars[key]
        return self

    @property
    def is_constant(self) -> bool:
        return not any(c != 0.0 for c in self.coefs.values())

    def value(self) -> float:
        """Value at the variables' current values (None counts as 0)."""
        return self.constant + sum(c * (self.vars[k].value or 0.0) for k, c in self.coefs.items())

    def expr(self) -> LinearExpression:
        """The Pyomo expression."""
        keys = [k for k, c in self.coefs.items() if c != 0.0]
        return LinearExpression(
            constant=self.constant, linear_coefs=[self.coefs[k] for k in keys], linear_vars=[self.vars[k] for k in keys]
        )
