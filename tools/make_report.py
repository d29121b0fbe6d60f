"""Put several test runs side by side in one Table 2 and one Table 3.

Example::

    python tools/make_report.py Unary-Sem=results/stage1 \
        Unary-Sem+Depth=results/stage2 Sem-CRF+=results/stage3 \
        --paper --baseline Unary-Sem --out results/comparison.md

reads ``DIR/metrics.json`` of each run (written by tools/test.py --out DIR)
and writes ``comparison.md`` and ``comparison.csv``. ``--paper`` adds the
rows published in the paper, marked as quoted. ``--baseline`` adds the
multi-task gain Delta_m over the named row of every row on the same test data
(see docs/evaluation.md): each run's data is the ``data_root`` that
tools/test.py recorded in its metrics.json, or ``--data``; the paper's rows
are on NYUDepth v2, so they get no Delta_m against a synthetic baseline. A
run evaluated with a second semantic metric (e.g. prefix ``unary``)
contributes a second row ``NAME [unary]``.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(
        description='Compare test runs in the layout of Tables 2 and 3')
    parser.add_argument(
        'runs',
        nargs='+',
        metavar='NAME=DIR',
        help='run name and the folder holding its metrics.json')
    parser.add_argument(
        '--paper',
        action='store_true',
        help="add the paper's published rows, marked as quoted")
    parser.add_argument(
        '--baseline',
        metavar='NAME',
        help='row name for the multi-task gain Δm (a run, "NAME [prefix]" '
        'or, with --paper, a quoted row)')
    parser.add_argument(
        '--data',
        metavar='LABEL',
        help='test data of every run, overriding the data_root recorded in '
        'metrics.json (e.g. for runs tested before it was recorded); '
        '"NYUDepth v2" puts runs on real NYU beside the paper\'s rows for Δm')
    parser.add_argument(
        '--out',
        metavar='FILE.md',
        help='write markdown here and CSV beside it (FILE.csv); default: '
        'print the markdown')
    return parser.parse_args(argv)


def parse_runs(specs: list[str]) -> dict[str, str]:
    """'NAME=DIR' strings -> {NAME: DIR}; exits with one line on a mistake."""
    runs: dict[str, str] = {}
    for spec in specs:
        name, sep, folder = spec.partition('=')
        if not sep or not name or not folder:
            sys.exit(f'error: expected NAME=DIR, got {spec!r}')
        if name in runs:
            sys.exit(f'error: run name {name!r} given twice')
        runs[name] = folder
    return runs


def main(argv=None) -> tuple[str, str]:
    """Build the comparison; returns (markdown, csv)."""
    args = parse_args(argv)
    if args.out is not None and not args.out.endswith('.md'):
        sys.exit(f'error: --out must end with .md, got {args.out}')
    from jointdepthseg.evaluation.metrics_file import (METRICS_FILE,
                                                       read_metrics_json)
    from jointdepthseg.evaluation.reports import compare_runs
    from jointdepthseg.fileio import atomic_write_text
    runs = {}
    for name, folder in parse_runs(args.runs).items():
        try:
            runs[name] = read_metrics_json(osp.join(folder, METRICS_FILE))
        except (OSError, ValueError) as error:
            sys.exit(f'error: run {name}: {error}')
    try:
        markdown, csv_text = compare_runs(runs, args.paper, args.baseline,
                                          args.data)
    except KeyError as error:
        sys.exit(f'error: {error.args[0]}')
    if args.out is None:
        print(markdown)
    else:
        csv_path = osp.splitext(args.out)[0] + '.csv'
        atomic_write_text(args.out, markdown)
        atomic_write_text(csv_path, csv_text)
        print(f'wrote {args.out} and {csv_path}')
    return markdown, csv_text


if __name__ == '__main__':
    main()
