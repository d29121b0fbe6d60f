"""Spread over seeds and paired differences, and the "no difference" rule.

Pure formulas over ``{seed: value}`` mappings; they know nothing of runs or
files (the demo's seed ablation, ``tools/experiments/``, applies them to its
``summary.json`` files).

Spread: the sample standard deviation over seeds (ddof=1). A paired
difference d_s = A_s - B_s (same seed: same data, same initialisation) is
reported as a difference only if ``|mean(d)| > std(d)``, i.e. its mean
exceeds the seed-to-seed spread of the difference itself; otherwise "no
difference". Equivalently the paired t statistic
|t| = |mean| / (std / sqrt(n)) exceeds sqrt(n) (1.73 for 3 seeds, a
two-sided p of about 0.22): a screen against reading noise as an effect, not
a significance test. A single run is judged by the same rule (``|d| > std``
of the ablation's d), so the two verdicts agree. With fewer than 2 seeds the
spread is unknown and the verdict is "undetermined".
"""
from __future__ import annotations

import math
from typing import Mapping, Optional, Sequence

STD_NOTE = 'sample standard deviation over seeds (ddof=1)'
RULE_NOTE = ('a paired difference is a difference only if |mean| > std of '
             'the per-seed differences (ddof=1), i.e. |t| > sqrt(n); '
             'otherwise "no difference"; "undetermined" with fewer than 2 '
             'seeds')
DIFFERENCE, NO_DIFFERENCE, UNDETERMINED = ('difference', 'no difference',
                                           'undetermined')


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1); std NaN for n < 2."""
    n = len(values)
    if n == 0:
        return math.nan, math.nan
    mean = math.fsum(values) / n
    if n < 2:
        return mean, math.nan
    return mean, math.sqrt(math.fsum((v - mean)**2 for v in values) / (n - 1))


def verdict(mean: float, std: float, n: int) -> str:
    """The module's rule: a difference only if |mean| > std (n >= 2)."""
    if n < 2 or not math.isfinite(std):
        return UNDETERMINED
    return DIFFERENCE if abs(mean) > std else NO_DIFFERENCE


def seed_stat(per_seed: Mapping[int, Optional[float]]) -> dict:
    """``{per_seed, mean, std, n}`` over the seeds with a value.

    Args:
        per_seed: seed -> value; None = no value for that seed (e.g. a class
            absent from its test set).

    Returns:
        ``per_seed`` keyed by ``str(seed)`` (as JSON keeps it), the mean and
        std (None where undefined, so the dict is valid JSON) and ``n``.
    """
    values = [v for v in per_seed.values() if v is not None]
    mean, std = mean_std(values)
    return dict(per_seed={str(s): v for s, v in per_seed.items()},
                mean=_json_number(mean), std=_json_number(std),
                n=len(values))


def paired_stat(a: Mapping[int, Optional[float]],
                b: Mapping[int, Optional[float]]) -> dict:
    """Statistics of d_s = a_s - b_s over the seeds where both exist.

    Returns:
        :func:`seed_stat` of the differences, plus ``positive_seeds`` (how
        many d_s > 0) and ``verdict`` (the module's rule).
    """
    diffs = {s: a[s] - b[s] for s in a
             if s in b and a[s] is not None and b[s] is not None}
    result = seed_stat(diffs)
    result['positive_seeds'] = sum(d > 0 for d in diffs.values())
    result['verdict'] = verdict(*mean_std(list(diffs.values())), len(diffs))
    return result


def _json_number(value: float) -> Optional[float]:
    return value if math.isfinite(value) else None
