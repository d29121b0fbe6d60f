"""What the depth of a synthetic dataset shows of its depth-only pairs, and
what the CRF's depth kernel (Eq. 7, k2) keeps of it.

For each depth-only pair ``(a, b)`` of ``DATA_ROOT/synthetic_meta.json``
(``depth-cue`` data), pooled over the images of a split where both classes
occur:

* the depth step across every place where the two classes touch
  (4-neighbour pixel pairs, depth from ``depths/``): its 10th percentile,
  median and 90th percentile, and the share of it at or above theta_zeta.
  Where a pair only touches at a contact edge (a pillow's bottom on the seat)
  the step is near 0, so the distribution, not its minimum, describes a pair;
* the *retention*: over pixel pairs ``i`` of ``a`` and ``j`` of ``b``, the sum
  of the depth kernel ``k2(i, j)`` over the sum of its spatial factor
  ``exp(-|p_i - p_j|^2 / 2 theta_gamma^2)``: 1 if the depth kernel cannot
  tell the classes apart, near 0 if every nearby pixel pair lies many
  theta_zeta apart in depth; the same within ``a`` (``j != i``) for
  reference, and the single depth step whose k2 factor equals the cross
  retention;
* the colour gap: per image where both classes cover >= 20 pixels, the
  largest per-channel difference of their mean RGB (0-255); its median and
  90th percentile over images.

The widths theta_gamma (pixels) and theta_zeta (metres) are the CRF's: its
refiner is built from ``--config`` (so ``DenseCRF``'s defaults fill what the
config leaves out), and the kernel's features are the library's
(``crf_kernels.depth_features``). The config's spatial width is for images
of its ``data_preprocessor.size``; on data of another width it is scaled with
the width. ``--pairs depth-cue`` measures the depth-cue pairs on any
dataset (e.g. ``rooms`` data of the same seed, whose file lists none). Prints
one row per pair::

    python benchmarks/depth_pair_statistics.py \
        --data-root data/synthetic_depth_cue \
        [--config configs/synthetic/stage3_crf.py] [--split train] \
        [--pairs depth-cue] [--json out.json]
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import sys

import numpy as np
import torch

DEFAULT_CONFIG = 'configs/synthetic/stage3_crf.py'
#: Pixels each class needs in an image for its colour gap.
MIN_COLOUR_PIXELS = 20


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data-root', required=True,
                        help='a depth-cue dataset of tools/make_synthetic.py')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='the config whose model.refiner (a DenseCRF) '
                        f'gives the kernel widths (default: {DEFAULT_CONFIG})')
    parser.add_argument('--split', default='all',
                        help="split to measure, or 'all' for train and test "
                        '(default: all)')
    parser.add_argument('--pairs', choices=('file', 'depth-cue'),
                        default='file',
                        help="the pairs of DATA_ROOT/synthetic_meta.json "
                        "('file', default) or the depth-cue variant's")
    parser.add_argument('--json', help='also write the rows to this file')
    return parser.parse_args(argv)


def boundary_depth_steps(labels: np.ndarray, depth: np.ndarray, class_a: int,
                         class_b: int) -> np.ndarray:
    """Depth jumps where two classes touch.

    Args:
        labels: (H, W) class ids.
        depth: (H, W) metres.
        class_a, class_b: the two class ids.

    Returns:
        (N,) float64 ``|depth_p - depth_q|`` metres over every horizontally
        or vertically adjacent pixel pair ``(p, q)`` with one pixel of each
        class.
    """
    depth = np.asarray(depth, dtype=np.float64)
    steps = []
    for first, second in (((slice(None), slice(None, -1)),
                           (slice(None), slice(1, None))),
                          ((slice(None, -1), slice(None)),
                           (slice(1, None), slice(None)))):
        la, lb = labels[first], labels[second]
        touching = ((la == class_a) & (lb == class_b)) \
            | ((la == class_b) & (lb == class_a))
        steps.append(np.abs(depth[first] - depth[second])[touching])
    return np.concatenate(steps)


def depth_kernel_mass(labels: np.ndarray, depth: np.ndarray, class_a: int,
                      class_b: int, theta_gamma_px: float,
                      theta_zeta_m: float,
                      chunk: int = 256) -> tuple[float, float]:
    """Sums of the depth kernel k2 and of its spatial factor over the pixel
    pairs ``(i in class_a, j in class_b)``, ``j != i``.

    Args:
        labels: (H, W) class ids.
        depth: (H, W) metres.
        class_a, class_b: the classes.
        theta_gamma_px: spatial width, pixels of this image.
        theta_zeta_m: depth width, metres.
        chunk: pixels of ``class_a`` per block (memory only).

    Returns:
        ``(k2 sum, spatial sum)``; both 0 if a class is absent.
    """
    from jointdepthseg.models.refiners.crf_kernels import depth_features
    depth_t = torch.as_tensor(np.asarray(depth, np.float64))[None, None]
    features = depth_features(depth_t, theta_gamma_px,
                              theta_zeta_m)[0].numpy()  # (H * W, 3)
    flat = np.asarray(labels).reshape(-1)
    index_a = np.flatnonzero(flat == class_a)
    index_b = np.flatnonzero(flat == class_b)
    kernel_sum = spatial_sum = 0.0
    for start in range(0, index_a.size, chunk):
        part = index_a[start:start + chunk]
        # |f_i - f_j|^2 per feature: two position parts, one depth part
        dist2 = [(features[part, k, None] - features[None, index_b, k]) ** 2
                 for k in range(3)]
        spatial = np.exp(-0.5 * (dist2[0] + dist2[1]))
        spatial[part[:, None] == index_b[None]] = 0.0  # j != i
        kernel_sum += float((spatial * np.exp(-0.5 * dist2[2])).sum())
        spatial_sum += float(spatial.sum())
    return kernel_sum, spatial_sum


def colour_gap(image: np.ndarray, labels: np.ndarray, class_a: int,
               class_b: int) -> float | None:
    """Largest per-channel difference (0-255) of the two classes' mean RGB
    in one image; None unless both cover ``MIN_COLOUR_PIXELS`` pixels."""
    in_a, in_b = labels == class_a, labels == class_b
    if min(in_a.sum(), in_b.sum()) < MIN_COLOUR_PIXELS:
        return None
    image = np.asarray(image, dtype=np.float64)
    return float(np.abs(image[in_a].mean(0) - image[in_b].mean(0)).max())


def equivalent_step(retention: float, theta_zeta_m: float) -> float:
    """The depth step (metres) whose k2 factor
    ``exp(-step^2 / 2 theta_zeta^2)`` equals ``retention`` (in (0, 1])."""
    return theta_zeta_m * float(np.sqrt(-2.0 * np.log(retention)))


def pair_statistics(samples, class_a: int, class_b: int,
                    theta_gamma_px: float, theta_zeta_m: float) -> dict:
    """The measurements of one pair, pooled over ``samples`` (dicts with
    ``image``, ``labels`` and ``depth``); metres rounded to 0.1 mm, None
    without data."""
    steps, cross, within, images = [np.zeros(0)], [0., 0.], [0., 0.], 0
    gaps = []
    for sample in samples:
        labels, depth = sample['labels'], sample['depth']
        if not ((labels == class_a).any() and (labels == class_b).any()):
            continue
        images += 1
        gap = colour_gap(sample['image'], labels, class_a, class_b)
        if gap is not None:
            gaps.append(gap)
        steps.append(boundary_depth_steps(labels, depth, class_a, class_b))
        for sums, other in ((cross, class_b), (within, class_a)):
            mass = depth_kernel_mass(labels, depth, class_a, other,
                                     theta_gamma_px, theta_zeta_m)
            sums[0] += mass[0]
            sums[1] += mass[1]
    steps = np.concatenate(steps)
    out = dict(images=images, boundary_pixel_pairs=int(steps.size), p10=None,
               median=None, p90=None, fraction_ge_theta_zeta=None)
    if steps.size:
        p10, median, p90 = np.quantile(steps, [0.1, 0.5, 0.9])
        out.update(p10=round(float(p10), 4), median=round(float(median), 4),
                   p90=round(float(p90), 4), fraction_ge_theta_zeta=round(
                       float(np.mean(steps >= theta_zeta_m)), 4))
    for key, (kernel, spatial) in (('cross', cross), ('within', within)):
        out[f'retention_{key}'] = (round(kernel / spatial, 4)
                                   if spatial > 0 else None)
    retention = out['retention_cross']
    out['equivalent_step'] = (round(equivalent_step(retention, theta_zeta_m),
                                    4) if retention else None)
    out['colour_gap_median'], out['colour_gap_p90'] = (
        (round(float(np.median(gaps)), 1),
         round(float(np.quantile(gaps, 0.9)), 1)) if gaps else (None, None))
    return out


def crf_depth_widths(config_path: str, image_width: int) -> tuple:
    """(theta_gamma in pixels of an image ``image_width`` wide, theta_zeta in
    metres) of the config's CRF."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import jointdepthseg  # noqa: F401  (registers DenseCRF)
    init_default_scope('mmseg')
    cfg = Config.fromfile(config_path)
    crf = MODELS.build(cfg.model.refiner)
    size = cfg.model.get('data_preprocessor', {}).get('size')
    scale = image_width / size[1] if size else 1.0
    return crf.thetas['theta_gamma'] * scale, crf.thetas['theta_zeta']


def pairs_to_measure(data_root: str, which: str) -> list[tuple]:
    """``[((id_a, id_b), (name_a, name_b)), ...]``: the pairs listed in
    ``DATA_ROOT/synthetic_meta.json`` (``which='file'``) or the depth-cue
    variant's (``'depth-cue'``)."""
    from jointdepthseg.datasets.synthetic import (DEPTH_CUE_PAIRS, META_FILE,
                                                  read_depth_only_pairs)
    if which == 'depth-cue':
        return [(pair.ids, pair.classes) for pair in DEPTH_CUE_PAIRS]
    meta = osp.join(data_root, META_FILE)
    if not osp.isfile(meta):
        raise SystemExit(f'error: {meta} not found: --data-root must be a '
                         'dataset of tools/make_synthetic.py')
    pairs = list(zip(read_depth_only_pairs(meta, 'ids'),
                     read_depth_only_pairs(meta, 'classes')))
    if not pairs:
        raise SystemExit(f'error: {meta} lists no depth-only pairs; generate '
                         'the data with --variant depth-cue (or measure '
                         'with --pairs depth-cue)')
    return pairs


def read_split_samples(data_root: str, split: str) -> list[dict]:
    """``image``, ``labels`` and ``depth`` of every sample of ``split``
    (``'all'``: train and test)."""
    from jointdepthseg.fileio import IMAGE_DIR, SPLITS, SUFFIX, read_sample
    samples = []
    for name in SPLITS if split == 'all' else [split]:
        folder = osp.join(data_root, IMAGE_DIR, name)
        if not osp.isdir(folder):
            raise SystemExit(f'error: {folder} is not a folder')
        samples += [read_sample(data_root, name, file[:-len(SUFFIX)],
                                ('labels', 'depth'))
                    for file in sorted(os.listdir(folder))
                    if file.endswith(SUFFIX) and not file.startswith('.')]
    if not samples:
        raise SystemExit(f'error: no {SUFFIX} images in {data_root} ({split})')
    return samples


def main(argv=None) -> int:
    args = parse_args(argv)
    from jointdepthseg.fileio import atomic_write_json
    pairs = pairs_to_measure(args.data_root, args.pairs)
    samples = read_split_samples(args.data_root, args.split)
    width = samples[0]['image'].shape[1]
    theta_gamma, theta_zeta = crf_depth_widths(args.config, width)
    print(f'{len(samples)} images ({args.split}) {width} px wide; the CRF of '
          f'{args.config}: theta_gamma {theta_gamma:g} px, theta_zeta '
          f'{theta_zeta:g} m')
    header = ('pair', 'images', 'pixel pairs', 'p10 m', 'median m', 'p90 m',
              '>= theta_zeta', 'retention', 'within', 'equiv. step m',
              'colour gap median', 'p90')
    print('| ' + ' | '.join(header) + ' |')
    print('|' + '---|' * len(header))
    rows = []
    for (a, b), (name_a, name_b) in pairs:
        stats = pair_statistics(samples, a, b, theta_gamma, theta_zeta)
        rows.append(dict(classes=[name_a, name_b], ids=[a, b],
                         theta_gamma_px=theta_gamma, theta_zeta_m=theta_zeta,
                         **stats))
        cells = [f'{name_a} / {name_b}'] + [
            'n/a' if value is None else str(value) for value in stats.values()]
        print('| ' + ' | '.join(cells) + ' |')
    if args.json:
        atomic_write_json(args.json, rows)
    return 0


if __name__ == '__main__':
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    sys.exit(main())
