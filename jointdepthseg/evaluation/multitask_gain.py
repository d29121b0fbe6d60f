"""Multi-task gain Delta_m of one method over a baseline.

Following Maninis et al. (CVPR 2019, "Attentive Single-Tasking of Multiple
Tasks") and Vandenhende et al. (TPAMI 2021, "Multi-Task Learning for Dense
Prediction Tasks: A Survey")::

    Delta_m = 100 / T * sum_i s_i * (M_i - B_i) / B_i      [percent]

over the T metrics both the method (M) and the baseline (B) report, with
``s_i = +1`` for a metric where higher is better and ``s_i = -1`` where lower
is better. A positive Delta_m means the method is better on average.
"""
from __future__ import annotations

import math
from typing import Mapping, Optional


def multitask_gain(values: Mapping[str, Optional[float]],
                   baseline: Mapping[str, Optional[float]],
                   higher_is_better: Mapping[str, bool]
                   ) -> tuple[float, int]:
    """Delta_m of ``values`` over ``baseline``, in percent.

    Args:
        values: metric name -> value of the method; None / NaN = missing.
        baseline: metric name -> value of the baseline.
        higher_is_better: metric name -> direction; only these metrics count.

    Returns:
        ``(delta_m_percent, T)``: the gain and the number of metrics used
        (present and finite in both, non-zero in the baseline); NaN and 0 if
        there is none.
    """
    terms = []
    for name, higher in higher_is_better.items():
        value, base = values.get(name), baseline.get(name)
        if not (_finite(value) and _finite(base)) or base == 0:
            continue
        sign = 1.0 if higher else -1.0
        terms.append(sign * (value - base) / base)
    if not terms:
        return math.nan, 0
    return 100.0 * math.fsum(terms) / len(terms), len(terms)


def _finite(value: Optional[float]) -> bool:
    """True for a real, finite number."""
    return value is not None and math.isfinite(value)
