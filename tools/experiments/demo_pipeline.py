"""The demo in one process: data, every stage, Fig. 4, report, summary.

:func:`run_demo` is ``tools/demo.py`` (and one seed of
``tools/ablation.py``): it generates the synthetic rooms (reused when
``DATA_ROOT/demo_dataset.json`` says they were made with these settings),
trains and tests the stages of :data:`.stages.DEMO_STAGES` in order, each
from its parent's checkpoint (:mod:`.stage_runner`; finished stages are
reused, a stage whose parent was retrained is retrained), draws Fig. 4 of the
Sem-CRF+ stage, writes ``report.md`` / ``report.csv`` (Tables 2 and 3, one
row per stage, the paper's quoted rows) and ``summary.json``, and prints
each claim against the seed ablation's spread.
"""
from __future__ import annotations

import argparse
import json
import os.path as osp
import time
from typing import Any, Optional

from .demo_options import ROOT, demo_settings, size_text
from .stage_runner import RunSettings, results_dir, run_stage
from .stages import (BASELINE_ROW, DEMO_STAGES, FIG4_STAGE, IMAGE_SIZE,
                     Stage, check_stage_table, selected_stages)
from .summary import SUMMARY_FILE, build_summary, spread_lines

SETTINGS_FILE = 'demo_settings.json'
DATASET_MARKER = 'demo_dataset.json'


def shown(path: str) -> str:
    """``path`` relative to the repository if inside it."""
    inside = osp.commonpath([path, ROOT]) == ROOT
    return osp.relpath(path, ROOT) if inside else path


class DemoLog:
    """Prints ``[demo VARIANT seed S HH:MM:SS] message`` lines."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.where = f'{args.variant} seed {args.seed}'

    def __call__(self, message: str) -> None:
        print(f'[demo {self.where} {time.strftime("%H:%M:%S")}] {message}',
              flush=True)


def write_json(path: str, value: Any) -> None:
    from jointdepthseg.fileio import atomic_write_json
    atomic_write_json(path, value, allow_nan=False)


def claim_out_dir(args: argparse.Namespace) -> None:
    """Refuse an --out that holds another demo's results; else record ours.

    Raises:
        ValueError: ``--out`` holds results of other settings (says which).
    """
    path = osp.join(args.out, SETTINGS_FILE)
    wanted = demo_settings(args)
    if osp.isfile(path):
        with open(path) as file:
            found = json.load(file)
        if found != wanted:
            changed = ', '.join(f'{key} {found.get(key)!r} -> {value!r}'
                                for key, value in wanted.items()
                                if found.get(key) != value)
            raise ValueError(f'{args.out} holds a demo run with other '
                             f'settings ({changed}); use another --out or '
                             'delete it')
        return
    if any(osp.exists(osp.join(args.out, sub)) for sub in ('work',
                                                           'results')):
        raise ValueError(f'{args.out} holds results without {SETTINGS_FILE} '
                         '(an older demo); use another --out or delete it')
    write_json(path, wanted)


def make_data(args: argparse.Namespace, log) -> None:
    """Generate the synthetic rooms unless made with these settings (the
    generator writes the same files for the same settings)."""
    marker = osp.join(args.data_root, DATASET_MARKER)
    wanted = dict(num_train=args.num_train, num_test=args.num_test,
                  seed=args.seed, size=size_text(), variant=args.variant)
    if osp.isfile(marker):
        with open(marker) as file:
            if json.load(file) == wanted:
                log(f'reusing the synthetic dataset in {args.data_root}')
                return
    from jointdepthseg.datasets.synthetic import generate_dataset
    log(f'writing {args.num_train} training and {args.num_test} test rooms '
        f'({args.variant}, {size_text()}) to {args.data_root}')
    generate_dataset(args.data_root, args.num_train, args.num_test,
                     args.seed, size=IMAGE_SIZE, progress=True, workers=2,
                     variant=args.variant)
    write_json(marker, wanted)


def depth_only_pairs(data_root: str) -> list[tuple[str, str]]:
    """Class-name pairs that only depth separates in the depth-cue variant.

    From ``DATA_ROOT/synthetic_meta.json``; where it names none (``rooms``),
    the depth-cue variant's pairs, so that both variants report the same
    classes.
    """
    from jointdepthseg.datasets.synthetic import (DEPTH_CUE_PAIRS, META_FILE,
                                                  read_depth_only_pairs)
    meta = osp.join(data_root, META_FILE)
    pairs = (read_depth_only_pairs(meta, 'classes') if osp.isfile(meta)
             else [])
    return pairs or [pair.classes for pair in DEPTH_CUE_PAIRS]


def run_stages(stages: tuple[Stage, ...], settings: RunSettings, log
               ) -> dict[str, str]:
    """Train and test ``stages`` in order; returns name -> checkpoint.

    Each stage loads its parent's final checkpoint; a finished stage is
    reused unless its parent was trained now.
    """
    check_stage_table(stages)
    checkpoints: dict[str, str] = {}
    trained: set[str] = set()
    for index, stage in enumerate(stages):
        log(f'{stage.name} ({index + 1}/{len(stages)}): {stage.row}, '
            f'{shown(osp.join(ROOT, stage.config))}')
        parent_trained = stage.parent in trained
        result = run_stage(stage, settings, checkpoints.get(stage.parent),
                           reuse=not parent_trained, log=log)
        checkpoints[stage.name] = result.checkpoint
        if result.trained:
            trained.add(stage.name)
    return checkpoints


def write_fig4(args: argparse.Namespace, checkpoint: str) -> None:
    """Fig. 4 of the Sem-CRF+ stage; with depth-only pairs (depth-cue), they
    are outlined and their mean learned weights written to
    ``figures/fig4_crf_weights_pairs.md``."""
    from jointdepthseg.datasets.synthetic import (META_FILE,
                                                  read_depth_only_pairs)
    from tools.plot_crf_weights import draw_fig4
    meta = osp.join(args.data_root, META_FILE)
    has_pairs = osp.isfile(meta) and bool(read_depth_only_pairs(meta))
    config = next(stage.config for stage in DEMO_STAGES
                  if stage.name == FIG4_STAGE)
    # the config gives the pair table its initial values
    draw_fig4(checkpoint, osp.join(args.out, 'figures',
                                   'fig4_crf_weights.png'),
              osp.join(ROOT, config), meta if has_pairs else None)


def read_stage_metrics(args: argparse.Namespace,
                       stages: tuple[Stage, ...]) -> dict[str, dict]:
    from jointdepthseg.evaluation.metrics_file import (METRICS_FILE,
                                                       read_metrics_json)
    settings = RunSettings(args.out, args.data_root)
    return {stage.name: read_metrics_json(osp.join(
        results_dir(settings, stage.name), METRICS_FILE))
        for stage in stages}


def write_report(args: argparse.Namespace, stages: tuple[Stage, ...],
                 metrics: dict[str, dict]) -> str:
    """OUT/report.md and report.csv: one row per stage, the paper's rows,
    Delta_m over the baseline row."""
    from jointdepthseg.evaluation.reports import compare_runs
    from jointdepthseg.fileio import atomic_write_text
    markdown, csv_text = compare_runs(
        {stage.row: metrics[stage.name] for stage in stages}, paper=True,
        baseline=BASELINE_ROW)
    report = osp.join(args.out, 'report.md')
    atomic_write_text(report, markdown)
    atomic_write_text(osp.splitext(report)[0] + '.csv', csv_text)
    return report


def write_summary(args: argparse.Namespace, stages: tuple[Stage, ...],
                  metrics: dict[str, dict]) -> dict:
    """OUT/summary.json from the stages' metrics (see :mod:`.summary`)."""
    summary = build_summary(args.variant, args.seed,
                            {stage.name: stage.row for stage in stages},
                            metrics, depth_only_pairs(args.data_root))
    summary['data_root'] = args.data_root
    summary['settings'] = {key: value for key, value in
                           demo_settings(args).items()
                           if key not in ('seed', 'data_root')}
    write_json(osp.join(args.out, SUMMARY_FILE), summary)
    return summary


def load_spread(args: argparse.Namespace) -> tuple[Optional[dict], str]:
    """(ablation.json or None, a sentence saying where the spread is from)."""
    path = shown(args.spread)
    if not osp.isfile(args.spread):
        return None, (f'seed-to-seed spread unknown: no {path}; measure it '
                      f'with python tools/ablation.py --variant '
                      f'{args.variant} --seeds 0 1 2 --out '
                      f'outputs/ablation/{args.variant} and copy its '
                      f'ablation.json and ablation.md to {osp.dirname(path)}')
    with open(args.spread) as file:
        ablation = json.load(file)
    if ablation.get('variant') != args.variant:
        return None, (f'seed-to-seed spread unknown: {path} is for variant '
                      f'{ablation.get("variant")!r}, not {args.variant!r}')
    seeds = ', '.join(str(s) for s in ablation.get('seeds', []))
    return ablation, f'spread = std of the difference over seeds {seeds} ' \
        f'({path})'


def print_summary(args: argparse.Namespace, summary: dict, seconds: float,
                  log) -> None:
    """Logs each claim's difference and whether it exceeds the spread."""
    miou = summary['miou']
    log(f'{seconds / 60:.1f} min. mIoU: ' + ', '.join(
        f'{row} {miou[name]:.1f}' for name, row in summary['rows'].items()))
    ablation, source = load_spread(args)
    log(source)
    for line in spread_lines(summary, ablation):
        log(line)


def run_demo(args: argparse.Namespace) -> dict:
    """The whole demo for parsed options (``demo_options.parse_demo_args``).

    Returns:
        The summary written to ``OUT/summary.json``.

    Raises:
        ValueError: ``--out`` holds another demo's results.
        stage_runner.StageFailed: a stage failed (one line, its log).
    """
    log = DemoLog(args)
    start = time.time()
    claim_out_dir(args)
    make_data(args, log)
    stages = selected_stages(args.rgbd)
    settings = RunSettings(args.out, args.data_root, args.seed,
                           args.iters_scale, args.show_num)
    checkpoints = run_stages(stages, settings, log)
    write_fig4(args, checkpoints[FIG4_STAGE])
    metrics = read_stage_metrics(args, stages)
    report = write_report(args, stages, metrics)
    summary = write_summary(args, stages, metrics)
    print_summary(args, summary, time.time() - start, log)
    log(f'everything is in {args.out} (report: {report}, summary: '
        f'{osp.join(args.out, SUMMARY_FILE)}; logs: '
        f'{osp.join(args.out, "work")})')
    return summary
