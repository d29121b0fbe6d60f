"""The seed ablation: summaries of several seeds -> ablation.json / .md.

:func:`aggregate` reduces one ``summary.json`` per seed (:mod:`.summary`) to
every row's mean ± std over seeds and every claim's paired differences
(:data:`.stages.CLAIMS`), also for the IoU of the depth-only classes;
:func:`ablation_markdown` renders the result. The statistics are
:mod:`jointdepthseg.evaluation.seed_spread`'s.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from jointdepthseg.evaluation.seed_spread import (NO_DIFFERENCE, RULE_NOTE,
                                                  STD_NOTE, paired_stat,
                                                  seed_stat)
from jointdepthseg.evaluation.tables import markdown_table

from .stages import CLAIMS
from .summary import CLASS_FIELD, depth_only_classes


def _per_seed(summaries: Mapping[int, dict], field: str, run: str,
              name: Optional[str] = None) -> dict[int, Optional[float]]:
    """seed -> summary[field][run] (or [run][name]) for the seeds having it.
    """
    values = {}
    for seed, summary in summaries.items():
        entry = summary.get(field, {}).get(run)
        if name is not None:
            entry = None if entry is None else entry.get(name)
        if run in summary.get(field, {}):
            values[seed] = entry
    return values


def _check_alike(summaries: Mapping[int, dict], seeds: list[int]) -> None:
    """ValueError unless every seed has the first's variant, pairs and
    settings."""
    first = summaries[seeds[0]]
    for seed in seeds:
        summary = summaries[seed]
        if summary['variant'] != first['variant']:
            raise ValueError(f'seed {seed} is variant {summary["variant"]!r}'
                             f', seed {seeds[0]} {first["variant"]!r}')
        if summary['depth_only_pairs'] != first['depth_only_pairs']:
            raise ValueError(f'seed {seed} has other depth-only pairs than '
                             f'seed {seeds[0]}')
        settings, first_settings = (summary.get('settings', {}),
                                    first.get('settings', {}))
        if settings != first_settings:
            changed = ', '.join(
                f'{key} {first_settings.get(key)!r} vs {settings.get(key)!r}'
                for key in sorted(set(settings) | set(first_settings))
                if settings.get(key) != first_settings.get(key))
            raise ValueError(f'seed {seed} was run with other demo settings '
                             f'than seed {seeds[0]} ({changed})')


def aggregate(summaries: Mapping[int, dict]) -> dict:
    """ablation.json: every row's and every claim's statistics over seeds.

    Args:
        summaries: seed -> that seed's summary.json (one variant).

    Raises:
        ValueError: no summaries, mixed variants, or seeds whose depth-only
            pairs or demo settings differ.
    """
    if not summaries:
        raise ValueError('no seed summaries to aggregate')
    seeds = sorted(summaries)
    _check_alike(summaries, seeds)
    first = summaries[seeds[0]]
    labels: dict[str, str] = {}
    for seed in seeds:
        labels.update({run: label for run, label in
                       summaries[seed]['rows'].items() if run not in labels})
    classes = depth_only_classes(first['depth_only_pairs'])
    rows, class_rows = [], []
    for run, label in labels.items():
        for field in ('miou', 'unary_miou'):
            if not any(run in s.get(field, {}) for s in summaries.values()):
                continue
            row_label = label + (' [unaries]' if field == 'unary_miou'
                                 else '')
            rows.append(dict(run=run, field=field, label=row_label,
                             **seed_stat(_per_seed(summaries, field, run))))
            class_rows.append(dict(run=run, field=field, label=row_label,
                                   classes={name: seed_stat(_per_seed(
                                       summaries, CLASS_FIELD[field], run,
                                       name)) for name in classes}))
    differences, class_differences = [], []
    for claim in CLAIMS:
        (field_a, run_a), (field_b, run_b) = claim.minuend, claim.subtrahend
        a = _per_seed(summaries, field_a, run_a)
        b = _per_seed(summaries, field_b, run_b)
        if not a or not b:
            continue  # a run this ablation did not have
        differences.append(dict(key=claim.key, label=claim.label,
                                minuend=f'{field_a}/{run_a}',
                                subtrahend=f'{field_b}/{run_b}',
                                **paired_stat(a, b)))
        class_differences.append(dict(key=claim.key, label=claim.label,
                                      classes={name: paired_stat(
            _per_seed(summaries, CLASS_FIELD[field_a], run_a, name),
            _per_seed(summaries, CLASS_FIELD[field_b], run_b, name))
            for name in classes}))
    return dict(variant=first['variant'], seeds=seeds, unit='IoU, percent',
                settings=first.get('settings', {}), std=STD_NOTE,
                rule=RULE_NOTE,
                depth_only_pairs=first['depth_only_pairs'],
                depth_only_classes=classes, rows=rows,
                differences=differences, class_rows=class_rows,
                class_differences=class_differences)


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


def _seed_values(entry: Mapping[str, Any], seeds, sign: bool = False
                 ) -> str:
    return ', '.join(_number(entry['per_seed'].get(str(seed)), sign)
                     for seed in seeds)


def _difference_cell(entry: Mapping[str, Any], num_seeds: int) -> str:
    """'+2.10 ± 0.40' or 'no difference (+0.10 ± 0.40)'."""
    text = mean_pm_std(entry, num_seeds, sign=True)
    return text if entry['verdict'] != NO_DIFFERENCE else \
        f'no difference ({text})'


def _class_tables(result: Mapping[str, Any], n: int) -> list[str]:
    """The depth-only classes' IoU rows and paired differences."""
    classes = result['depth_only_classes']
    if not classes:
        return ['The dataset names no depth-only class pairs.', '']
    pairs = '; '.join(' / '.join(pair) for pair in result['depth_only_pairs'])
    align = ['l'] + ['r'] * len(classes)
    return ['## IoU of the depth-only classes', '',
            f'Pairs that only geometry separates: {pairs}.', '',
            markdown_table(['Row', *classes],
                           [[row['label'], *(mean_pm_std(
                               row['classes'][name], n) for name in classes)]
                            for row in result['class_rows']], align), '',
            '## Paired differences of the depth-only classes\' IoU', '',
            markdown_table(['Difference', *classes],
                           [[entry['label'], *(_difference_cell(
                               entry['classes'][name], n) for name in
                               classes)]
                            for entry in result['class_differences']],
                           align), '',
            '- `-`: the class is absent from ground truth and prediction in '
            'every seed; (n=k): only k seeds have it.', '']


def ablation_markdown(result: Mapping[str, Any]) -> str:
    """The whole ablation.md text of an ablation.json ``result``.

    Rows: mean ± std (ddof=1) over seeds and the per-seed values; paired
    differences: per-seed values, mean ± std, how many seeds are positive
    and the verdict; then the same for the IoU of the depth-only classes.
    """
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
                 [[row['label'], mean_pm_std(row, n),
                   _seed_values(row, seeds)] for row in result['rows']],
                 ['l', 'r', 'r']), '',
             '## Paired differences (the paper\'s claims)', '',
             markdown_table(
                 ['Difference', 'mean ± std', f'per seed ({seed_list})',
                  'seeds > 0', 'verdict'],
                 [[entry['label'], mean_pm_std(entry, n, sign=True),
                   _seed_values(entry, seeds, sign=True),
                   f'{entry["positive_seeds"]}/{entry["n"]}',
                   entry['verdict']] for entry in result['differences']],
                 ['l', 'r', 'r', 'r', 'l']), '',
             f'- Rule: {RULE_NOTE}. A paired difference compares two runs '
             'of the same seed (same data, same start).', '']
    return '\n'.join(parts + _class_tables(result, n))
