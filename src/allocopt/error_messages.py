"""pydantic's validation errors as the plain messages a spreadsheet user reads.

One message per column: what was expected and what was given ('expected a number, got 'x''),
the range a number must be in ('must be <= 1e+13 SEK, got 2e+13'), an unknown name with the
names allowed and a suggestion for a near miss.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from allocopt.units import number_text, value_range

MISSING = "required value missing"
"""The message of a required cell left blank."""

_OUT_OF_RANGE = {"greater_than_equal", "greater_than", "less_than_equal", "less_than", "finite_number", "value_error"}
"""Errors of a value that parsed as a number but is not one the column accepts."""


def error_messages(error: ValidationError, model: type[BaseModel], noun: str) -> list[tuple[str | None, str]]:
    """(column, plain message) for each pydantic error; a union's failed branches give one message
    (the number branch's alone when the value was a number out of range: 'must be <= ...')."""
    grouped: dict[str | None, list[dict]] = {}
    for err in error.errors():
        loc = err["loc"]
        column = str(loc[0]) if loc else None
        grouped.setdefault(column, []).append(err)
    out: list[tuple[str | None, str]] = []
    for column, errs in grouped.items():
        branches = [e for e in errs if len(e["loc"]) > 1]
        if len(branches) > 1:
            wanted = [_expected(e) for e in branches]
            number = [e for e in branches if e["type"] in _OUT_OF_RANGE]
            if number:
                others = [w for e, w in zip(branches, wanted) if e not in number and w]
                also = f" (or {' or '.join(others)})" if others else ""
                out.append((column, _message(number[0], model, noun, column) + also))
            elif all(wanted):
                out.append((column, f"expected {' or '.join(wanted)}, got {_quoted(branches[0]['input'])}"))
            else:
                out.append((column, " or ".join(dict.fromkeys(_message(e, model, noun, column) for e in branches))))
            errs = [e for e in errs if len(e["loc"]) <= 1]
        out.extend((column, _message(e, model, noun, column)) for e in errs)
    return out


def _expected(err: dict) -> str | None:
    """What a parse error expected, in words (None when it is not a plain type mismatch)."""
    kind = err["type"]
    if kind in ("float_parsing", "float_type"):
        return "a number"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "a whole number"
    if kind in ("bool_parsing", "bool_type"):
        return "true or false (or yes/no, 1/0)"
    if kind == "literal_error":
        return err["ctx"]["expected"]
    if kind == "string_type":
        return "text"
    return None


def _message(err: dict, model: type[BaseModel], noun: str, column: str | None = None) -> str:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err["input"]
    fields = list(model.model_fields)
    if kind == "missing":
        return MISSING if noun == "column" else f"required {noun} missing"
    if kind == "extra_forbidden":
        return unknown_name(str(err["loc"][-1]), fields, noun)
    if kind == "finite_number":
        return f"must be a finite number, got {value}"
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        op, key = bounds[kind]
        info = model.model_fields.get(column) if column else None
        spec = value_range(info) if info is not None else None
        unit = f" {spec.unit}" if spec is not None and spec.unit and op in ("<=", "<") else ""
        return f"must be {op} {number_text(ctx[key])}{unit}, got {value}"
    if kind == "value_error":
        return str(ctx.get("error") or err["msg"].removeprefix("Value error, "))
    if kind == "string_too_short":
        return "must not be empty"
    wanted = _expected(err)
    if wanted:
        hint = ""
        if wanted == "a number" and isinstance(value, str) and re.fullmatch(r"-?\d+,\d+", value):
            hint = f" (use a decimal point: '{value.replace(',', '.')}')"
        return f"expected {wanted}, got {_quoted(value)}{hint}"
    return err["msg"]


def _quoted(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def unknown_name(name: str, allowed: list[str], noun: str) -> str:
    """'unknown column 'x' (expected one of: ...)', with a suggestion for a near miss."""
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown {noun} '{name}' (expected one of: {', '.join(allowed)}){hint}"
