"""How much could the depth kernel give, at best, on top of a trained Sem-CRF?

Takes a trained **Sem-CRF** (a stage-3 model whose CRF has no depth kernel)
and its dataset's depth-only pairs (``synthetic_meta.json`` of a ``depth-cue``
dataset), keeps its network (so every row reads the very same unaries) and its
learned ``mu``, ``w(1)``, ``w(3)``, and adds a depth kernel (Eq. 7, k2) by
hand, with knowledge no training has: only the depth-only pairs use it, every
other pair keeps exactly the trained Sem-CRF's weights. Rows:

* ``unaries``; ``Sem-CRF (trained)``: the checkpoint as it is;
* ``pairs uncoupled``: the depth-only pairs' ``mu`` set to 0, i.e. what a CRF
  *without* depth can do for them (stop smoothing across them);
* ``depth kernel on the pairs``: the depth-only pairs' whole weight moved to
  the depth kernel (their ``w(1)``, ``w(3)`` near 0), at the pair's trained
  ``mu`` and at 0.5x, 2x and 4x that strength, with the estimated depth; at
  the trained ``mu`` also with the ground-truth depth and a narrower depth
  width.

If the best depth row is not clearly above ``pairs uncoupled``, the depth
kernel has nothing to add on this data whatever its weights are learned to
be: the limit is the unaries, not the CRF's training. Prints the mIoU and the
depth-only classes' IoU (percent) per row.

    python benchmarks/crf_depth_oracle.py \
        configs/synthetic/stage3_crf_nodepth.py SEED/work/stage3_crf_nodepth/iter_80.pth \
        --data-root SEED/data [--json rows.json]

with SEED a seed folder of ``tools/ablation.py --variant depth-cue`` (e.g.
``outputs/ablation/depth-cue/seed_0``) or a ``tools/demo.py --variant
depth-cue`` output folder (then ``--data-root data/synthetic_depth_cue``).
"""
from __future__ import annotations

import argparse
import copy
import math
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

#: w(m) share left to the kernels a pair does not use (a share of 0 has no
#: logit): 1e-4 of the pair's total.
UNUSED_SHARE = 1e-4


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a Sem-CRF config (refiner without a '
                        'depth kernel, with a depth head)')
    parser.add_argument('checkpoint', help='its trained checkpoint')
    parser.add_argument('--data-root', required=True,
                        help='a depth-cue dataset (with synthetic_meta.json)')
    parser.add_argument('--theta-zeta-narrow', type=float, default=0.05,
                        help='the narrower depth width tried, metres')
    parser.add_argument('--json', help='also write the rows here')
    return parser.parse_args()


def depth_only_pairs(data_root: str) -> list[tuple[int, int]]:
    """The 0-based class-id pairs of ``DATA_ROOT/synthetic_meta.json``."""
    from jointdepthseg.datasets.synthetic import (META_FILE,
                                                  read_depth_only_pairs)
    path = osp.join(data_root, META_FILE)
    if not osp.isfile(path):
        raise SystemExit(f'error: {path} not found: --data-root must be a '
                         'generated synthetic dataset')
    try:
        pairs = read_depth_only_pairs(path)
    except ValueError as error:
        raise SystemExit(f'error: {error}')
    if not pairs:
        raise SystemExit(f'error: {path} lists no depth-only pairs; generate '
                         'the data with --variant depth-cue')
    return pairs


def crf_with_depth_on_pairs(sem_crf, pairs, theta_zeta: float,
                            strength: float):
    """A DenseCRF with the trained Sem-CRF's ``mu``, ``w(1)``, ``w(3)`` and a
    depth kernel used by ``pairs`` only (their whole weight, ``mu`` times
    ``strength``); every other pair has the depth share ``UNUSED_SHARE``."""
    from jointdepthseg.models.refiners import DenseCRF
    weights = sem_crf.kernel_weights()
    total = float(sem_crf.weight_total)
    thetas = dict(sem_crf.thetas, theta_zeta=theta_zeta)
    crf = DenseCRF(num_classes=sem_crf.num_classes,
                   num_iters=sem_crf.num_iters, w_appearance=1., w_depth=1.,
                   w_smooth=1., normalize=sem_crf.normalize,
                   learnable=False, **thetas)
    crf.weight_total.fill_(total)
    # keep the Sem-CRF's w(1), w(3) (shares of the same total), depth ~ 0
    crf.weight_logit_appearance.copy_(weights['appearance'].log())
    crf.weight_logit_smooth.copy_(weights['smooth'].log())
    crf.weight_logit_depth.fill_(math.log(UNUSED_SHARE * total))
    crf.compatibility.copy_(sem_crf.compatibility)
    for a, b in pairs:
        for i, j in ((a, b), (b, a)):
            crf.weight_logit_appearance[i, j] = math.log(UNUSED_SHARE * total)
            crf.weight_logit_smooth[i, j] = math.log(UNUSED_SHARE * total)
            crf.weight_logit_depth[i, j] = math.log(total)
            crf.compatibility[i, j] *= strength
    return crf


def uncoupled(sem_crf, pairs):
    """A copy of the Sem-CRF with ``mu = 0`` for ``pairs``."""
    crf = copy.deepcopy(sem_crf)
    with torch.no_grad():
        for a, b in pairs:
            crf.compatibility[a, b] = crf.compatibility[b, a] = 0.
    return crf


def main() -> None:
    args = parse_args()
    torch.set_grad_enabled(False)  # inference only
    init_default_scope('mmseg')
    from jointdepthseg.apis import init_model
    from jointdepthseg.datasets.nyu_classes import NYU40_CLASSES
    from jointdepthseg.fileio import atomic_write_json
    from jointdepthseg.evaluation.confusion import (confusion_matrix,
                                                    segmentation_scores)
    from mmseg.registry import DATASETS

    # the network loop it shares with the other test-time CRF benchmark
    from crf_depth_ablation import test_set_outputs

    pairs = depth_only_pairs(args.data_root)
    cfg = Config.fromfile(args.config)
    model = init_model(cfg, args.checkpoint, 'cpu')
    sem_crf = model.refiner
    if sem_crf is None or model.depth_head is None:
        raise SystemExit('error: the config has no refiner or no depth head')
    if 'depth' in sem_crf.kernels:
        raise SystemExit('error: give a Sem-CRF (w_depth=None) checkpoint; '
                         f'its refiner has kernels {sem_crf.kernels}')
    model.refiner = None  # the rows below run their own CRFs
    zeta = sem_crf.thetas['theta_zeta']
    crfs = {'Sem-CRF (trained)': (sem_crf, None),
            'pairs uncoupled (mu = 0)': (uncoupled(sem_crf, pairs), None)}
    for strength in (0.5, 1., 2., 4.):
        crfs[f'depth kernel on the pairs, mu x{strength:g}'] = (
            crf_with_depth_on_pairs(sem_crf, pairs, zeta, strength),
            'estimate')
    crfs['depth kernel on the pairs, mu x1, ground-truth depth'] = (
        crf_with_depth_on_pairs(sem_crf, pairs, zeta, 1.), 'gt')
    narrow = args.theta_zeta_narrow
    for depth_key, what in (('estimate', ''),
                            ('gt', ', ground-truth depth')):
        crfs[f'depth kernel on the pairs, mu x1, theta_zeta {narrow:g} '
             f'm{what}'] = (crf_with_depth_on_pairs(
                 sem_crf, pairs, narrow, 1.), depth_key)

    dataset_cfg = dict(cfg.test_dataloader.dataset, data_root=args.data_root)
    dataset = DATASETS.build(dataset_cfg)
    num_classes = model.num_classes
    totals = {name: 0 for name in ['unaries', *crfs]}
    for unary, depth, gt_depth, image, labels in test_set_outputs(
            model, dataset):
        depths = dict(estimate=depth,
                      gt=torch.where(gt_depth > 0, gt_depth, depth))
        logits = {'unaries': unary}
        for name, (crf, depth_key) in crfs.items():
            logits[name] = crf(unary, image, depths.get(depth_key))
        for name, value in logits.items():
            totals[name] = totals[name] + confusion_matrix(
                value.argmax(1)[0], labels, num_classes, 255)
    classes = sorted({c for pair in pairs for c in pair})
    names = [NYU40_CLASSES[c] for c in classes]
    print('| CRF | mIoU (%) | ' + ' | '.join(names) + ' |')
    print('|---|---|' + '---|' * len(names))
    rows = {}
    for name, confusion in totals.items():
        scores = segmentation_scores(confusion.numpy())
        rows[name] = dict(miou=100 * scores['mIoU'],
                          iou={n: 100 * scores['iou'][c]
                               for n, c in zip(names, classes)})
        cells = ' | '.join(f"{rows[name]['iou'][n]:.1f}" for n in names)
        print(f"| {name} | {rows[name]['miou']:.2f} | {cells} |")
    # Where the depth-only classes' pixels go: the unaries' and the
    # Sem-CRF's row-normalised confusion between each class and its partners
    partners = {c: sorted({b if a == c else a for a, b in pairs
                           if c in (a, b)}) for c in classes}
    print('\n| ground truth | labelled by | ' + ' | '.join(
        'as itself' if i == 0 else f'as partner {i}'
        for i in range(1 + max(map(len, partners.values())))) + ' |')
    print('|---|---|' + '---|' * (1 + max(map(len, partners.values()))))
    for name in ('unaries', 'Sem-CRF (trained)'):
        confusion = totals[name].numpy()
        rows[name]['labelled_as'] = {}
        for c in classes:
            row = confusion[c] / max(confusion[c].sum(), 1)
            shares = {NYU40_CLASSES[t]: 100 * float(row[t])
                      for t in [c, *partners[c]]}
            rows[name]['labelled_as'][NYU40_CLASSES[c]] = shares
            cells = ' | '.join(f'{t} {v:.1f} %' for t, v in shares.items())
            print(f'| {NYU40_CLASSES[c]} | {name} | {cells} |')
    if args.json:
        atomic_write_json(args.json, rows, indent=1)


if __name__ == '__main__':
    main()
