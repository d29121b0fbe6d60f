"""ablation.md: the tables of :func:`ablation_stats.aggregate`'s result.

Rows: mean ± std (ddof=1) over seeds and the per-seed values; paired
differences: per-seed values, mean ± std, how many seeds are positive and the
verdict of :mod:`jointdepthseg.evaluation.ablation_stats`; then the same for
the IoU of the depth-only classes. :func:`spread_lines` is one demo run's
summary against those spreads (the lines tools/demo.py prints).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from .ablation_stats import (NO_DIFFERENCE, RULE_NOTE, STD_NOTE,
                             spread_checks)
from .tables import markdown_table


def _number(value: Optional[float], sign: bool = False) -> str:
    if value is None:
        return '-'
    return f'{value:+.2f}' if sign else f'{value:.2f}'


def mean_pm_std(entry: Mapping[str, Any], num_seeds: int,
                sign: bool = False) -> str:
    """'38.50 ± 0.35', with '(n=2)' if not all ``num_seeds`` have a value."""
    text = f'{_number(entry["mean"], sign)} ± {_number(entry["std"])}'
    if entry['n'] < num_seeds:
        text += f' (n={entry["n"]})'
    return text


def _per_seed(entry: Mapping[str, Any], seeds, sign: bool = False) -> str:
    return ', '.join(_number(entry['per_seed'].get(str(seed)), sign)
                     for seed in seeds)


def _difference_cell(entry: Mapping[str, Any], num_seeds: int) -> str:
    """'+2.10 ± 0.40' or 'no difference (+0.10 ± 0.40)'."""
    text = mean_pm_std(entry, num_seeds, sign=True)
    return text if entry['verdict'] != NO_DIFFERENCE else \
        f'no difference ({text})'


def ablation_markdown(result: Mapping[str, Any]) -> str:
    """The whole ablation.md text of an ablation.json ``result``."""
    seeds = result['seeds']
    n = len(seeds)
    seed_list = ', '.join(str(seed) for seed in seeds)
    parts = [f'# Ablation over seeds: variant `{result["variant"]}`, seeds '
             f'{seed_list}', '',
             f'Each seed runs the whole demo pipeline (data and training '
             f'seeded alike). IoU in percent; ± is the {STD_NOTE}.', '',
             '## mIoU per row', '',
             markdown_table(
                 ['Row', 'mIoU mean ± std', f'per seed ({seed_list})'],
                 [[row['label'], mean_pm_std(row, n), _per_seed(row, seeds)]
                  for row in result['rows']], ['l', 'r', 'r']), '',
             '## Paired differences (the paper\'s claims)', '',
             markdown_table(
                 ['Difference', 'mean ± std', f'per seed ({seed_list})',
                  'seeds > 0', 'verdict'],
                 [[entry['label'], mean_pm_std(entry, n, sign=True),
                   _per_seed(entry, seeds, sign=True),
                   f'{entry["positive_seeds"]}/{entry["n"]}',
                   entry['verdict']] for entry in result['differences']],
                 ['l', 'r', 'r', 'r', 'l']), '',
             f'- Rule: {RULE_NOTE}. A paired difference compares two runs '
             'of the same seed (same data, same start).', '']
    classes = result['depth_only_classes']
    if classes:
        pairs = '; '.join(' / '.join(pair)
                          for pair in result['depth_only_pairs'])
        parts += ['## IoU of the depth-only classes', '',
                  f'Pairs that only geometry separates: {pairs}.', '',
                  markdown_table(['Row', *classes],
                                 [[row['label'], *(mean_pm_std(
                                     row['classes'][name], n) for name in
                                     classes)] for row in
                                  result['class_rows']],
                                 ['l'] + ['r'] * len(classes)), '',
                  '## Paired differences of the depth-only classes\' IoU',
                  '',
                  markdown_table(['Difference', *classes],
                                 [[entry['label'], *(_difference_cell(
                                     entry['classes'][name], n) for name in
                                     classes)] for entry in
                                  result['class_differences']],
                                 ['l'] + ['r'] * len(classes)), '',
                  '- `-`: the class is absent from ground truth and '
                  'prediction in every seed; (n=k): only k seeds have it.',
                  '']
    else:
        parts += ['The dataset names no depth-only class pairs.', '']
    return '\n'.join(parts)


def spread_lines(summary: Mapping[str, Any],
                 ablation: Optional[Mapping[str, Any]]) -> list[str]:
    """One demo run's claims, each against the seed-to-seed spread.

    Args:
        summary: the run's summary.json (``rows``, ``miou``, ``unary_miou``,
            ``class_iou``).
        ablation: ablation.json of the same variant, or None (spread
            unknown: the differences alone).

    Returns:
        One line per claim the run has (difference in mIoU, whether it
        exceeds the spread), then the depth-only classes' IoU of the two
        stage-3 CRFs.
    """
    lines = []
    for check in spread_checks(summary, ablation or {}):
        text = f'{check["label"]}: {check["difference"]:+.1f} mIoU'
        if check['exceeds'] is not None:
            text += (', exceeds' if check['exceeds'] else
                     ', within (no difference):') + \
                f' the seed-to-seed spread {check["spread"]:.1f}'
        lines.append(text)
    for name in ('stage3_crf_nodepth', 'stage3_crf'):
        classes = summary.get('class_iou', {}).get(name, {})
        if name in summary['rows']:
            lines.append(
                f'{summary["rows"][name]}, depth-only classes IoU: ' +
                ', '.join(f'{cls} {iou:.1f}' if iou is not None else
                          f'{cls} -' for cls, iou in classes.items()))
    return lines
