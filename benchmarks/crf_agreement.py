"""How closely ``jointdepthseg.apis.dense_crf`` reproduces pydensecrf.

Both run pydensecrf's README example on the same inputs: unaries
``unary_from_softmax(probs)``, ``addPairwiseGaussian(sxy=3, compat=3)``,
``addPairwiseBilateral(sxy=80, srgb=13, compat=10)``, ``inference(5)``;
ours is ``dense_crf(image, probs)`` with the same (default) parameters,
both with their permutohedral lattices.

Images: the photos bundled with installed packages (matplotlib's
``grace_hopper.jpg``; scikit-image's astronaut, coffee and chelsea when
scikit-image is installed; nothing is downloaded) and synthetic rooms
(``render_room``, 480x640).  Unaries are deliberately unsure, so that the
CRF has something to do: a softmax over C colour clusters of the image
(k-means) of ``-|I - centre|^2 / 2 (20 levels)^2`` plus smooth noise (a
bilinearly upsampled 1/16-resolution field), its temperature set so that
the median pixel's top probability is 0.55.

Reported per image and class count: the pixels whose argmax label agrees
(all pixels, and among those whose label pydensecrf changed), the largest
``|Q_ours - Q_pydensecrf|``, how many labels each CRF changed at all, and,
for comparison, the agreement of ``DenseCRF`` run without ``dense_crf``'s
swap of H and W (the lattice is not invariant to the order of the position
features).

Usage::

    python benchmarks/crf_agreement.py
    python benchmarks/crf_agreement.py --classes 6 21 40 --rooms 2 --seed 0

Exits with status 2 when pydensecrf is not installed (``pip install
pydensecrf2``; it is not a dependency of the package).
"""
from __future__ import annotations

import argparse
import platform
import sys
from datetime import date

import numpy as np
import torch
import torch.nn.functional as F

README_PARAMS = dict(iterations=5, gaussian_sxy=3., gaussian_compat=3.,
                     bilateral_sxy=80., bilateral_srgb=13.,
                     bilateral_compat=10.)
CLUSTER_WIDTH = 20.          # RGB levels
NOISE_CELL = 16              # pixels per cell of the smooth noise
TARGET_MEDIAN_TOP_PROB = 0.55
ROOM_SIZE = (480, 640)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--classes', type=int, nargs='+', default=[6, 21, 40],
                        help='class counts C to test (default: 6 21 40)')
    parser.add_argument('--rooms', type=int, default=2,
                        help='synthetic rooms (render_room, 480x640) besides '
                        'the bundled photos (default: 2)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the rooms, clusters and noise')
    parser.add_argument('--threads', type=int, default=2,
                        help='torch CPU threads (default: 2)')
    return parser.parse_args(argv)


def require_pydensecrf():
    """pydensecrf's modules, or exit 2 with one line."""
    try:
        import pydensecrf.densecrf as dcrf
        from pydensecrf.utils import unary_from_softmax
    except ImportError:
        print('crf_agreement.py: pydensecrf is not installed; it is the '
              'reference of this benchmark (not a package dependency). '
              'Install it with `pip install pydensecrf2`.', file=sys.stderr)
        sys.exit(2)
    return dcrf, unary_from_softmax


def bundled_photos() -> dict:
    """(H, W, 3) uint8 RGB photos shipped inside installed packages."""
    from matplotlib import cbook
    from PIL import Image
    with cbook.get_sample_data('grace_hopper.jpg') as file:
        photos = {'grace_hopper.jpg (matplotlib)':
                  np.array(Image.open(file).convert('RGB'))}
    try:
        from skimage import data
    except ImportError:
        return photos
    for name in ('astronaut', 'coffee', 'chelsea'):
        photos[f'{name} (scikit-image)'] = np.ascontiguousarray(
            getattr(data, name)()[..., :3])
    return photos


def synthetic_rooms(count: int, seed: int) -> dict:
    from jointdepthseg.datasets.synthetic import render_room
    return {f'synthetic room {index} (render_room)':
            render_room(np.random.default_rng([seed, index]),
                        ROOM_SIZE)['image'] for index in range(count)}


def colour_clusters(image: np.ndarray, classes: int,
                    rng: np.random.Generator, steps: int = 10) -> np.ndarray:
    """(C, 3) k-means centres of the image's colours (a pixel sample)."""
    pixels = image.reshape(-1, 3).astype(np.float64)
    sample = pixels[rng.choice(len(pixels), min(len(pixels), 8192),
                               replace=False)]
    centres = sample[rng.choice(len(sample), classes, replace=False)]
    for _ in range(steps):
        nearest = ((sample[:, None] - centres[None]) ** 2).sum(2).argmin(1)
        for label in range(classes):
            members = sample[nearest == label]
            if len(members):
                centres[label] = members.mean(0)
    return centres


def unsure_probs(image: np.ndarray, classes: int,
                 rng: np.random.Generator) -> np.ndarray:
    """(C, H, W) float32 softmax of colour-cluster scores plus smooth noise,
    tempered so that the median top probability is 0.55."""
    height, width, _ = image.shape
    centres = torch.from_numpy(colour_clusters(image, classes, rng))
    colours = torch.from_numpy(image.reshape(-1, 3).astype(np.float64))
    scores = -torch.cdist(colours, centres).pow(2) / (2 * CLUSTER_WIDTH**2)
    scores = scores.T.reshape(classes, height, width)
    scores = scores / scores.std()
    coarse = torch.from_numpy(rng.normal(
        0, 1, (1, classes, height // NOISE_CELL + 2,
               width // NOISE_CELL + 2)))
    noise = F.interpolate(coarse, size=(height, width), mode='bilinear',
                          align_corners=False)[0]
    logits = scores + noise / noise.std()
    low, high = 1e-3, 1e3               # temperature: sharp .. flat
    for _ in range(40):
        middle = (low * high) ** 0.5
        top = torch.softmax(logits / middle, 0).amax(0).median()
        low, high = (middle, high) if top > TARGET_MEDIAN_TOP_PROB else (
            low, middle)
    return torch.softmax(logits / high, 0).float().numpy()


def pydensecrf_refine(modules, image: np.ndarray,
                      probs: np.ndarray) -> np.ndarray:
    """pydensecrf's README example, (C, H, W) float32 Q."""
    dcrf, unary_from_softmax = modules
    classes, height, width = probs.shape
    p = README_PARAMS
    crf = dcrf.DenseCRF2D(width, height, classes)
    crf.setUnaryEnergy(unary_from_softmax(probs))
    crf.addPairwiseGaussian(sxy=p['gaussian_sxy'],
                            compat=p['gaussian_compat'])
    crf.addPairwiseBilateral(sxy=p['bilateral_sxy'],
                             srgb=p['bilateral_srgb'],
                             rgbim=np.ascontiguousarray(image),
                             compat=p['bilateral_compat'])
    q = crf.inference(p['iterations'])
    return np.array(q).reshape(classes, height, width)


def unswapped_refine(image: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """DenseCRF with dense_crf's settings but without its H <-> W swap: its
    lattice orders the positions (row, column), pydensecrf's (x, y)."""
    from jointdepthseg.apis.dense_crf import PROBABILITY_CLIP
    from jointdepthseg.models.refiners import DenseCRF
    p = README_PARAMS
    crf = DenseCRF(probs.shape[0], num_iters=p['iterations'],
                   theta_alpha=p['bilateral_sxy'],
                   theta_beta=p['bilateral_srgb'],
                   theta_tau=p['gaussian_sxy'],
                   w_appearance=p['bilateral_compat'], w_depth=None,
                   w_smooth=p['gaussian_compat'], normalize='symmetric',
                   learnable=False)
    logits = torch.from_numpy(probs).clamp(PROBABILITY_CLIP, 1).log()[None]
    rgb = torch.from_numpy(image).permute(2, 0, 1)[None].float()
    with torch.no_grad():
        return torch.softmax(crf(logits, rgb), 1)[0].numpy()


def compare(modules, image: np.ndarray, probs: np.ndarray) -> dict:
    from jointdepthseg.apis import dense_crf
    reference = pydensecrf_refine(modules, image, probs)
    ours = dense_crf(image, probs, **README_PARAMS)
    before = probs.argmax(0)
    ref_labels, our_labels = reference.argmax(0), ours.argmax(0)
    changed = ref_labels != before
    top = probs.max(0)
    return dict(
        top_median=float(np.median(top)),
        top_in_range=float(((top >= 0.3) & (top <= 0.8)).mean()),
        agree=float((ref_labels == our_labels).mean()),
        differ=int((ref_labels != our_labels).sum()),
        agree_unswapped=float((unswapped_refine(image, probs).argmax(0)
                               == ref_labels).mean()),
        agree_changed=float((ref_labels == our_labels)[changed].mean())
        if changed.any() else float('nan'),
        max_dq=float(np.abs(ours - reference).max()),
        mean_dq=float(np.abs(ours - reference).mean()),
        changed_ref=float(changed.mean()),
        changed_ours=float((our_labels != before).mean()))


def main(argv=None) -> int:
    args = parse_args(argv)
    modules = require_pydensecrf()
    torch.set_num_threads(args.threads)
    images = dict(bundled_photos())
    images.update(synthetic_rooms(args.rooms, args.seed))
    rows = []
    for index, (name, image) in enumerate(images.items()):
        for classes in args.classes:
            rng = np.random.default_rng([args.seed, index, classes])
            probs = unsure_probs(image, classes, rng)
            rows.append((name, image.shape[:2], classes,
                         compare(modules, image, probs)))
            print(f'  done: {name}, C={classes}', file=sys.stderr)
    command = ' '.join(['python benchmarks/crf_agreement.py'] + sys.argv[1:])
    print(f'\n## dense_crf vs pydensecrf: agreement ({date.today()}, '
          f'{platform.processor() or platform.machine()}, torch '
          f'{torch.__version__}, threads={args.threads})\n')
    print(f'`{command}`. pydensecrf\'s README example (Gaussian sxy 3 compat '
          '3, bilateral sxy 80 srgb 13 compat 10, 5 iterations) against '
          '`dense_crf(image, probs)` (lattice), same unsure unaries (colour '
          'clusters + smooth noise; "top p" is the median pixel\'s largest '
          'probability and the share of pixels with it in [0.3, 0.8]). '
          '"agree": pixels with the same argmax (in brackets: how many '
          'differ); "on changed": among the pixels whose label pydensecrf '
          'changed; "changed": labels the CRF changed, pydensecrf / ours; '
          '"unswapped": the agreement of DenseCRF run without dense_crf\'s '
          'H <-> W swap (its lattice then orders the positions (row, column), '
          'pydensecrf\'s (x, y)).\n')
    print('| image | H x W | C | top p | agree | on changed | max \\|dQ\\| | '
          'mean \\|dQ\\| | changed | unswapped |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for name, (height, width), classes, r in rows:
        print(f'| {name} | {height}x{width} | {classes} | '
              f'{r["top_median"]:.2f}, {100 * r["top_in_range"]:.0f} % | '
              f'{100 * r["agree"]:.2f} % ({r["differ"]}) | '
              f'{100 * r["agree_changed"]:.2f} % | '
              f'{r["max_dq"]:.1e} | {r["mean_dq"]:.1e} | '
              f'{100 * r["changed_ref"]:.1f} / {100 * r["changed_ours"]:.1f} '
              f'% | {100 * r["agree_unswapped"]:.2f} % |')
    worst = min(r['agree'] for *_, r in rows)
    print(f'\nLowest agreement: {100 * worst:.2f} % (target >= 99 %).')
    return 0


if __name__ == '__main__':
    sys.exit(main())
