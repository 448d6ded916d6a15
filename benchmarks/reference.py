"""A reference for build + hand-off, measured apart from the solve: how long numpy alone takes to
pass the same model to HiGHS.

The model is built and handed to HiGHS once more as ``allocopt.solve`` does it (untimed); the
matrix HiGHS received is read back (``Highs.getLp()``) and turned into COO triplets in row
order, as a row-by-row builder would produce them (untimed). The reference is the time numpy
takes to sort those triplets into a column-wise (CSC) matrix and pass it with the costs, bounds
and integrality to a fresh ``highspy.Highs().passModel(...)`` (best of three): a lower bound for
any builder that starts from plain arrays. The matrix passed is checked equal to the one
allocopt handed over.
"""

from __future__ import annotations

import gc
import time

REPEATS = 3


def lp_arrays(highs) -> dict:
    """The model HiGHS holds, as numpy arrays, with the matrix as COO triplets in row order."""
    import numpy as np

    lp = highs.getLp()
    a = lp.a_matrix_
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
    outer = np.repeat(np.arange(len(start) - 1), np.diff(start))
    rows, cols = (index, outer) if int(a.format_) == 1 else (outer, index)  # 1: column-wise
    order = np.lexsort((cols, rows))
    integrality = (
        np.asarray([int(v) for v in lp.integrality_], dtype=np.int32)
        if len(lp.integrality_)
        else np.zeros(lp.num_col_, dtype=np.int32)
    )
    return dict(
        num_col=int(lp.num_col_),
        num_row=int(lp.num_row_),
        sense=int(lp.sense_),
        offset=float(lp.offset_),
        col_cost=np.asarray(lp.col_cost_),
        col_lower=np.asarray(lp.col_lower_),
        col_upper=np.asarray(lp.col_upper_),
        row_lower=np.asarray(lp.row_lower_),
        row_upper=np.asarray(lp.row_upper_),
        rows=rows[order].astype(np.int64),
        cols=cols[order].astype(np.int64),
        vals=value[order].astype(np.float64),
        integrality=integrality,
    )


def numpy_handoff(arrays: dict) -> tuple[float, object]:
    """Seconds numpy takes to assemble CSC from the COO triplets and pass the model to a fresh Highs."""
    import highspy
    import numpy as np

    n, m = arrays["num_col"], arrays["num_row"]
    rows, cols, vals = arrays["rows"], arrays["cols"], arrays["vals"]
    start = time.perf_counter()
    order = np.argsort(cols, kind="stable")
    a_index = rows[order].astype(np.int32)
    a_value = vals[order]
    a_start = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(cols, minlength=n), out=a_start[1:])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(
        n,
        m,
        len(a_value),
        1,
        arrays["sense"],
        arrays["offset"],
        arrays["col_cost"],
        arrays["col_lower"],
        arrays["col_upper"],
        arrays["row_lower"],
        arrays["row_upper"],
        a_start,
        a_index,
        a_value,
        arrays["integrality"],
    )
    return time.perf_counter() - start, h


def same_model(a: dict, b: dict) -> bool:
    import numpy as np

    scalars = all(a[k] == b[k] for k in ("num_col", "num_row", "sense", "offset"))
    return scalars and all(
        np.array_equal(a[k], b[k])
        for k in ("rows", "cols", "vals", "col_cost", "col_lower", "col_upper", "row_lower", "row_upper", "integrality")
    )


def measure(scenario, formulation: str) -> dict:
    """``reference`` (seconds, the best of :data:`REPEATS`) and ``reference_equal`` (the matrix
    numpy passed is the one allocopt handed over) for ``scenario`` built as ``formulation``."""
    from allocopt.index import build_index
    from allocopt.model.build import FORMULATIONS, build_model
    from allocopt.solver import hand_off

    families, state = FORMULATIONS[formulation]
    pm = build_model(build_index(scenario), families=families, state=state)
    arrays = lp_arrays(hand_off(pm.model).highs)
    del pm
    seconds, ref = numpy_handoff(arrays)
    equal = same_model(arrays, lp_arrays(ref))
    del ref
    for _ in range(REPEATS - 1):  # the best of a few: small matrices take milliseconds
        seconds = min(seconds, numpy_handoff(arrays)[0])
    del arrays
    gc.collect()
    return {"reference": seconds, "reference_equal": equal}
