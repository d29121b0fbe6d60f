"""report.md / report.csv of one run, and several runs side by side.

``tools/test.py`` writes, for one run, ``metrics.json``
(:mod:`.metrics_file`), ``report.md`` (Table 2, Table 3, per-class IoU) and
``report.csv``. ``tools/make_report.py`` puts several runs side by side,
optionally next to the paper's quoted rows and with the multi-task gain
Delta_m over a baseline. Delta_m compares only rows on the same test data
(the ``data_root`` each metrics.json records); the paper's quoted rows are
on NYUDepth v2 (``PAPER_DATA``).

Each table states its conventions once, below it: what every depth row
shares (the metric's definitions and units), then the evaluation settings
(averaging, depth range, crop, image and pixel counts) once for all runs,
or once per group of runs where they differ.
"""
from __future__ import annotations

import math
import os.path as osp
from typing import Any, Mapping, Optional, Sequence

from jointdepthseg.fileio import atomic_write_text

from .depth_errors import EIGEN_CROP
from .metric_keys import DATA_KEY, metrics_named, rows_from_metrics
from .metrics_file import METRICS_FILE, write_metrics_json
from .paper_results import PAPER_CITATION, TABLE2_QUOTED, TABLE3_QUOTED
from .tables import (TABLE2_KEYS, TABLE3_KEYS, ResultRow, gains_markdown,
                     gains_over, markdown_table, rows_csv,
                     rows_on_other_data, table2_markdown, table3_markdown)

#: The test data of the paper's quoted rows.
PAPER_DATA = 'NYUDepth v2'
#: What every Table 2 row computed here shares (DepthEstimationMetric).
DEPTH_DEFINITIONS = (
    "d* is the test pipeline's ground-truth depth map (which map each "
    'dataset uses: docs/evaluation.md); predictions are clamped to the '
    'evaluated depth range; rmse_log_si = sqrt(mean((g − mean g)²)), '
    'g = log d − log d*, per image. δ and relative differences are '
    'fractions, RMSE (linear) is in metres, log RMSEs in natural-log units.')
SEGMENTATION_DEFINITIONS = (
    'Scores from one confusion matrix over the test set; classes whose '
    'score is 0/0 are left out of the means.')


def paper_rows() -> list[ResultRow]:
    """The paper's Table 2 and Table 3 rows, marked as quoted."""
    rows = []
    for entry in TABLE2_QUOTED + TABLE3_QUOTED:
        extra = {'input': entry['input']} if 'input' in entry else {}
        rows.append(
            ResultRow(entry['name'], dict(entry['values']),
                      quoted=f'{PAPER_CITATION}, {entry["table"]}',
                      extra=extra, data=PAPER_DATA))
    return rows


def depth_settings(conventions: Mapping[str, Any]) -> str:
    """One ``depth/conventions`` dict as a phrase (no run names)."""
    how = ('averaged per image' if conventions.get('average') == 'image'
           else 'pooled over all pixels')
    top, bottom, left, right = EIGEN_CROP
    crop = (f'inside the Eigen crop [{top}:{bottom}, {left}:{right}]'
            if conventions.get('eigen_crop') else 'no crop')
    return (f'{how} over {conventions.get("num_images")} images '
            f'({conventions.get("num_pixels")} valid pixels; '
            f'{conventions.get("num_images_without_valid_depth")} images '
            f'without valid depth left out), '
            f'{conventions.get("min_depth_m")} m < d* < '
            f'{conventions.get("max_depth_m")} m, {crop}')


def run_depth_conventions(name: str, metrics: Mapping[str, Any]
                          ) -> dict[str, Mapping[str, Any]]:
    """``{row name: conventions}`` of a run's depth metrics (``depth`` or
    another prefix, named as :func:`rows_from_metrics` names its rows)."""
    found = {}
    for prefix, value in metrics_named(metrics, 'conventions').items():
        if isinstance(value, Mapping):
            main = prefix in ('', 'depth')
            found[name if main else f'{name} [{prefix}]'] = value
    return found


def depth_convention_lines(conventions: Mapping[str, Mapping[str, Any]]
                           ) -> list[str]:
    """The notes under Table 2: the definitions, then the settings once.

    Args:
        conventions: row name -> its ``depth/conventions`` dict.

    Returns:
        Markdown list items: the definitions every row shares, then one
        item per distinct setting, naming its rows only where the rows'
        settings differ.
    """
    lines = [f'- {DEPTH_DEFINITIONS}']
    groups: dict[str, list[str]] = {}
    for name, value in conventions.items():
        groups.setdefault(depth_settings(value), []).append(name)
    if len(groups) == 1:
        lines.append(f'- Every row computed here: {next(iter(groups))}.')
    else:
        lines += [f'- {", ".join(names)}: {settings}.'
                  for settings, names in groups.items()]
    return lines


def per_class_iou_markdown(metrics: Mapping[str, Any]) -> Optional[str]:
    """Per-class IoU (%) table, one column per semantic prefix, or None."""
    columns = {prefix or 'sem': value for prefix, value in
               metrics_named(metrics, 'per_class_iou').items()
               if isinstance(value, Mapping)}
    if not columns:
        return None
    classes = list(next(iter(columns.values())))
    body = [[name, *(_percent(column.get(name)) for column in
                     columns.values())] for name in classes]
    return markdown_table(['Class', *(f'IoU (%) [{prefix}]'
                                      for prefix in columns)],
                          body, ['l'] + ['r'] * len(columns))


def _percent(value: Optional[float]) -> str:
    """Two decimals, or '-' for absent classes."""
    return '-' if value is None or not math.isfinite(value) else \
        f'{value:.2f}'


def comparison_markdown(rows: Sequence[ResultRow],
                        conventions: Optional[
                            Mapping[str, Mapping[str, Any]]] = None,
                        baseline: Optional[str] = None,
                        title: str = 'Evaluation') -> str:
    """Markdown with Table 2, Table 3 and, with a baseline, Delta_m.

    Args:
        rows: the rows, computed and quoted.
        conventions: row name -> ``depth/conventions`` of the computed rows.
        baseline: row name for Delta_m, or None.
        title: the level-1 heading.
    """
    parts = [f'# {title}', '']
    if any(row.has_any(TABLE2_KEYS) for row in rows):
        parts += ['## Table 2: depth estimation', '',
                  table2_markdown(rows), '',
                  *depth_convention_lines(conventions or {}), '']
    if any(row.has_any(TABLE3_KEYS) for row in rows):
        parts += ['## Table 3: semantic segmentation', '',
                  table3_markdown(rows), '',
                  f'- {SEGMENTATION_DEFINITIONS}', '']
    if baseline is not None:
        parts += [f'## Multi-task gain Δm over {baseline}', '',
                  gains_markdown(rows, baseline), '',
                  '- Δm = 100/T Σᵢ sᵢ (Mᵢ − Bᵢ)/Bᵢ over the T metrics of '
                  'Tables 2 and 3 that both rows report; sᵢ = +1 where higher '
                  'is better, −1 where lower is better (Maninis et al., CVPR '
                  '2019; Vandenhende et al., TPAMI 2021).',
                  *data_notes(rows, baseline), '']
    if any(row.quoted for row in rows):
        parts += [f'Rows marked *(quoted)* are copied from {PAPER_CITATION}, '
                  'not computed here.', '']
    return '\n'.join(parts)


def data_notes(rows: Sequence[ResultRow], baseline: str) -> list[str]:
    """Lines saying which rows Delta_m compares and which it leaves out."""
    base = next(row for row in rows if row.name == baseline)
    notes = [f'- Δm only between rows on the same test data as {baseline} '
             f'({base.data or "not recorded"}).']
    others: dict[Optional[str], list[ResultRow]] = {}
    for row in rows_on_other_data(rows, baseline):
        others.setdefault(row.data, []).append(row)
    for data, group in others.items():
        if data == PAPER_DATA and all(row.quoted for row in group):
            notes.append("- No Δm for the paper's quoted rows, shown for "
                         f'reference only: they are on {PAPER_DATA}.')
        elif data is None:
            notes.append(f'- No Δm for {", ".join(r.name for r in group)}: '
                         'metrics.json records no test data (make_report.py'
                         ' --data LABEL names it).')
        else:
            notes.append(f'- No Δm for {", ".join(r.name for r in group)}: '
                         f'tested on {data}.')
    if base.data is None and any(row.data is None and row.name != baseline
                                 for row in rows):
        notes.append('- The runs without recorded test data are assumed to '
                     'share one data set (make_report.py --data LABEL names '
                     'it).')
    return notes


def run_report_markdown(metrics: Mapping[str, Any],
                        name: str = 'this run') -> str:
    """report.md of one run: Table 2, Table 3 and per-class IoU."""
    text = comparison_markdown(rows_from_metrics(name, metrics),
                               run_depth_conventions(name, metrics),
                               title=f'Evaluation of {name}')
    per_class = per_class_iou_markdown(metrics)
    if per_class is not None:
        text += '\n'.join(['', '## Per-class IoU', '', per_class, '',
                           '- `-`: class absent from both ground truth and '
                           'prediction.', ''])
    return text


def write_run_report(out_dir: str, metrics: Mapping[str, Any],
                     name: str = 'this run',
                     data_root: Optional[str] = None) -> dict[str, str]:
    """Write metrics.json, report.md and report.csv of one run.

    Args:
        out_dir: folder to write into.
        metrics: the evaluator's output.
        name: the run's name in the report.
        data_root: the test set's DATA_ROOT, recorded in metrics.json as
            ``data_root`` (absolute) so that reports compare like with like.

    Returns:
        Paths written, keyed ``'json'``, ``'markdown'``, ``'csv'``.
    """
    if data_root is not None:
        metrics = {**metrics, DATA_KEY: osp.abspath(data_root)}
    paths = dict(json=osp.join(out_dir, METRICS_FILE),
                 markdown=osp.join(out_dir, 'report.md'),
                 csv=osp.join(out_dir, 'report.csv'))
    # report.md and report.csv first: metrics.json, written last, marks a
    # finished test
    atomic_write_text(paths['markdown'], run_report_markdown(metrics, name))
    atomic_write_text(paths['csv'], rows_csv(rows_from_metrics(name,
                                                               metrics)))
    write_metrics_json(paths['json'], metrics)
    return paths


def compare_runs(runs: Mapping[str, Mapping[str, Any]],
                 paper: bool = False,
                 baseline: Optional[str] = None,
                 data: Optional[str] = None) -> tuple[str, str]:
    """Several runs side by side (and the paper's rows if ``paper``).

    Args:
        runs: run name -> its metrics (as in metrics.json).
        paper: add the paper's quoted Table 2 / Table 3 rows.
        baseline: name of a row (a run, ``RUN [PREFIX]`` or a quoted row)
            for Delta_m, computed only over rows on its test data.
        data: test data of every run, overriding the recorded
            ``data_root`` (``PAPER_DATA`` puts NYU runs beside the paper's).

    Returns:
        ``(markdown, csv)`` texts.
    """
    rows: list[ResultRow] = []
    conventions: dict[str, Mapping[str, Any]] = {}
    for name, metrics in runs.items():
        rows += rows_from_metrics(name, metrics, data)
        conventions.update(run_depth_conventions(name, metrics))
    if paper:
        rows += paper_rows()
    gains = None if baseline is None else gains_over(rows, baseline)
    markdown = comparison_markdown(rows, conventions, baseline,
                                   title='Comparison of runs')
    return markdown, rows_csv(rows, gains)
