"""The benchmark's rows over seeds, their paired differences, the table.

Pure functions over ``{seed: {row: mIoU}}`` (percent); the spread and the
"no difference" rule are the project's (``jointdepthseg.evaluation.
seed_spread``): sample std over seeds (ddof=1), and a paired difference is
a difference only if |mean| > std of the per-seed differences.
"""
from __future__ import annotations

import math
from typing import Mapping, Optional, Sequence

from jointdepthseg.evaluation.seed_spread import (NO_DIFFERENCE, RULE_NOTE,
                                                  mean_std, verdict)

#: (key, label) of the rows, in the table's order.
ROWS = (
    ('stock', '1. SegFormer MiT-B0 (mmseg, stock)'),
    ('crf_default', '2. + DenseCRF at its defaults (spatial widths / 4), '
     'no training'),
    ('crf_trained', '3. + DenseCRF trained alone (refiner_only) on the '
     'frozen stock model'),
)
#: (a, b): the paired differences a - b, named by the rows' numbers.
DIFFERENCES = (('crf_default', 'stock'), ('crf_trained', 'stock'),
               ('crf_trained', 'crf_default'))

Results = Mapping[int, Mapping[str, float]]


def row_number(key: str) -> int:
    """1-based position of a row key in :data:`ROWS`."""
    return [name for name, _ in ROWS].index(key) + 1


def row_statistics(results: Results, key: str) -> dict:
    """Per-seed values, mean and sample std (ddof=1; NaN for < 2 seeds) of
    one row."""
    per_seed = {seed: float(results[seed][key]) for seed in sorted(results)}
    mean, std = mean_std(list(per_seed.values()))
    return dict(per_seed=per_seed, mean=mean, std=std)


def paired_difference(results: Results, a: str, b: str) -> dict:
    """Per-seed d = a - b, its mean and std, the verdict and how many
    d > 0 and d < 0."""
    per_seed = {seed: float(results[seed][a]) - float(results[seed][b])
                for seed in sorted(results)}
    values = list(per_seed.values())
    mean, std = mean_std(values)
    return dict(per_seed=per_seed, mean=mean, std=std,
                verdict=verdict(mean, std, len(values)),
                positive=sum(value > 0 for value in values),
                negative=sum(value < 0 for value in values))


def plus_minus(mean: float, std: float, signed: bool = False) -> str:
    """``'45.12 ± 1.30'`` (``'+1.02 ± 0.40'`` when signed); the std is
    ``'n/a'`` when undefined (one seed)."""
    text = f'{mean:+.2f}' if signed else f'{mean:.2f}'
    return f'{text} ± ' + (f'{std:.2f}' if math.isfinite(std) else 'n/a')


def _seed_values(per_seed: Mapping[int, float], signed: bool) -> str:
    form = '{:+.2f}' if signed else '{:.2f}'
    return ', '.join(form.format(value) for value in per_seed.values())


def _verdict_text(stat: dict, num_seeds: int) -> str:
    """The verdict; "no difference" says when every seed has the same
    sign (as RESULTS.md does)."""
    text = stat['verdict']
    if text == NO_DIFFERENCE and num_seeds in (stat['positive'],
                                               stat['negative']):
        sign = '> 0' if stat['positive'] == num_seeds else '< 0'
        text += f' ({sign} on {num_seeds}/{num_seeds} seeds)'
    return text


def markdown_tables(results: Results,
                    unary_gap: Optional[float] = None) -> str:
    """The rows (mean ± std, per seed) and the paired differences with their
    verdicts, as two markdown tables and the rule.

    Args:
        results: seed -> row key -> mIoU (percent); every seed has every
            row.
        unary_gap: the largest |unary mIoU of a CRF run - row 1| over the
            seeds (the CRF runs' own network against the stock test), shown
            under the tables when given.
    """
    if not results:
        raise ValueError('markdown_tables: no seed has results')
    seeds = sorted(results)
    missing = [(seed, key) for seed in seeds for key, _ in ROWS
               if key not in results[seed]]
    if missing:
        raise ValueError(f'markdown_tables: rows missing (seed, row): '
                         f'{missing}')
    seed_list = ', '.join(str(seed) for seed in seeds)
    lines = [f'| row (mIoU %, 60 test rooms) | mean ± std | seeds '
             f'{seed_list} |', '|---|---|---|']
    for key, label in ROWS:
        stat = row_statistics(results, key)
        lines.append(f'| {label} | {plus_minus(stat["mean"], stat["std"])} '
                     f'| {_seed_values(stat["per_seed"], False)} |')
    lines += ['', f'| paired difference | mean ± std | seeds {seed_list} '
              '| verdict |', '|---|---|---|---|']
    for a, b in DIFFERENCES:
        stat = paired_difference(results, a, b)
        lines.append(
            f'| {row_number(a)} − {row_number(b)} | '
            f'{plus_minus(stat["mean"], stat["std"], signed=True)} | '
            f'{_seed_values(stat["per_seed"], True)} | '
            f'{_verdict_text(stat, len(seeds))} |')
    lines += ['', f'Rule: {RULE_NOTE}.']
    if unary_gap is not None:
        lines.append(
            'Check: the CRF runs score their own network (unary/mIoU) at '
            f'row 1 within {unary_gap:.3f} mIoU on every seed (the stock '
            'checkpoint loads unchanged; refiner_only leaves the network '
            'as it is).')
    return '\n'.join(lines)
