"""Draw Fig. 4 (learned CRF compatibility mu and weights w(2), w(1)).

    python tools/plot_crf_weights.py CHECKPOINT --out fig4.png
    python tools/plot_crf_weights.py CONFIG CHECKPOINT --out fig4.png

    python tools/plot_crf_weights.py CHECKPOINT --out fig4.png \
        --pairs-from DATA_ROOT/synthetic_meta.json

CHECKPOINT is a stage-3 checkpoint (or any state dict holding a DenseCRF).
``--pairs-from`` reads the depth-only class pairs of a synthetic dataset,
outlines them in red and writes ``<out>_pairs.md`` and ``<out>_pairs.json``:
the mean learned w(1), w(2) and mu over those pairs and over all other pairs,
against their initial values: those of the DenseCRF the config builds (the
constructor's defaults, Sec. 4.1's, where the config sets nothing), without
CONFIG the constructor's defaults.
With CONFIG, the class names come from the config's test dataset (and the
config must have a refiner); without it, 40 classes are named after NYU-40
and other counts ``class 0``, ``class 1``, ...  The checkpoint is read with
torch's safe ``weights_only`` loader.
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot the learned CRF weights of a checkpoint as C x C '
        'heatmaps with class names (Fig. 4).')
    parser.add_argument('files', nargs='+', metavar='[CONFIG] CHECKPOINT',
                        help='checkpoint file (.pth), optionally preceded by '
                        'the config file (.py) it was trained with')
    parser.add_argument('--out', required=True,
                        help='png file to write (folders are created)')
    parser.add_argument('--pairs-from', metavar='META_JSON',
                        help="a synthetic dataset's synthetic_meta.json: "
                        'outline its depth-only pairs and summarise their '
                        'learned weights against the other pairs')
    args = parser.parse_args(argv)
    if len(args.files) > 2:
        parser.error('expected CHECKPOINT or CONFIG CHECKPOINT')
    args.config = args.files[0] if len(args.files) == 2 else None
    args.checkpoint = args.files[-1]
    for path in filter(None, (args.config, args.checkpoint,
                              args.pairs_from)):
        if not osp.isfile(path):
            parser.exit(1, f'error: file not found: {path}\n')
    return args


def load_state_dict(path: str) -> dict:
    """The state dict of a checkpoint (mmengine's or a bare one)."""
    import torch

    from jointdepthseg.engine import checkpoint_safe_globals
    try:
        with checkpoint_safe_globals():
            checkpoint = torch.load(path, map_location='cpu',
                                    weights_only=True)
    except Exception as error:  # noqa: BLE001 - reported in one line
        raise SystemExit(f'error: cannot read checkpoint {path}: {error}')
    if isinstance(checkpoint, dict) and isinstance(
            checkpoint.get('state_dict'), dict):
        return checkpoint['state_dict']
    if not isinstance(checkpoint, dict):
        raise SystemExit(f'error: {path} holds no state dict')
    return checkpoint


def class_names_from_config(config_path: str) -> list:
    """Class names of the config's test dataset; the model must have a CRF."""
    from mmengine.config import Config

    from mmseg.registry import DATASETS
    cfg = Config.fromfile(config_path)
    if not cfg.get('model', {}).get('refiner'):
        raise SystemExit(f'error: {config_path} has no refiner (DenseCRF)')
    dataset_cfg = cfg.test_dataloader.dataset
    metainfo = dataset_cfg.get('metainfo') or {}
    if 'classes' in metainfo:
        return list(metainfo['classes'])
    dataset_cls = DATASETS.get(dataset_cfg.type)
    if dataset_cls is None:
        raise SystemExit(f'error: unknown dataset type {dataset_cfg.type!r}')
    return list(dataset_cls.METAINFO['classes'])


def depth_only_pairs(meta_path: str) -> list:
    """``[(id_a, id_b), ...]`` from a synthetic dataset's metadata file."""
    from jointdepthseg.datasets.synthetic import read_depth_only_pairs
    try:
        return read_depth_only_pairs(meta_path)
    except (OSError, ValueError) as error:
        raise SystemExit(f'error: {error}')


def initial_values(config_path: Optional[str], num_classes: int) -> dict:
    """Mean off-diagonal w(1), w(2) and mu of the CRF before training.

    Read from a DenseCRF built as the config's refiner (without a config,
    with its constructor's defaults, the one home of Sec. 4.1's starting
    values), so they are never copied here. w(2) is 0 without a depth
    kernel.
    """
    import numpy as np
    from mmengine.config import Config

    from jointdepthseg.visualization.crf_weights import \
        crf_matrices_from_state_dict
    from mmseg.registry import MODELS
    refiner = dict(type='DenseCRF', num_classes=num_classes)
    if config_path:
        refiner = dict(Config.fromfile(config_path).model.refiner)
    matrices = crf_matrices_from_state_dict(
        MODELS.build(refiner).state_dict())
    off_diagonal = ~np.eye(len(matrices['compatibility']), dtype=bool)

    def mean(name: str) -> float:
        if name not in matrices:
            return 0.
        return float(matrices[name][off_diagonal].mean())

    return dict(w1=mean('weight_appearance'), w2=mean('weight_depth'),
                mu=mean('compatibility'))


def write_pair_summary(matrices: dict, pairs: list, initial: dict,
                       out_png: str) -> None:
    """Writes ``<out>_pairs.md`` / ``.json`` and prints the table."""
    import json

    from jointdepthseg.evaluation.crf_pair_weights import (
        pair_weight_summary, pair_weight_table)
    from jointdepthseg.fileio import atomic_write_text
    if 'weight_depth' not in matrices:
        raise SystemExit('error: the CRF has no depth kernel (w(2)): no pair '
                         'summary')
    summary = pair_weight_summary(matrices, pairs, initial)
    table = pair_weight_table(summary)
    stem = osp.splitext(out_png)[0]
    atomic_write_text(stem + '_pairs.md', table)
    atomic_write_text(stem + '_pairs.json',
                      json.dumps(dict(pairs=pairs, **summary), indent=2))
    print(table, end='')


def default_class_names(num_classes: int) -> list:
    from jointdepthseg.datasets.nyu_classes import NYU40_CLASSES
    if num_classes == len(NYU40_CLASSES):
        return list(NYU40_CLASSES)
    return [f'class {i}' for i in range(num_classes)]


def draw_fig4(checkpoint: str, out_png: str,
              config: Optional[str] = None,
              pairs_from: Optional[str] = None) -> None:
    """Fig. 4 of a checkpoint's CRF; with ``pairs_from``, the pair summary.

    Args:
        checkpoint: a stage-3 checkpoint (or a state dict with a DenseCRF).
        out_png: the figure; ``<stem>_pairs.md`` / ``.json`` beside it.
        config: the config it was trained with (class names, initial
            values); None: NYU-40 names or ``class N``, DenseCRF's defaults.
        pairs_from: a synthetic dataset's ``synthetic_meta.json``; its
            depth-only pairs are outlined and summarised (none: no summary).

    Raises:
        SystemExit: with one line, on a file that cannot be used.
    """
    import jointdepthseg  # noqa: F401  (registers the datasets)
    from jointdepthseg.visualization.crf_weights import (
        crf_matrices_from_state_dict, plot_crf_weights)
    try:
        matrices = crf_matrices_from_state_dict(load_state_dict(checkpoint))
    except KeyError as error:
        raise SystemExit(f'error: {checkpoint}: {error.args[0]}')
    num_classes = matrices['compatibility'].shape[0]
    names = (class_names_from_config(config) if config
             else default_class_names(num_classes))
    if len(names) != num_classes:
        raise SystemExit(f'error: the CRF has {num_classes} classes, the '
                         f'config names {len(names)}')
    pairs = depth_only_pairs(pairs_from) if pairs_from else []
    plot_crf_weights(matrices, names, out_png, highlight=pairs)
    print(f'wrote {out_png}')
    if pairs:
        write_pair_summary(matrices, pairs,
                           initial_values(config, num_classes), out_png)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    draw_fig4(args.checkpoint, args.out, args.config, args.pairs_from)
    return 0


if __name__ == '__main__':
    sys.exit(main())
