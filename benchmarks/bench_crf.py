"""Benchmark DenseCRF (permutohedral lattice, pure PyTorch) against pydensecrf.

One run, same inputs for both: 480x640, 40 classes, 5 mean-field iterations,
appearance + smoothness kernels with the paper's widths (theta_alpha=160,
theta_beta=3, theta_tau=3), Potts compatibility (w = 7 and 3), on a noise
image and on a natural-looking one (a synthetic room).  Reported: our forward
time against Krähenbühl's C++ implementation (``pydensecrf``, install e.g.
``pip install pydensecrf2``; it is not a dependency of the package) and the
ratio; our time with all three kernels, forward + backward, peak memory, and
how the time grows from 120x160 to 480x640.

Usage::

    python benchmarks/bench_crf.py --device cpu --threads 1
    python benchmarks/bench_crf.py --device cuda

Exits with status 2 when pydensecrf is not installed.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from datetime import date

import numpy as np
import torch

NUM_CLASSES = 40
SIZE = (480, 640)
PAPER = dict(theta_alpha=160., theta_beta=3., theta_tau=3., w_appearance=7.,
             w_smooth=3.)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', choices=('cpu', 'cuda'), default='cpu',
                        help='device for our implementation (pydensecrf '
                        'always runs on the CPU)')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (pydensecrf is '
                        'single-threaded; default 1 for a like-for-like '
                        'comparison)')
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed runs per measurement (median reported), '
                        'after one warm-up run')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the synthetic inputs')
    parser.add_argument('--memory-of', choices=('forward', 'backward'),
                        help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def require_pydensecrf():
    """Import pydensecrf or exit with a clear message."""
    try:
        import pydensecrf.densecrf as dcrf
    except ImportError:
        print('bench_crf.py: pydensecrf is not installed; it is the reference '
              'of this benchmark (not a package dependency). Install it with '
              '`pip install pydensecrf2`.', file=sys.stderr)
        sys.exit(2)
    return dcrf


def piecewise_room(rng: np.random.Generator, size: tuple) -> dict:
    """Fallback natural-looking image: shaded planes with noise and edges."""
    height, width = size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    labels = ((yy > 0.7 * height).astype(np.int64)
              + 2 * ((xx > 0.3 * width) & (xx < 0.6 * width)
                     & (yy > 0.2 * height)))
    palette = rng.uniform(40, 220, (labels.max() + 1, 3))
    shade = 0.75 + 0.25 * (yy / height)[..., None]
    image = palette[labels] * shade + rng.normal(0, 2, (height, width, 3))
    depth = 2.0 + 2.0 * (1 - yy / height) + 0.5 * (labels == 2)
    return dict(image=np.clip(image, 0, 255).astype(np.uint8),
                labels=labels.astype(np.uint8), depth=depth.astype(np.float32))


def natural_scene(rng: np.random.Generator, size: tuple) -> tuple[dict, str]:
    """A synthetic room from jointdepthseg if available, else a fallback."""
    try:
        from jointdepthseg.datasets.synthetic import render_room
    except ImportError:
        return piecewise_room(rng, size), 'piecewise-constant room (fallback)'
    return render_room(rng, size), 'synthetic room (render_room)'


def make_inputs(seed: int, size: tuple) -> dict:
    """Images, depths and unaries (float32 numpy) for both scenes."""
    rng = np.random.default_rng(seed)
    room, room_name = natural_scene(rng, size)
    height, width = size
    labels = room['labels'].astype(np.int64) % NUM_CLASSES
    onehot = np.eye(NUM_CLASSES, dtype=np.float32)[labels].transpose(2, 0, 1)
    room_unary = 2 * onehot + rng.normal(0, 1, onehot.shape)
    noise = rng.integers(0, 256, (height, width, 3)).astype(np.uint8)
    noise_unary = rng.normal(0, 1, (NUM_CLASSES, height, width))
    noise_depth = rng.uniform(0.5, 10, (height, width)).astype(np.float32)
    return {
        'noise': dict(image=noise, depth=noise_depth,
                      unary=noise_unary.astype(np.float32)),
        room_name: dict(image=room['image'], depth=room['depth'],
                        unary=room_unary.astype(np.float32)),
    }


def pydensecrf_forward(dcrf, scene: dict) -> np.ndarray:
    """Krähenbühl's mean field, same kernels, lattice build included."""
    unary = scene['unary']
    classes, height, width = unary.shape
    crf = dcrf.DenseCRF2D(width, height, classes)
    crf.setUnaryEnergy(np.ascontiguousarray(-unary.reshape(classes, -1)))
    crf.addPairwiseBilateral(sxy=PAPER['theta_alpha'],
                             srgb=PAPER['theta_beta'],
                             rgbim=np.ascontiguousarray(scene['image']),
                             compat=PAPER['w_appearance'])
    crf.addPairwiseGaussian(sxy=PAPER['theta_tau'], compat=PAPER['w_smooth'])
    return np.asarray(crf.inference(5))


def to_tensors(scene: dict, device: str) -> tuple:
    unary = torch.from_numpy(scene['unary'])[None].to(device)
    image = torch.from_numpy(scene['image']).permute(2, 0, 1)[None].float()
    depth = torch.from_numpy(scene['depth'])[None, None]
    return unary, image.to(device), depth.to(device)


def sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def median_time(fn, repeats: int, device: str) -> float:
    fn()
    sync(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build_crf(with_depth: bool, device: str):
    from jointdepthseg.models.refiners.dense_crf import DenseCRF
    kwargs = dict(PAPER, w_depth=4. if with_depth else None)
    return DenseCRF(NUM_CLASSES, num_iters=5, **kwargs).to(device)


def ours_forward(crf, tensors: tuple, with_depth: bool):
    unary, image, depth = tensors
    with torch.no_grad():
        return crf(unary, image, depth if with_depth else None)


def ours_forward_backward(crf, tensors: tuple, with_depth: bool):
    unary, image, depth = tensors
    unary = unary.clone().requires_grad_(True)
    out = crf(unary, image, depth if with_depth else None)
    out.square().mean().backward()


def _status_kb(field: str) -> int:
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def peak_memory_mb(fn, device: str) -> float:
    """Peak memory of one call above what was in use before it: the CUDA
    allocator's peak, or on the CPU the peak resident set size (Linux: the
    high-water mark is reset through /proc/self/clear_refs first)."""
    if device == 'cuda':
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fn()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    base = _status_kb('VmRSS')
    with open('/proc/self/clear_refs', 'w') as refs:
        refs.write('5')
    fn()
    return (_status_kb('VmHWM') - base) / 1024.0


def child_peak_memory_mb(args: argparse.Namespace, what: str) -> float:
    """Run one measurement in a fresh interpreter (CPU RSS peaks only grow)."""
    command = [sys.executable, __file__, '--device', args.device,
               '--threads', str(args.threads), '--seed', str(args.seed),
               '--memory-of', what]
    done = subprocess.run(command, capture_output=True, text=True,
                          check=True)
    return float(done.stdout.strip().splitlines()[-1])


def memory_child(args: argparse.Namespace) -> int:
    """``--memory-of``: print the peak memory (MB) of one call and exit."""
    torch.set_num_threads(args.threads)
    scenes = make_inputs(args.seed, SIZE)
    scene = list(scenes.values())[-1]
    tensors = to_tensors(scene, args.device)
    crf = build_crf(False, args.device)
    if args.memory_of == 'forward':
        fn = lambda: ours_forward(crf, tensors, False)  # noqa: E731
    else:
        fn = lambda: ours_forward_backward(crf, tensors, False)  # noqa: E731
    print(f'{peak_memory_mb(fn, args.device):.1f}')
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.memory_of:
        return memory_child(args)
    dcrf = require_pydensecrf()
    if args.device == 'cuda' and not torch.cuda.is_available():
        print('bench_crf.py: --device cuda but CUDA is not available',
              file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    device = args.device
    scenes = make_inputs(args.seed, SIZE)
    crf2 = build_crf(False, device)
    crf3 = build_crf(True, device)
    rows = []
    for name, scene in scenes.items():
        tensors = to_tensors(scene, device)
        ref = median_time(lambda: pydensecrf_forward(dcrf, scene),
                          args.repeats, 'cpu')
        ours = median_time(lambda: ours_forward(crf2, tensors, False),
                           args.repeats, device)
        ours3 = median_time(lambda: ours_forward(crf3, tensors, True),
                            args.repeats, device)
        both = median_time(lambda: ours_forward_backward(crf2, tensors, False),
                           args.repeats, device)
        rows.append((name, ref, ours, ours / ref, ours3, both))
    print(f'\n## DenseCRF vs pydensecrf ({date.today()}, '
          f'{platform.processor() or platform.machine()}, torch '
          f'{torch.__version__}, device={device}, threads={args.threads})\n')
    print('480x640, 40 classes, 5 iterations, appearance + smoothness, Potts '
          '(theta 160/3/3, w 7/3); seconds, median of '
          f'{args.repeats} runs. "forward": inference (no autograd); '
          '"3 kernels": with the depth kernel; "fwd+bwd": with autograd, '
          'backward of a loss on the output.\n')
    print('| image | pydensecrf (C++, 1 thread) | ours forward | ratio | '
          'ours 3 kernels | ours fwd+bwd |')
    print('|---|---|---|---|---|---|')
    for name, ref, ours, ratio, ours3, both in rows:
        print(f'| {name} | {ref:.3f} | {ours:.3f} | {ratio:.2f} | '
              f'{ours3:.3f} | {both:.3f} |')
    name = list(scenes)[-1]
    mem_fwd = child_peak_memory_mb(args, 'forward')
    mem_both = child_peak_memory_mb(args, 'backward')
    kind = ('CUDA allocator peak' if device == 'cuda'
            else 'peak resident set size above the inputs, fresh process')
    print(f'\nPeak memory on the {name} ({kind}): forward {mem_fwd:.0f} MB, '
          f'forward+backward {mem_both:.0f} MB\n')
    print('Time growth, ours forward (s; microseconds per pixel):\n')
    print('| size | ' + ' | '.join(scenes) + ' |')
    print('|---|' + '---|' * len(scenes))
    for height, width in ((120, 160), (240, 320), (480, 640)):
        cells = []
        for name, small in make_inputs(args.seed, (height, width)).items():
            tensors = to_tensors(small, device)
            sec = median_time(lambda: ours_forward(crf2, tensors, False),
                              args.repeats, device)
            cells.append(f'{sec:.3f} ({1e6 * sec / (height * width):.2f})')
        print(f'| {height}x{width} | ' + ' | '.join(cells) + ' |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
